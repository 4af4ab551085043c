package pcapgen

import (
	"bytes"
	"testing"
)

// FuzzNormalizeHTTP: whatever text a user pastes, NormalizeHTTP does not
// panic, keeps the body, and a second pass has nothing left to repair.
func FuzzNormalizeHTTP(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n",
		"POST /x HTTP/1.1\nContent-Length: 99\n\nbody\n",
		"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\n\r\n",
		"\n\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _ := NormalizeHTTP(in)
		again, notes := NormalizeHTTP(out)
		if len(notes) != 0 {
			t.Fatalf("second pass still repairs %q: %v", out, notes)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("second pass changed %q to %q", out, again)
		}
	})
}
