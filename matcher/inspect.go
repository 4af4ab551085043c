package matcher

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// opKind is the kind of one inspection step of a buffer's match list.
type opKind uint8

const (
	opContent opKind = iota
	opPCRE
	opIsDataAt
	opByteTest
	opByteJump
	opByteExtract
)

// intArg is a number or a byte_extract variable (index into scratch.vars).
type intArg struct {
	set bool
	n   int
	v   int // variable index + 1; 0 = literal
}

func (a intArg) get(s *scratch) int {
	if a.v > 0 {
		return int(s.vars[a.v-1])
	}
	return a.n
}

// op is one compiled inspection keyword. Which fields matter depends on
// kind; ops are immutable once compiled.
type op struct {
	kind opKind
	// optIdx is the option's index in the rule, for Match reporting.
	optIdx int

	// content
	pat        []byte
	nocase     bool
	negated    bool
	depth      intArg
	offset     intArg
	distance   intArg
	within     intArg
	startswith bool
	endswith   bool
	// relative is set for contents with distance or within, pcre /R,
	// isdataat/byte_* with relative: the step is placed after the previous
	// match.
	relative bool
	// relNext is set when the next step is relative to this one (content
	// with distance/within, pcre /R, relative isdataat or byte_*): a
	// failure further on makes this step retry at its next occurrence, as
	// Suricata 7's DetectEngineContentInspection does (suricata-verify
	// UriTestSig21 and UriTestSig27 need the retry after a negated
	// relative content and after a relative isdataat).
	relNext bool
	// varOffset: isdataat reads its offset from a byte_extract variable
	// (its failures do not end the inspection).
	varOffset bool

	// pcre
	re *pcreProg

	// isdataat
	dataat intArg

	// byte_test / byte_jump / byte_extract
	nbytes     int
	bOffset    intArg
	str        bool
	base       int
	little     bool
	bitmask    uint64
	cmp        string // byte_test operator
	cmpNeg     bool
	value      intArg
	align      bool
	alignN     int
	fromBegin  bool
	fromEnd    bool
	postOffset int
	multiplier int
	varIdx     int // byte_extract destination
}

// maxVars bounds byte_extract variables per rule (Suricata allows few).
const maxVars = 8

// maxMatches bounds the matches recorded for highlighting per inspection.
const maxMatches = 32

// inspection recursion limit, as Suricata's detect.inspection-recursion-limit
// default (3000): a pathological rule gives up instead of running forever.
const recursionLimit = 3000

type matchRec struct {
	optIdx     int
	start, end int
}

// scratch is per-scan mutable state used while inspecting. It is owned by
// one scan (one goroutine) and reused for every packet, so the per-packet
// path does not allocate.
type scratch struct {
	vars      [maxVars]int64
	matches   [maxMatches]matchRec
	nmatches  int
	recursion int
}

// Results of inspecting a list from some step on: match, no match (an
// earlier relative step may retry), or no match that no retry can fix.
const (
	inspNoMatch     = 0
	inspMatch       = 1
	inspDiscontinue = -1
)

// inspectList runs ops over buf from the start. streamOff is the stream
// offset of buf[0] for stream chunks (depth and offset count from the
// start of the stream), 0 otherwise.
func (s *scratch) inspectList(ops []op, buf []byte, streamOff int) bool {
	s.nmatches = 0
	s.recursion = 0
	if len(ops) == 0 {
		return true
	}
	return s.inspect(ops, 0, buf, 0, streamOff) == inspMatch
}

func (s *scratch) record(o *op, start, end int, n int) {
	if n < maxMatches {
		s.matches[n] = matchRec{o.optIdx, start, end}
	}
}

