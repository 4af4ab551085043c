package matcher

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// inspectResult is everything an inspection leaves that anyone reads:
// the verdict, the recursion steps (the limit depends on them) and the
// match records kept for highlighting.
type inspectResult struct {
	ok        bool
	recursion int
	matches   string
}

func inspectWith(s *scratch, ops []op, buf []byte, memo bool) inspectResult {
	s.noMemo = !memo
	ok := s.inspectList(ops, buf, 0)
	var m strings.Builder
	if ok {
		for _, r := range s.matches[:min(s.nmatches, maxMatches)] {
			fmt.Fprintf(&m, "%d:%d-%d ", r.optIdx, r.start, r.end)
		}
	}
	return inspectResult{ok, s.recursion, m.String()}
}

// checkFailMemo checks every failure remembered by the last inspection
// of ops over buf against the same step inspected afresh, without the
// memo, from recursion 0: it must fail the same way in the same steps.
func checkFailMemo(t *testing.T, s *scratch, ops []op, buf []byte, name string) int {
	t.Helper()
	var entries []failMemo
	for _, m := range s.fails {
		if m.gen == s.gen {
			entries = append(entries, m)
		}
	}
	for _, m := range entries {
		s.useMemo = false
		s.recursion = 0
		r := s.inspect(ops, int(m.i), buf, int(m.pos), 0)
		if r != inspNoMatch || s.recursion != int(m.steps) {
			t.Fatalf("%s on %q: remembered step %d at %d failing in %d steps; afresh %d in %d steps", name, buf, m.i, m.pos, m.steps, r, s.recursion)
		}
	}
	return len(entries)
}

