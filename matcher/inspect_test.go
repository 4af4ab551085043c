package matcher

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/sigparse"
)

// payloadOps compiles the options of one rule and returns its payload list.
func payloadOps(t testing.TB, opts string) []op {
	t.Helper()
	r, err := sigparse.ParseRule(`alert tcp any any -> any any (`+opts+` sid:1;)`, sigparse.Options{Dialect: sigparse.DialectSuricata})
	if err != nil {
		t.Fatalf("parse %q: %v", opts, err)
	}
	e, err := Compile([]*sigparse.Rule{r}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if ne := e.NotEvaluated(); len(ne) > 0 {
		t.Fatalf("%q not evaluated: %+v", opts, ne)
	}
	return e.rules[0].payload
}

// TestInspect pins the payload semantics of Suricata's content inspection
// (detect-engine-content-inspection.c and the keyword documentation).
func TestInspect(t *testing.T) {
	tests := []struct {
		name string
		opts string
		buf  string
		want bool
	}{
		{"content", `content:"abc";`, "xxabc", true},
		{"case sensitive", `content:"ABC";`, "xxabc", false},
		{"nocase", `content:"ABC"; nocase;`, "xxabc", true},
		{"hex", `content:"|61 62|c";`, "abc", true},
		{"depth in", `content:"abc"; depth:4;`, "xabc", true},
		{"depth out", `content:"abc"; depth:4;`, "xxabc", false},
		{"offset in", `content:"abc"; offset:2;`, "abcabc", true},
		{"offset out", `content:"abc"; offset:4;`, "abcabc", false},
		{"depth counts from offset", `content:"abc"; offset:2; depth:3;`, "xxabc", true},
		{"depth counts from offset out", `content:"abc"; offset:2; depth:3;`, "xxxabc", false},
		{"distance", `content:"a"; content:"b"; distance:1;`, "a_b", true},
		{"distance too close", `content:"a"; content:"b"; distance:1;`, "ab", false},
		{"within", `content:"a"; content:"b"; within:2;`, "a_b", true},
		{"within too far", `content:"a"; content:"b"; within:2;`, "a__b", false},
		{"distance and within", `content:"a"; content:"b"; distance:1; within:2;`, "a__b", true},
		{"distance and within too far", `content:"a"; content:"b"; distance:1; within:2;`, "a___b", false},
		{"negative distance", `content:"bc"; content:"ab"; distance:-3; within:2;`, "abc", true},
		{"relative retries earlier content", `content:"a"; content:"b"; distance:0; within:1;`, "a_ab", true},
		{"retry chain", `content:"a"; content:"b"; distance:0; within:1; content:"c"; distance:0; within:1;`, "ab_abx_abc", true},
		{"absolute content is independent", `content:"b"; content:"a";`, "ab", true},
		{"negated absent", `content:!"evil";`, "good", true},
		{"negated present", `content:!"evil";`, "so evil", false},
		{"negated relative absent", `content:"a"; content:!"b"; within:1;`, "ac", true},
		{"negated relative present", `content:"a"; content:!"b"; within:1;`, "ab", false},
		{"startswith", `content:"GET"; startswith;`, "GET /", true},
		{"startswith not at start", `content:"GET"; startswith;`, " GET /", false},
		{"endswith", `content:".exe"; endswith;`, "a.exe", true},
		{"endswith not at end", `content:".exe"; endswith;`, "a.exe?", false},
		{"endswith later occurrence", `content:"ab"; endswith;`, "abxab", true},
		{"isdataat absolute", `isdataat:4;`, "abcde", true},
		{"isdataat absolute at len", `isdataat:5;`, "abcde", false},
		{"isdataat relative counts to the end", `content:"a"; isdataat:4,relative;`, "abcde", true},
		{"isdataat relative past end", `content:"a"; isdataat:5,relative;`, "abcde", false},
		{"isdataat negated", `content:"a"; isdataat:!1,relative;`, "xa", true},
		{"pcre", `pcre:"/a.c/";`, "xxabc", true},
		{"pcre i", `pcre:"/ABC/i";`, "abc", true},
		{"pcre relative anchors after match", `content:"A"; pcre:"/^B/R";`, "AB", true},
		{"pcre relative anchor fails", `content:"A"; pcre:"/^B/R";`, "ACB", false},
		{"pcre negated", `content:"a"; pcre:!"/zz/";`, "abc", true},
		{"pcre high byte", `pcre:"/\xff\x00/";`, "a\xff\x00", true},
		{"pcre lookahead", `pcre:"/foo(?!bar)/";`, "foobar foobaz", true},
		{"pcre backreference", `pcre:"/(ab)\1/";`, "xabab", true},
		{"byte_test big endian", `byte_test:2,>,255,0;`, "\x01\x00", true},
		{"byte_test little endian", `byte_test:2,=,1,0,little;`, "\x01\x00", true},
		{"byte_test negated", `byte_test:1,!=,5,0;`, "\x05", false},
		{"byte_test string dec", `content:"len="; byte_test:3,=,123,0,relative,string,dec;`, "len=123", true},
		{"byte_test bitmask", `byte_test:1,=,1,0,bitmask 0xf0;`, "\x1f", true},
		{"byte_test out of data", `byte_test:4,>,0,2;`, "abc", false},
		{"byte_jump relative", `content:"L"; byte_jump:1,0,relative; content:"Z"; within:1;`, "L\x02xxZ", true},
		{"byte_jump relative miss", `content:"L"; byte_jump:1,0,relative; content:"Z"; within:1;`, "L\x02xZ", false},
		{"byte_extract as distance", `byte_extract:1,0,n; content:"Z"; distance:n; within:1;`, "\x02abZ", true},
		{"byte_extract as distance miss", `byte_extract:1,0,n; content:"Z"; distance:n; within:1;`, "\x01abZ", false},
	}
	var s scratch
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops := payloadOps(t, tc.opts)
			if got := s.inspectList(ops, []byte(tc.buf), 0); got != tc.want {
				t.Errorf("%s on %q = %v, want %v", tc.opts, tc.buf, got, tc.want)
			}
		})
	}
}

