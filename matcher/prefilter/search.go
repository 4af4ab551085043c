package prefilter

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// A searcher finds which of one buffer kind's patterns occur in a buffer.
// It only needs presence, not positions, which allows:
//
//   - one-byte patterns: bytes.IndexByte (vectorised) per pattern in long
//     buffers, a 256-entry table in short ones (scanSingles);
//   - patterns of two to four bytes may use a direct bitmap over the raw
//     byte pair at every position (every case variant of a nocase
//     pattern's pair is set, so this scan does no folding);
//   - patterns of four bytes or more may use a hashed bitmap over 4-byte
//     windows, case folded by clearing bit 5 of every byte (one AND; it
//     also pairs a few non-letters such as NUL and space, which only costs
//     a verification), tested only at every stride-th position (stride 1,
//     2, 4 or 8). A pattern of length m >= stride+3 has stride consecutive
//     windows at offsets j..j+stride-1; wherever the pattern occurs, one of
//     them starts at a tested position, so the pattern enters those
//     windows. The pattern picks the run of its windows least likely to
//     occur (see assign), which keeps false hits and verifications few.
//
// Every hit of a bitmap is verified against the whole pattern (folded for
// nocase, exact otherwise) before its rules are marked, so the result is
// exactly "the pattern occurs in the buffer".
type searcher struct {
	pats   []pattern
	rules  []int32 // rules of pats[i]: rules[pats[i].r0:pats[i].r1]
	arena  []byte  // pattern bytes: lower-cased when nocase, as given otherwise
	single []single
	// byOne[c] lists, as index+1 and 0 for none, the one-byte patterns
	// byte c is: at most two (exact "A" and nocase "a").
	byOne *[256][2]uint16
	pair  *layer // direct pair bitmap; nil when no pattern uses it
	wide  []*layer
}

// pattern is one distinct (bytes, nocase) fast pattern of a buffer kind.
type pattern struct {
	id     int32 // index in Scratch.pmark, unique across the Prefilter
	start  int32 // bytes in arena
	n      int32
	nocase bool
	r0, r1 int32
}

// single is a one-byte pattern: found when b (or alt, its other case)
// occurs.
type single struct {
	pat    int32
	id     int32 // pats[pat].id
	b, alt byte
	hasAlt bool
}

// layer is a bitmap over 2-byte keys (raw, direct) or 4-byte windows
// (masked, hashed) with a bucket of candidate (pattern, offset) entries
// per set bit.
type layer struct {
	stride int
	shift  uint32   // wide layers: hash = key*hashMul >> shift
	set    []uint64 // the bitmap
	rank   []uint32 // set bits before each word of set
	bucket []uint32 // entries of the k-th set bit: ents[bucket[k]:bucket[k+1]]
	ents   []windowEnt
}

// windowEnt is a pattern whose window (key, at offset off in the pattern)
// hashed to a bucket.
type windowEnt struct {
	key uint32 // the exact key: raw pair, or masked 4-byte window
	pat int32
	off int32
}

const (
	hashMul = 0x9E3779B1
	// caseMask4 clears bit 5 of each byte: 'a' and 'A' give the same key.
	caseMask4 = 0xDFDFDFDF
	// pairMaxLen: patterns up to this length use the pair bitmap, longer
	// ones a wide layer.
	pairMaxLen = 4
)

// newSearcher builds the searcher over distinct patterns of one buffer;
// ids of the patterns are assigned from *nextID on.
func newSearcher(ps []Pattern, nextID *int32) *searcher {
	type key struct {
		b      string
		nocase bool
	}
	s := &searcher{}
	idx := map[key]int{}
	var ruleLists [][]int32
	for _, pt := range ps {
		nocase := pt.Nocase && !isFoldInvariant(pt.Bytes)
		b := pt.Bytes
		if nocase {
			b = bytes.Clone(b)
			for i, c := range b {
				b[i] = fold[c]
			}
		}
		k := key{string(b), nocase}
		i, ok := idx[k]
		if !ok {
			i = len(s.pats)
			idx[k] = i
			s.pats = append(s.pats, pattern{id: *nextID, start: int32(len(s.arena)), n: int32(len(b)), nocase: nocase})
			*nextID++
			s.arena = append(s.arena, b...)
			ruleLists = append(ruleLists, nil)
		}
		ruleLists[i] = append(ruleLists[i], int32(pt.Rule))
	}
	for i, rl := range ruleLists {
		slices.Sort(rl)
		rl = slices.Compact(rl)
		s.pats[i].r0 = int32(len(s.rules))
		s.rules = append(s.rules, rl...)
		s.pats[i].r1 = int32(len(s.rules))
	}
	s.assign()
	return s
}