// TestFailMemo compares inspections with and without the failure memo
// over lists that backtrack (several candidates per step, relative pcre,
// distance/within, negated and relative isdataat, byte_test/byte_jump
// after a content) and random buffers with many candidates, some long
// enough to reach the recursion limit.
func TestFailMemo(t *testing.T) {
	lists := []struct {
		opts, alphabet string
		memo           bool // the memo may be used
	}{
		{`content:"a"; content:"b"; distance:0; content:"c"; distance:0;`, "abcx", true},
		{`content:"a"; content:"b"; distance:0; within:3; content:"c"; distance:1; within:4;`, "abcx", true},
		{`content:"a"; content:"b"; distance:-2; within:3; content:"c"; distance:0; within:2;`, "abcx", true},
		{`content:"a"; nocase; content:"b"; distance:0; nocase; content:"C"; distance:0; nocase;`, "aAbBcx", true},
		{`content:"<"; content:".l"; distance:0; pcre:"/^\s*\)\s*\{/R"; content:"d"; distance:0;`, "<.l){ d", true},
		{`content:"a"; pcre:"/^b+c/R"; content:"d"; distance:0;`, "abcdx", true},
		{`content:"a"; pcre:"/^(?P<v>[bc])x*(?P=v)/R"; content:"d"; distance:0;`, "abcdx", true},
		{`pcre:"/a[bc]/"; content:"d"; distance:0; within:2; content:"e"; distance:0;`, "abcdex", true},
		{`content:"a"; content:!"b"; distance:0; within:1; content:"c"; distance:0;`, "abcx", true},
		{`content:"a"; isdataat:2,relative; content:"b"; distance:0; isdataat:!3,relative;`, "abx", true},
		{`content:"a"; byte_test:1,=,98,0,relative; content:"c"; distance:0;`, "abcx", true},
		{`content:"a"; byte_jump:1,0,relative; content:"b"; distance:0; within:2;`, "ab\x01\x02x", true},
		{`content:"a"; pcre:!"/^b/R"; content:"c"; distance:0; content:"d"; distance:0;`, "abcdx", true},
		{`byte_extract:1,0,n; content:"a"; content:"b"; distance:0; within:n;`, "ab\x02\x05x", false},
		{spectreOps, "<.length){ v=w[|0];^x", true},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var s scratch
	var matched, limited, remembered int
	for _, l := range lists {
		ops := payloadOps(t, l.opts)
		var bufs [][]byte
		for range 300 {
			b := make([]byte, rng.IntN(120))
			for i := range b {
				b[i] = l.alphabet[rng.IntN(len(l.alphabet))]
			}
			bufs = append(bufs, b)
		}
		// Many candidates for each step: enough backtracking to reach
		// the recursion limit.
		for _, n := range []int{10, 40, 70} {
			var b []byte
			for _, c := range []byte(l.alphabet) {
				b = append(b, strings.Repeat(string(c), n)...)
			}
			bufs = append(bufs, b)
		}
		for _, buf := range bufs {
			want := inspectWith(&s, ops, buf, false)
			got := inspectWith(&s, ops, buf, true)
			if got != want {
				t.Fatalf("%s on %q: with the memo %+v, without %+v", l.opts, buf, got, want)
			}
			if s.useMemo != l.memo {
				t.Fatalf("%s: memo used %v, want %v", l.opts, s.useMemo, l.memo)
			}
			remembered += checkFailMemo(t, &s, ops, buf, l.opts)
			if want.ok {
				matched++
			}
			if want.recursion > recursionLimit {
				limited++
			}
		}
	}
	// The comparison above must have covered each kind of outcome.
	if matched == 0 || limited == 0 || remembered == 0 {
		t.Errorf("%d matched, %d reached the limit, %d failures remembered: want each > 0", matched, limited, remembered)
	}
}

// spectreCases are ET 2025185's file.data list over script bodies with
// many "<" and ".length": one where the rule matches after a few
// candidates, one where it reaches the recursion limit.
func spectreCases() [][]byte {
	hit := "<html><script>" + strings.Repeat("var a = <b.length); x = y; ", 20) + "<z.length){ v = w[v|0]; ^= 1</script>"
	return [][]byte{[]byte(hit), spectreBody()}
}

func TestFailMemoSpectre(t *testing.T) {
	ops := payloadOps(t, spectreOps)
	var s scratch
	for k, buf := range spectreCases() {
		want := inspectWith(&s, ops, buf, false)
		got := inspectWith(&s, ops, buf, true)
		if got != want {
			t.Fatalf("case %d: with the memo %+v, without %+v", k, got, want)
		}
		if k == 0 && !want.ok || k == 1 && want.recursion <= recursionLimit {
			t.Fatalf("case %d: %+v, want a match (case 0) or the recursion limit (case 1)", k, want)
		}
		checkFailMemo(t, &s, ops, buf, "spectre")
	}
}

// BenchmarkFailMemo: ET 2025185 over scripts with many "<" and
// ".length", with and without the memo. With 30 of each, every "<" tries
// the pcre after each ".length" after it (465 pcre runs, 30 with the
// memo); with 4,000 the first "<" reaches the recursion limit alone, and
// the memo cannot help.
func BenchmarkFailMemo(b *testing.B) {
	ops := payloadOps(b, spectreOps)
	for _, n := range []int{30, 4000} {
		buf := []byte("<html><script>" + strings.Repeat("var a = <b.length); x = y; ", n) + "</script>")
		for _, memo := range []bool{true, false} {
			name := fmt.Sprintf("n=%d/memo=%v", n, memo)
			b.Run(name, func(b *testing.B) {
				s := scratch{noMemo: !memo}
				s.inspectList(ops, buf, 0) // sizes the scratch
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				for b.Loop() {
					s.inspectList(ops, buf, 0)
				}
			})
		}
	}
}

// TestFindOccurrences checks scratch.find against a fresh search over
// the sequences of searches inspection makes: a search, then searches
// from one byte after each occurrence found with the same end, restarted
// from other places; with more occurrences than are remembered.
func TestFindOccurrences(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var s scratch
	for range 300 {
		buf := make([]byte, rng.IntN(3*maxOcc))
		for i := range buf {
			buf[i] = "aAb"[rng.IntN(3)]
		}
		o := &op{kind: opContent, pat: []byte("aab")[:1+rng.IntN(3)], nocase: rng.IntN(2) == 0}
		s.inspectList(nil, buf, 0) // a new list: forget earlier searches
		for range 10 {
			start := rng.IntN(len(buf) + 1)
			depth := len(buf)
			if rng.IntN(4) == 0 {
				depth = start + rng.IntN(len(buf)-start+1)
			}
			for start <= depth {
				want := naiveIndex(buf[start:depth], o.pat, o.nocase)
				if want >= 0 {
					want += start
				}
				got := s.find(0, o, buf, start, depth)
				if got != want {
					t.Fatalf("find(%q in %q[%d:%d]) = %d, want %d", o.pat, buf, start, depth, got, want)
				}
				if got < 0 {
					break
				}
				start = got + 1
			}
		}
	}
}
