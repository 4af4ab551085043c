package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
)

// coding is one Content-Encoding layer Suricata decompresses.
type coding uint8

const (
	codingGzip coding = iota + 1
	codingDeflate
)

// contentCoding is a message's Content-Encoding: up to two layers (Suricata's
// default response-body-decompress-layer-limit), in the order applied.
type contentCoding struct {
	layers [2]coding
	n      int
}

func (cc contentCoding) identity() bool { return cc.n == 0 }

// codingOf reads Content-Encoding. An unknown coding in the list means the
// body is inspected as sent; "identity" is skipped; beyond two layers only
// the outermost two are undone.
func codingOf(hs []Header) contentCoding {
	var cc contentCoding
	v, ok := lookup(hs, "Content-Encoding")
	if !ok {
		return cc
	}
	var all []coding
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		tok := trimLWS(v[:i])
		switch {
		case equalFold(tok, "gzip"), equalFold(tok, "x-gzip"):
			all = append(all, codingGzip)
		case equalFold(tok, "deflate"), equalFold(tok, "x-deflate"):
			all = append(all, codingDeflate)
		case len(tok) == 0, equalFold(tok, "identity"):
		default:
			return contentCoding{}
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	if len(all) > len(cc.layers) {
		all = all[len(all)-len(cc.layers):]
	}
	cc.n = copy(cc.layers[:], all)
	return cc
}

// inflate decompresses the collected body of s's message into the
// transaction, undoing the layers outermost first, keeping at most
// DecompressLimit bytes of output and then the first RequestBodyLimit or
// ResponseBodyLimit of those for inspection. What inflates before an error
// is kept, as libhtp passes on the data it decoded; a body that does not
// even start like its coding is inspected as sent.
func (c *Conn) inflate(s *side) {
	tx := s.tx
	data := s.wire
	s.wire = nil
	body, bodyLen, limit := &tx.respBody, &tx.respBodyLen, c.cfg.ResponseBodyLimit
	if s == &c.req {
		body, bodyLen, limit = &tx.reqBody, new(int64), c.cfg.RequestBodyLimit
	}
	for i := s.encoding.n - 1; i >= 0; i-- {
		out, ok := c.decode(tx, s.encoding.layers[i], data)
		if !ok {
			break
		}
		data = out
	}
	*bodyLen += int64(len(data))
	*body, tx.flags = appendCapped(*body, data, limit, tx.flags)
}

// decode undoes one coding; ok is false when data does not start like it.
func (c *Conn) decode(tx *Tx, cd coding, wire []byte) ([]byte, bool) {
	var r io.Reader
	var err error
	switch cd {
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
	}
	if err != nil || r == nil {
		tx.flags |= FlagDecompressError
		return nil, false
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
	return out.Bytes()[:n], true
}
