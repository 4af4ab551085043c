package pcaps

import "math/bits"

// Reassembly buffers come in power-of-two sizes from minStreamBuf to
// maxPooledStreamBuf. A stream takes one when data arrives, moves to the
// next size when it fills up, and gives it back as soon as everything in
// it was inspected and parsed, so an idle or closed flow holds no stream
// memory while it waits for its timeout, and a run allocates buffers only
// until the pool has warmed up (no per-flow growth, clearing or GC work).
const (
	minStreamBufShift   = 11 // 2 KiB: one full-sized segment
	minStreamBuf        = 1 << minStreamBufShift
	maxPooledStreamBuf  = 4 << 20 // the default depth plus room; larger ones are not kept
	streamBufClasses    = 12      // 2 KiB .. 4 MiB
	maxPooledStreamMem  = 16 << 20
	maxRetiredPerPacket = 64 // retired buffers beyond this go to the GC
)

// bufPool recycles reassembly buffers within one engine.
//
// A buffer given back while a packet is being handled may still be
// referenced by that packet's StreamChunks, which stay valid until the
// Handler returns; so buffers are only retired then, and become reusable at
// the next frame (recycle).
type bufPool struct {
	free    [streamBufClasses][][]byte
	pooled  int // bytes in free
	retired [][]byte
}

// sizeClass returns the class of a buffer of at least n bytes and its
// size; ok is false when n is above the largest class.
func sizeClass(n int) (class, size int, ok bool) {
	if n <= minStreamBuf {
		return 0, minStreamBuf, true
	}
	c := bits.Len(uint(n-1)) - minStreamBufShift
	if c >= streamBufClasses {
		return 0, 0, false
	}
	return c, minStreamBuf << c, true
}

// get returns an empty buffer with room for at least n bytes.
func (p *bufPool) get(n int) []byte {
	c, size, ok := sizeClass(n)
	if !ok {
		return make([]byte, 0, n)
	}
	if p != nil {
		if l := p.free[c]; len(l) > 0 {
			b := l[len(l)-1]
			l[len(l)-1] = nil
			p.free[c] = l[:len(l)-1]
			p.pooled -= cap(b)
			return b
		}
	}
	return make([]byte, 0, size)
}

// put hands back a buffer nothing refers to any more (its flow ended
// and its last packets were delivered). It is only called between two
// deliveries (flow end), so what was retired before is free as well.
func (p *bufPool) put(b []byte) {
	if p == nil {
		return
	}
	p.retired = append(p.retired, b[:0])
	p.recycle()
}

// retire hands a buffer back; it is reused from the next frame on.
func (p *bufPool) retire(b []byte) {
	if p == nil || cap(b) < minStreamBuf || cap(b) > maxPooledStreamBuf || len(p.retired) >= maxRetiredPerPacket {
		return
	}
	p.retired = append(p.retired, b[:0])
}

// recycle makes the retired buffers available, as far as the pool's bound
// allows.
func (p *bufPool) recycle() {
	for i, b := range p.retired {
		p.retired[i] = nil
		if cap(b) < minStreamBuf || p.pooled+cap(b) > maxPooledStreamMem {
			continue
		}
		c, size, ok := sizeClass(cap(b))
		if !ok || size != cap(b) {
			continue // not one of ours (a test's literal)
		}
		p.free[c] = append(p.free[c], b)
		p.pooled += size
	}
	p.retired = p.retired[:0]
}
