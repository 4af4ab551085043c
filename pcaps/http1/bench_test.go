package http1

import (
	"strings"
	"testing"
)

// BenchmarkConn parses a keep-alive connection of 10 typical browser
// exchanges (headers, small bodies), reading every buffer of every
// transaction as a matcher would.
func BenchmarkConn(b *testing.B) {
	req := strings.Repeat("GET /static/js/app.js?v=123&x=%41 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nReferer: http://www.example.com/\r\nCookie: session=abcdef0123456789\r\nConnection: keep-alive\r\n\r\n", 10)
	body := strings.Repeat("x", 1000)
	resp := strings.Repeat("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/javascript\r\nContent-Length: 1000\r\nConnection: keep-alive\r\n\r\n"+body, 10)
	rq, rs := []byte(req), []byte(resp)
	b.SetBytes(int64(len(rq) + len(rs)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewConn(Config{})
		for off := 0; off < len(rq); off += 1460 {
			c.Request(rq[off:min(off+1460, len(rq))])
		}
		for off := 0; off < len(rs); off += 1460 {
			c.Response(rs[off:min(off+1460, len(rs))])
			for _, tx := range c.Updated() {
				for bb := BufMethod; bb < numBuffers; bb++ {
					tx.Buffer(bb, true)
					tx.Buffer(bb, false)
				}
			}
		}
		c.Close()
	}
}

// BenchmarkNormalizeURI measures http.uri normalization into a reused
// buffer.
func BenchmarkNormalizeURI(b *testing.B) {
	raw := []byte("/a/b/../c%2fd/./e%u0041/%C3%A9x?q=%41%42&r=1#frag")
	dst := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		dst = NormalizeURI(dst[:0], raw)
	}
}
