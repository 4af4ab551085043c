package prefilter

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteCandidates is the definition the prefilter must meet: a rule is a
// candidate when it has no pattern or one of its patterns occurs in the
// buffer it names (folded when nocase).
func bruteCandidates(nrules int, pats []Pattern, bufs map[string][]byte) []int32 {
	has := make([]bool, nrules)
	hit := make([]bool, nrules)
	for _, p := range pats {
		if len(p.Bytes) == 0 {
			continue
		}
		has[p.Rule] = true
		data, ok := bufs[p.Buffer]
		if !ok {
			continue
		}
		if p.Nocase {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower(p.Bytes)) {
				hit[p.Rule] = true
			}
		} else if bytes.Contains(data, p.Bytes) {
			hit[p.Rule] = true
		}
	}
	var out []int32
	for i := range nrules {
		if !has[i] || hit[i] {
			out = append(out, int32(i))
		}
	}
	return out
}

func randBytes(r *rand.Rand, alphabet string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// TestCandidatesProperty compares the prefilter with the brute-force
// definition on random patterns and buffers over a small alphabet (so
// overlaps, shared prefixes and case variants are frequent).
func TestCandidatesProperty(t *testing.T) {
	const alphabet = "abAB\x00\xff/."
	buffers := []string{"", "http.uri", "http.header"}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 99))
		nrules := 1 + r.IntN(40)
		var pats []Pattern
		for i := range nrules {
			if r.IntN(5) == 0 {
				continue // no pattern: always a candidate
			}
			for k := 1 + r.IntN(2); k > 0; k-- {
				pats = append(pats, Pattern{Rule: i, Buffer: buffers[r.IntN(len(buffers))], Bytes: randBytes(r, alphabet, 1+r.IntN(6)), Nocase: r.IntN(2) == 0})
			}
		}
		p := New(nrules, pats)
		s := p.NewScratch()
		for round := range 5 {
			bufs := map[string][]byte{}
			s.Reset()
			for _, b := range buffers {
				if r.IntN(3) == 0 {
					continue
				}
				data := randBytes(r, alphabet, r.IntN(60))
				bufs[b] = data
				p.Scan(s, p.BufferID(b), data)
			}
			got := slices.Clone(p.Candidates(s))
			want := bruteCandidates(nrules, pats, bufs)
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d round %d: candidates %v, want %v\npatterns %+v\nbuffers %q", seed, round, got, want, pats, bufs)
			}
		}
	}
}

func TestCaseAndBinary(t *testing.T) {
	pats := []Pattern{
		{Rule: 0, Bytes: []byte("Admin"), Nocase: false},
		{Rule: 1, Bytes: []byte("admin"), Nocase: true},
		{Rule: 2, Bytes: []byte("|\x00\x01|"), Nocase: false},
		{Rule: 3, Buffer: "http.uri", Bytes: []byte("/cgi-bin/")},
		// rule 4 has no pattern
	}
	p := New(5, pats)
	s := p.NewScratch()
	for _, tc := range []struct {
		payload, uri string
		want         []int32
	}{
		{"xxADMINxx", "", []int32{1, 4}},
		{"xxAdminxx", "", []int32{0, 1, 4}},
		{"|\x00\x01|", "/CGI-BIN/", []int32{2, 4}},
		{"", "/cgi-bin/x", []int32{3, 4}},
		{"/cgi-bin/", "", []int32{4}}, // right bytes, wrong buffer
	} {
		s.Reset()
		p.Scan(s, p.BufferID(""), []byte(tc.payload))
		p.Scan(s, p.BufferID("http.uri"), []byte(tc.uri))
		if got := p.Candidates(s); !slices.Equal(got, tc.want) {
			t.Errorf("payload %q uri %q: %v, want %v", tc.payload, tc.uri, got, tc.want)
		}
	}
	if p.BufferID("http.cookie") != -1 {
		t.Error("BufferID of an unused buffer is not -1")
	}
}

// TestScanAllocs pins the zero-allocation scan path.
func TestScanAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var pats []Pattern
	for i := range 2000 {
		pats = append(pats, Pattern{Rule: i, Bytes: randBytes(r, "abcdefgh", 3+r.IntN(8)), Nocase: i%2 == 0})
	}
	p := New(2100, pats)
	s := p.NewScratch()
	data := randBytes(r, "abcdefgh", 1500)
	run := func() {
		s.Reset()
		p.Scan(s, 0, data)
		_ = p.Candidates(s)
	}
	run() // grow the scratch
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("scan allocates %v times per run, want 0", n)
	}
}

func ExamplePrefilter() {
	p := New(3, []Pattern{
		{Rule: 0, Buffer: "http.uri", Bytes: []byte("/admin"), Nocase: true},
		{Rule: 1, Buffer: "", Bytes: []byte("MZ")},
	})
	s := p.NewScratch()
	s.Reset()
	p.Scan(s, p.BufferID("http.uri"), []byte("/ADMIN/login.php"))
	p.Scan(s, p.BufferID(""), []byte("GET /ADMIN/login.php HTTP/1.1"))
	fmt.Println(p.Candidates(s)) // rule 2 has no pattern
	// Output: [0 2]
}

func TestExceptAndWith(t *testing.T) {
	pats := []Pattern{{Rule: 0, Bytes: []byte("abc")}, {Rule: 3, Bytes: []byte("abc")}}
	// Rules 1 and 3 are found elsewhere; 2 has no pattern.
	p := NewExcept(5, pats, func(i int) bool { return i == 1 || i == 3 })
	s := p.NewScratch()
	s.Reset()
	p.Scan(s, 0, []byte("xxabcxx"))
	if got, want := p.CandidatesWith(s, []int32{1, 3}), []int32{0, 1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("CandidatesWith = %v, want %v", got, want)
	}
	s.Reset()
	p.Scan(s, 0, []byte("xxabxx"))
	if got, want := p.CandidatesWith(s, nil), []int32{2, 4}; !slices.Equal(got, want) {
		t.Errorf("CandidatesWith(nil) = %v, want %v", got, want)
	}
	if got := p.CandidatesWith(s, []int32{1}); !slices.Equal(got, []int32{1, 2, 4}) {
		t.Errorf("CandidatesWith([1]) = %v", got)
	}
	if n := testing.AllocsPerRun(50, func() { s.Reset(); p.Scan(s, 0, []byte("abc")); p.CandidatesWith(s, []int32{1, 3}) }); n != 0 {
		t.Errorf("CandidatesWith allocates %v times", n)
	}
}
