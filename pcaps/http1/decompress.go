package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"sync"
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
	in := inflaters.Get().(*inflater)
	k := 0
	for i := s.encoding.n - 1; i >= 0; i-- {
		out, ok := c.decode(in, tx, s.encoding.layers[i], data, in.out[k])
		if !ok {
			break
		}
		// A second layer decodes from this output into the other buffer.
		in.out[k] = out
		data = out
		k ^= 1
	}
	*bodyLen += int64(len(data))
	*body, tx.flags = appendCapped(*body, data, limit, tx.flags)
	in.src.Reset(nil) // hold no body in the pool
	inflaters.Put(in)
}

// inflater is decode's reusable state: the decompressors, reset for each
// body instead of allocated (a flate reader starts with a 32 KiB window),
// and two output buffers, one per coding layer. The decoded body is copied
// into the transaction by appendCapped, so the inflater goes back to the
// pool when inflate returns. On the replayed benign corpus, allocating
// both per body was 5 bytes allocated per byte scanned.
type inflater struct {
	src bytes.Reader
	gz  *gzip.Reader
	zl  io.ReadCloser // zlib.NewReader's; also a zlib.Resetter
	fl  io.ReadCloser // flate.NewReader's; also a flate.Resetter
	out [2][]byte
}

// inflaters is shared by all connections (and the goroutines of a sharded
// scan): a flow holds no decompression memory between bodies.
var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// decode undoes one coding of wire into dst's storage; ok is false when
// wire does not start like the coding.
func (c *Conn) decode(in *inflater, tx *Tx, cd coding, wire, dst []byte) ([]byte, bool) {
	in.src.Reset(wire)
	var r io.Reader
	var err error
	switch cd {
	case codingGzip:
		if in.gz == nil {
			in.gz, err = gzip.NewReader(&in.src)
		} else {
			err = in.gz.Reset(&in.src)
		}
		r = in.gz
	case codingDeflate:
		// "deflate" is zlib-wrapped per the RFC, raw deflate in practice
		// from some servers: libhtp tries both, so do we.
		if len(wire) >= 2 && (uint16(wire[0])<<8|uint16(wire[1]))%31 == 0 && wire[0]&0x0f == 8 {
			if in.zl == nil {
				in.zl, err = zlib.NewReader(&in.src)
			} else {
				err = in.zl.(zlib.Resetter).Reset(&in.src, nil)
			}
			r = in.zl
		} else {
			if in.fl == nil {
				in.fl = flate.NewReader(&in.src)
			} else {
				err = in.fl.(flate.Resetter).Reset(&in.src, nil)
			}
			r = in.fl
		}
	}
	if err != nil || r == nil {
		tx.flags |= FlagDecompressError
		return nil, false
	}
	// Read at most DecompressLimit+1 bytes, as io.Copy through an
	// io.LimitReader would, into dst grown as needed.
	lim := int64(c.cfg.DecompressLimit) + 1
	out := dst[:0]
	for int64(len(out)) < lim {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		room := out[len(out):cap(out)]
		if left := lim - int64(len(out)); int64(len(room)) > left {
			room = room[:left]
		}
		m, e := r.Read(room)
		out = out[:len(out)+m]
		if e == io.EOF {
			break
		}
		if e != nil {
			tx.flags |= FlagDecompressError
			break
		}
	}
	if len(out) > c.cfg.DecompressLimit {
		tx.flags |= FlagBodyTruncated
		out = out[:c.cfg.DecompressLimit]
	}
	return out, true
}
