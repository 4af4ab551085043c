package prefilter

import (
	"bytes"
	"slices"
)

// Pattern is one rule's fast pattern: the rule cannot match unless
// Bytes occurs in the buffer named Buffer.
type Pattern struct {
	// Rule is the rule's index in the caller's evaluation order
	// (0 <= Rule < the rule count given to New).
	Rule int
	// Buffer is the canonical Suricata 7 buffer name the pattern must
	// occur in ("" = packet payload or reassembled stream, "http.uri",
	// ...).
	Buffer string
	Bytes  []byte
	Nocase bool
}

// Prefilter finds the candidate rules for a set of buffers: those whose
// fast pattern occurs in its buffer, plus those with no fast pattern. It is
// immutable after New and safe for concurrent use; each goroutine uses its
// own Scratch.
type Prefilter struct {
	nrules int
	names  []string // buffer names by id
	autos  []*automaton
	always []int32 // rules without a pattern, ascending
	hasPat []bool  // by rule
}

// New builds one automaton per buffer over the patterns. Rules in
// [0, nrules) that have no pattern are always candidates. A rule given
// several patterns is a candidate when any of them occurs (callers
// normally give one). Patterns with empty Bytes are ignored (the rule
// then counts as having none).
func New(nrules int, pats []Pattern) *Prefilter {
	return NewExcept(nrules, pats, nil)
}

// NewExcept is New for a caller that finds some rules another way (the
// IP-only table of package iponly): rules for which except returns true are
// never candidates here, and their patterns are ignored. Merge their own
// candidates with CandidatesWith.
func NewExcept(nrules int, pats []Pattern, except func(rule int) bool) *Prefilter {
	p := &Prefilter{nrules: nrules, hasPat: make([]bool, nrules)}
	skip := make([]bool, nrules)
	if except != nil {
		for i := range skip {
			skip[i] = except(i)
		}
	}
	byName := map[string]int{}
	var perBuf [][]Pattern
	for _, pt := range pats {
		if len(pt.Bytes) == 0 || pt.Rule < 0 || pt.Rule >= nrules || skip[pt.Rule] {
			continue
		}
		id, ok := byName[pt.Buffer]
		if !ok {
			id = len(p.names)
			byName[pt.Buffer] = id
			p.names = append(p.names, pt.Buffer)
			perBuf = append(perBuf, nil)
		}
		perBuf[id] = append(perBuf[id], pt)
		p.hasPat[pt.Rule] = true
	}
	for _, ps := range perBuf {
		p.autos = append(p.autos, build(ps))
	}
	for i, h := range p.hasPat {
		if !h && !skip[i] {
			p.always = append(p.always, int32(i))
		}
	}
	return p
}

// Buffers lists the buffer names that have patterns; a buffer's id is its
// index here.
func (p *Prefilter) Buffers() []string { return slices.Clone(p.names) }

// BufferID returns the id of a buffer name, or -1 when no pattern uses it.
// Callers resolve ids once, at compile time, so the scan path does no
// string lookups.
func (p *Prefilter) BufferID(name string) int {
	for i, n := range p.names {
		if n == name {
			return i
		}
	}
	return -1
}

// HasPattern reports whether rule i has a fast pattern (otherwise it is
// always a candidate).
func (p *Prefilter) HasPattern(i int) bool { return p.hasPat[i] }

// Always lists the rules without a fast pattern, ascending. The slice
// belongs to the Prefilter.
func (p *Prefilter) Always() []int32 { return p.always }

// Scratch is the per-scan state of candidate collection. It is reused
// across packets: after its first uses it does not allocate.
type Scratch struct {
	mark  []uint32 // mark[rule] == gen: rule found in this round
	gen   uint32
	hits  []int32
	merge []int32
	out   []int32
}

// NewScratch returns a scratch sized for p.
func (p *Prefilter) NewScratch() *Scratch {
	return &Scratch{mark: make([]uint32, p.nrules), gen: 1}
}

// Reset starts a new candidate set (a new packet or transaction).
func (s *Scratch) Reset() {
	s.gen++
	if s.gen == 0 {
		// Wrapped: clear so stale marks cannot alias the new round.
		clear(s.mark)
		s.gen = 1
	}
	s.hits = s.hits[:0]
}

