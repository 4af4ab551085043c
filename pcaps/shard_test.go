package pcaps

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// shardRec records what one shard handed its handler.
type shardRec struct {
	s     *Shard
	lines []string
	ended int
}

func (r *shardRec) HandlePacket(p *Packet) {
	id := uint64(0)
	if p.Flow != nil {
		id = p.Flow.ID
	}
	r.lines = append(r.lines, fmt.Sprintf("%d %v flow %x %s->%s pseudo=%v stream=%d http=%d", p.Num, r.s.Phase(), id, p.SrcIP, p.DstIP, p.Pseudo, len(p.Stream), len(p.HTTP)))
}

func (r *shardRec) FlowEnded(*Flow) { r.ended++ }
func (r *shardRec) Flush(bool)      {}

// TestShardedStats: the shards together see every packet once, end every
// flow once, and report the single engine's Stats; a frame's packets all
// come from one shard.
func TestShardedStats(t *testing.T) {
	root := sharedtest.Path(t, "corpus")
	var files []string
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (filepath.Ext(p) == ".pcap" || filepath.Ext(p) == ".pcapng") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no captures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		frames := map[int]bool{}
		want, werr := Process(context.Background(), bytes.NewReader(data), f, Config{}, HandlerFunc(func(p *Packet) {
			if !p.Pseudo {
				frames[p.Num] = true
			}
		}))
		for _, n := range []int{1, 2, 3} {
			var recs []*shardRec
			got, gerr := ProcessSharded(context.Background(), bytes.NewReader(data), f, Config{}, n, func(s *Shard) ShardHandler {
				r := &shardRec{s: s}
				recs = append(recs, r)
				return r
			})
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || got != want {
				t.Fatalf("%s, %d shards: %+v %v, single engine %+v %v", f, n, got, gerr, want, werr)
			}
			owner := map[string]int{}
			ended := 0
			for i, r := range recs {
				ended += r.ended
				for _, l := range r.lines {
					var num int
					var phase Phase
					fmt.Sscanf(l, "%d %v", &num, &phase)
					if phase == PhaseFrame {
						k := fmt.Sprint(num)
						if o, ok := owner[k]; ok && o != i {
							t.Fatalf("%s: frame %d handled by shards %d and %d", f, num, o, i)
						}
						owner[k] = i
					}
					if !slices.Contains([]Phase{PhaseExpire, PhaseFrame, PhaseEnd}, phase) {
						t.Fatalf("bad phase in %q", l)
					}
				}
			}
			if len(owner) != len(frames) || ended != want.Flows {
				t.Errorf("%s, %d shards: %d frames handled (want %d), %d flows ended (want %d)", f, n, len(owner), len(frames), ended, want.Flows)
			}
		}
	}
}

// TestPairShard: both directions of a pair land on the same shard, and
// pairs spread over the shards.
func TestPairShard(t *testing.T) {
	seen := map[int]bool{}
	for i := range 64 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		b := netip.MustParseAddr("2001:db8::1")
		if i%2 == 0 {
			b = netip.AddrFrom4([4]byte{198, 51, 100, byte(i * 3)})
		}
		s := pairShard(a, b, 3)
		if s != pairShard(b, a, 3) {
			t.Fatalf("%v %v: not symmetric", a, b)
		}
		seen[s] = true
	}
	if len(seen) != 3 {
		t.Errorf("64 pairs over %d of 3 shards", len(seen))
	}
}

// nopShard is a ShardHandler that keeps nothing.
type nopShard struct{}

func (nopShard) HandlePacket(*Packet) {}
func (nopShard) FlowEnded(*Flow)      {}
func (nopShard) Flush(bool)           {}

