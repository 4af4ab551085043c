package prefilter

import (
	"bytes"
	"fmt"
	"math/bits"
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
			if bytes.Contains(lowerASCII(data), lowerASCII(p.Bytes)) {
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

// lowerASCII folds ASCII letters only, as nocase does (bytes.ToLower
// would also turn invalid UTF-8 into U+FFFD).
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
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

// plant returns random data of about n bytes over alphabet with some of
// the patterns copied in, in random case, at random places including the
// very start and the very end.
func plant(r *rand.Rand, alphabet string, n int, pats []Pattern) []byte {
	data := randBytes(r, alphabet, n)
	for k := r.IntN(4); k > 0 && len(pats) > 0; k-- {
		b := bytes.Clone(pats[r.IntN(len(pats))].Bytes)
		for i, c := range b {
			if r.IntN(2) == 0 && (c|0x20) >= 'a' && (c|0x20) <= 'z' {
				b[i] = c ^ 0x20
			}
		}
		switch r.IntN(3) {
		case 0:
			data = append(b, data...)
		case 1:
			data = append(data, b...)
		default:
			at := r.IntN(len(data) + 1)
			data = append(data[:at:at], append(b, data[at:]...)...)
		}
	}
	return data
}

// TestCandidatesLayers is TestCandidatesProperty with patterns of 1 to 40
// bytes, so every layer kind and stride is used, and with patterns planted
// in the buffers (at their ends too) so that most of them occur. It also
// checks that each kind of layer was built at least once.
func TestCandidatesLayers(t *testing.T) {
	const alphabet = "abcAB\x00\xff/.-"
	buffers := []string{"", "file.data"}
	var used [numKinds]bool
	singles := false
	passes := map[string]bool{} // the combined passes of scan

	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 7))
		nrules := 1 + r.IntN(60)
		var pats []Pattern
		for i := range nrules {
			if r.IntN(8) == 0 {
				continue
			}
			n := 1 + r.IntN(40)
			if r.IntN(2) == 0 {
				n = 1 + r.IntN(8)
			}
			pats = append(pats, Pattern{Rule: i, Buffer: buffers[r.IntN(len(buffers))], Bytes: randBytes(r, alphabet, n), Nocase: r.IntN(2) == 0})
		}
		p := New(nrules, pats)
		for _, se := range p.search {
			singles = singles || len(se.single) > 0
			used[kindPair] = used[kindPair] || se.pair != nil
			for _, l := range se.wide {
				used[bits.Len(uint(l.stride))] = true
			}
			if se.pair != nil && len(se.wide) > 0 {
				passes[fmt.Sprint("pair+wide", se.wide[0].stride)] = true
			}
		}
		s := p.NewScratch()
		for round := range 4 {
			bufs := map[string][]byte{}
			s.Reset()
			for _, b := range buffers {
				data := plant(r, alphabet, r.IntN(200), pats)
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
	if !singles {
		t.Error("no one-byte pattern search was built")
	}
	for k, u := range used {
		if !u {
			t.Errorf("no layer of kind %d (stride %d) was built", k, kindStride(k))
		}
	}
	for _, pass := range []string{"pair+wide2", "pair+wide4"} {
		if !passes[pass] {
			t.Errorf("no searcher had %s", pass)
		}
	}
}

// TestEqualFold compares equalFold and lower8 with the folding table on
// every byte value at every position of 8- and 11-byte strings.
func TestEqualFold(t *testing.T) {
	for _, n := range []int{1, 7, 8, 11} {
		for pos := range n {
			for c := range 256 {
				a := bytes.Repeat([]byte{'Q'}, n)
				a[pos] = byte(c)
				lower := bytes.Repeat([]byte{'q'}, n)
				lower[pos] = fold[c]
				if !equalFold(a, lower) {
					t.Fatalf("equalFold(%q, %q) = false", a, lower)
				}
				// A byte that folds differently must not compare equal.
				other := bytes.Clone(lower)
				other[pos] ^= 0x20
				if fold[other[pos]] == other[pos] && other[pos] != fold[c] && equalFold(a, other) {
					t.Fatalf("equalFold(%q, %q) = true", a, other)
				}
			}
		}
	}
}

// FuzzCandidates compares the prefilter with the brute-force definition:
// the first input is split at '|' into patterns (a leading '~' makes one
// nocase, a leading '@' puts it in a second buffer); the two buffers
// follow.
func FuzzCandidates(f *testing.F) {
	f.Add([]byte("abc|~ABCD|@xyz|~a|\x00\x00\x00\x00\x00"), []byte("xxabcdXX\x00\x00\x00\x00\x00"), []byte("xyz"))
	f.Add([]byte("~Content-Type: text/html|~<!--|PK\x03\x04|/wp-admin/admin-ajax.php"), []byte("HTTP/1.1 200 OK\r\ncontent-type: TEXT/HTML\r\n\r\n<!-- x -->"), []byte(""))
	f.Add([]byte("~aaaaaaaaaaaaaaaaaaaaaaaab|aaaaaaaab|~ab|b"), []byte("AAAAAAAAAAAAAAAAAAAAAAAAAB"), []byte("aaaaaaaab"))
	f.Fuzz(func(t *testing.T, spec, a, b []byte) {
		var pats []Pattern
		for i, ps := range bytes.Split(spec, []byte("|")) {
			pt := Pattern{Rule: i}
			for len(ps) > 0 && (ps[0] == '~' || ps[0] == '@') {
				if ps[0] == '~' {
					pt.Nocase = true
				} else {
					pt.Buffer = "b"
				}
				ps = ps[1:]
			}
			pt.Bytes = ps
			pats = append(pats, pt)
		}
		p := New(len(pats), pats)
		s := p.NewScratch()
		s.Reset()
		p.Scan(s, p.BufferID(""), a)
		p.Scan(s, p.BufferID("b"), b)
		got := p.Candidates(s)
		want := bruteCandidates(len(pats), pats, map[string][]byte{"": a, "b": b})
		if !slices.Equal(got, want) {
			t.Fatalf("candidates %v, want %v", got, want)
		}
	})
}

// TestSingles covers both ways one-byte patterns are searched: the table
// pass (short buffers, or many patterns) and bytes.IndexByte (long
// buffers, few patterns), with the byte at the very end.
func TestSingles(t *testing.T) {
	few := []Pattern{{Rule: 0, Bytes: []byte("a"), Nocase: true}, {Rule: 1, Bytes: []byte("B")}, {Rule: 2, Bytes: []byte("\x00")}}
	var many []Pattern
	for i := range 10 {
		many = append(many, Pattern{Rule: i, Bytes: []byte{'0' + byte(i)}})
	}
	for _, pats := range [][]Pattern{few, many} {
		p := New(len(pats), pats)
		s := p.NewScratch()
		for _, n := range []int{1, 10, 300, 1000} {
			for _, pt := range pats {
				for _, c := range []byte{pt.Bytes[0], pt.Bytes[0] ^ 0x20} {
					data := append(bytes.Repeat([]byte{'x'}, n-1), c)
					s.Reset()
					p.Scan(s, 0, data)
					got := p.Candidates(s)
					if want := bruteCandidates(len(pats), pats, map[string][]byte{"": data}); !slices.Equal(got, want) {
						t.Errorf("%d bytes ending in %q: %v, want %v", n, c, got, want)
					}
				}
			}
		}
	}
}
