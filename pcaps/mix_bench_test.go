package pcaps

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/sigtool/sigtool/bench/mix"
)

var (
	benchMixSize = flag.Int64("pcaps.mixsize", 16<<20, "bytes of generated mix for BenchmarkProcessMix")
	benchMixFile = flag.String("pcaps.mixfile", "", "capture for BenchmarkProcessMix instead of a generated mix (go run ./bench/gen)")
)

// BenchmarkProcessMix runs the whole pipeline without rules (read, decode,
// flows, reassembly, HTTP) over bench/mix's capture: the floor under every
// rule set's throughput. With -pcaps.mixfile the capture is streamed from
// the file, as sigtool test reads it, so the peak RSS of the test binary
// (/usr/bin/time -f %M) is the engine's; memcap-hits counts segments the
// stream memcap refused.
func BenchmarkProcessMix(b *testing.B) {
	var data []byte
	size := int64(0)
	if *benchMixFile != "" {
		fi, err := os.Stat(*benchMixFile)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	} else {
		var buf bytes.Buffer
		if _, err := mix.Write(context.Background(), &buf, 1, *benchMixSize); err != nil {
			b.Fatal(err)
		}
		data = buf.Bytes()
		size = int64(len(data))
	}
	h := HandlerFunc(func(*Packet) {})
	b.ReportAllocs()
	b.SetBytes(size)
	var st Stats
	var err error
	for b.Loop() {
		if data == nil {
			st, err = ProcessFile(context.Background(), *benchMixFile, Config{}, h)
		} else {
			st, err = Process(context.Background(), bytes.NewReader(data), "mix", Config{}, h)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.StreamMemcapHits), "memcap-hits")
}
