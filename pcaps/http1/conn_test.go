package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func zl(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func rawDeflate(s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// want is what one buffer of one transaction must hold; "<none>" means the
// buffer must not exist.
type want struct {
	tx       int
	buf      Buffer
	toServer bool
	val      string
}

type parserCase struct {
	name      string
	req, resp string
	ntx       int
	progress  []Progress // per transaction, when given
	flags     []Flags    // per transaction: flags that must be set
	want      []want
}

const done = RequestLineDone | RequestHeadersDone | RequestComplete | ResponseLineDone | ResponseHeadersDone | ResponseComplete

var parserCases = []parserCase{
	{
		name: "simple GET",
		req:  "GET /index.html?q=1 HTTP/1.1\r\nHost: www.Example.com:8080\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nConnection: keep-alive\r\nReferer: http://r.example/\r\nCookie: a=1; b=2\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nSet-Cookie: s=1\r\nContent-Length: 5\r\n\r\nhello",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufMethod, true, "GET"},
			{0, BufURI, true, "/index.html?q=1"},
			{0, BufURIRaw, true, "/index.html?q=1"},
			{0, BufProtocol, true, "HTTP/1.1"},
			{0, BufRequestLine, true, "GET /index.html?q=1 HTTP/1.1"},
			{0, BufHost, true, "www.example.com"},
			{0, BufHostRaw, true, "www.Example.com:8080"},
			{0, BufUserAgent, true, "Mozilla/5.0"},
			{0, BufAccept, true, "*/*"},
			{0, BufAcceptEnc, true, "gzip"},
			{0, BufAcceptLang, true, "en"},
			{0, BufConnection, true, "keep-alive"},
			{0, BufReferer, true, "http://r.example/"},
			{0, BufCookie, true, "a=1; b=2"},
			{0, BufContentType, true, "<none>"},
			{0, BufRequestBody, true, "<none>"},
			// Suricata leaves Cookie out of http.header (it has http.cookie).
			{0, BufHeader, true, "Host: www.Example.com:8080\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nConnection: keep-alive\r\nReferer: http://r.example/\r\n"},
			{0, BufHeaderRaw, true, "Host: www.Example.com:8080\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nConnection: keep-alive\r\nReferer: http://r.example/\r\nCookie: a=1; b=2\r\n\r\n"},
			{0, BufHeaderNames, true, "\r\nHost\r\nUser-Agent\r\nAccept\r\nAccept-Encoding\r\nAccept-Language\r\nConnection\r\nReferer\r\nCookie\r\n\r\n"},
			{0, BufStart, true, "GET /index.html?q=1 HTTP/1.1\r\nHost: www.Example.com:8080\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\nConnection: keep-alive\r\nReferer: http://r.example/\r\nCookie: a=1; b=2\r\n\r\n"},
			{0, BufStart, false, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nSet-Cookie: s=1\r\nContent-Length: 5\r\n\r\n"},
			{0, BufStatCode, false, "200"},
			{0, BufStatMsg, false, "OK"},
			{0, BufResponseLine, false, "HTTP/1.1 200 OK"},
			{0, BufProtocol, false, "HTTP/1.1"},
			{0, BufServer, false, "nginx"},
			{0, BufContentType, false, "text/html"},
			{0, BufContentLen, false, "5"},
			{0, BufCookie, false, "s=1"},
			{0, BufHeader, false, "Server: nginx\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"},
			{0, BufHeaderNames, false, "\r\nServer\r\nContent-Type\r\nSet-Cookie\r\nContent-Length\r\n\r\n"},
			{0, BufResponseBody, false, "hello"},
			{0, BufFileData, false, "hello"},
			{0, BufStatCode, true, "<none>"},
			{0, BufMethod, false, "<none>"},
		},
	},
	{
		name: "POST with Content-Length",
		req:  "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello=world",
		resp: "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufRequestBody, true, "hello=world"},
			{0, BufFileData, true, "hello=world"},
			{0, BufContentType, true, "application/x-www-form-urlencoded"},
			{0, BufContentLen, true, "11"},
			{0, BufLocation, false, "/next"},
			{0, BufStatCode, false, "302"},
			{0, BufResponseBody, false, "<none>"},
		},
	},
	{
		name: "chunked request and response with trailers",
		req:  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufRequestBody, true, "hello world"},
			{0, BufResponseBody, false, "abc0123456789"},
			// Trailers are not headers, but Suricata appends them to the raw block.
			{0, BufHeader, true, "Host: h\r\nTransfer-Encoding: chunked\r\n"},
			{0, BufHeaderRaw, true, "Host: h\r\nTransfer-Encoding: chunked\r\n\r\nX-Trailer: t\r\n\r\n"},
		},
	},
	{
		name: "pipelined requests answered in order",
		req:  "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: c\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none" +
			"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\ntwo" +
			"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
		ntx: 3, progress: []Progress{done, done, done},
		want: []want{
			{0, BufURI, true, "/1"}, {0, BufResponseBody, false, "one"},
			{1, BufURI, true, "/2"}, {1, BufStatCode, false, "404"}, {1, BufResponseBody, false, "two"},
			{2, BufMethod, true, "HEAD"}, {2, BufHost, true, "c"},
			// A response to HEAD has no body whatever its Content-Length says.
			{2, BufResponseBody, false, "<none>"}, {2, BufContentLen, false, "100"},
		},
	},
	{
		name: "100-continue is an interim response",
		req:  "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
		resp: "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufStatCode, false, "201"},
			{0, BufStatMsg, false, "Created"},
			{0, BufHeader, false, "Content-Length: 2\r\n"},
			{0, BufResponseBody, false, "ok"},
			{0, BufRequestBody, true, "body"},
		},
	},
	{
		name: "417 to Expect: 100-continue: the body never comes",
		req:  "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n",
		resp: "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n",
		ntx:  1, progress: []Progress{done},
		want: []want{{0, BufStatCode, false, "417"}, {0, BufRequestBody, true, "<none>"}},
	},
	{
		name: "invalid chunk length: the rest is body until close",
		req:  "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<html>not chunked\r\n</html>",
		ntx:  1, flags: []Flags{FlagChunkedInvalid},
		want: []want{{0, BufResponseBody, false, "<html>not chunked\r\n</html>"}},
	},
	{
		name: "gzip response body is inflated",
		req:  "GET /z HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(len(gz("compressed text"))) + "\r\n\r\n" + gz("compressed text"),
		ntx:  1, progress: []Progress{done},
		want: []want{{0, BufFileData, false, "compressed text"}},
	},
	{
		// Suricata enables libhtp's request decompression.
		name: "gzip request body is inflated",
		req:  "POST /up HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(len(gz("a=secret"))) + "\r\n\r\n" + gz("a=secret"),
		resp: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		ntx:  1, progress: []Progress{done},
		want: []want{{0, BufRequestBody, true, "a=secret"}},
	},
	{
		// Two layers, undone outermost (last listed) first; an unknown
		// coding leaves the body as sent.
		name: "layered and unknown Content-Encoding",
		req:  "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nContent-Encoding: deflate, gzip\r\nContent-Length: " + itoa(len(gz(zl("two layers")))) + "\r\n\r\n" + gz(zl("two layers")) +
			"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x8b\x01\x80x",
		ntx: 2,
		want: []want{
			{0, BufFileData, false, "two layers"},
			{1, BufFileData, false, "\x8b\x01\x80x"},
		},
	},
	{
		name: "deflate (zlib) and raw deflate bodies",
		req:  "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " + itoa(len(zl("zlib body"))) + "\r\n\r\n" + zl("zlib body") +
			"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(rawDeflate("raw body")) + "0\r\n\r\n",
		ntx: 2,
		want: []want{
			{0, BufFileData, false, "zlib body"},
			{1, BufFileData, false, "raw body"},
		},
	},
	{
		name: "folded and repeated headers",
		req:  "GET / HTTP/1.1\r\nHost: h\r\nX-Long: first\r\n  second\r\n\tthird\r\nAccept: a\r\naccept: b\r\n\r\n",
		resp: "",
		ntx:  1, flags: []Flags{FlagFolding | FlagRepeatedHeader},
		want: []want{
			{0, BufHeader, true, "Host: h\r\nX-Long: first  second\tthird\r\nAccept: a, b\r\n"},
			{0, BufAccept, true, "a, b"},
			{0, BufHeaderNames, true, "\r\nHost\r\nX-Long\r\nAccept\r\n\r\n"},
			// http.start is built from the normalized headers, not the raw block.
			{0, BufStart, true, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: first  second\tthird\r\nAccept: a, b\r\n\r\n"},
		},
	},
	{
		name: "HTTP/0.9 request",
		req:  "GET /old\r\n",
		resp: "<html>old</html>",
		ntx:  1, flags: []Flags{FlagHTTP09},
		want: []want{
			{0, BufURI, true, "/old"},
			{0, BufProtocol, true, "<none>"},
			{0, BufRequestLine, true, "GET /old"},
			{0, BufStart, true, "GET /old\r\n"},
			{0, BufStart, false, "<none>"},
			{0, BufResponseBody, false, "<html>old</html>"},
			{0, BufStatCode, false, "<none>"},
		},
	},
	{
		name: "missing protocol but headers follow is HTTP/1.0-like",
		req:  "GET /x\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.0 200 OK\r\n\r\nuntil close",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufHost, true, "h"},
			{0, BufResponseBody, false, "until close"},
		},
	},
	{
		name: "proxy request with absolute URI",
		req:  "GET http://User@WWW.Example.ORG.:81/a/./b/../c%2fd?x=%2F#frag HTTP/1.1\r\nHost: other.example\r\n\r\n",
		resp: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		ntx:  1,
		want: []want{
			{0, BufURI, true, "/a/c/d?x=/#frag"},
			{0, BufURIRaw, true, "http://User@WWW.Example.ORG.:81/a/./b/../c%2fd?x=%2F#frag"},
			// libhtp takes the host from the URI over the Host header.
			{0, BufHost, true, "www.example.org"},
			// http.host.raw is libhtp's parsed_uri hostname, normalized.
			{0, BufHostRaw, true, "www.example.org"},
		},
	},
	{
		name: "204 and 304 have no body; 200 without length reads until close",
		req:  "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest of stream",
		ntx:  3, progress: []Progress{done, done, done},
		want: []want{
			{0, BufStatCode, false, "204"},
			{1, BufStatCode, false, "304"},
			{2, BufResponseBody, false, "rest of stream"},
		},
	},
	{
		name: "CONNECT then tunnel",
		req:  "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01garbage that is TLS",
		resp: "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03more tls",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufMethod, true, "CONNECT"},
			{0, BufHost, true, "example.com"},
			{0, BufResponseBody, false, "<none>"},
		},
	},
	{
		name: "refused CONNECT: the client's next request is parsed",
		req:  "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		ntx:  2, progress: []Progress{done, done},
		want: []want{
			{0, BufStatCode, false, "407"},
			{1, BufURI, true, "/after"},
			{1, BufResponseBody, false, "ok"},
		},
	},
	{
		name: "101 switching protocols stops parsing",
		req:  "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
		resp: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi",
		ntx:  1, progress: []Progress{done},
		want: []want{{0, BufStatCode, false, "101"}},
	},
	{
		name: "response that is not HTTP is body",
		req:  "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		resp: "garbage\r\nmore",
		ntx:  1,
		want: []want{
			{0, BufResponseBody, false, "garbage\r\nmore"},
			{0, BufStatCode, false, "<none>"},
		},
	},
	{
		name: "empty lines before a request and LF-only line ends",
		req:  "\r\n\r\nGET /lf HTTP/1.1\nHost: h\nX: y\n\n",
		resp: "HTTP/1.1 200 OK\nContent-Length: 1\n\nz",
		ntx:  1, progress: []Progress{done},
		want: []want{
			{0, BufURI, true, "/lf"},
			{0, BufHeaderRaw, true, "Host: h\nX: y\n\n"},
			{0, BufResponseBody, false, "z"},
		},
	},
	{
		name: "header without colon and odd whitespace",
		req:  "GET  /sp   HTTP/1.1  \r\nHost:h\r\nNoColonHere\r\nName : v \r\n\r\n",
		resp: "",
		ntx:  1, flags: []Flags{FlagInvalidHeader},
		want: []want{
			{0, BufURI, true, "/sp"},
			{0, BufProtocol, true, "HTTP/1.1  "},
			{0, BufHeader, true, "Host: h\r\n: NoColonHere\r\nName: v\r\n"},
		},
	},
	{
		name: "first header line starts with whitespace",
		req:  "GET / HTTP/1.1\r\n  X-Odd: 1\r\nHost: h\r\n\r\n",
		ntx:  1, flags: []Flags{FlagInvalidHeader},
		want: []want{{0, BufHeader, true, "X-Odd: 1\r\nHost: h\r\n"}},
	},
	{
		name: "invalid request Content-Length stops the request side",
		req:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12x\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
		resp: "",
		ntx:  1, flags: []Flags{FlagContentLengthBad},
	},
	{
		// suricata-verify http-close-headers: the server closes in the
		// middle of its headers; libhtp still completes them.
		name: "connection closes during the headers",
		req:  "GET / HTTP/1.1\r\nHost: 100.64.0.200\r\nUser-Agent: python-requests/2.21.0",
		resp: "HTTP/1.0 200 OK\nServer:ng1nx\r\n",
		ntx:  1, progress: []Progress{done},
		want: []want{
			// libhtp clears an unterminated line when the stream closes.
			{0, BufUserAgent, true, "<none>"},
			{0, BufHeader, true, "Host: 100.64.0.200\r\n"},
			{0, BufHeader, false, "Server: ng1nx\r\n"},
			{0, BufHeaderRaw, false, "Server:ng1nx\r\n"},
			{0, BufResponseBody, false, "<none>"},
		},
	},
	{
		name: "status line without message",
		req:  "GET / HTTP/1.1\r\n\r\n",
		resp: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
		ntx:  1,
		want: []want{{0, BufStatCode, false, "200"}, {0, BufStatMsg, false, "<none>"}, {0, BufResponseLine, false, "HTTP/1.1 200"}},
	},
	{
		name: "response with no request",
		req:  "",
		resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		ntx:  1, flags: []Flags{FlagResponseNoRequest},
		want: []want{
			{0, BufResponseBody, false, "hi"},
			{0, BufMethod, true, "<none>"},
			{0, BufRequestLine, true, "<none>"},
			// The made-up URI is there for EVE, not for inspection.
			{0, BufURI, true, "<none>"},
		},
	},
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n))
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func chunk(s string) string {
	const hex = "0123456789abcdef"
	n := len(s)
	var h []byte
	for n > 0 {
		h = append([]byte{hex[n%16]}, h...)
		n /= 16
	}
	return string(h) + "\r\n" + s + "\r\n"
}

