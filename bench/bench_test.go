package bench

import (
	"bytes"
	"context"
	"flag"
	"testing"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// mixSize is the size of the in-memory capture the scan benchmarks use;
// scripts/bench.sh measures the large capture through the CLI.
var mixSize = flag.Int64("mixsize", 2<<20, "bytes of generated capture per scan benchmark iteration")

var rulesetDirs = []struct{ name, dir string }{
	{"et-open", "et-open-2024-04"},
	{"snort2-community", "snort2-community"},
}

func load(b *testing.B, dir string) []*sigparse.Rule {
	b.Helper()
	path := sharedtest.Path(b, "rulesets", dir)
	l, err := rulesets.Load([]string{path}, sigparse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return l.Enabled()
}

// BenchmarkLoad measures reading and parsing every rule file of a set.
func BenchmarkLoad(b *testing.B) {
	for _, rs := range rulesetDirs {
		b.Run(rs.name, func(b *testing.B) {
			path := sharedtest.Path(b, "rulesets", rs.dir)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rulesets.Load([]string{path}, sigparse.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile measures matcher.Compile over a parsed set.
func BenchmarkCompile(b *testing.B) {
	for _, rs := range rulesetDirs {
		b.Run(rs.name, func(b *testing.B) {
			rules := load(b, rs.dir)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := matcher.Compile(rules, matcher.Config{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rules)), "rules")
		})
	}
}

// BenchmarkScan measures scanning the generated mix (MB/s per core as
// go test reports it with SetBytes) with no rules and with each set.
func BenchmarkScan(b *testing.B) {
	var buf bytes.Buffer
	if _, err := mix.Write(context.Background(), &buf, 1, *mixSize); err != nil {
		b.Fatal(err)
	}
	capture := buf.Bytes()
	sets := append([]struct{ name, dir string }{{"no-rules", ""}}, rulesetDirs...)
	for _, rs := range sets {
		b.Run(rs.name, func(b *testing.B) {
			var rules []*sigparse.Rule
			if rs.dir != "" {
				rules = load(b, rs.dir)
			}
			e, err := matcher.Compile(rules, matcher.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(capture)))
			b.ReportAllocs()
			alerts := 0
			for b.Loop() {
				st, err := e.Scan(context.Background(), bytes.NewReader(capture), "mix.pcap", nil)
				if err != nil {
					b.Fatal(err)
				}
				alerts = st.Alerts
			}
			b.ReportMetric(float64(alerts), "alerts")
		})
	}
}
