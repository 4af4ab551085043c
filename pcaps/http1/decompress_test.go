package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeFresh is decode as it was before inflaters were pooled: new
// decompressors and a bytes.Buffer per body. The pooled decode must give
// the same bytes and flags for every input, whatever it decoded before.
func decodeFresh(limit int, cd coding, wire []byte) (out []byte, flags Flags, ok bool) {
	var r io.Reader
	var err error
	switch cd {
	case codingGzip:
		r, err = gzip.NewReader(bytes.NewReader(wire))
	case codingDeflate:
		if len(wire) >= 2 && (uint16(wire[0])<<8|uint16(wire[1]))%31 == 0 && wire[0]&0x0f == 8 {
			r, err = zlib.NewReader(bytes.NewReader(wire))
		} else {
			r = flate.NewReader(bytes.NewReader(wire))
		}
	}
	if err != nil || r == nil {
		return nil, FlagDecompressError, false
	}
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		flags |= FlagDecompressError
	}
	if n > int64(limit) {
		flags |= FlagBodyTruncated
		n = int64(limit)
	}
	return b.Bytes()[:n], flags, true
}

func TestDecodeMatchesFresh(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefgh <script>.length\n"[rng.IntN(25)]
		}
		return b
	}
	gz := func(p []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	zl := func(p []byte) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	raw := func(p []byte) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestSpeed)
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	big := text(300 << 10)
	cases := []struct {
		name string
		cd   coding
		wire []byte
	}{
		{"gzip", codingGzip, gz(text(5000))},
		{"gzip empty", codingGzip, gz(nil)},
		{"gzip over limit", codingGzip, gz(big)},
		{"gzip two members", codingGzip, append(gz(text(100)), gz(text(200))...)},
		{"gzip truncated", codingGzip, gz(text(40000))[:3000]},
		{"gzip bad checksum", codingGzip, func() []byte { b := gz(text(100)); b[len(b)-5] ^= 1; return b }()},
		{"not gzip", codingGzip, []byte("notgzip")},
		{"zlib", codingDeflate, zl(text(7000))},
		{"zlib truncated", codingDeflate, zl(text(40000))[:2000]},
		{"raw deflate", codingDeflate, raw(text(9000))},
		{"raw deflate over limit", codingDeflate, raw(big)},
		{"raw deflate garbage", codingDeflate, text(300)},
		{"empty deflate", codingDeflate, nil},
	}
	const limit = 256 << 10
	c := NewConn(Config{DecompressLimit: limit})
	in := new(inflater)
	// Every order of the cases over one inflater: its readers and buffers
	// carry state from body to body.
	for round := range 3 {
		order := rng.Perm(len(cases))
		for _, i := range order {
			tc := cases[i]
			want, wantFlags, wantOK := decodeFresh(limit, tc.cd, tc.wire)
			tx := &Tx{}
			got, ok := c.decode(in, tx, tc.cd, tc.wire, in.out[round%2])
			in.out[round%2] = got
			require.Equal(t, wantOK, ok, tc.name)
			assert.Equal(t, wantFlags, tx.flags, tc.name)
			assert.True(t, bytes.Equal(want, got), "%s: %d bytes, want %d", tc.name, len(got), len(want))
		}
	}
}

// TestInflateTwoLayers checks a body with two codings (gzip inside
// deflate) through inflate, where the second layer decodes from the first
// layer's pooled buffer into the other one.
func TestInflateTwoLayers(t *testing.T) {
	body := bytes.Repeat([]byte("two layers of coding "), 200)
	var g bytes.Buffer
	gw := gzip.NewWriter(&g)
	gw.Write(body)
	gw.Close()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(g.Bytes())
	zw.Close()
	resp := "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, deflate\r\nContent-Length: " +
		itoa(z.Len()) + "\r\n\r\n" + z.String()
	for range 3 { // again, with the pool's buffers already grown
		txs := parse("GET / HTTP/1.1\r\n\r\n", resp)
		require.Len(t, txs, 1)
		assert.Zero(t, txs[0].Flags()&FlagDecompressError)
		assert.Equal(t, string(body), buf(txs[0], BufFileData, false))
	}
}