func TestParser(t *testing.T) {
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			txs := parse(tc.req, tc.resp)
			require.Len(t, txs, tc.ntx, snapshot(txs))
			for i, p := range tc.progress {
				assert.Equal(t, p, txs[i].Progress(), "tx %d progress", i)
			}
			for i, f := range tc.flags {
				assert.Equal(t, f, txs[i].Flags()&f, "tx %d flags %x", i, txs[i].Flags())
			}
			for _, w := range tc.want {
				assert.Equal(t, w.val, buf(txs[w.tx], w.buf, w.toServer), "tx %d %s toServer=%v", w.tx, w.buf, w.toServer)
			}
		})
	}
}

// TestSplitInvariance delivers each case cut at every byte offset (request
// and response separately), and one byte at a time, and requires the same
// transactions as in one piece.
func TestSplitInvariance(t *testing.T) {
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			whole := snapshot(parse(tc.req, tc.resp))
			for cut := 0; cut <= len(tc.req); cut++ {
				f := newFeeder()
				f.feed(true, tc.req, cut)
				f.feed(false, tc.resp)
				f.close()
				require.Equal(t, whole, snapshot(f.txs), "request cut at %d", cut)
			}
			for cut := 0; cut <= len(tc.resp); cut++ {
				f := newFeeder()
				f.feed(true, tc.req)
				f.feed(false, tc.resp, cut)
				f.close()
				require.Equal(t, whole, snapshot(f.txs), "response cut at %d", cut)
			}
			f := newFeeder()
			f.feed(true, tc.req, seq(len(tc.req))...)
			f.feed(false, tc.resp, seq(len(tc.resp))...)
			f.close()
			require.Equal(t, whole, snapshot(f.txs), "one byte at a time")
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestProgressReporting(t *testing.T) {
	c := NewConn(Config{})
	c.Request([]byte("GET /a HTTP/1.1\r\nHo"))
	u := c.Updated()
	require.Len(t, u, 1)
	assert.Equal(t, RequestLineDone, u[0].Progress())
	assert.Equal(t, "/a", buf(u[0], BufURI, true))
	assert.Equal(t, "<none>", buf(u[0], BufHeader, true), "headers are not inspectable before they are complete")
	assert.Empty(t, c.Updated(), "nothing advanced")
	c.Request([]byte("st: h\r\n\r\n"))
	u = c.Updated()
	require.Len(t, u, 1)
	assert.Equal(t, RequestLineDone|RequestHeadersDone|RequestComplete, u[0].Progress())
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"))
	u = c.Updated()
	require.Len(t, u, 1)
	assert.True(t, u[0].Progress().Has(ResponseHeadersDone))
	assert.False(t, u[0].Progress().Has(ResponseComplete))
	require.Len(t, c.Transactions(), 1)
	c.Response([]byte("cd"))
	u = c.Updated()
	require.Len(t, u, 1)
	assert.Equal(t, done, u[0].Progress())
	assert.Equal(t, "abcd", buf(u[0], BufFileData, false))
	c.Updated()
	assert.Empty(t, c.Transactions(), "a completed and reported transaction is forgotten")
}

func TestGaps(t *testing.T) {
	c := NewConn(Config{})
	c.Request([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"))
	c.ResponseGap(5)
	c.Response([]byte("cde"))
	c.Request([]byte("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"))
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"))
	var txs []*Tx
	txs = append(txs, c.Updated()...)
	require.Len(t, txs, 2)
	assert.Equal(t, "abcde", buf(txs[0], BufFileData, false))
	assert.Equal(t, int64(10), txs[0].ResponseBodyLen())
	assert.NotZero(t, txs[0].Flags()&FlagResponseGap)
	assert.Equal(t, "x", buf(txs[1], BufFileData, false), "parsing resumes after a gap inside a body")

	// A gap in the headers cannot be recovered from.
	c = NewConn(Config{})
	c.Request([]byte("GET / HTTP/1.1\r\nHo"))
	c.RequestGap(10)
	c.Request([]byte("GET /after HTTP/1.1\r\n\r\n"))
	txs = c.Updated()
	require.Len(t, txs, 1)
	assert.False(t, txs[0].Progress().Has(RequestHeadersDone))
}

func TestBodyLimits(t *testing.T) {
	c := NewConn(Config{RequestBodyLimit: 4, ResponseBodyLimit: 3, DecompressLimit: 1000})
	c.Request([]byte("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"))
	big := strings.Repeat("A", 5000)
	z := gz(big)
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(len(z)) + "\r\n\r\n" + z))
	txs := c.Updated()
	require.Len(t, txs, 1)
	tx := txs[0]
	assert.Equal(t, "0123", buf(tx, BufRequestBody, true))
	assert.Equal(t, int64(10), tx.RequestBodyLen())
	assert.Equal(t, "AAA", buf(tx, BufFileData, false))
	assert.NotZero(t, tx.Flags()&FlagBodyTruncated)
	assert.Equal(t, int64(len(z)), tx.ResponseBodyLen())
}

func TestCorruptGzipKeepsBytes(t *testing.T) {
	txs := parse("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 7\r\n\r\nnotgzip")
	require.Len(t, txs, 1)
	assert.NotZero(t, txs[0].Flags()&FlagDecompressError)
	assert.Equal(t, "notgzip", buf(txs[0], BufFileData, false))
}

func TestLookupBuffer(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Buffer
	}{
		{"http.uri", BufURI}, {"http_uri", BufURI}, {"http.uri.raw", BufURIRaw}, {"http_raw_uri", BufURIRaw},
		{"http_client_body", BufRequestBody}, {"http.request_body", BufRequestBody},
		{"file_data", BufFileData}, {"file.data", BufFileData}, {"http_server_body", BufResponseBody},
		{"http.header.raw", BufHeaderRaw}, {"http_raw_header", BufHeaderRaw}, {"http.host.raw", BufHostRaw},
		{"http_stat_code", BufStatCode}, {"http.header_names", BufHeaderNames},
	} {
		b, ok := LookupBuffer(tc.name)
		assert.True(t, ok, tc.name)
		assert.Equal(t, tc.want, b, tc.name)
	}
	_, ok := LookupBuffer("dns.query")
	assert.False(t, ok)
	for b := BufMethod; b < numBuffers; b++ {
		got, ok := LookupBuffer(b.String())
		assert.True(t, ok && got == b, "round trip %s", b)
	}
}

