package http1

import (
	"bytes"
	"testing"
)

// splitConversation cuts fuzz input into a request and a response stream
// at the first "\x00\x00" (all request when there is none).
func splitConversation(data []byte) (req, resp string) {
	if i := bytes.Index(data, []byte{0, 0}); i >= 0 {
		return string(data[:i]), string(data[i+2:])
	}
	return string(data), ""
}

// FuzzConn feeds arbitrary streams whole and one byte at a time: the parser
// must not panic, and both deliveries must give the same transactions.
func FuzzConn(f *testing.F) {
	for _, tc := range parserCases {
		f.Add([]byte(tc.req + "\x00\x00" + tc.resp))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return // one byte at a time is quadratic in the snapshot size
		}
		req, resp := splitConversation(data)
		whole := snapshot(parse(req, resp))
		fd := newFeeder()
		fd.feed(true, req, seq(len(req))...)
		fd.feed(false, resp, seq(len(resp))...)
		fd.close()
		if got := snapshot(fd.txs); got != whole {
			t.Fatalf("byte-at-a-time differs:\nwhole:\n%s\nsplit:\n%s", whole, got)
		}
	})
}

// FuzzNormalizeURI checks NormalizeURI never panics, never grows its input
// (every step decodes or removes) and appends to dst without touching it.
func FuzzNormalizeURI(f *testing.F) {
	for _, tc := range normalizeCases {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		prefix := []byte("keep")
		out := NormalizeURI(append([]byte(nil), prefix...), raw)
		if !bytes.HasPrefix(out, prefix) {
			t.Fatalf("dst prefix clobbered: %q", out)
		}
		if n := len(out) - len(prefix); n > len(raw) {
			t.Fatalf("NormalizeURI(%q) = %q grew", raw, out[len(prefix):])
		}
	})
}
