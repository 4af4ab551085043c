package matcher

import (
	"testing"

	"github.com/sigtool/sigtool/pcaps"
)

// TestWorkerPacketAllocs: a parallel scan's worker adds nothing that
// allocates to a packet that alerts on nothing (TestPerPacketAllocs).
func TestWorkerPacketAllocs(t *testing.T) {
	e := allocEngine(t)
	w := &worker{sc: newScanner(e, nil), sh: &pcaps.Shard{}, cur: &workOut{}}
	w.sc.collect = w.collect
	p := allocPacket()
	p.Flow.AppProto = "http"
	w.HandlePacket(p) // creates the flow state
	allocs := testing.AllocsPerRun(200, func() {
		p.Flow.UserData.(*flowState).closing = true
		p.Num++
		w.HandlePacket(p)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet", allocs)
	}
	if len(w.cur.groups) != 0 || len(w.cur.created) != 1 {
		t.Errorf("%d alert groups, %d flows created; want 0 and 1", len(w.cur.groups), len(w.cur.created))
	}
}