// inspect evaluates ops[i:] with prev the end of the previous match.
func (s *scratch) inspect(ops []op, i int, buf []byte, prev int, streamOff int) int {
	s.recursion++
	if s.recursion > recursionLimit {
		return inspDiscontinue
	}
	o := &ops[i]
	last := i == len(ops)-1
	nrec := s.nmatches
	next := func(end int) int {
		if last {
			return inspMatch
		}
		return s.inspect(ops, i+1, buf, end, streamOff)
	}
	switch o.kind {
	case opContent:
		start, depth := 0, len(buf)
		if o.relative {
			start = prev
			if o.distance.set {
				d := o.distance.get(s)
				if d < 0 && -d > start {
					start = 0
				} else {
					start += d
				}
			}
			if o.within.set {
				w := prev + o.within.get(s)
				if o.distance.set {
					w += o.distance.get(s)
				}
				if w < depth {
					depth = w
				}
			}
			if o.depth.set {
				if d := prev + o.depth.get(s); d < depth {
					depth = d
				}
			}
			if o.offset.set {
				if off := o.offset.get(s); off > start {
					start = off
				}
			}
		} else {
			if o.depth.set {
				d := o.depth.get(s)
				if o.offset.set && !o.startswith {
					// Suricata stores depth counted from the offset.
					d += o.offset.get(s)
				}
				// In a stream chunk, depth counts from the start of
				// the stream (offset does not: Suricata leaves it).
				if streamOff != 0 {
					if d <= streamOff {
						return s.notFound(o, ops, i, buf, prev, streamOff, inspNoMatch)
					}
					if d < streamOff+len(buf) {
						d -= streamOff
					}
				}
				depth = d
			}
			if o.offset.set {
				start = o.offset.get(s)
			}
		}
		if depth > len(buf) {
			depth = len(buf)
		}
		if start < 0 {
			start = 0
		}
		if start > depth || depth == 0 {
			return s.notFound(o, ops, i, buf, prev, streamOff, inspNoMatch)
		}
		// A content with neither distance nor within is independent of
		// earlier matches: not finding it is final.
		miss := inspDiscontinue
		if o.relative {
			miss = inspNoMatch
		}
		for {
			if start > depth || depth-start < len(o.pat) || o.endswith && depth < len(buf) {
				return s.notFound(o, ops, i, buf, prev, streamOff, miss)
			}
			pos := index(buf[start:depth], o.pat, o.nocase)
			if pos < 0 {
				return s.notFound(o, ops, i, buf, prev, streamOff, miss)
			}
			pos += start
			end := pos + len(o.pat)
			if o.negated {
				// Found a content that must be absent (endswith: only
				// an occurrence at the end counts).
				if o.endswith && end != len(buf) {
					return s.notFound(o, ops, i, buf, prev, streamOff, miss)
				}
				if !o.relative && !o.relNext {
					return inspDiscontinue
				}
				return inspNoMatch
			}
			if !o.endswith || end == len(buf) {
				s.nmatches = nrec
				s.record(o, pos, end, nrec)
				s.nmatches = nrec + 1
				if last {
					return inspMatch
				}
				r := s.inspect(ops, i+1, buf, end, streamOff)
				if r != inspNoMatch {
					return r
				}
				if !o.relNext {
					// The next step does not depend on where this
					// content is: another occurrence cannot help.
					return inspDiscontinue
				}
			}
			// Look for the next occurrence, one byte after this one.
			start = pos + 1
		}
	case opPCRE:
		base := 0
		if o.relative {
			base = prev
		}
		if base > len(buf) {
			base = len(buf)
		}
		from := base
		for {
			ms, me, ok := o.re.find(buf, base, from)
			if o.re.negated {
				if ok {
					return inspNoMatch
				}
				return next(prev)
			}
			if !ok {
				return inspNoMatch
			}
			s.nmatches = nrec
			s.record(o, ms, me, nrec)
			s.nmatches = nrec + 1
			r := next(me)
			if r != inspNoMatch || !o.relNext {
				return r
			}
			// A later relative step failed: look for the next match
			// of the pattern, starting one byte after this one.
			from = ms + 1
			if from > len(buf) {
				return inspNoMatch
			}
		}
	case opIsDataAt:
		n := o.dataat.get(s)
		var has bool
		if o.relative {
			// Suricata 7 counts relative isdataat up to and including
			// the end of the buffer (suricata-verify issue-8031): N bytes
			// must remain after the previous match, not N+1.
			has = prev+n <= len(buf)
		} else {
			has = n < len(buf)
		}
		switch {
		case has && !o.negated, !has && o.negated:
			return next(prev)
		case o.varOffset, has && o.relative:
			return inspNoMatch
		}
		return inspDiscontinue
	case opByteTest:
		v, _, ok := s.readBytes(o, buf, prev)
		if !ok {
			return inspNoMatch
		}
		want := uint64(o.value.get(s))
		var m bool
		switch o.cmp {
		case "<":
			m = v < want
		case ">":
			m = v > want
		case "=":
			m = v == want
		case "<=":
			m = v <= want
		case ">=":
			m = v >= want
		case "&":
			m = v&want != 0
		case "^":
			m = v^want != 0
		}
		if o.cmpNeg {
			m = !m
		}
		if !m {
			return inspNoMatch
		}
		return next(prev)
	case opByteJump:
		v, end, ok := s.readBytes(o, buf, prev)
		if !ok {
			return inspNoMatch
		}
		if o.multiplier > 1 {
			v *= uint64(o.multiplier)
		}
		var pos int
		switch {
		case o.fromBegin:
			pos = int(v)
		case o.fromEnd:
			pos = len(buf) + int(v)
		default:
			pos = end + int(v)
		}
		if o.align && pos%4 != 0 {
			pos += 4 - pos%4
		}
		pos += o.postOffset
		if pos < 0 || pos > len(buf) {
			return inspNoMatch
		}
		return next(pos)
	case opByteExtract:
		v, end, ok := s.readBytes(o, buf, prev)
		if !ok {
			return inspNoMatch
		}
		if o.multiplier > 1 {
			v *= uint64(o.multiplier)
		}
		if o.alignN > 1 && v%uint64(o.alignN) != 0 {
			v += uint64(o.alignN) - v%uint64(o.alignN)
		}
		s.vars[o.varIdx] = int64(v)
		return next(end)
	}
	return inspNoMatch
}