// Found reports whether rule i's pattern was found since the last Reset.
func (s *Scratch) Found(i int) bool { return s.mark[i] == s.gen }

// Scan adds to the current set the rules whose pattern for buffer id buf
// occurs in data. An id of -1 (a buffer no pattern uses) does nothing.
// data is only read during the call.
func (p *Prefilter) Scan(s *Scratch, buf int, data []byte) {
	if buf < 0 || buf >= len(p.autos) || len(data) == 0 {
		return
	}
	p.autos[buf].scan(s, data)
}

// Candidates returns the rules found since the last Reset together with
// the rules that have no pattern, ascending and without duplicates. The
// slice belongs to s and is valid until the next Candidates call.
func (p *Prefilter) Candidates(s *Scratch) []int32 {
	return p.CandidatesWith(s, nil)
}

// CandidatesWith is Candidates merged with extra, an ascending list of
// rules found another way (iponly.Table.Lookup), so the caller evaluates
// one ascending list. Rules in extra must not also be candidates here
// (see NewExcept).
func (p *Prefilter) CandidatesWith(s *Scratch, extra []int32) []int32 {
	slices.Sort(s.hits)
	out := s.out[:0]
	a, h := p.always, s.hits
	if len(extra) > 0 {
		// Merge the hits with extra first, into the tail of out's
		// backing array via a second scratch slice.
		m := s.merge[:0]
		for len(h) > 0 && len(extra) > 0 {
			if h[0] < extra[0] {
				m = append(m, h[0])
				h = h[1:]
			} else {
				m = append(m, extra[0])
				extra = extra[1:]
			}
		}
		m = append(m, h...)
		m = append(m, extra...)
		s.merge = m
		h = m
	}
	for len(a) > 0 && len(h) > 0 {
		if a[0] < h[0] {
			out = append(out, a[0])
			a = a[1:]
		} else {
			out = append(out, h[0])
			h = h[1:]
		}
	}
	out = append(out, a...)
	out = append(out, h...)
	s.out = out
	return out
}

// fold is ASCII case folding to lower case, the folding Suricata's
// nocase uses.
var fold = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// denseDepth: states up to this depth get a full 256-entry transition row;
// deeper states keep their few children and fall back through failure
// links (which always reach a dense state). On ordinary traffic the
// automaton spends most of its time in dense states.
const denseDepth = 2

// automaton is an Aho-Corasick automaton over case-folded patterns. A hit
// on a case-sensitive pattern is confirmed against the unfolded bytes.
type automaton struct {
	dense    [][256]int32 // by dense index
	denseIdx []int32      // state -> dense index or -1
	// Sparse children of every state: kids[kidStart[s]:kidStart[s+1]]
	// keys and targets, keys ascending.
	kidStart []int32
	kidKey   []byte
	kidNext  []int32
	fail     []int32
	// out[s] is the first entry of state s's output chain in entries
	// (-1: none); dictLink[s] is the nearest state on the failure chain
	// with output (-1: none).
	outStart []int32
	outEnd   []int32
	dictLink []int32
	// emits[s]: some pattern ends at s or on its failure chain; most
	// states emit nothing, and the scan skips them with one load.
	emits   []bool
	entries []entry
}

// entry is one rule's pattern ending at a state.
type entry struct {
	rule  int32
	exact []byte // nil for nocase patterns
}

type buildNode struct {
	kids  map[byte]int32
	depth int
	out   []entry
}