// TestInspectStreamOffset: depth and offset count from the start of the
// stream, not of the chunk being inspected.
func TestInspectStreamOffset(t *testing.T) {
	var s scratch
	ops := payloadOps(t, `content:"GET"; depth:3;`)
	if s.inspectList(ops, []byte("GET /"), 100) {
		t.Error("depth:3 matched in a chunk starting at stream offset 100")
	}
	if !s.inspectList(ops, []byte("GET /"), 0) {
		t.Error("depth:3 did not match at stream offset 0")
	}
}

func TestPCRENamedGroups(t *testing.T) {
	var s scratch
	ops := payloadOps(t, `pcre:"/(?P<q>[\x22\x27])a(?P=q)/";`)
	for buf, want := range map[string]bool{`x"a"`: true, `x'a'`: true, `x"a'`: false} {
		if got := s.inspectList(ops, []byte(buf), 0); got != want {
			t.Errorf("on %q = %v, want %v", buf, got, want)
		}
	}
}

func TestRulePatterns(t *testing.T) {
	r, err := sigparse.ParseRule(`alert http any any -> any any (msg:"x"; http.method; content:"POST"; http.uri; content:"/a"; content:"/gate.php"; fast_pattern; content:!"/never/"; sid:7;)`, sigparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile([]*sigparse.Rule{r}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	rp := e.RulePatterns()
	if len(rp) != 1 || rp[0].SID != 7 || rp[0].Fast == nil || string(rp[0].Fast.Pattern) != "/gate.php" || rp[0].Fast.Buffer != "http.uri" {
		t.Fatalf("RulePatterns = %+v", rp)
	}
	got := map[string]string{}
	for _, n := range rp[0].Needs {
		got[n.Buffer] = string(n.Pattern)
	}
	if got["http.method"] != "POST" || got["http.uri"] != "/gate.php" || len(got) != 2 {
		t.Errorf("Needs = %v", got)
	}
}

func TestTCPFlags(t *testing.T) {
	const syn, ack, fin, psh = 0x02, 0x10, 0x01, 0x08
	tests := []struct {
		arg   string
		flags uint8
		want  bool
	}{
		{"S", syn, true},
		{"S", syn | ack, false},
		{"SA", syn | ack, true},
		{"+A", psh | ack, true},
		{"+A", psh, false},
		{"*SF", fin | ack, true},
		{"*SF", ack, false},
		{"!S", ack, true},
		{"!S", syn, false},
		{"S,12", syn | 0x80 | 0x40, true},
		{"0", 0, true},
		{"0", ack, false},
	}
	for _, tc := range tests {
		f, err := parseFlags(tc.arg)
		if err != nil {
			t.Fatalf("flags:%s: %v", tc.arg, err)
		}
		if got := f.match(tc.flags); got != tc.want {
			t.Errorf("flags:%s on %#x = %v, want %v", tc.arg, tc.flags, got, tc.want)
		}
	}
	if _, err := parseFlags("X"); err == nil {
		t.Error("flags:X parsed")
	}
}

func TestPossessiveToAtomic(t *testing.T) {
	for in, want := range map[string]string{
		`a++b`:              `(?>a+)b`,
		`[a-z]{3,20}+\&x`:   `(?>[a-z]{3,20})\&x`,
		`(?:ab)*+c`:         `(?>(?:ab)*)c`,
		`\d{2,5}+(?!\&|\d)`: `(?>\d{2,5})(?!\&|\d)`,
		`a+b`:               `a+b`,
		`x\x41++`:           `x(?>\x41+)`,
		`[+]+`:              `[+]+`,
		`a{2}`:              `a{2}`,
	} {
		if got := possessiveToAtomic(in); got != want {
			t.Errorf("possessiveToAtomic(%q) = %q, want %q", in, got, want)
		}
	}
	var s scratch
	ops := payloadOps(t, `pcre:"/^\/blog\/\?[a-z]{3,20}+\&utm_source=\d+$/";`)
	if !s.inspectList(ops, []byte("/blog/?abc&utm_source=12"), 0) {
		t.Error("possessive pcre did not match")
	}
	ops = payloadOps(t, `pcre:"/a++a/";`)
	if s.inspectList(ops, []byte("aaaa"), 0) {
		t.Error("a++a matched: a possessive quantifier gives nothing back")
	}
}

func TestPCREBackrefG(t *testing.T) {
	var s scratch
	ops := payloadOps(t, `pcre:"/([a-z]{2})-\g{1}/";`)
	if !s.inspectList(ops, []byte("xx ab-ab"), 0) || s.inspectList(ops, []byte("ab-cd"), 0) {
		t.Error(`\g{1} backreference not honoured`)
	}
}

func TestIndexFold(t *testing.T) {
	for _, tc := range []struct {
		b, pat string
		want   int
	}{
		{"xxABCxx", "abc", 2}, {"abc", "ABC", 0}, {"aAbAbC", "abc", 3}, {"ab", "abc", -1},
		{"", "a", -1}, {"Zz", "z", 0}, {"1-2-3", "-3", 3}, {"a\xc1bc", "\xe1bc", -1},
	} {
		if got := index([]byte(tc.b), []byte(tc.pat), true); got != tc.want {
			t.Errorf("index(%q, %q) = %d, want %d", tc.b, tc.pat, got, tc.want)
		}
	}
}

func TestApplyTransforms(t *testing.T) {
	for _, tc := range []struct {
		ts       []string
		in, want string
	}{
		{[]string{"to_lowercase"}, "AbC", "abc"},
		{[]string{"to_uppercase"}, "AbC", "ABC"},
		{[]string{"strip_whitespace"}, " a \tb\r\n", "ab"},
		{[]string{"compress_whitespace"}, "a  \t b \r\n", "a b "},
		{[]string{"dotprefix"}, "example.com", ".example.com"},
		{[]string{"dotprefix"}, "", ""},
		{[]string{"url_decode"}, "%41+b%2x%", "A b%2x%"},
		{[]string{"url_decode", "to_lowercase"}, "%41B", "ab"},
	} {
		if got := string(applyTransforms(nil, []byte(tc.in), tc.ts)); got != tc.want {
			t.Errorf("%v(%q) = %q, want %q", tc.ts, tc.in, got, tc.want)
		}
	}
}

func TestStreamSize(t *testing.T) {
	fs := &flowState{}
	pkt := func(toSrv bool, seq uint32, flags uint8, n int) {
		p := &pcaps.Packet{Proto: pcaps.ProtoTCP, ToServer: toSrv, Payload: make([]byte, n)}
		p.TCP.Seq, p.TCP.Flags = seq, flags
		fs.seq[dirIdx(toSrv)].update(p)
	}
	pkt(true, 1000, pcaps.TCPSyn, 0)
	pkt(false, 5000, pcaps.TCPSyn|pcaps.TCPAck, 0)
	pkt(true, 1001, pcaps.TCPAck, 0)
	pkt(true, 1001, pcaps.TCPAck|pcaps.TCPPsh, 10)
	pkt(true, 1021, pcaps.TCPAck, 10) // out of order: next_seq stays
	for arg, want := range map[string]bool{
		"client,=,11": true, "client,>,11": false, "server,<,5": true, "server,=,1": true,
		"both,<,5": false, "either,<,5": true, "both,<,20": true,
	} {
		ss, err := parseStreamSize(arg)
		if err != nil {
			t.Fatal(err)
		}
		if got := ss.match(fs); got != want {
			t.Errorf("stream_size:%s = %v, want %v (client %d, server %d)", arg, got, want, fs.seq[0].size(), fs.seq[1].size())
		}
	}
	if _, err := parseStreamSize("sideways,<,5"); err == nil {
		t.Error("bad side accepted")
	}
}

// naiveIndex is the definition index must agree with.
func naiveIndex(b, pat []byte, fold bool) int {
	for i := 0; i+len(pat) <= len(b); i++ {
		if equalFold(b[i:i+len(pat)], pat, fold) {
			return i
		}
	}
	return -1
}

// TestIndexRandom compares index with the naive search over buffers and
// patterns drawn from a small alphabet (so both cases of a letter, partial
// matches and overlaps are frequent), anchors of every rank included.
func TestIndexRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alpha = "aAbB<./ \x00z"
	gen := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return b
	}
	for range 20000 {
		b, pat := gen(rng.IntN(40)), gen(1+rng.IntN(4))
		for _, fold := range []bool{false, true} {
			if got, want := index(b, pat, fold), naiveIndex(b, pat, fold); got != want {
				t.Fatalf("index(%q, %q, %v) = %d, want %d", b, pat, fold, got, want)
			}
		}
	}
}

