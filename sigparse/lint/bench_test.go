package lint

import (
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// BenchmarkCheckETOpen lints all of ET Open (parsed once, outside the
// timing).
func BenchmarkCheckETOpen(b *testing.B) {
	dir := sharedtest.Path(b, "rulesets", "et-open-2024-04")
	l, err := rulesets.Load([]string{dir}, sigparse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var rules int
	for b.Loop() {
		rules = Check(l.Files, Options{Style: StyleET}).Summary.Rules
	}
	b.ReportMetric(float64(rules)*float64(b.N)/b.Elapsed().Seconds(), "rules/s")
}
