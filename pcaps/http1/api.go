package http1

// Config tunes a Conn. The zero value is Suricata 7's default libhtp
// configuration.
type Config struct {
	// RequestBodyLimit caps the request body bytes kept for inspection
	// (http.request_body); 0 means Suricata's default request-body-limit of
	// 100 KiB, <0 unlimited.
	RequestBodyLimit int
	// ResponseBodyLimit caps the response body bytes kept for inspection
	// (file.data, http.response_body) after decompression; 0 means
	// Suricata's default response-body-limit of 100 KiB, <0 unlimited.
	ResponseBodyLimit int
	// DecompressLimit caps the bytes one gzip/deflate body may inflate to,
	// so a decompression bomb costs bounded memory and time; 0 means 1 MiB.
	DecompressLimit int
	// MaxHeaderBytes caps one message's header block; beyond it the headers
	// are cut and the transaction flagged (0 = 64 KiB).
	MaxHeaderBytes int
}

// Progress is a set of milestones a transaction has reached.
type Progress uint8

// Transaction milestones, in the order they are normally reached.
const (
	RequestLineDone     Progress = 1 << iota // method, URI and protocol are known
	RequestHeadersDone                       // request header block complete
	RequestComplete                          // request body complete (or none)
	ResponseLineDone                         // status line known
	ResponseHeadersDone                      // response header block complete
	ResponseComplete                         // response body complete (or none)
)

// Has reports whether all milestones in q are reached.
func (p Progress) Has(q Progress) bool { return p&q == q }

// Header is one header field of a request or response as libhtp keeps it:
// folded continuation lines are joined to the value, and a repeated field is
// merged into its first occurrence with ", " between the values.
type Header struct {
	Name  []byte // as sent (case kept), without surrounding whitespace
	Value []byte // without leading/trailing whitespace
}

// Flags record anomalies libhtp would flag; they never stop parsing.
type Flags uint32

// Anomaly flags of a transaction.
const (
	FlagRequestInvalid    Flags = 1 << iota // request line could not be parsed as HTTP/1.x
	FlagHTTP09                              // HTTP/0.9 request (no protocol, no headers)
	FlagFolding                             // a header was folded over several lines
	FlagRepeatedHeader                      // a header field appeared more than once
	FlagInvalidHeader                       // a header line without a colon or with a bad name
	FlagHeadersTooLong                      // header block exceeded Config.MaxHeaderBytes
	FlagChunkedInvalid                      // malformed chunk size
	FlagContentLengthBad                    // unparseable or conflicting Content-Length
	FlagRequestGap                          // data missing in the request stream
	FlagResponseGap                         // data missing in the response stream
	FlagDecompressError                     // gzip/deflate body could not be fully inflated
	FlagBodyTruncated                       // a body exceeded its inspection limit
	FlagResponseNoRequest                   // a response arrived with no request to pair it with
)

// Buffer identifies one of the inspection buffers Suricata 7 builds for an
// HTTP/1 transaction. The same buffer may exist in both directions (http.header
// is the request headers to the server and the response headers to the
// client); Tx.Buffer takes the direction.
type Buffer uint8

// The buffers, named after Suricata 7's sticky buffers.
const (
	BufNone         Buffer = iota
	BufMethod              // http.method
	BufURI                 // http.uri: normalized URI
	BufURIRaw              // http.uri.raw: the URI as sent
	BufRequestLine         // http.request_line
	BufProtocol            // http.protocol (request or response side)
	BufStart               // http.start: start line, "Name: value\r\n" per header, blank line
	BufHeader              // http.header: "Name: value\r\n" per header, Cookie/Set-Cookie left out
	BufHeaderRaw           // http.header.raw: the header block as sent
	BufHeaderNames         // http.header_names: "\r\nName1\r\nName2\r\n\r\n"
	BufCookie              // http.cookie: Cookie (to server) or Set-Cookie (to client) value
	BufUserAgent           // http.user_agent
	BufHost                // http.host: lowercased, port stripped
	BufHostRaw             // http.host.raw
	BufAccept              // http.accept
	BufAcceptEnc           // http.accept_enc
	BufAcceptLang          // http.accept_lang
	BufConnection          // http.connection
	BufContentType         // http.content_type (either side)
	BufContentLen          // http.content_len (either side)
	BufReferer             // http.referer
	BufRequestBody         // http.request_body: de-chunked request body
	BufStatCode            // http.stat_code
	BufStatMsg             // http.stat_msg
	BufResponseLine        // http.response_line
	BufResponseBody        // http.response_body: de-chunked, decompressed response body
	BufFileData            // file.data: the body of the message in that direction
	BufServer              // http.server
	BufLocation            // http.location
	numBuffers
)