// Layer kinds a pattern can go to: the pair layer, or a wide layer of
// stride 1<<(kind-1).
const (
	kindPair  = 0
	numKinds  = 5 // pair, strides 1, 2, 4, 8
	maxStride = 1 << (numKinds - 2)
)

func kindStride(kind int) int {
	if kind == kindPair {
		return 1
	}
	return 1 << (kind - 1)
}

// checkCost weighs testing one position of a layer's bitmap against the
// model's expected verifications. The model's frequencies are only
// relative (on the bench data they overestimate the real window hits of
// ET Open's patterns about fifty-fold), so the weight was tuned by
// measurement: it makes the big buffers (stream payload, http.uri, the
// merged body buffer of the matcher) combine the pair layer with a
// stride-2 wide layer (scanTwo), 15-25% faster than with a stride-1 one.
// At 100 the body buffer (file.data and the request and response bodies,
// ~2900 patterns, many of them HTML and script words) still took stride 1;
// 300 and 1000 measure the same.
const checkCost = 300

// choice is where a pattern is looked for in one layer kind: the offset
// of its first window, and the expected verifications per scanned byte.
type choice struct {
	off  int
	cost float64 // +Inf: the pattern is too short for the kind
}

// choices returns, for a pattern of two or more bytes, its best window run
// in each layer kind.
func choices(b []byte, nocase bool, df map[uint32]int32) [numKinds]choice {
	var out [numKinds]choice
	for k := range out {
		out[k].cost = math.Inf(1)
	}
	if len(b) <= pairMaxLen {
		out[kindPair] = bestRun(windowFreqs(b, 2, nocase, df), 1)
	}
	if len(b) >= 4 {
		f := windowFreqs(b, 4, nocase, df)
		for k := 1; k < numKinds; k++ {
			if st := kindStride(k); st <= len(f) {
				c := bestRun(f, st)
				c.cost /= float64(st)
				out[k] = c
			}
		}
	}
	return out
}

// windowFreqs is the expected frequency, per position of typical traffic,
// of each w-byte window of b, times the number of the buffer's patterns
// that contain the window: a window many rules look for is likely a common
// token of that buffer (".php" in URIs, "<!--" in bodies, runs of zeros in
// binary protocols), and its hits verify all of them.
func windowFreqs(b []byte, w int, nocase bool, df map[uint32]int32) []float64 {
	f := make([]float64, len(b)-w+1)
	for j := range f {
		f[j] = math.Exp2(-windowRarity(b[j:j+w], nocase || w == 4)) * float64(max(1, df[dfKey(b[j:j+w])]))
	}
	return f
}

// dfKey identifies a window of pattern bytes for counting: case folded,
// and the width in the top bits so pairs and 4-byte windows differ.
func dfKey(b []byte) uint32 {
	if len(b) == 2 {
		return uint32(fold[b[0]]) | uint32(fold[b[1]])<<8 | 1<<31
	}
	return binary.LittleEndian.Uint32(b) & caseMask4
}

// bestRun returns the offset of the n consecutive windows with the lowest
// total frequency, and that total.
func bestRun(f []float64, n int) choice {
	sum := 0.0
	for _, x := range f[:n] {
		sum += x
	}
	best := choice{0, sum}
	for j := n; j < len(f); j++ {
		sum += f[j] - f[j-n]
		if sum < best.cost {
			best = choice{j - n + 1, sum}
		}
	}
	return best
}

