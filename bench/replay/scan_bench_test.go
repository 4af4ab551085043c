package replay

import (
	"bytes"
	"context"
	"flag"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

var benignSize = flag.Int64("benignsize", 8<<20, "bytes of replayed benign corpus per scan benchmark iteration")

// BenchmarkScanBenign is bench's BenchmarkScan over the replayed benign
// corpus instead of the synthetic mix: the traffic issue 6 compares with
// Snort 3 (MB/s per core with SetBytes; -cpuprofile for where it goes).
func BenchmarkScanBenign(b *testing.B) {
	c, err := Load(sharedtest.Path(b, "corpus", "benign"))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &buf, c, *benignSize, 0); err != nil {
		b.Fatal(err)
	}
	capture := buf.Bytes()
	for _, rs := range []struct{ name, dir string }{{"no-rules", ""}, {"et-open", "et-open-2024-04"}, {"snort2-community", "snort2-community"}} {
		b.Run(rs.name, func(b *testing.B) {
			var rules []*sigparse.Rule
			if rs.dir != "" {
				l, err := rulesets.Load([]string{sharedtest.Path(b, "rulesets", rs.dir)}, sigparse.Options{})
				if err != nil {
					b.Fatal(err)
				}
				rules = l.Enabled()
			}
			e, err := matcher.Compile(rules, matcher.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(capture)))
			b.ReportAllocs()
			alerts := 0
			for b.Loop() {
				st, err := e.Scan(context.Background(), bytes.NewReader(capture), "benign.pcap", nil)
				if err != nil {
					b.Fatal(err)
				}
				alerts = st.Alerts
			}
			b.ReportMetric(float64(alerts), "alerts")
		})
	}
}
