package pcaps

// tcpStream is the data one side of a TCP session sent, reassembled.
// Offsets count data bytes from the first one (the SYN's sequence number
// plus one, or the first sequence number seen on midstream pickup).
//
// buf holds the contiguous data [bufOff, contig): bytes before bufOff were
// both inspected and handed to the app layer and are dropped, so memory is
// bounded by what is still waiting for an ACK, plus out-of-order segments.
type tcpStream struct {
	init   bool
	base   uint32 // sequence number of offset 0
	buf    []byte
	bufOff uint64
	contig uint64 // data is complete (or declared a gap) up to here
	seen   uint64 // highest end offset of any segment seen
	ooo    []oooSeg
	gaps   []gapRange // gap ranges within [bufOff, contig), filled with zeros in buf

	acked    uint64 // offset ACKed by the peer
	ackSeen  bool
	raw      uint64 // raw (stream) inspection progress
	app      uint64 // app-layer progress
	trigger  bool   // app layer asked for raw inspection (Suricata's TRIGGER_RAW)
	fin      bool
	finOff   uint64
	depthHit bool
	keep     uint64 // inspected bytes kept before raw for inline windows

	pool *bufPool // where buf comes from and goes back to; nil: plain allocation
}

type oooSeg struct {
	off  uint64
	data []byte
}

type gapRange struct{ start, end uint64 }

// offset converts a sequence number to a stream offset. Sequence numbers
// before the base (old retransmissions) give a negative value.
func (s *tcpStream) offset(seq uint32) int64 {
	return int64(int32(seq - s.base))
}

// insert adds segment data at sequence seq, first data wins on overlap. It
// returns the bytes of memory newly held by out-of-order storage, or -1 if
// the segment was refused because it needs more than memLeft bytes.
func (s *tcpStream) insert(seq uint32, data []byte, depth uint64, memLeft int) int {
	o := s.offset(seq)
	if o < 0 {
		if int64(len(data)) <= -o {
			return 0
		}
		data = data[-o:]
		o = 0
	}
	off := uint64(o)
	end := off + uint64(len(data))
	if depth > 0 && end > depth {
		if off >= depth {
			s.depthHit = true
			return 0
		}
		data = data[:depth-off]
		end = depth
		s.depthHit = true
	}
	if end > s.seen {
		s.seen = end
	}
	if end <= s.contig {
		return 0 // retransmission of data we have
	}
	if off <= s.contig {
		if int(end-s.contig) > memLeft {
			return -1
		}
		s.appendData(data[s.contig-off:])
		s.contig = end
		s.drain()
		return 0
	}
	// Out of order: keep a copy, sorted by offset.
	if len(data) > memLeft {
		return -1
	}
	cp := make([]byte, len(data))
	copy(cp, data)
	i := len(s.ooo)
	for i > 0 && s.ooo[i-1].off > off {
		i--
	}
	s.ooo = append(s.ooo, oooSeg{})
	copy(s.ooo[i+1:], s.ooo[i:])
	s.ooo[i] = oooSeg{off: off, data: cp}
	return len(cp)
}

// reserve makes room for n more bytes in buf, moving to a buffer of the
// next size class from the pool when it is full.
func (s *tcpStream) reserve(n int) {
	if len(s.buf)+n <= cap(s.buf) {
		return
	}
	nb := s.pool.get(max(len(s.buf)+n, 2*cap(s.buf)))
	nb = append(nb, s.buf...)
	s.pool.retire(s.buf)
	s.buf = nb
}

func (s *tcpStream) appendData(d []byte) {
	s.reserve(len(d))
	s.buf = append(s.buf, d...)
}

// release gives buf back to the pool.
func (s *tcpStream) release() {
	if cap(s.buf) > 0 {
		s.pool.retire(s.buf)
	}
	s.buf = nil
}

// oooBytes is the memory held in out-of-order segments.
func (s *tcpStream) oooBytes() int {
	n := 0
	for _, g := range s.ooo {
		n += len(g.data)
	}
	return n
}

// drain moves out-of-order segments that became contiguous into buf.
func (s *tcpStream) drain() {
	n := 0
	for n < len(s.ooo) && s.ooo[n].off <= s.contig {
		g := s.ooo[n]
		if e := g.off + uint64(len(g.data)); e > s.contig {
			s.appendData(g.data[s.contig-g.off:])
			s.contig = e
		}
		n++
	}
	if n > 0 {
		s.ooo = append(s.ooo[:0], s.ooo[n:]...)
	}
}

// fillGap declares the missing bytes up to `to` lost: zeros stand in for
// them in buf and the range is recorded so nobody inspects them.
func (s *tcpStream) fillGap(to uint64) bool {
	if to <= s.contig {
		return false
	}
	if len(s.ooo) > 0 && s.ooo[0].off < to {
		to = s.ooo[0].off
	}
	if to <= s.contig {
		s.drain()
		return false
	}
	s.gaps = append(s.gaps, gapRange{s.contig, to})
	n := int(to - s.contig)
	s.reserve(n)
	s.buf = s.buf[:len(s.buf)+n]
	clear(s.buf[len(s.buf)-n:])
	s.contig = to
	s.drain()
	return true
}

// ackedEnd is the end of the data that may be handed on in IDS mode: ACKed
// and contiguous.
func (s *tcpStream) ackedEnd() uint64 {
	return min(s.acked, s.contig)
}

// span returns the data [from, to) and whether a gap lies in it; the slice
// aliases buf. from must be >= bufOff.
func (s *tcpStream) span(from, to uint64) []byte {
	if from < s.bufOff {
		from = s.bufOff
	}
	if to <= from {
		return nil
	}
	return s.buf[from-s.bufOff : to-s.bufOff]
}

// nextGap returns the first gap overlapping [from, to), if any.
func (s *tcpStream) nextGap(from, to uint64) (gapRange, bool) {
	for _, g := range s.gaps {
		if g.end > from && g.start < to {
			return g, true
		}
	}
	return gapRange{}, false
}

// trim drops data both consumers are done with.
func (s *tcpStream) trim() {
	raw := s.raw
	if raw > s.keep {
		raw -= s.keep
	} else {
		raw = 0
	}
	done := min(raw, s.app, s.contig)
	if done <= s.bufOff {
		return
	}
	n := int(done - s.bufOff)
	if n >= len(s.buf) {
		// Nothing left to keep: the buffer goes back to the pool until
		// the stream has data again.
		s.release()
	} else if n > cap(s.buf)/2 || n > 1<<16 {
		// The rest moves to a buffer of its own size rather than to the
		// front of this one: chunks of the packet being handled may
		// still point into the consumed part.
		rest := s.buf[n:]
		nb := append(s.pool.get(len(rest)), rest...)
		s.pool.retire(s.buf)
		s.buf = nb
	} else {
		return
	}
	s.bufOff = done
	k := 0
	for _, g := range s.gaps {
		if g.end > done {
			s.gaps[k] = g
			k++
		}
	}
	s.gaps = s.gaps[:k]
}