// assign puts each pattern in a layer. Each layer is one more pass over
// the buffer, costing checkCost per position tested, and a pattern costs
// the expected verifications of its windows there: longer strides test
// fewer positions, but a pattern enters a run of stride windows, which are
// more likely to be common (zeros in binary protocols, words in HTML) than
// its rarest ones. assign takes the set of layers with the least total
// cost (there are only 2^numKinds sets) and each pattern's cheapest layer
// in it.
func (s *searcher) assign() {
	ch := make([][numKinds]choice, len(s.pats))
	df := map[uint32]int32{}
	seen := map[uint32]bool{}
	for i := range s.pats {
		b := s.bytesOf(&s.pats[i])
		clear(seen)
		for _, w := range []int{2, 4} {
			for j := 0; j+w <= len(b); j++ {
				if w == 2 && len(b) > pairMaxLen {
					break
				}
				k := dfKey(b[j : j+w])
				if !seen[k] {
					seen[k] = true
					df[k]++
				}
			}
		}
	}
	multi := false
	for i := range s.pats {
		pt := &s.pats[i]
		b := s.bytesOf(pt)
		if len(b) == 1 {
			sg := single{pat: int32(i), id: pt.id, b: b[0]}
			if pt.nocase {
				sg.alt, sg.hasAlt = b[0]-'a'+'A', true
			}
			s.single = append(s.single, sg)
			if s.byOne == nil {
				s.byOne = new([256][2]uint16)
			}
			s.addOne(sg.b, len(s.single))
			if sg.hasAlt {
				s.addOne(sg.alt, len(s.single))
			}
			continue
		}
		ch[i] = choices(b, pt.nocase, df)
		multi = true
	}
	if !multi {
		return
	}
	bestSet, bestCost := 0, math.Inf(1)
	for set := 1; set < 1<<numKinds; set++ {
		total := 0.0
		for k := range numKinds {
			if set&(1<<k) != 0 {
				total += checkCost / float64(kindStride(k))
			}
		}
		for i := range ch {
			if s.pats[i].n < 2 {
				continue
			}
			c := math.Inf(1)
			for k := range numKinds {
				if set&(1<<k) != 0 {
					c = min(c, ch[i][k].cost)
				}
			}
			total += c
		}
		if total < bestCost {
			bestSet, bestCost = set, total
		}
	}
	var ents [numKinds][]windowEnt
	for i := range ch {
		pt := &s.pats[i]
		if pt.n < 2 {
			continue
		}
		kind := -1
		for k := range numKinds {
			if bestSet&(1<<k) != 0 && (kind < 0 || ch[i][k].cost < ch[i][kind].cost) {
				kind = k
			}
		}
		b, off := s.bytesOf(pt), ch[i][kind].off
		if kind == kindPair {
			for _, v := range caseVariants(b[off:off+2], pt.nocase) {
				ents[kind] = append(ents[kind], windowEnt{key: v, pat: int32(i), off: int32(off)})
			}
			continue
		}
		for j := off; j < off+kindStride(kind); j++ {
			k := binary.LittleEndian.Uint32(b[j:]) & caseMask4
			ents[kind] = append(ents[kind], windowEnt{key: k, pat: int32(i), off: int32(j)})
		}
	}
	if len(ents[kindPair]) > 0 {
		s.pair = newLayer(ents[kindPair], 1, 16, func(k uint32) uint32 { return k })
	}
	for kind := 1; kind < numKinds; kind++ {
		if len(ents[kind]) == 0 {
			continue
		}
		// About 1/32 of the bits set keeps false hits rare; 2^20 bits
		// (128 KiB) is the ceiling, to stay in cache.
		lg := min(20, max(10, bits.Len(uint(len(ents[kind])*32))))
		shift := uint32(32 - lg)
		l := newLayer(ents[kind], kindStride(kind), lg, func(k uint32) uint32 { return k * hashMul >> shift })
		l.shift = shift
		s.wide = append(s.wide, l)
	}
}