// TestFindMemo checks that the remembered searches of scratch.find give
// what a fresh search gives, for any sequence of ranges of one step.
func TestFindMemo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s scratch
	for range 2000 {
		buf := make([]byte, 1+rng.IntN(60))
		for i := range buf {
			buf[i] = "abAB"[rng.IntN(4)]
		}
		o := &op{kind: opContent, pat: []byte("ab")[:1+rng.IntN(2)], nocase: rng.IntN(2) == 0}
		s.inspectList(nil, buf, 0) // a new list: forget earlier searches
		for range 20 {
			start := rng.IntN(len(buf) + 1)
			depth := start + rng.IntN(len(buf)-start+1)
			want := naiveIndex(buf[start:depth], o.pat, o.nocase)
			if want >= 0 {
				want += start
			}
			if got := s.find(0, o, buf, start, depth); got != want {
				t.Fatalf("find(%q in %q[%d:%d]) = %d, want %d", o.pat, buf, start, depth, got, want)
			}
		}
	}
}

// spectreOps is ET 2025185's file.data list: a backtracking pcre (named
// backreference) tried after every "<" ... ".length" pair of a script.
const spectreOps = `content:"<script"; nocase; content:"<"; distance:0; content:".length"; distance:0; nocase; pcre:"/^\s*?\)\s*?\{\s*(?P<var>[^\s]+)\s*=[^\x5b]+?\x5b\s*(?P=var)\s*?\|\s*?0\s*?\]\s*?\x3b\s*?/Rsi"; content:"^="; distance:0;`

