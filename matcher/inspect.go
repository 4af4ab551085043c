package matcher

import (
	"bytes"
	"encoding/binary"
	"math"
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
	n   int
	v   uint8 // variable index + 1 (below maxVars); 0 = literal
	set bool
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
	// The flags come first, beside kind, so they share its word.
	nocase     bool
	negated    bool
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

	// optIdx is the option's index in the rule, for Match reporting.
	optIdx int

	// content
	pat      []byte
	depth    intArg
	offset   intArg
	distance intArg
	within   intArg

	// pcre
	re *pcreProg

	// isdataat
	dataat intArg

	// byte_test / byte_jump / byte_extract; nil for other kinds, so
	// the ops of content and pcre, nearly all of them, stay small.
	*byteArgs
}

// byteArgs are the arguments of byte_test, byte_jump and byte_extract.
type byteArgs struct {
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
	// found remembers each content step's last search in the list being
	// inspected (valid when its gen is gen): relative contents are
	// searched again after every occurrence of the step before them, and
	// the answer is often the same occurrence further on (find).
	found [maxFound]foundMemo
	gen   uint32
	// runes is the list's buffer widened byte-for-rune for backtracking
	// pcre (pcreFind), converted once per list when runesGen is gen.
	runes    []rune
	runesGen uint32
	// fails remembers the steps of the list being inspected that failed
	// from some cursor (valid when its gen is gen), so that inspect does
	// not redo them; failMemo says when that is sound. noMemo turns it
	// off, for tests that compare.
	fails   [failSlots]failMemo
	useMemo bool
	noMemo  bool
}

// failSlots is the size of scratch.fails, a power of two. The table is
// a cache: a failure whose slot is taken again is recomputed when asked
// again.
const (
	failBits  = 9
	failSlots = 1 << failBits
)

// failMemo: inspecting the list from step i with the cursor (the end of
// the previous match) at pos gave inspNoMatch after steps recursion
// steps.
//
// Suricata's content inspection backtracks: every occurrence of a step
// with a relative step after it is tried in turn, so in ET 2025185
// (content "<", then ".length", then a relative pcre) the pcre ran from
// the end of each ".length" once for every "<" before it, up to the
// recursion limit, although what follows ".length" depends only on where
// it ended. The rest of a list is a pure function of (i, pos) while the
// buffer, streamOff and the byte_extract variables stay the same: the
// searches read nothing else (found and runes are caches), and the match
// records are only kept from the path that matched, which a remembered
// failure is not on. Lists with a byte_extract, whose variables change
// during the inspection, are not remembered (useMemo).
type failMemo struct {
	gen   uint32
	i     int32
	pos   int32
	steps int32
}

func failSlot(i, pos int) int {
	return int((uint32(pos)*0x9e3779b1 + uint32(i)*0x85ebca6b) >> (32 - failBits))
}

// maxFound bounds the content steps per list whose searches are
// remembered; later steps search every time.
const maxFound = 32

// maxOcc bounds the occurrences remembered per step.
const maxOcc = 256

// foundMemo: occ[:n] are the first n occurrences, in order, of the step's
// pattern that start at or after from and end at or before limit; done:
// there are no others.
type foundMemo struct {
	gen         uint32
	n           int32
	done        bool
	from, limit int
	occ         [maxOcc]int32
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
	s.gen++
	if s.gen == 0 {
		// Wrapped: old entries must not pass for current ones.
		s.found = [maxFound]foundMemo{}
		s.runesGen = 0
		s.fails = [failSlots]failMemo{}
		s.gen = 1
	}
	if len(ops) == 0 {
		return true
	}
	s.useMemo = !s.noMemo && len(buf) <= math.MaxInt32
	for k := range ops {
		if ops[k].kind == opByteExtract {
			s.useMemo = false
		}
	}
	return s.inspect(ops, 0, buf, 0, streamOff) == inspMatch
}

func (s *scratch) record(o *op, start, end int, n int) {
	if n < maxMatches {
		s.matches[n] = matchRec{o.optIdx, start, end}
	}
}

