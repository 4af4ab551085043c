package matcher

import (
	"context"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/sigtool/sigtool/pcaps"
)

// A parallel scan spreads one capture's flows over n workers with
// pcaps.ProcessSharded: each worker runs a scanner over its shard's
// packets and, instead of emitting, hands over per packet the alerts its
// rules queued (flowbits and other post-match actions already applied, as
// Suricata applies them before thresholds). A single merge stage, on the
// caller's goroutine, puts those packets back in the order one scanner
// would have seen them and applies thresholds, detection filters and
// packet-alert-max there, since their state spans flows; it also turns
// the shards' flow ids into the sequential ids of a single scan. Output
// and Stats are those of Scan, whatever n (pcaps/shard.go lists the cases,
// all at resource caps or across tunnels, where a sharded run can differ).

// ScanFileParallel is ScanParallel on the capture at path.
func (e *Engine) ScanFileParallel(ctx context.Context, path string, n int, emit func(*Alert)) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	return e.ScanParallel(ctx, f, path, n, emit)
}

// ScanParallel is Scan with the capture's flows spread over n workers
// (goroutines, at most pcaps.MaxShards); n <= 1 is Scan. The alerts, their
// order and the Stats are the same as Scan's; emit is called from the
// calling goroutine.
func (e *Engine) ScanParallel(ctx context.Context, r io.Reader, name string, n int, emit func(*Alert)) (Stats, error) {
	if n <= 1 {
		return e.Scan(ctx, r, name, emit)
	}
	n = min(n, pcaps.MaxShards)
	workers := make([]*worker, n)
	// A worker may run up to 4 batches ahead of the merge, which waits
	// for the slowest one: a worker descheduled for a moment (other
	// processes on the machine) does not stall the rest at once.
	for i := range workers {
		w := &worker{sc: newScanner(e, nil), out: make(chan *workOut, 4), free: make(chan *workOut, 5)}
		w.sc.ctx = ctx
		w.sc.collect = w.collect
		w.cur = &workOut{}
		workers[i] = w
	}
	pcfg := pcaps.Config{Midstream: e.cfg.Midstream, Inline: e.cfg.Inline, NoChecksum: e.cfg.NoChecksum}
	var ps pcaps.Stats
	var perr error
	go func() {
		ps, perr = pcaps.ProcessSharded(ctx, r, name, pcfg, n, func(s *pcaps.Shard) pcaps.ShardHandler {
			w := workers[s.Index()]
			w.sh = s
			return w
		})
		// Every worker has sent its last output: ProcessSharded waits
		// for the shards.
		for _, w := range workers {
			close(w.out)
		}
	}()

	m := newMerger(e, emit, n)
	outs := make([]*workOut, n)
	for {
		done := false
		for i, w := range workers {
			o, ok := <-w.out
			if !ok {
				done = true
				break
			}
			outs[i] = o
		}
		if done {
			break
		}
		m.round(outs)
		for i, w := range workers {
			outs[i].reset()
			select {
			case w.free <- outs[i]:
			default:
			}
		}
	}

	st := m.thr.stats
	st.Packets, st.Bytes, st.Flows, st.HTTPTransactions = ps.Packets, ps.Bytes, ps.Flows, ps.HTTPTransactions
	if st.Profile != nil {
		for _, w := range workers {
			for i, p := range w.sc.prof {
				q := &st.Profile[i]
				q.Checks += p.Checks
				q.Matches += p.Matches
				q.Time += p.Time
			}
		}
	}
	return st, perr
}

// worker is one shard's pcaps.ShardHandler: a scanner whose alerts are
// collected per packet for the merge stage.
type worker struct {
	sc   *scanner
	sh   *pcaps.Shard
	key  orderKey // of the HandlePacket call in progress
	cur  *workOut
	out  chan *workOut
	free chan *workOut
}

// orderKey places a HandlePacket call of a shard in a single scan's order:
// by packet number, then flows expiring before the packet (in the order
// of their last packet), the packet itself, and flows ending with the
// capture (in the order of their ids). Calls with equal keys come from
// one shard, which keeps their order.
type orderKey struct {
	num   int
	phase pcaps.Phase
	sub   uint64
}

func (k orderKey) less(o orderKey) bool {
	if k.num != o.num {
		return k.num < o.num
	}
	if k.phase != o.phase {
		return k.phase < o.phase
	}
	return k.sub < o.sub
}

// workOut is what a worker produced over one batch of frames.
type workOut struct {
	groups  []alertGroup
	cands   []queued
	created []uint64 // shard ids of the flows created, in creation order
	ended   []uint64 // shard ids of the flows that ended
	last    bool
}

// alertGroup is one packet's queued alerts, cands[start:end].
type alertGroup struct {
	key        orderKey
	start, end int
}

// queued is an alert before thresholds and packet-alert-max.
type queued struct {
	r *rule
	a *Alert
}

