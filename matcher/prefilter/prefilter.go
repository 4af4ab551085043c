package prefilter

import (
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
	names  []string    // buffer names by id
	search []*searcher // by buffer id
	npats  int32       // distinct patterns over all buffers
	always []int32     // rules without a pattern, ascending
	hasPat []bool      // by rule
}

// New builds one searcher per buffer over the patterns. Rules in
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
		p.search = append(p.search, newSearcher(ps, &p.npats))
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
	pmark []uint32 // pmark[pattern id] == gen: pattern found in this round
	gen   uint32
	hits  []int32
	merge []int32
	out   []int32
}

// NewScratch returns a scratch sized for p.
func (p *Prefilter) NewScratch() *Scratch {
	return &Scratch{mark: make([]uint32, p.nrules), pmark: make([]uint32, p.npats), gen: 1}
}

// Reset starts a new candidate set (a new packet or transaction).
func (s *Scratch) Reset() {
	s.gen++
	if s.gen == 0 {
		// Wrapped: clear so stale marks cannot alias the new round.
		clear(s.mark)
		clear(s.pmark)
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
	if buf < 0 || buf >= len(p.search) || len(data) == 0 {
		return
	}
	p.search[buf].scan(s, data)
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
		// Merge the hits with extra first, in a second scratch slice.
		s.merge = mergeAscending(s.merge[:0], h, extra)
		h = s.merge
	}
	out = mergeAscending(out, a, h)
	s.out = out
	return out
}

// mergeAscending appends the merge of the ascending lists a and b to dst.
func mergeAscending(dst, a, b []int32) []int32 {
	for len(a) > 0 && len(b) > 0 {
		if a[0] < b[0] {
			dst = append(dst, a[0])
			a = a[1:]
		} else {
			dst = append(dst, b[0])
			b = b[1:]
		}
	}
	dst = append(dst, a...)
	return append(dst, b...)
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