func TestHeaderLookup(t *testing.T) {
	txs := parse("GET / HTTP/1.1\r\nX-Custom-Thing: Value\r\n\r\n", "")
	require.Len(t, txs, 1)
	v, ok := txs[0].RequestHeader("x-custom-thing")
	assert.True(t, ok)
	assert.Equal(t, "Value", string(v))
	_, ok = txs[0].RequestHeader("missing")
	assert.False(t, ok)
}

// TestBufferNoAlloc pins the matcher's hot path: reading buffers of a
// parsed transaction does not allocate.
func TestBufferNoAlloc(t *testing.T) {
	txs := parse(parserCases[0].req, parserCases[0].resp)
	tx := txs[0]
	allocs := testing.AllocsPerRun(100, func() {
		for b := BufMethod; b < numBuffers; b++ {
			tx.Buffer(b, true)
			tx.Buffer(b, false)
		}
	})
	assert.Zero(t, allocs)
}

func TestUpdatedNoAlloc(t *testing.T) {
	c := NewConn(Config{})
	c.Request([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	c.Updated()
	allocs := testing.AllocsPerRun(100, func() {
		c.Request(nil)
		c.Updated()
	})
	assert.Zero(t, allocs)
}

// TestLiveTxBounded checks that requests that are never answered do not
// make the Conn's memory grow without bound.
func TestLiveTxBounded(t *testing.T) {
	c := NewConn(Config{})
	for i := 0; i < 2000; i++ {
		c.Request([]byte("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"))
		c.Updated()
	}
	assert.LessOrEqual(t, len(c.Transactions()), maxLiveTx+1)
	c.Response([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	u := c.Updated()
	require.Len(t, u, 1)
	assert.True(t, u[0].Progress().Has(ResponseComplete))
}

// TestHeaderBlockBounded feeds an endless header block: memory held for it
// stays bounded and the transaction is flagged.
func TestHeaderBlockBounded(t *testing.T) {
	c := NewConn(Config{MaxHeaderBytes: 1024})
	c.Request([]byte("GET / HTTP/1.1\r\nX: 1\r\n"))
	for i := 0; i < 10000; i++ {
		c.Request([]byte("X-" + itoa(i) + ": " + strings.Repeat("v", 50) + "\r\n  folded\r\n"))
	}
	assert.LessOrEqual(t, len(c.req.hdata), 2*1024)
	assert.LessOrEqual(t, len(c.req.pending), 1024)
	c.Request([]byte("\r\n"))
	txs := c.Updated()
	require.Len(t, txs, 1)
	assert.NotZero(t, txs[0].Flags()&FlagHeadersTooLong)
	assert.LessOrEqual(t, len(txs[0].reqHeadersRaw), 1024)
}

func TestResponseWithoutRequestURI(t *testing.T) {
	txs := parse("", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	require.Len(t, txs, 1)
	assert.Equal(t, uriNotSeen, string(txs[0].RawURI()), "EVE's url for such a transaction")
	assert.False(t, txs[0].Progress().Has(RequestLineDone))
}
