package prefilter_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/matcher/prefilter"
	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// etPatterns compiles all of ET Open and returns its rule count and the
// fast patterns the matcher chose.
func etPatterns(tb testing.TB) (int, []prefilter.Pattern) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("loads all of ET Open")
	}
	dir := sharedtest.Path(tb, "rulesets", "et-open-2024-04")
	l, err := rulesets.Load([]string{dir}, sigparse.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := matcher.Compile(l.Enabled(), matcher.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	var pats []prefilter.Pattern
	for _, rp := range e.RulePatterns() {
		if rp.Fast != nil {
			pats = append(pats, prefilter.Pattern{Rule: rp.Index, Buffer: rp.Fast.Buffer, Bytes: rp.Fast.Pattern, Nocase: rp.Fast.Nocase})
		}
	}
	return e.Rules(), pats
}

// asciiLower folds ASCII letters only, as nocase does.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

type payloads struct{ data [][]byte }

func (p *payloads) HandlePacket(pk *pcaps.Packet) {
	if len(pk.Payload) > 0 {
		p.data = append(p.data, bytes.Clone(pk.Payload))
	}
}

func corpusPayloads(tb testing.TB, dirs ...string) [][]byte {
	tb.Helper()
	var p payloads
	for _, d := range dirs {
		root := sharedtest.Path(tb, "corpus", d)
		_ = filepath.WalkDir(root, func(path string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() || (filepath.Ext(path) != ".pcap" && filepath.Ext(path) != ".pcapng") {
				return nil
			}
			f, err := os.Open(path)
			if err != nil {
				return nil
			}
			defer f.Close()
			_, _ = pcaps.Process(context.Background(), f, path, pcaps.Config{NoChecksum: true}, &p)
			return nil
		})
	}
	return p.data
}

// TestETOpenPayloadCandidates checks, over every packet payload of the
// shared corpora, that the candidates for the payload buffer are exactly
// the ET Open rules whose payload fast pattern occurs in it (plus those
// without a pattern): no rule that could match is ever skipped.
func TestETOpenPayloadCandidates(t *testing.T) {
	nrules, pats := etPatterns(t)
	data := corpusPayloads(t, "benign", "malware-http", "suricata-verify")
	if len(data) > 3000 {
		data = data[:3000]
	}
	p := prefilter.New(nrules, pats)
	s := p.NewScratch()
	payID := p.BufferID("")
	type lowered struct {
		rule  int32
		pat   []byte
		lower bool
	}
	var payPats []lowered
	for _, pt := range pats {
		if pt.Buffer == "" {
			b := pt.Bytes
			if pt.Nocase {
				b = asciiLower(b)
			}
			payPats = append(payPats, lowered{int32(pt.Rule), b, pt.Nocase})
		}
	}
	if len(payPats) < 1000 || len(data) < 100 {
		t.Fatalf("only %d payload patterns and %d payloads: ET Open or the corpus did not load as expected", len(payPats), len(data))
	}
	hits := 0
	for i, d := range data {
		s.Reset()
		p.Scan(s, payID, d)
		got := p.Candidates(s)
		low := asciiLower(d)
		want := slices.Clone(p.Always())
		for _, pp := range payPats {
			hay := d
			if pp.lower {
				hay = low
			}
			if bytes.Contains(hay, pp.pat) {
				want = append(want, pp.rule)
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		hits += len(want) - len(p.Always())
		if !slices.Equal(got, want) {
			t.Fatalf("payload %d (%d bytes): %d candidates, want %d", i, len(d), len(got), len(want))
		}
	}
	t.Logf("%d payloads, %d payload patterns, %d always-candidates, %d pattern hits", len(data), len(payPats), len(p.Always()), hits)
	if hits == 0 {
		t.Error("no ET pattern occurred in any corpus payload: the test proves nothing")
	}
}

// TestETOpenBufferCandidates is TestETOpenPayloadCandidates for every
// buffer kind of the benchmarks (payload, http.uri, file.data, http.host,
// ...), over the buffers of the corpora and a 1 MB mix: each kind has
// its own mix of short and long patterns, one-byte ones (http.host has
// the digits) and layer strides.
func TestETOpenBufferCandidates(t *testing.T) {
	nrules, pats := etPatterns(t)
	data := bufferData(t, 1<<20)
	p := prefilter.New(nrules, pats)
	s := p.NewScratch()
	for _, name := range benchBuffers {
		type lowered struct {
			rule   int32
			pat    []byte
			nocase bool
		}
		var bp []lowered
		for _, pt := range pats {
			if pt.Buffer == name {
				b := pt.Bytes
				if pt.Nocase {
					b = asciiLower(b)
				}
				bp = append(bp, lowered{int32(pt.Rule), b, pt.Nocase})
			}
		}
		bufs := data[name]
		if len(bp) < 100 || len(bufs) < 10 {
			t.Fatalf("%q: only %d patterns and %d buffers", name, len(bp), len(bufs))
		}
		id, hits := p.BufferID(name), 0
		for i, d := range bufs {
			s.Reset()
			p.Scan(s, id, d)
			got := p.Candidates(s)
			low := asciiLower(d)
			want := slices.Clone(p.Always())
			for _, b := range bp {
				hay := d
				if b.nocase {
					hay = low
				}
				if bytes.Contains(hay, b.pat) {
					want = append(want, b.rule)
				}
			}
			slices.Sort(want)
			want = slices.Compact(want)
			hits += len(want) - len(p.Always())
			if !slices.Equal(got, want) {
				t.Fatalf("%q buffer %d (%d bytes): %d candidates, want %d", name, i, len(d), len(got), len(want))
			}
		}
		t.Logf("%q: %d buffers, %d patterns, %d pattern hits", name, len(bufs), len(bp), hits)
		if hits == 0 {
			t.Errorf("%q: no pattern occurred in any buffer: the test proves nothing", name)
		}
	}
}

// mixPayloads returns the packet payloads of a generated 4 MB mix.
func mixPayloads(b *testing.B) [][]byte {
	var buf bytes.Buffer
	if _, err := mix.Write(context.Background(), &buf, 1, 4<<20); err != nil {
		b.Fatal(err)
	}
	var p payloads
	if _, err := pcaps.Process(context.Background(), &buf, "mix.pcap", pcaps.Config{}, &p); err != nil {
		b.Fatal(err)
	}
	return p.data
}

// BenchmarkETPayload compares this package with
// github.com/petar-dambovaliev/aho-corasick (overlapping iteration, case
// insensitive, NFA and DFA) over the payload fast patterns of ET Open and
// the payloads of the generated mix.
func BenchmarkETPayload(b *testing.B) {
	nrules, pats := etPatterns(b)
	data := mixPayloads(b)
	total := 0
	for _, d := range data {
		total += len(d)
	}
	var payPats []prefilter.Pattern
	var raw [][]byte
	for _, pt := range pats {
		if pt.Buffer == "" {
			payPats = append(payPats, pt)
			raw = append(raw, pt.Bytes)
		}
	}
	b.Run("prefilter", func(b *testing.B) {
		p := prefilter.New(nrules, payPats)
		s := p.NewScratch()
		b.SetBytes(int64(total))
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range data {
				s.Reset()
				p.Scan(s, 0, d)
				_ = p.Candidates(s)
			}
		}
	})
	for _, dfa := range []bool{false, true} {
		name := "petar-nfa"
		if dfa {
			name = "petar-dfa"
		}
		b.Run(name, func(b *testing.B) {
			bld := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{AsciiCaseInsensitive: true, MatchKind: ahocorasick.StandardMatch, DFA: dfa})
			ac := bld.BuildByte(raw)
			b.SetBytes(int64(total))
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range data {
					it := ac.IterOverlappingByte(d)
					for m := it.Next(); m != nil; m = it.Next() {
					}
				}
			}
		})
	}
}