func spectreBody() []byte {
	return []byte("<html><script>" + strings.Repeat("var a = <b.length); x = y; ", 4000) + "</script>")
}

// TestPCREBacktrackNoCopy: a backtracking pcre tried many times over one
// buffer must not copy the buffer on each try (it did: 3,000 copies of a
// 100 kB body, 800 MB, per inspection).
func TestPCREBacktrackNoCopy(t *testing.T) {
	ops, buf := payloadOps(t, spectreOps), spectreBody()
	var s scratch
	s.inspectList(ops, buf, 0) // sizes the scratch
	if n := testing.AllocsPerRun(3, func() { s.inspectList(ops, buf, 0) }); n != 0 {
		t.Errorf("%v allocations per inspection, want 0", n)
	}
}

func BenchmarkInspectSpectre(b *testing.B) {
	ops, buf := payloadOps(b, spectreOps), spectreBody()
	var s scratch
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		s.inspectList(ops, buf, 0)
	}
}

// TestPCREFindFrom checks pcre searches from a later offset of the
// subject (a retry after a relative step failed) as pcre2_match with a
// start offset does: ^ without m only at the subject's start, \b and ^
// with m reading the byte before the offset, flag A anchoring at the
// offset. The old code took any pattern starting with ^ as anchored
// (missing the b of ^a|b) and searched buf[from:] without its left
// context.
func TestPCREFindFrom(t *testing.T) {
	type want struct {
		start, end int
		ok         bool
	}
	tests := []struct {
		pattern, flags string
		buf            string
		base, from     int
		want           want
	}{
		{`^a|b`, "", "xab", 0, 1, want{2, 3, true}},
		{`^a|b`, "", "xa", 1, 1, want{1, 2, true}},
		{`a|^b`, "", "bxa", 0, 1, want{2, 3, true}},
		{`(^a|^b)c`, "", "xacbc", 0, 1, want{0, 0, false}},
		{`^a`, "", "aa", 0, 1, want{0, 0, false}},
		{`\bfoo`, "", "xfoo foo", 0, 1, want{5, 8, true}},
		{`\Boo`, "", " oo foo", 0, 1, want{5, 7, true}},
		{`^b`, "m", "ab\nb", 0, 1, want{3, 4, true}},
		{`^b`, "m", "\nb", 0, 1, want{1, 2, true}},
		{`a`, "A", "xaa", 0, 1, want{1, 2, true}},
		{`a`, "A", "xba", 0, 1, want{0, 0, false}},
		{`a(?=a)`, "A", "xaa", 0, 1, want{1, 2, true}},
		{`^a|b(?=c)`, "", "xabc", 0, 1, want{2, 3, true}},
		{`\bb`, "", "\xc3\xa9b b", 0, 1, want{2, 3, true}},
	}
	var s scratch
	for _, tt := range tests {
		p, err := compilePCRE(tt.pattern, tt.flags, false)
		if err != nil {
			t.Fatalf("%q/%s: %v", tt.pattern, tt.flags, err)
		}
		buf := []byte(tt.buf)
		s.inspectList(nil, buf, 0)
		ms, me, ok := s.pcreFind(p, buf, tt.base, tt.from)
		if got := (want{ms, me, ok}); !ok && got.ok != tt.want.ok || ok && got != tt.want {
			t.Errorf("pcre %q/%s in %q from %d (subject at %d) = %v, want %v", tt.pattern, tt.flags, buf, tt.from, tt.base, got, tt.want)
		}
	}
}