// newLayer builds a layer of 2^lg bits over ents with hash h.
func newLayer(ents []windowEnt, stride, lg int, h func(uint32) uint32) *layer {
	l := &layer{stride: stride, set: make([]uint64, 1<<lg/64)}
	hs := make([]uint32, len(ents))
	for i, e := range ents {
		hs[i] = h(e.key)
		l.set[hs[i]>>6] |= 1 << (hs[i] & 63)
	}
	l.rank = make([]uint32, len(l.set))
	n := uint32(0)
	for i, w := range l.set {
		l.rank[i] = n
		n += uint32(bits.OnesCount64(w))
	}
	// Counting sort of the entries by bucket.
	l.bucket = make([]uint32, n+1)
	for _, x := range hs {
		l.bucket[l.bucketOf(x)+1]++
	}
	for k := 1; k <= int(n); k++ {
		l.bucket[k] += l.bucket[k-1]
	}
	l.ents = make([]windowEnt, len(ents))
	fill := slices.Clone(l.bucket[:n])
	for i, x := range hs {
		k := l.bucketOf(x)
		l.ents[fill[k]] = ents[i]
		fill[k]++
	}
	return l
}

// bucketOf is the index of set bit h among all set bits.
func (l *layer) bucketOf(h uint32) uint32 {
	w := h >> 6
	return l.rank[w] + uint32(bits.OnesCount64(l.set[w]&(1<<(h&63)-1)))
}

// addOne lists the one-byte pattern with index+1 j under byte c.
func (s *searcher) addOne(c byte, j int) {
	e := &s.byOne[c]
	if e[0] == 0 {
		e[0] = uint16(j)
	} else {
		e[1] = uint16(j)
	}
}

func (s *searcher) bytesOf(pt *pattern) []byte {
	return s.arena[pt.start : pt.start+pt.n]
}

// caseVariants returns the little-endian keys of every spelling of the
// pair b that a search must find: just b for exact patterns, every case
// combination of its letters for nocase ones (b is lower-cased then).
func caseVariants(b []byte, nocase bool) []uint32 {
	out := []uint32{uint32(b[0]) | uint32(b[1])<<8}
	if !nocase {
		return out
	}
	for i := range 2 {
		if c := b[i]; c >= 'a' && c <= 'z' {
			for _, k := range out {
				out = append(out, k&^(0x20<<(8*i)))
			}
		}
	}
	return out
}

// Byte classes of the traffic model.
const (
	clLetter = iota
	clDigit
	clSpace // space, tab, CR, LF
	clPunct // printable ASCII punctuation
	clZero
	clBinary // other control bytes and bytes >= 0x7f
	numClasses
)

// classTrans[a][b] is -log2 of the probability that a byte of class b
// follows one of class a in typical traffic (a mix of HTTP, HTML/JS text,
// and binary protocols and bodies); classStart is that of a window
// starting with class b. Rough figures, in the spirit of the byte counts
// of the bench mix and the benign corpus: what matters is that words,
// runs of zeros and runs of spaces count as common, and mixed classes and
// random binary as rare.
var (
	classTrans = [numClasses][numClasses]float64{
		clLetter: {0.5, 4, 3, 3, 6, 6},
		clDigit:  {2.5, 1, 3, 2, 6, 6},
		clSpace:  {1, 3, 2, 3, 7, 7},
		clPunct:  {1, 2, 3, 2, 6, 5},
		clZero:   {4, 5, 5, 5, 0.5, 2},
		clBinary: {4, 5, 5, 5, 3, 0.5},
	}
	classStart = [numClasses]float64{2, 4, 4, 4, 4, 2}
)

// byteClass returns c's class and -log2 of the probability of c within
// it.
func byteClass(c byte) (int, float64) {
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		switch c | 0x20 {
		case 'e', 't', 'a', 'o', 'i', 'n', 's', 'r':
			return clLetter, 0
		case 'j', 'q', 'x', 'z':
			return clLetter, 2
		}
		return clLetter, 1
	case c >= '0' && c <= '9':
		return clDigit, 3.3
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		return clSpace, 1
	case c > ' ' && c < 0x7f:
		return clPunct, 3
	case c == 0:
		return clZero, 0
	}
	return clBinary, 7.6
}