var bufferNames = [numBuffers]string{
	BufMethod:       "http.method",
	BufURI:          "http.uri",
	BufURIRaw:       "http.uri.raw",
	BufRequestLine:  "http.request_line",
	BufProtocol:     "http.protocol",
	BufStart:        "http.start",
	BufHeader:       "http.header",
	BufHeaderRaw:    "http.header.raw",
	BufHeaderNames:  "http.header_names",
	BufCookie:       "http.cookie",
	BufUserAgent:    "http.user_agent",
	BufHost:         "http.host",
	BufHostRaw:      "http.host.raw",
	BufAccept:       "http.accept",
	BufAcceptEnc:    "http.accept_enc",
	BufAcceptLang:   "http.accept_lang",
	BufConnection:   "http.connection",
	BufContentType:  "http.content_type",
	BufContentLen:   "http.content_len",
	BufReferer:      "http.referer",
	BufRequestBody:  "http.request_body",
	BufStatCode:     "http.stat_code",
	BufStatMsg:      "http.stat_msg",
	BufResponseLine: "http.response_line",
	BufResponseBody: "http.response_body",
	BufFileData:     "file.data",
	BufServer:       "http.server",
	BufLocation:     "http.location",
}

// String returns the Suricata 7 sticky-buffer name.
func (b Buffer) String() string {
	if b < numBuffers {
		return bufferNames[b]
	}
	return ""
}

// LookupBuffer maps a Suricata buffer name (sticky-buffer spelling such as
// "http.uri", or the Snort-style modifier "http_uri", "http_client_body",
// "file_data", ...) to its Buffer.
func LookupBuffer(name string) (Buffer, bool) {
	switch name {
	case "http_method":
		return BufMethod, true
	case "http_uri":
		return BufURI, true
	case "http_raw_uri":
		return BufURIRaw, true
	case "http_request_line":
		return BufRequestLine, true
	case "http_protocol":
		return BufProtocol, true
	case "http_start":
		return BufStart, true
	case "http_header":
		return BufHeader, true
	case "http_raw_header":
		return BufHeaderRaw, true
	case "http_header_names":
		return BufHeaderNames, true
	case "http_cookie":
		return BufCookie, true
	case "http_user_agent":
		return BufUserAgent, true
	case "http_host":
		return BufHost, true
	case "http_raw_host":
		return BufHostRaw, true
	case "http_accept":
		return BufAccept, true
	case "http_accept_enc":
		return BufAcceptEnc, true
	case "http_accept_lang":
		return BufAcceptLang, true
	case "http_connection":
		return BufConnection, true
	case "http_content_type":
		return BufContentType, true
	case "http_content_len":
		return BufContentLen, true
	case "http_referer":
		return BufReferer, true
	case "http_client_body", "http.client_body":
		return BufRequestBody, true
	case "http_stat_code":
		return BufStatCode, true
	case "http_stat_msg":
		return BufStatMsg, true
	case "http_response_line":
		return BufResponseLine, true
	case "http_server_body", "http.server_body":
		return BufResponseBody, true
	case "file_data":
		return BufFileData, true
	case "http_server":
		return BufServer, true
	case "http_location":
		return BufLocation, true
	}
	for b := BufMethod; b < numBuffers; b++ {
		if bufferNames[b] == name {
			return b, true
		}
	}
	return BufNone, false
}

// Directions reports in which directions Suricata 7 inspects the buffer.
func (b Buffer) Directions() (toServer, toClient bool) {
	switch b {
	case BufProtocol, BufStart, BufHeader, BufHeaderRaw, BufHeaderNames,
		BufCookie, BufContentType, BufContentLen, BufFileData:
		return true, true
	case BufStatCode, BufStatMsg, BufResponseLine, BufResponseBody, BufServer, BufLocation:
		return false, true
	case BufNone:
		return false, false
	}
	return true, false
}

// Progress is the milestone after which the buffer of the given direction
// is final: Suricata inspects it (once) when the transaction reaches it.
// Bodies grow until the milestone; a matcher may inspect them earlier.
func (b Buffer) Progress(toServer bool) Progress {
	switch b {
	case BufMethod, BufURI, BufURIRaw, BufRequestLine:
		return RequestLineDone
	case BufProtocol:
		if toServer {
			return RequestLineDone
		}
		return ResponseLineDone
	case BufRequestBody:
		return RequestComplete
	case BufStatCode, BufStatMsg, BufResponseLine:
		return ResponseLineDone
	case BufResponseBody:
		return ResponseComplete
	case BufFileData:
		if toServer {
			return RequestComplete
		}
		return ResponseComplete
	case BufServer, BufLocation:
		return ResponseHeadersDone
	}
	if toServer {
		return RequestHeadersDone
	}
	return ResponseHeadersDone
}