// inspect evaluates ops[i:] with prev the end of the previous match.
// A failure is remembered (failMemo) and, when the same step is asked
// again at the same cursor, given again at once with the recursion steps
// it took added, so the recursion limit ends the inspection exactly
// where it would have.
func (s *scratch) inspect(ops []op, i int, buf []byte, prev int, streamOff int) int {
	if !s.useMemo || prev < 0 || prev > math.MaxInt32 {
		return s.inspectStep(ops, i, buf, prev, streamOff)
	}
	m := &s.fails[failSlot(i, prev)]
	if m.gen == s.gen && int(m.i) == i && int(m.pos) == prev {
		if s.recursion+int(m.steps) > recursionLimit {
			// Inspecting again would have stopped at the limit.
			s.recursion = recursionLimit + 1
			return inspDiscontinue
		}
		s.recursion += int(m.steps)
		return inspNoMatch
	}
	before := s.recursion
	r := s.inspectStep(ops, i, buf, prev, streamOff)
	if r == inspNoMatch {
		*m = failMemo{gen: s.gen, i: int32(i), pos: int32(prev), steps: int32(s.recursion - before)}
	}
	return r
}

// inspectStep is inspect without the memo.
func (s *scratch) inspectStep(ops []op, i int, buf []byte, prev int, streamOff int) int {
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
			pos := s.find(i, o, buf, start, depth)
			if pos < 0 {
				return s.notFound(o, ops, i, buf, prev, streamOff, miss)
			}
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
			ms, me, ok := s.pcreFind(o.re, buf, base, from)
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

// pcreFind is pcreProg.find with the byte-for-rune copy of the buffer
// that a backtracking pattern runs over made once per inspected list
// rather than on every call: a relative pcre is tried after each
// occurrence of the content before it, and each try copied the rest of
// the buffer (ET 2025185 over a response body). The subject is still
// buf[base:], so anchors mean the same.
func (s *scratch) pcreFind(p *pcreProg, buf []byte, base, from int) (int, int, bool) {
	if p.bt == nil {
		return p.find(buf, base, from)
	}
	if s.runesGen != s.gen {
		s.runes = s.runes[:0]
		for _, c := range buf {
			s.runes = append(s.runes, rune(c))
		}
		s.runesGen = s.gen
	}
	m, err := p.bt.FindRunesMatchStartingAt(s.runes[base:], from-base)
	if err != nil || m == nil {
		return 0, 0, false
	}
	return base + m.Index, base + m.Index + m.Length, true
}

// find returns the first occurrence of step i's pattern in buf[start:depth]
// (an index into buf), or -1. The answer is the same as searching, but
// what earlier searches of the same step found is not searched again:
// they are remembered as a list of occurrences from some start on
// (foundMemo), extended while the searches go on from just after the
// last occurrence with the same end. Without this, a relative content
// tried after each of many occurrences of the step before it rescans the
// rest of the buffer each time: in ET 2025185 the ".length" after every
// "<" of a script.
func (s *scratch) find(i int, o *op, buf []byte, start, depth int) int {
	if i >= maxFound || len(buf) > math.MaxInt32 {
		return offsetIndex(buf, start, depth, o)
	}
	f := &s.found[i]
	if f.gen == s.gen && start >= f.from {
		occ := f.occ[:f.n]
		// k: the first remembered occurrence at or after start.
		k, hi := 0, len(occ)
		for k < hi {
			h := int(uint(k+hi) >> 1)
			if int(occ[h]) < start {
				k = h + 1
			} else {
				hi = h
			}
		}
		switch {
		case k < len(occ):
			// The first occurrence at or after start ending within
			// limit: within depth, or there is none (an earlier end
			// would be an earlier occurrence).
			if p := int(occ[k]); p+len(o.pat) <= depth {
				return p
			}
			return -1
		case f.done && depth <= f.limit:
			return -1
		case f.n == maxOcc && depth == f.limit:
			// Beyond what is remembered: keep the list for the
			// searches that start within it.
			return offsetIndex(buf, start, depth, o)
		case !f.done && depth == f.limit && (k == 0 && start == f.from || k > 0 && start <= int(occ[k-1])+1):
			// Every occurrence before start is in the list: the
			// next one found continues it.
			pos := offsetIndex(buf, start, depth, o)
			if pos < 0 {
				f.done = true
			} else if f.n < maxOcc {
				f.occ[f.n] = int32(pos)
				f.n++
			}
			return pos
		}
	}
	pos := offsetIndex(buf, start, depth, o)
	f.gen, f.from, f.limit, f.n, f.done = s.gen, start, depth, 0, pos < 0
	if pos >= 0 {
		f.occ[0] = int32(pos)
		f.n = 1
	}
	return pos
}

// offsetIndex is index over buf[start:depth], as an index into buf.
func offsetIndex(buf []byte, start, depth int, o *op) int {
	pos := index(buf[start:depth], o.pat, o.nocase)
	if pos >= 0 {
		pos += start
	}
	return pos
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
// allocating.
//
// The case-insensitive search anchors on the pattern byte that is rarest
// in ordinary traffic (byteRank) rather than on its first byte: a pattern
// such as "<script" or ".length" starts with a byte that HTML and scripts
// are full of, and every false anchor costs a comparison. A letter anchor
// is looked for in both cases; the next position of each case is kept, so
// the search stays linear however the two cases interleave.
func index(b, pat []byte, fold bool) int {
	if !fold {
		return bytes.Index(b, pat)
	}
	m := len(pat)
	if m == 0 {
		return 0
	}
	if len(b) < m {
		return -1
	}
	k := anchorOf(pat)
	lo := lower(pat[k])
	up := lo
	if lo >= 'a' && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	// Anchor positions are k..len(b)-m+k: region r = b[k : len(b)-m+k+1],
	// and a hit at r[j] is a candidate match at b[j].
	r := b[k : len(b)-m+k+1]
	if lo == up {
		for i := 0; i < len(r); {
			j := bytes.IndexByte(r[i:], lo)
			if j < 0 {
				return -1
			}
			i += j
			if equalFold(b[i:i+m], pat, true) {
				return i
			}
			i++
		}
		return -1
	}
	// nl and nu are the next positions >= i of each case (len(r): none).
	nl, nu := -1, -1
	for i := 0; i < len(r); {
		if nl < i {
			nl = nextByte(r, i, lo)
		}
		if nu < i {
			nu = nextByte(r, i, up)
		}
		i = min(nl, nu)
		if i == len(r) {
			return -1
		}
		if equalFold(b[i:i+m], pat, true) {
			return i
		}
		i++
	}
	return -1
}

// nextByte is the position of c in r at or after i, or len(r).
func nextByte(r []byte, i int, c byte) int {
	if j := bytes.IndexByte(r[i:], c); j >= 0 {
		return i + j
	}
	return len(r)
}

// anchorOf picks the byte of pat to search for first: the rarest by
// byteRank, counting a letter in both cases; the first such on ties.
func anchorOf(pat []byte) int {
	best, bestRank := 0, 256
	for i, c := range pat {
		if rk := int(byteRank[lower(c)]); rk < bestRank {
			best, bestRank = i, rk
		}
	}
	return best
}

// byteRank orders bytes (case-folded) by how often they occur in the
// traffic rules are run over: HTTP headers, HTML, scripts, text, and the
// zero and 0xff padding of binary data. Lower is rarer; the values are a
// rough ranking, only their order matters.
var byteRank = func() (t [256]uint8) {
	for i := range t {
		t[i] = 10 // other control and high bytes: rare
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 100
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 120 // both cases together
	}
	// Printable punctuation is less common than letters.
	for c := '!'; c <= '~'; c++ {
		if t[c] == 10 {
			t[c] = 60
		}
	}
	for _, c := range "jqxzJQXZ" {
		t[lower(byte(c))] = 80
	}
	for _, c := range "kvwyfgbp" {
		t[c] = 110
	}
	for _, c := range "etaoinsrlhdcum" {
		t[c] = 140
	}
	for _, c := range "/.=\"<>:;-_,()'" {
		t[c] = 90
	}
	t[' '] = 150
	t['\r'], t['\n'], t['\t'] = 90, 90, 70
	t[0x00], t[0xff] = 130, 50
	return t
}()

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
