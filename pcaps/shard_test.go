package pcaps

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sigtool/sigtool/internal/sharedtest"
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