func (o *workOut) reset() {
	clear(o.cands) // the alerts now belong to emit's callee
	o.groups, o.cands, o.created, o.ended, o.last = o.groups[:0], o.cands[:0], o.created[:0], o.ended[:0], false
}

// HandlePacket runs the scanner over p, noting the flows it sees first
// and the order key of the packet's alerts.
func (w *worker) HandlePacket(p *pcaps.Packet) {
	var fs *flowState
	if p.Flow != nil {
		if p.Flow.UserData == nil {
			w.cur.created = append(w.cur.created, p.Flow.ID)
		} else {
			fs = p.Flow.UserData.(*flowState)
		}
	}
	w.key = orderKey{num: p.Num, phase: w.sh.Phase()}
	switch w.key.phase {
	case pcaps.PhaseExpire:
		if fs != nil {
			w.key.sub = uint64(fs.lastNum)
		}
	case pcaps.PhaseEnd:
		if p.Flow != nil {
			w.key.sub = p.Flow.ID
		}
	}
	w.sc.HandlePacket(p)
	if p.Flow != nil && !p.Pseudo {
		if fs == nil {
			fs, _ = p.Flow.UserData.(*flowState)
		}
		if fs != nil {
			fs.lastNum = p.Num
		}
	}
}

// collect takes the packet's queued alerts in rule order, as finish would
// see them (scanner.collect).
func (w *worker) collect(p *pcaps.Packet) {
	sc := w.sc
	sort.SliceStable(sc.queue, func(i, j int) bool { return sc.queue[i].r.idx < sc.queue[j].r.idx })
	o := w.cur
	g := alertGroup{key: w.key, start: len(o.cands)}
	for i := range sc.queue {
		c := &sc.queue[i]
		o.cands = append(o.cands, queued{r: c.r, a: sc.makeAlert(p, c)})
	}
	g.end = len(o.cands)
	o.groups = append(o.groups, g)
}

// FlowEnded notes the end of a flow, so the merge stage can forget its id,
// and lets the worker's scanner reuse the flow's buffers as Scan's does.
func (w *worker) FlowEnded(f *pcaps.Flow) {
	w.sc.FlowEnded(f)
	w.cur.ended = append(w.cur.ended, f.ID)
}

// Flush hands the batch's output to the merge stage.
func (w *worker) Flush(last bool) {
	w.cur.last = last
	w.out <- w.cur
	select {
	case w.cur = <-w.free:
	default:
		w.cur = &workOut{}
	}
}

// merger is the merge stage: thresholds, packet-alert-max, flow ids and
// alert counts in capture order.
type merger struct {
	e    *Engine
	emit func(*Alert)
	// thr keeps the threshold state and the alert counts, as the scanner
	// of a single scan does.
	thr    *scanner
	ids    map[uint64]uint64 // shard flow id -> sequential id
	nextID uint64
	pos    []int
	newIDs []uint64
	pk     pcaps.Packet
}

func newMerger(e *Engine, emit func(*Alert), n int) *merger {
	return &merger{e: e, emit: emit, thr: newScanner(e, nil), ids: map[uint64]uint64{}, pos: make([]int, n)}
}

// round merges one batch's outputs, one per worker.
func (m *merger) round(outs []*workOut) {
	// Shard ids sort as creation order (Num<<8 + k): sequential ids are
	// handed out in that order, as a single engine counts.
	m.newIDs = m.newIDs[:0]
	for _, o := range outs {
		m.newIDs = append(m.newIDs, o.created...)
	}
	slices.Sort(m.newIDs)
	for _, id := range m.newIDs {
		m.nextID++
		m.ids[id] = m.nextID
	}
	for i := range m.pos {
		m.pos[i] = 0
	}
	for {
		best := -1
		for i, o := range outs {
			if m.pos[i] < len(o.groups) && (best < 0 || o.groups[m.pos[i]].key.less(outs[best].groups[m.pos[best]].key)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		o := outs[best]
		g := o.groups[m.pos[best]]
		m.pos[best]++
		m.group(o.cands[g.start:g.end])
	}
	for _, o := range outs {
		for _, id := range o.ended {
			delete(m.ids, id)
		}
	}
}

// group is scanner.finish for one packet's queued alerts.
func (m *merger) group(cands []queued) {
	sc := m.thr
	kept := 0
	for _, c := range cands {
		m.pk.Time, m.pk.SrcIP, m.pk.DstIP = c.a.Time, c.a.SrcIP, c.a.DstIP
		keep, stop := sc.admit(c.r, &m.pk, &kept)
		if stop {
			break
		}
		if !keep {
			continue
		}
		if c.a.FlowID != 0 {
			c.a.FlowID = m.ids[c.a.FlowID]
		}
		if m.emit != nil {
			m.emit(c.a)
		}
	}
}
