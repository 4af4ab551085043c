package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
)

// contentCoding is a response Content-Encoding Suricata decompresses.
type contentCoding uint8

const (
	codingIdentity contentCoding = iota
	codingGzip
	codingDeflate
)

func codingOf(hs []Header) contentCoding {
	v, ok := lookup(hs, "Content-Encoding")
	if !ok {
		return codingIdentity
	}
	v = trimLWS(v)
	switch {
	case equalFold(v, "gzip"), equalFold(v, "x-gzip"):
		return codingGzip
	case equalFold(v, "deflate"), equalFold(v, "x-deflate"):
		return codingDeflate
	}
	return codingIdentity
}

// inflate decompresses the collected body of s's message into the
// transaction, keeping at most DecompressLimit bytes of output and then the
// first RequestBodyLimit or ResponseBodyLimit of those for inspection. What inflates before an error
// is kept, as libhtp passes on the data it decoded.
func (c *Conn) inflate(s *side) {
	tx := s.tx
	wire := s.wire
	s.wire = nil
	var r io.Reader
	var err error
	switch s.encoding {
	case codingGzip:
		r, err = gzip.NewReader(bytes.NewReader(wire))
	case codingDeflate:
		// "deflate" is zlib-wrapped per the RFC, raw deflate in practice
		// from some servers: libhtp tries both, so do we.
		if len(wire) >= 2 && (uint16(wire[0])<<8|uint16(wire[1]))%31 == 0 && wire[0]&0x0f == 8 {
			r, err = zlib.NewReader(bytes.NewReader(wire))
		} else {
			r = flate.NewReader(bytes.NewReader(wire))
		}
	default:
		return
	}
	body, bodyLen, limit := &tx.respBody, &tx.respBodyLen, c.cfg.ResponseBodyLimit
	if s == &c.req {
		body, bodyLen, limit = &tx.reqBody, new(int64), c.cfg.RequestBodyLimit
	}
	if err != nil {
		tx.flags |= FlagDecompressError
		// Not decodable at all: inspect the bytes as sent.
		*bodyLen += int64(len(wire))
		*body, tx.flags = appendCapped(*body, wire, limit, tx.flags)
		return
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, int64(c.cfg.DecompressLimit)+1))
	if err != nil {
		tx.flags |= FlagDecompressError
	}
	if n > int64(c.cfg.DecompressLimit) {
		tx.flags |= FlagBodyTruncated
		n = int64(c.cfg.DecompressLimit)
	}
	b := out.Bytes()[:n]
	*bodyLen += n
	*body, tx.flags = appendCapped(*body, b, limit, tx.flags)
}
