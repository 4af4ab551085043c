package http1

// Tx is one request/response exchange. Its fields fill in as the Conn
// parses; read them through the methods, which return slices owned by the
// Tx (see the package doc for how long they stay valid).
type Tx struct {
	// ID numbers the transactions of a Conn from 0 in request order, as
	// Suricata's tx_id does.
	ID int

	progress Progress
	reported Progress // progress already returned by Conn.Updated
	queued   bool     // on Conn.changed
	flags    Flags

	// Request side.
	requestLine, method, uriRaw, uri, protocol []byte
	host, hostRaw                              []byte
	hasHost                                    bool
	reqHeaders                                 []Header
	reqHeadersRaw                              []byte
	reqBody                                    []byte
	reqBodyLen                                 int64
	reqDerived                                 derived
	reqRepeats                                 int

	// Response side.
	responseLine, respProtocol, statCode, statMsg []byte
	status                                        int
	respHeaders                                   []Header
	respHeadersRaw                                []byte
	respBody                                      []byte // decoded (de-chunked, inflated)
	respBodyLen                                   int64  // decoded body bytes seen, beyond the limit too
	respWireLen                                   int64  // body bytes on the wire after de-chunking
	respDerived                                   derived
	respRepeats                                   int
	interim                                       int // 1xx responses skipped before the final one
}

// derived holds the buffers Suricata assembles from a header table.
type derived struct {
	header, names, start []byte
}

// Progress returns the milestones the transaction has reached.
func (tx *Tx) Progress() Progress { return tx.progress }

// Flags returns the anomalies seen so far.
func (tx *Tx) Flags() Flags { return tx.flags }

// Method returns the request method as sent.
func (tx *Tx) Method() []byte { return tx.method }

// URI returns the normalized URI (http.uri).
func (tx *Tx) URI() []byte { return tx.uri }

// RawURI returns the URI as sent (http.uri.raw).
func (tx *Tx) RawURI() []byte { return tx.uriRaw }

// Protocol returns the request protocol, e.g. "HTTP/1.1"; empty for HTTP/0.9.
func (tx *Tx) Protocol() []byte { return tx.protocol }

// Hostname returns the normalized host (http.host) and whether there is one.
func (tx *Tx) Hostname() ([]byte, bool) { return tx.host, tx.hasHost }

// StatusCode returns the final response's status code, 0 before it is known
// or when it is not a number.
func (tx *Tx) StatusCode() int { return tx.status }

// ResponseProtocol returns the protocol of the status line.
func (tx *Tx) ResponseProtocol() []byte { return tx.respProtocol }

// RequestHeaders returns the request header table in first-seen order.
func (tx *Tx) RequestHeaders() []Header { return tx.reqHeaders }

// ResponseHeaders returns the final response's header table.
func (tx *Tx) ResponseHeaders() []Header { return tx.respHeaders }

// RequestHeader looks a request header up by name, ignoring case.
func (tx *Tx) RequestHeader(name string) ([]byte, bool) { return lookup(tx.reqHeaders, name) }

// ResponseHeader looks a response header up by name, ignoring case.
func (tx *Tx) ResponseHeader(name string) ([]byte, bool) { return lookup(tx.respHeaders, name) }

// RequestBody returns the de-chunked request body kept for inspection
// (at most Config.RequestBodyLimit bytes).
func (tx *Tx) RequestBody() []byte { return tx.reqBody }

// RequestBodyLen is the de-chunked request body length seen so far,
// including bytes beyond the inspection limit.
func (tx *Tx) RequestBodyLen() int64 { return tx.reqBodyLen }

// ResponseBody returns the de-chunked, decompressed response body kept for
// inspection (at most Config.ResponseBodyLimit bytes). A compressed body is
// inflated when it is complete.
func (tx *Tx) ResponseBody() []byte { return tx.respBody }

// ResponseBodyLen is the response body length as EVE's http.length reports
// it: the bytes of the message body after de-chunking, before inflating.
func (tx *Tx) ResponseBodyLen() int64 { return tx.respWireLen }

// InterimResponses counts the 1xx responses (100 Continue...) that came
// before the final response.
func (tx *Tx) InterimResponses() int { return tx.interim }

func lookup(hs []Header, name string) ([]byte, bool) {
	for i := range hs {
		if equalFold(hs[i].Name, name) {
			return hs[i].Value, true
		}
	}
	return nil, false
}

// equalFold compares ASCII case-insensitively without allocating; s is a
// header name or token as a string constant or as bytes from the input.
func equalFold[S string | []byte](b []byte, s S) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Buffer returns the named inspection buffer for one direction and whether
// it exists. A buffer does not exist when the transaction has not reached
// the part that fills it, when the header it comes from is absent, or when
// Suricata does not define it for that direction; an existing buffer may be
// empty (a header sent with no value). Calling Buffer never allocates once
// the transaction's headers are complete.
func (tx *Tx) Buffer(b Buffer, toServer bool) ([]byte, bool) {
	if toServer {
		return tx.requestBuffer(b)
	}
	return tx.responseBuffer(b)
}