// TestShardPathDoesNotAllocate pins a sharded run's per-frame work at zero
// allocations in the steady state: routing in the reader, a shard's own
// frame of an established flow, and another shard's frame as a tick.
func TestShardPathDoesNotAllocate(t *testing.T) {
	ip := ipv4TCP(t, nil)
	s := &Shard{run: &shardRun{n: 2}, e: newEngine(t.Context(), Config{Midstream: true}, nopShard{}, "x"), h: nopShard{}}
	f := Frame{Num: 1, Time: time.Unix(1, 0), Data: ip, LinkType: LinkRaw}
	s.frame(&f)
	var dec decoder
	var p Packet
	allocs := testing.AllocsPerRun(1000, func() {
		f.Num++
		route(&dec, &p, &f, 3)
		s.frame(&f)
		f.Num++
		s.tick(f.Num, f.Time)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}

// chopReader returns at most n bytes per Read, as a pipe or a gzip stream
// does, so the reader's buffers are filled in several reads.
type chopReader struct {
	r io.Reader
	n int
}

func (c chopReader) Read(b []byte) (int, error) { return c.r.Read(b[:min(len(b), c.n)]) }

// frameCheck is a ShardHandler that checks each frame it owns against
// its checksum; slow makes it lag, so the reader and the other shards run
// ahead and buffers are reused while it still has frames in them.
type frameCheck struct {
	s       *Shard
	want    map[int]uint32
	slow    bool
	checked int
	bad     []int
}

func (c *frameCheck) HandlePacket(p *Packet) {
	if p.Pseudo || c.s.Phase() != PhaseFrame || len(p.Data) == 0 {
		return
	}
	c.checked++
	if crc32.ChecksumIEEE(p.Data) != c.want[p.Num] {
		c.bad = append(c.bad, p.Num)
	}
	if c.slow && c.checked%500 == 0 {
		time.Sleep(time.Millisecond)
	}
}

func (c *frameCheck) FlowEnded(*Flow) {}
func (c *frameCheck) Flush(bool)      {}

// TestShardedFramesIntact: a shard sees each of its frames' bytes as read,
// however far the reader and the other shards run ahead of it, over pcap
// (frames left in the reader's buffers, which are reused once every
// shard is done with them) fed in small reads, gzipped, and pcapng (frames
// copied), with a frame larger than the reader's buffer.
func TestShardedFramesIntact(t *testing.T) {
	var mixed bytes.Buffer
	if _, err := mix.Write(t.Context(), &mixed, 3, 6<<20); err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(bytes.NewReader(mixed.Bytes()), "mix")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pcapgen.New(pcapgen.Options{Snaplen: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	for rd.Next(&f) == nil {
		if f.Num == 2000 {
			c.AddRaw(bytes.Repeat([]byte{0xab}, 2<<20+7))
		}
		c.AddRaw(slices.Clone(f.Data))
	}
	want := map[int]uint32{}
	for i, p := range c.Packets() {
		want[i+1] = crc32.ChecksumIEEE(p.Data)
	}
	var ng, gz bytes.Buffer
	if err := c.WritePcapNG(&ng); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	zw.Write(c.Bytes())
	zw.Close()

	for _, in := range []struct {
		name string
		r    func() io.Reader
	}{
		{"pcap", func() io.Reader { return bytes.NewReader(c.Bytes()) }},
		{"pcap in reads of 5000 bytes", func() io.Reader { return chopReader{bytes.NewReader(c.Bytes()), 5000} }},
		{"pcap.gz", func() io.Reader { return bytes.NewReader(gz.Bytes()) }},
		{"pcapng", func() io.Reader { return bytes.NewReader(ng.Bytes()) }},
	} {
		for _, n := range []int{2, 3} {
			var checks []*frameCheck
			st, err := ProcessSharded(t.Context(), in.r(), in.name, Config{}, n, func(s *Shard) ShardHandler {
				fc := &frameCheck{s: s, want: want, slow: s.Index() == 0}
				checks = append(checks, fc)
				return fc
			})
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			checked := 0
			for _, fc := range checks {
				checked += fc.checked
				if len(fc.bad) > 0 {
					t.Errorf("%s, %d shards: shard %d saw %d frames changed, first %d", in.name, n, fc.s.Index(), len(fc.bad), fc.bad[0])
				}
			}
			if st.Packets != len(want) || checked < len(want)*9/10 {
				t.Errorf("%s, %d shards: %d packets, %d frames checked, want %d", in.name, n, st.Packets, checked, len(want))
			}
		}
	}
}

// BenchmarkProcessSharded is BenchmarkProcessMix's pipeline on 1 shard
// (Process) and 2, with handlers that do nothing: what sharding itself
// costs (routing, ticks, hand-offs, the frames' buffers). cpu-ms/op is
// the process's user+system time per run.
func BenchmarkProcessSharded(b *testing.B) {
	var buf bytes.Buffer
	if _, err := mix.Write(context.Background(), &buf, 1, *benchMixSize); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				if n == 1 {
					_, err = Process(context.Background(), bytes.NewReader(data), "mix", Config{}, HandlerFunc(func(*Packet) {}))
				} else {
					_, err = ProcessSharded(context.Background(), bytes.NewReader(data), "mix", Config{}, n, func(*Shard) ShardHandler { return nopShard{} })
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