// windowRarity is -log2 of the expected frequency of window b at a
// position of typical traffic. When either is set, a byte also stands for
// c^0x20 (the masked key, or a nocase letter) and counts as the more
// common reading.
func windowRarity(b []byte, either bool) float64 {
	r, prev := 0.0, -1
	for _, c := range b {
		cl, in := byteClass(c)
		t := classStart[cl]
		if prev >= 0 {
			t = classTrans[prev][cl]
		}
		if either {
			cl2, in2 := byteClass(c ^ 0x20)
			t2 := classStart[cl2]
			if prev >= 0 {
				t2 = classTrans[prev][cl2]
			}
			if t2+in2 < t+in {
				cl, in, t = cl2, in2, t2
			}
		}
		r += t + in
		prev = cl
	}
	return r
}

// scan marks the rules of every pattern that occurs in data.
func (s *searcher) scan(sc *Scratch, data []byte) {
	if len(s.single) > 0 {
		s.scanSingles(sc, data)
	}
	wide := s.wide
	if s.pair != nil && len(wide) > 0 && wide[0].stride == 2 {
		s.scanTwo(sc, data, s.pair, wide[0])
		wide = wide[1:]
	} else if s.pair != nil {
		s.scanPairs(sc, data, s.pair)
	}
	for _, l := range wide {
		if len(data) < 4 {
			break
		}
		s.scanWide(sc, data, l)
	}
}

// scanSingles finds the one-byte patterns: with bytes.IndexByte
// (vectorised) per byte in long buffers, or by one pass with a table when
// the buffer is short or the bytes many (http.host has the ten digits),
// where the calls would cost more than the bytes.
func (s *searcher) scanSingles(sc *Scratch, data []byte) {
	if len(data) >= 256 && len(s.single) <= 4 {
		for i := range s.single {
			sg := &s.single[i]
			pt := &s.pats[sg.pat]
			if sc.pmark[pt.id] != sc.gen && (bytes.IndexByte(data, sg.b) >= 0 || sg.hasAlt && bytes.IndexByte(data, sg.alt) >= 0) {
				s.found(sc, pt)
			}
		}
		return
	}
	// Short buffers (http.host has the ten digits and ~15 bytes) are
	// looked at whole; in long ones the pass stops once every pattern is
	// found.
	left := -1
	if len(data) > 64 {
		left = 0
		for i := range s.single {
			if sc.pmark[s.single[i].id] != sc.gen {
				left++
			}
		}
		if left == 0 {
			return
		}
	}
	for _, c := range data {
		e := &s.byOne[c]
		if e[0] == 0 {
			continue
		}
		for _, j := range e {
			if j == 0 {
				break
			}
			if sg := &s.single[j-1]; sc.pmark[sg.id] != sc.gen {
				s.found(sc, &s.pats[sg.pat])
				if left--; left == 0 {
					return
				}
			}
		}
	}
}

// scanWide is the pass of one wide layer. (Testing several positions per
// branch measured slower on real traffic: bitmap hits are frequent enough
// that the blocks are often tested twice.)
func (s *searcher) scanWide(sc *Scratch, data []byte, l *layer) {
	set, shift, st := l.set, l.shift, l.stride
	for i := 0; i+4 <= len(data); i += st {
		k := binary.LittleEndian.Uint32(data[i:]) & caseMask4
		if h := k * hashMul >> shift; set[h>>6]&(1<<(h&63)) != 0 {
			s.verify(sc, l, h, k, data, i)
		}
	}
}

// scanPairs is the pass of the pair layer alone.
func (s *searcher) scanPairs(sc *Scratch, data []byte, pl *layer) {
	pset := (*[1 << 16 / 64]uint64)(pl.set)
	for i := 0; i+2 <= len(data); i++ {
		p := binary.LittleEndian.Uint16(data[i:])
		if pset[p>>6]&(1<<(p&63)) != 0 {
			s.verify(sc, pl, uint32(p), uint32(p), data, i)
		}
	}
}