func (tx *Tx) requestBuffer(b Buffer) ([]byte, bool) {
	line := tx.progress&RequestLineDone != 0
	hdrs := tx.progress&RequestHeadersDone != 0
	switch b {
	case BufMethod:
		return tx.method, line && tx.method != nil
	case BufURI:
		return tx.uri, line
	case BufURIRaw:
		return tx.uriRaw, line
	case BufRequestLine:
		return tx.requestLine, line && tx.requestLine != nil
	case BufProtocol:
		return tx.protocol, line && tx.protocol != nil
	case BufStart:
		return tx.reqDerived.start, hdrs && tx.reqDerived.start != nil
	case BufHeader:
		return tx.reqDerived.header, hdrs && len(tx.reqDerived.header) > 0
	case BufHeaderRaw:
		return tx.reqHeadersRaw, hdrs && len(tx.reqHeadersRaw) > 0
	case BufHeaderNames:
		return tx.reqDerived.names, hdrs && len(tx.reqHeaders) > 0
	case BufCookie:
		return lookupIf(hdrs, tx.reqHeaders, "Cookie")
	case BufUserAgent:
		return lookupIf(hdrs, tx.reqHeaders, "User-Agent")
	case BufHost:
		return tx.host, hdrs && tx.hasHost
	case BufHostRaw:
		return tx.hostRaw, hdrs && tx.hostRaw != nil
	case BufAccept:
		return lookupIf(hdrs, tx.reqHeaders, "Accept")
	case BufAcceptEnc:
		return lookupIf(hdrs, tx.reqHeaders, "Accept-Encoding")
	case BufAcceptLang:
		return lookupIf(hdrs, tx.reqHeaders, "Accept-Language")
	case BufConnection:
		return lookupIf(hdrs, tx.reqHeaders, "Connection")
	case BufContentType:
		return lookupIf(hdrs, tx.reqHeaders, "Content-Type")
	case BufContentLen:
		return lookupIf(hdrs, tx.reqHeaders, "Content-Length")
	case BufReferer:
		return lookupIf(hdrs, tx.reqHeaders, "Referer")
	case BufRequestBody, BufFileData:
		return tx.reqBody, hdrs && len(tx.reqBody) > 0
	}
	return nil, false
}

// lookupIf is lookup once the headers are complete (ok).
func lookupIf(ok bool, hs []Header, name string) ([]byte, bool) {
	if !ok {
		return nil, false
	}
	return lookup(hs, name)
}

func (tx *Tx) responseBuffer(b Buffer) ([]byte, bool) {
	line := tx.progress&ResponseLineDone != 0
	hdrs := tx.progress&ResponseHeadersDone != 0
	switch b {
	case BufStatCode:
		return tx.statCode, line && tx.statCode != nil
	case BufStatMsg:
		return tx.statMsg, line && tx.statMsg != nil
	case BufResponseLine:
		return tx.responseLine, line
	case BufProtocol:
		return tx.respProtocol, line && tx.respProtocol != nil
	case BufStart:
		return tx.respDerived.start, hdrs && tx.respDerived.start != nil
	case BufHeader:
		return tx.respDerived.header, hdrs && len(tx.respDerived.header) > 0
	case BufHeaderRaw:
		return tx.respHeadersRaw, hdrs && len(tx.respHeadersRaw) > 0
	case BufHeaderNames:
		return tx.respDerived.names, hdrs && len(tx.respHeaders) > 0
	case BufCookie:
		return lookupIf(hdrs, tx.respHeaders, "Set-Cookie")
	case BufContentType:
		return lookupIf(hdrs, tx.respHeaders, "Content-Type")
	case BufContentLen:
		return lookupIf(hdrs, tx.respHeaders, "Content-Length")
	case BufServer:
		return lookupIf(hdrs, tx.respHeaders, "Server")
	case BufLocation:
		return lookupIf(hdrs, tx.respHeaders, "Location")
	case BufResponseBody, BufFileData:
		return tx.respBody, hdrs && len(tx.respBody) > 0
	}
	return nil, false
}

// buildDerived assembles http.header, http.header_names and http.start from a
// header table the way Suricata 7 does (detect-http-header.c,
// detect-http-header-names.c, detect-http-start.c).
func buildDerived(d *derived, hs []Header, startLine []byte, toServer bool) {
	skip := "Set-Cookie"
	if toServer {
		skip = "Cookie"
	}
	// One allocation holds all three buffers.
	nh, nn := 0, 4
	for _, h := range hs {
		nh += len(h.Name) + len(h.Value) + 4
		nn += len(h.Name) + 2
	}
	ns := len(startLine) + 2 + nh + 2
	block := make([]byte, 0, nh+nn+ns)
	hb := block[0:0:nh]
	names := block[nh : nh : nh+nn]
	st := block[nh+nn : nh+nn : nh+nn+ns]
	names = append(names, "\r\n"...)
	for _, h := range hs {
		names = append(append(names, h.Name...), "\r\n"...)
		if equalFold(h.Name, skip) {
			continue
		}
		hb = append(append(append(append(hb, h.Name...), ": "...), h.Value...), "\r\n"...)
	}
	names = append(names, "\r\n"...)
	d.header, d.names = hb, names
	// http.start is the start line and every header (Cookie included) in
	// normalized form, with the blank line when there are headers.
	st = append(append(st, startLine...), "\r\n"...)
	for _, h := range hs {
		st = append(append(append(append(st, h.Name...), ": "...), h.Value...), "\r\n"...)
	}
	if len(hs) > 0 {
		st = append(st, "\r\n"...)
	}
	d.start = st
}
