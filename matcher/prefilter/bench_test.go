package prefilter_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher/prefilter"
	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/pcaps/http1"
)

// benchBuffers are the buffers BenchmarkETBuffers scans: the payload and
// the HTTP buffers with the most ET Open patterns.
var benchBuffers = []string{"", "http.uri", "file.data", "http.host", "http.request_body", "http.user_agent", "http.header"}

// bufferCollector keeps a copy of every packet payload and of the HTTP
// buffers of every transaction once its direction is complete.
type bufferCollector struct {
	by   map[string][][]byte
	done map[*http1.Tx]uint8
}

func (c *bufferCollector) HandlePacket(pk *pcaps.Packet) {
	if len(pk.Payload) > 0 {
		c.by[""] = append(c.by[""], bytes.Clone(pk.Payload))
	}
	for _, ev := range pk.HTTP {
		dir, need := uint8(1), http1.RequestComplete
		if !ev.ToServer {
			dir, need = 2, http1.ResponseComplete
		}
		if !ev.Progress.Has(need) || c.done[ev.Tx]&dir != 0 {
			continue
		}
		c.done[ev.Tx] |= dir
		for _, name := range benchBuffers[1:] {
			b, _ := http1.LookupBuffer(name)
			if data, ok := ev.Tx.Buffer(b, ev.ToServer); ok && len(data) > 0 {
				c.by[name] = append(c.by[name], bytes.Clone(data))
			}
		}
	}
}

// benchData returns, per buffer name, the buffers of a generated 4 MB mix
// and of the shared benign and malware-http corpora.
func benchData(b testing.TB) map[string][][]byte {
	return bufferData(b, 4<<20)
}

// bufferData returns, per buffer name, the buffers of a generated mix of
// mixSize bytes and of the shared benign and malware-http corpora.
func bufferData(b testing.TB, mixSize int64) map[string][][]byte {
	c := &bufferCollector{by: map[string][][]byte{}, done: map[*http1.Tx]uint8{}}
	var buf bytes.Buffer
	if _, err := mix.Write(context.Background(), &buf, 1, mixSize); err != nil {
		b.Fatal(err)
	}
	if _, err := pcaps.Process(context.Background(), &buf, "mix.pcap", pcaps.Config{}, c); err != nil {
		b.Fatal(err)
	}
	for _, d := range []string{"benign", "malware-http"} {
		root := sharedtest.Path(b, "corpus", d)
		_ = filepath.WalkDir(root, func(path string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() || (filepath.Ext(path) != ".pcap" && filepath.Ext(path) != ".pcapng") {
				return nil
			}
			_, _ = pcaps.ProcessFile(context.Background(), path, pcaps.Config{NoChecksum: true}, c)
			return nil
		})
	}
	return c.by
}

// BenchmarkETBuffers scans each buffer kind's data with ET Open's patterns
// for that buffer, one Reset per buffer as the engine does.
func BenchmarkETBuffers(b *testing.B) {
	nrules, pats := etPatterns(b)
	data := benchData(b)
	p := prefilter.New(nrules, pats)
	for _, name := range benchBuffers {
		bufs := data[name]
		total := 0
		for _, d := range bufs {
			total += len(d)
		}
		if total == 0 {
			b.Fatalf("no %q buffers in the benchmark data", name)
		}
		label := name
		if label == "" {
			label = "payload"
		}
		id := p.BufferID(name)
		b.Run(label, func(b *testing.B) {
			s := p.NewScratch()
			b.SetBytes(int64(total))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				for _, d := range bufs {
					s.Reset()
					p.Scan(s, id, d)
				}
			}
			reportCPU(b, start, total)
		})
	}
}

// reportCPU reports the throughput over the CPU time used since start
// ("cpu-MB/s"), which the other processes of a shared machine disturb far
// less than the wall-clock MB/s.
func reportCPU(b *testing.B, start time.Duration, bytesPerOp int) {
	if start == 0 {
		return
	}
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// BenchmarkETBuild measures building the prefilter over all of ET Open's
// fast patterns (part of compiling the rule set).
func BenchmarkETBuild(b *testing.B) {
	nrules, pats := etPatterns(b)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		prefilter.New(nrules, pats)
	}
	if start != 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