// TestPCREFindFromBacktracking compares the RE2 search from an offset
// with the backtracking engine's (forced by flag x; the patterns hold no
// spaces) over ASCII subjects, every base and offset.
func TestPCREFindFromBacktracking(t *testing.T) {
	patterns := []string{`^a|b`, `a|^b`, `\ba`, `\Bb`, `(?:^|x)ab`, `^ab?|\bba`, `b\b`, `[ab]+\b`, `^`, `a*`}
	rng := rand.New(rand.NewPCG(5, 6))
	var s scratch
	for _, pat := range patterns {
		for _, flags := range []string{"", "m", "A", "i"} {
			re, err := compilePCRE(pat, flags, false)
			if err != nil || re.re2 == nil {
				t.Fatalf("%q/%s: RE2 program %v, err %v", pat, flags, re != nil && re.re2 != nil, err)
			}
			bt, err := compilePCRE(pat, flags+"x", false)
			if err != nil || bt.bt == nil {
				t.Fatalf("%q/%sx: backtracking program, err %v", pat, flags, err)
			}
			for range 200 {
				buf := make([]byte, rng.IntN(12))
				for i := range buf {
					buf[i] = "abx \nB"[rng.IntN(6)]
				}
				base := rng.IntN(len(buf) + 1)
				from := base + rng.IntN(len(buf)-base+1)
				s.inspectList(nil, buf, 0)
				ws, we, wok := s.pcreFind(bt, buf, base, from)
				gs, ge, gok := s.pcreFind(re, buf, base, from)
				if gok != wok || gok && (gs != ws || ge != we) {
					t.Fatalf("pcre %q/%s in %q base %d from %d: RE2 %d,%d,%v; backtracking %d,%d,%v", pat, flags, buf, base, from, gs, ge, gok, ws, we, wok)
				}
			}
		}
	}
}