// notFound handles a content that did not occur: a negated content then
// holds, and the list goes on from the same place.
func (s *scratch) notFound(o *op, ops []op, i int, buf []byte, prev int, streamOff int, fail int) int {
	if !o.negated {
		return fail
	}
	if i == len(ops)-1 {
		return inspMatch
	}
	return s.inspect(ops, i+1, buf, prev, streamOff)
}

// readBytes reads the number a byte_test/byte_jump/byte_extract looks at and
// returns it with the offset just past the bytes read.
func (s *scratch) readBytes(o *op, buf []byte, prev int) (uint64, int, bool) {
	off := o.bOffset.get(s)
	if o.relative {
		off += prev
	}
	if off < 0 || off+o.nbytes > len(buf) || o.nbytes <= 0 {
		return 0, 0, false
	}
	b := buf[off : off+o.nbytes]
	var v uint64
	if o.str {
		base := o.base
		if base == 0 {
			base = 10
		}
		n, err := strconv.ParseUint(string(trimDigits(b, base)), base, 64)
		if err != nil {
			return 0, 0, false
		}
		v = n
	} else {
		switch {
		case o.nbytes > 8:
			return 0, 0, false
		case o.little:
			var tmp [8]byte
			copy(tmp[:], b)
			v = binary.LittleEndian.Uint64(tmp[:])
		default:
			for _, c := range b {
				v = v<<8 | uint64(c)
			}
		}
	}
	if o.bitmask != 0 {
		v &= o.bitmask
		for m := o.bitmask; m&1 == 0 && m != 0; m >>= 1 {
			v >>= 1
		}
	}
	return v, off + o.nbytes, true
}

// trimDigits keeps the leading digits of b valid in base, as Suricata's
// string conversion stops at the first non-digit.
func trimDigits(b []byte, base int) []byte {
	for i, c := range b {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return b[:i]
		}
		if d >= base {
			return b[:i]
		}
	}
	return b
}

// index finds pat in b, ASCII case-insensitively when fold is set, without
// allocating. The case-insensitive search jumps between occurrences of the
// pattern's first byte in either case with bytes.IndexByte.
func index(b, pat []byte, fold bool) int {
	if !fold {
		return bytes.Index(b, pat)
	}
	if len(pat) == 0 {
		return 0
	}
	last := len(b) - len(pat) + 1
	if last <= 0 {
		return -1
	}
	c0 := lower(pat[0])
	c1 := c0
	if c0 >= 'a' && c0 <= 'z' {
		c1 = c0 - ('a' - 'A')
	}
	for i := 0; i < last; {
		j := bytes.IndexByte(b[i:last], c0)
		if c1 != c0 {
			k := bytes.IndexByte(b[i:last], c1)
			if k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		i += j
		if equalFold(b[i:i+len(pat)], pat, true) {
			return i
		}
		i++
	}
	return -1
}

func equalFold(a, b []byte, fold bool) bool {
	if !fold {
		return bytes.Equal(a, b)
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
