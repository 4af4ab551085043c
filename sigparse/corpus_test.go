package sigparse

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
)

// corpusFiles returns the *.rules files under a folder of ../shared
// (recursively), skipping when ../shared is absent.
func corpusFiles(tb testing.TB, elem ...string) []string {
	tb.Helper()
	dir := sharedtest.Path(tb, elem...)
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".rules") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		tb.Fatalf("no rule files in %s: %v", dir, err)
	}
	return files
}

// TestCorpus parses every rule of ET Open, the Snort community set and
// the suricata-verify cases, enabled and disabled: no errors in enabled rules, the canonical text
// re-parses to an identical JSON object, formatting is idempotent, and
// converting to Suricata keeps every content's buffer and modifiers.
func TestCorpus(t *testing.T) {
	for _, set := range []string{"rulesets/et-open-2024-04", "rulesets/snort2-community", "corpus/suricata-verify"} {
		t.Run(filepath.Base(set), func(t *testing.T) {
			var enabled, disabled, errEnabled, errDisabled, jsonSame, converted, convertFail int
			for _, fn := range corpusFiles(t, strings.Split(set, "/")...) {
				src, err := os.ReadFile(fn)
				if err != nil {
					t.Fatal(err)
				}
				f, errs := ParseFile(fn, src, Options{})
				for _, e := range errs {
					if e.InDisabled {
						errDisabled++
						continue
					}
					errEnabled++
					t.Errorf("%v\n%s", e, Caret(e))
				}
				out, err := FormatFile(f, FormatOptions{})
				if err != nil {
					t.Fatalf("%s: %v", fn, err)
				}
				g, gerrs := ParseFile(fn, out, Options{})
				if len(gerrs) > 0 {
					t.Fatalf("formatted %s does not parse: %v", fn, gerrs[0])
				}
				if again, _ := FormatFile(g, FormatOptions{}); !bytes.Equal(out, again) {
					t.Errorf("%s: fmt is not idempotent", fn)
				}
				if len(g.Rules) != len(f.Rules) {
					t.Fatalf("%s: %d rules before fmt, %d after", fn, len(f.Rules), len(g.Rules))
				}
				for i, r := range f.Rules {
					if r.Disabled {
						disabled++
					} else {
						enabled++
					}
					a, err1 := json.Marshal(r)
					b, err2 := json.Marshal(g.Rules[i])
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					if !bytes.Equal(a, b) {
						t.Errorf("%s: sid %d: JSON differs after fmt:\n%s\n%s", fn, r.SID(), a, b)
						continue
					}
					jsonSame++
					text, err := Format(r, FormatOptions{To: DialectSuricata})
					if err != nil {
						convertFail++
						continue
					}
					c, err := ParseRule(text, Options{Dialect: DialectSuricata})
					if err != nil {
						t.Errorf("%s: sid %d: converted rule does not parse: %v\n%s", fn, r.SID(), err, text)
						continue
					}
					if x, y := contentSummary(r), contentSummary(c); !slices.Equal(x, y) {
						t.Errorf("%s: sid %d: --to suricata changed the contents:\n%q\n%q\n%s", fn, r.SID(), x, y, text)
						continue
					}
					converted++
				}
			}
			t.Logf("%s: %d rules (%d enabled, %d disabled); errors: %d in enabled rules, %d in disabled; fmt re-parses to identical JSON: %d/%d; fmt idempotent on every file; --to suricata keeps contents: %d (%d not convertible)",
				set, enabled+disabled, enabled, disabled, errEnabled, errDisabled, jsonSame, enabled+disabled, converted, convertFail)
		})
	}
}

// TestParseConcurrently parses the same files from several goroutines;
// run with -race it shows the package keeps no shared mutable state.
func TestParseConcurrently(t *testing.T) {
	srcs := [][]byte{[]byte(kryptik + "\n"), []byte("alert tcp any any -> any any (msg:\"a\"; content:\"x\"; http_uri; sid:1;)\n# alert udp any any -> any 53 (msg:\"b\"; sid:2;)\n")}
	if root := sharedtest.Root(); root != "" {
		if b, err := os.ReadFile(filepath.Join(root, "rulesets", "et-open-2024-04", "emerging-dns.rules")); err == nil {
			srcs = append(srcs, b)
		}
	}
	want := make([][]byte, len(srcs))
	for i, s := range srcs {
		f, _ := ParseFile("x.rules", s, Options{})
		want[i], _ = FormatFile(f, FormatOptions{})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 3; k++ {
				for i, s := range srcs {
					f, _ := ParseFile("x.rules", s, Options{})
					// Position fills the line table lazily: exercise it too.
					for _, r := range f.Rules {
						_ = f.Position(r.Pos)
					}
					got, err := FormatFile(f, FormatOptions{})
					if err != nil || !bytes.Equal(got, want[i]) {
						t.Errorf("goroutine result differs for input %d: %v", i, err)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkParseETOpen parses all of ET Open per iteration and reports
// rules per second and the CPU seconds one parse of the set costs.
func BenchmarkParseETOpen(b *testing.B) {
	files := corpusFiles(b, "rulesets", "et-open-2024-04")
	var srcs [][]byte
	size := 0
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		size += len(src)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	rules := 0
	for i := 0; i < b.N; i++ {
		for j, src := range srcs {
			f, _ := ParseFile(files[j], src, Options{})
			rules += len(f.Rules)
		}
	}
	b.ReportMetric(float64(rules)/b.Elapsed().Seconds(), "rules/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// Includes the garbage collector's work on other threads.
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
}