// scanTwo is the pass for the pair layer pl and the stride-2 wide layer
// wl: every other position, testing there the pairs at it and after it
// and the 4-byte window at it, from one load.
func (s *searcher) scanTwo(sc *Scratch, data []byte, pl, wl *layer) {
	pset := (*[1 << 16 / 64]uint64)(pl.set)
	wset, shift := wl.set, wl.shift
	i := 0
	for ; i+4 <= len(data); i += 2 {
		x := binary.LittleEndian.Uint32(data[i:])
		p0, p1 := uint16(x), uint16(x>>8)
		k := x & caseMask4
		h := k * hashMul >> shift
		if (pset[p0>>6]>>(p0&63)|pset[p1>>6]>>(p1&63)|wset[h>>6]>>(h&63))&1 != 0 {
			if pset[p0>>6]&(1<<(p0&63)) != 0 {
				s.verify(sc, pl, uint32(p0), uint32(p0), data, i)
			}
			if pset[p1>>6]&(1<<(p1&63)) != 0 {
				s.verify(sc, pl, uint32(p1), uint32(p1), data, i+1)
			}
			if wset[h>>6]&(1<<(h&63)) != 0 {
				s.verify(sc, wl, h, k, data, i)
			}
		}
	}
	for ; i+2 <= len(data); i++ {
		p := binary.LittleEndian.Uint16(data[i:])
		if pset[p>>6]&(1<<(p&63)) != 0 {
			s.verify(sc, pl, uint32(p), uint32(p), data, i)
		}
	}
}

// verify checks the entries of bucket h whose window key k was seen at
// data[i:].
func (s *searcher) verify(sc *Scratch, l *layer, h, k uint32, data []byte, i int) {
	b := l.bucketOf(h)
	for _, e := range l.ents[l.bucket[b]:l.bucket[b+1]] {
		if e.key != k {
			continue
		}
		pt := &s.pats[e.pat]
		if sc.pmark[pt.id] == sc.gen {
			continue
		}
		start := i - int(e.off)
		if start < 0 || start+int(pt.n) > len(data) {
			continue
		}
		got, want := data[start:start+int(pt.n)], s.arena[pt.start:pt.start+pt.n]
		if pt.nocase && equalFold(got, want) || !pt.nocase && string(got) == string(want) {
			s.found(sc, pt)
		}
	}
}

// found marks pattern pt and its rules.
func (s *searcher) found(sc *Scratch, pt *pattern) {
	sc.pmark[pt.id] = sc.gen
	for _, r := range s.rules[pt.r0:pt.r1] {
		if sc.mark[r] != sc.gen {
			sc.mark[r] = sc.gen
			sc.hits = append(sc.hits, r)
		}
	}
}

// equalFold reports whether a, ASCII-lower-cased, equals lower (already
// lower-cased); len(a) == len(lower).
func equalFold(a, lower []byte) bool {
	n := len(a)
	if n < 8 {
		for i := range n {
			if fold[a[i]] != lower[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i+8 <= n; i += 8 {
		if lower8(binary.LittleEndian.Uint64(a[i:])) != binary.LittleEndian.Uint64(lower[i:]) {
			return false
		}
	}
	// The last, possibly overlapping, 8 bytes.
	return lower8(binary.LittleEndian.Uint64(a[n-8:])) == binary.LittleEndian.Uint64(lower[n-8:])
}

// lower8 lower-cases the ASCII letters among the 8 bytes of x.
func lower8(x uint64) uint64 {
	const ones = 0x0101010101010101
	h := x & (0x7f * ones)
	// Bit 7 of a byte of upper is set when the byte is in 'A'..'Z':
	// h+0x3f carries into bit 7 from 'A' on, h+0x25 from '[' on, and
	// bytes with bit 7 set are not letters.
	upper := (h + (0x80-'A')*ones) &^ (h + (0x80-'Z'-1)*ones) &^ x & (0x80 * ones)
	return x | upper>>2
}
