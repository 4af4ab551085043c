package pcapgen

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeHTTP(t *testing.T) {
	tests := []struct {
		name, in, want string
		notes          []string
	}{
		{name: "well formed", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", want: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "well formed post", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b", want: "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b"},
		{name: "lf only", in: "GET / HTTP/1.1\nHost: a\n\n", want: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			notes: []string{"header lines ended in LF only; wrote CRLF (2 line(s))"}},
		{name: "no blank line", in: "GET / HTTP/1.1\r\nHost: a", want: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			notes: []string{"added the blank line that ends the header block"}},
		{name: "no blank line lf", in: "GET / HTTP/1.1\nHost: a\n", want: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			notes: []string{"header lines ended in LF only; wrote CRLF (2 line(s))", "added the blank line that ends the header block"}},
		{name: "leading blank", in: "\n\nGET / HTTP/1.1\r\n\r\n", want: "GET / HTTP/1.1\r\n\r\n",
			notes: []string{"dropped blank lines before the start line"}},
		{name: "wrong length, body lf kept", in: "HTTP/1.1 200 OK\nContent-Length: 100\n\nline1\nline2\n", want: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nline1\nline2\n",
			notes: []string{"header lines ended in LF only; wrote CRLF (2 line(s))", `Content-Length was "100" but the body has 12 bytes; set it to 12`}},
		{name: "missing length on request body", in: "POST /x HTTP/1.1\r\nHost: a\r\n\r\nid=1", want: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nid=1",
			notes: []string{"request has a 4-byte body but no Content-Length; added one"}},
		{name: "response without length untouched", in: "HTTP/1.0 200 OK\r\n\r\nbody", want: "HTTP/1.0 200 OK\r\n\r\nbody"},
		{name: "chunked untouched", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
			want: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes := NormalizeHTTP([]byte(tt.in))
			assert.Equal(t, tt.want, string(got))
			assert.Equal(t, tt.notes, notes)
		})
	}
}

func TestNormalizeHTTPPartialCR(t *testing.T) {
	got, notes := NormalizeHTTP([]byte("GET / HTTP/1.1\nHost: a\n\r"))
	assert.Equal(t, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", string(got))
	assert.Equal(t, []string{"header lines ended in LF only; wrote CRLF (2 line(s))", "added the blank line that ends the header block"}, notes)
}