func build(pats []Pattern) *automaton {
	nodes := []buildNode{{kids: map[byte]int32{}}}
	for _, pt := range pats {
		s := int32(0)
		for _, c := range pt.Bytes {
			c = fold[c]
			n, ok := nodes[s].kids[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, buildNode{kids: map[byte]int32{}, depth: nodes[s].depth + 1})
				nodes[s].kids[c] = n
			}
			s = n
		}
		e := entry{rule: int32(pt.Rule)}
		if !pt.Nocase && !isFoldInvariant(pt.Bytes) {
			e.exact = bytes.Clone(pt.Bytes)
		}
		nodes[s].out = append(nodes[s].out, e)
	}
	n := len(nodes)
	a := &automaton{
		denseIdx: make([]int32, n),
		kidStart: make([]int32, n+1),
		fail:     make([]int32, n),
		outStart: make([]int32, n),
		outEnd:   make([]int32, n),
		dictLink: make([]int32, n),
	}
	// Breadth-first order gives failure links from shallower states.
	order := make([]int32, 0, n)
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		s := order[i]
		keys := sortedKeys(nodes[s].kids)
		for _, c := range keys {
			order = append(order, nodes[s].kids[c])
		}
	}
	// Lay out children contiguously in state-number order.
	for s := range n {
		a.kidStart[s] = int32(len(a.kidKey))
		for _, c := range sortedKeys(nodes[s].kids) {
			a.kidKey = append(a.kidKey, c)
			a.kidNext = append(a.kidNext, nodes[s].kids[c])
		}
	}
	a.kidStart[n] = int32(len(a.kidKey))
	for s := range n {
		a.outStart[s] = int32(len(a.entries))
		a.entries = append(a.entries, nodes[s].out...)
		a.outEnd[s] = int32(len(a.entries))
		a.dictLink[s] = -1
		a.denseIdx[s] = -1
	}
	// Failure and dictionary links.
	for _, s := range order {
		for _, c := range sortedKeys(nodes[s].kids) {
			t := nodes[s].kids[c]
			if s == 0 {
				a.fail[t] = 0
			} else {
				f := a.fail[s]
				for {
					if nx, ok := nodes[f].kids[c]; ok {
						a.fail[t] = nx
						break
					}
					if f == 0 {
						a.fail[t] = 0
						break
					}
					f = a.fail[f]
				}
			}
			ft := a.fail[t]
			if a.outEnd[ft] > a.outStart[ft] {
				a.dictLink[t] = ft
			} else {
				a.dictLink[t] = a.dictLink[ft]
			}
		}
	}
	a.emits = make([]bool, n)
	for s := range n {
		a.emits[s] = a.outEnd[s] > a.outStart[s] || a.dictLink[s] >= 0
	}
	// Dense rows for shallow states, filled in BFS order so a state's
	// failure row is complete before it is used.
	for _, s := range order {
		if nodes[s].depth > denseDepth {
			break
		}
		a.denseIdx[s] = int32(len(a.dense))
		var row [256]int32
		if s != 0 {
			row = a.dense[a.denseIdx[a.fail[s]]]
		}
		for c, t := range nodes[s].kids {
			row[c] = t
		}
		a.dense = append(a.dense, row)
	}
	return a
}

func sortedKeys(m map[byte]int32) []byte {
	keys := make([]byte, 0, len(m))
	for c := range m {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	return keys
}

// isFoldInvariant reports whether b has no ASCII letters: then a match of
// its folded form is a match of b itself and a case-sensitive pattern
// needs no confirmation.
func isFoldInvariant(b []byte) bool {
	for _, c := range b {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// next is the transition from s on folded byte c.
func (a *automaton) next(s int32, c byte) int32 {
	for {
		if d := a.denseIdx[s]; d >= 0 {
			return a.dense[d][c]
		}
		lo, hi := a.kidStart[s], a.kidStart[s+1]
		for i := lo; i < hi; i++ {
			if k := a.kidKey[i]; k == c {
				return a.kidNext[i]
			} else if k > c {
				break
			}
		}
		s = a.fail[s]
	}
}

func (a *automaton) scan(sc *Scratch, data []byte) {
	s := int32(0)
	for i, c := range data {
		s = a.next(s, fold[c])
		if !a.emits[s] {
			continue
		}
		for o := s; o >= 0; o = a.dictLink[o] {
			for _, e := range a.entries[a.outStart[o]:a.outEnd[o]] {
				if sc.mark[e.rule] == sc.gen {
					continue
				}
				if e.exact != nil && !bytes.Equal(data[i+1-len(e.exact):i+1], e.exact) {
					continue
				}
				sc.mark[e.rule] = sc.gen
				sc.hits = append(sc.hits, e.rule)
			}
		}
	}
}
