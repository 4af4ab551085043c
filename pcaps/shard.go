package pcaps

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sharded runs: ProcessSharded spreads one capture's flows over n shards,
// each an engine of its own on its own goroutine, and gives every shard
// handler what a single engine would have handed it for those flows.
//
// A reader goroutine reads the frames, decodes their IP addresses and
// sends them in batches to every shard. A frame belongs to the shard of
// its (outer) IP address pair, hashed symmetrically: both directions of a
// flow, the fragments of a datagram and the flows tunnelled inside a flow
// stay together. Every other shard sees the frame as a tick: it advances
// its clock to the frame's number and time, so flows and fragments expire
// at the same packet as in a single engine. An ICMP destination
// unreachable goes to the flow it quotes when that flow exists (the
// quoted addresses' shard decides, the outer addresses' shard waits for
// the answer), else to its own addresses' shard.
//
// What stays global in a single engine and is kept equal here: packet
// numbers, the checksum auto-off decision after the first 1000 packets
// (the reader runs a throw-away engine over them), and flow ids up to a
// renumbering the caller does: a shard numbers a flow Num<<8 + k for the
// k-th flow (from 1) created while decoding frame Num, which sorts as the
// single engine's sequential ids do.
//
// What differs: the flow table cap and the stream memcap are divided
// between the shards, so when a cap is reached the flow or segment that
// gives way can differ; a flow whose packets arrive under different outer
// addresses (inside and outside a tunnel) or an ICMP error that is
// fragmented or tunnelled can be split between shards.

// Phase tells a sharded run's handler when a HandlePacket call happens
// relative to the frame being processed (Shard.Phase), which is what is
// needed to put the calls of all shards back in a single engine's order.
type Phase uint8

const (
	// PhaseExpire: a pseudo packet of a flow that timed out before frame
	// Num was processed. A single engine ends such flows in the order of
	// their last packet.
	PhaseExpire Phase = iota
	// PhaseFrame: frame Num itself (and pseudo packets of flows it ends).
	// Only one shard has calls in this phase for a given Num.
	PhaseFrame
	// PhaseEnd: a pseudo packet at the end of the capture; a single
	// engine ends flows in the order of their ids.
	PhaseEnd
)

// ShardHandler consumes one shard of a sharded run. Its methods are called
// from the shard's goroutine only.
type ShardHandler interface {
	Handler
	// FlowEnded is called when one of the shard's flows ends, after its
	// last HandlePacket.
	FlowEnded(f *Flow)
	// Flush is called after each batch of frames; last is set on the final
	// call, after the end-of-capture pseudo packets.
	Flush(last bool)
}

// Shard is one shard of a sharded run, handed to the handler it drives.
type Shard struct {
	idx   int
	run   *shardRun
	e     *engine
	h     ShardHandler
	in    chan *batch
	phase Phase
	dec   decoder
	pk    Packet
}

// Index is the shard's number, from 0.
func (s *Shard) Index() int { return s.idx }

// Phase is the phase of the HandlePacket call in progress.
func (s *Shard) Phase() Phase { return s.phase }

// Batching: a batch holds up to batchFrames frames or about batchBytes of
// frame data; batchesPerShard bound those in flight (n*4+2 batches, at
// most 34: 10 MiB for 2 shards), so the memory the reader can run ahead
// with and how far the fastest shard can get ahead of the slowest. Large
// batches keep the hand-offs between goroutines (a wake-up each) rare: on
// a busy machine a wake-up can take milliseconds.
//
// A batch's frames are not copied: they stay in the reader's buffers
// (chunks), which the batches referring to them hold until every shard is
// done with them (pcapng, which pcapgo reads, is copied into chunks).
const (
	// MaxShards caps ProcessSharded's n: every shard looks at every frame
	// (as a tick at least), so shards beyond the cores only add work.
	MaxShards = 64

	batchFrames     = 1024
	batchBytes      = 1 << 20
	batchesPerShard = 4
)

type batch struct {
	frames []Frame
	owner  []int32  // shard of each frame
	alt    []int32  // ICMP error: the quoted flow's shard, which decides; else -1
	chunks []*chunk // holding the frames' data
	last   bool
	refs   atomic.Int32

	// Decisions about ICMP errors: decided[i] is 1 when the quoted flow's
	// shard takes frame i, 2 when it leaves it to owner[i].
	mu      sync.Mutex
	cond    sync.Cond
	decided []int8
}

func (b *batch) reset() {
	b.frames, b.owner, b.alt, b.chunks = b.frames[:0], b.owner[:0], b.alt[:0], b.chunks[:0]
	b.decided, b.last = b.decided[:0], false
}

// add appends frame f, whose data is in c.
func (b *batch) add(f *Frame, c *chunk, owner, alt int) {
	if len(b.chunks) == 0 || b.chunks[len(b.chunks)-1] != c {
		c.refs.Add(1)
		b.chunks = append(b.chunks, c)
	}
	b.frames = append(b.frames, *f)
	b.owner = append(b.owner, int32(owner))
	b.alt = append(b.alt, int32(alt))
	b.decided = append(b.decided, 0)
}

// chunk is a buffer of frame data: the reader's, or frames copied. It is
// reused once neither the reader nor a batch refers to it.
type chunk struct {
	buf  []byte
	used int // copied frames: buf[:used] is taken
	refs atomic.Int32
}

func (b *batch) decide(i int, take bool) {
	b.mu.Lock()
	if take {
		b.decided[i] = 1
	} else {
		b.decided[i] = 2
	}
	b.mu.Unlock()
	b.cond.Broadcast()
}

// taken waits for the decision about frame i and reports whether the
// deciding shard took it.
func (b *batch) taken(i int) bool {
	b.mu.Lock()
	for b.decided[i] == 0 {
		b.cond.Wait()
	}
	d := b.decided[i]
	b.mu.Unlock()
	return d == 1
}

type shardRun struct {
	n    int
	free chan *batch
	made int
	// Chunks: at most cap(freeChunks) made, which the batches in flight
	// cannot all hold (see getChunk).
	freeChunks chan *chunk
	chunksMade int
	// The checksum auto-off decision (see checksumSample), taken by the
	// reader before frame checksumSample is sent: csumBefore is the
	// failure count of the frames before it, csumOff the decision.
	csumBefore int
	csumOff    bool
}

func (r *shardRun) get() *batch {
	select {
	case b := <-r.free:
		return b
	default:
	}
	if r.made < cap(r.free) {
		r.made++
		b := &batch{frames: make([]Frame, 0, batchFrames)}
		b.cond.L = &b.mu
		return b
	}
	return <-r.free
}

func (r *shardRun) release(b *batch) {
	if b.refs.Add(-1) == 0 {
		for _, c := range b.chunks {
			r.unref(c)
		}
		b.reset()
		r.free <- b
	}
}

// getChunk returns a chunk of at least size bytes that the caller holds.
// Every chunk in use is the reader's or held by a batch: one under
// construction holds at most two of at least batchBytes, the others are
// released by the shards, so waiting for a chunk never blocks for good.
func (r *shardRun) getChunk(size int) *chunk {
	var c *chunk
	select {
	case c = <-r.freeChunks:
	default:
		if r.chunksMade < cap(r.freeChunks) {
			r.chunksMade++
			c = &chunk{}
		} else {
			c = <-r.freeChunks
		}
	}
	if len(c.buf) < size {
		c.buf = make([]byte, size)
	}
	c.used = 0
	c.refs.Store(1)
	return c
}

func (r *shardRun) unref(c *chunk) {
	if c.refs.Add(-1) == 0 {
		r.freeChunks <- c
	}
}

// ProcessSharded is Process with the capture's flows spread over n shards
// (at most MaxShards) processed concurrently (see above); newHandler makes
// the handler of each shard. It returns once every shard has finished, with the run's Stats
// (the sum over the shards). Each shard's handler sees its packets in
// capture order; putting the handlers' output back in one order is the
// caller's job (Shard.Phase, Packet.Num and Flow.ID tell how).
func ProcessSharded(ctx context.Context, r io.Reader, name string, cfg Config, n int, newHandler func(s *Shard) ShardHandler) (Stats, error) {
	n = min(max(n, 1), MaxShards)
	rd, err := NewReader(r, name)
	if err != nil {
		return Stats{}, err
	}
	if !KnownLinkType(rd.LinkType()) {
		return Stats{}, &Error{File: name, Packet: 0, Err: fmt.Errorf("%w %d", errUnknownLink, rd.LinkType())}
	}
	// At most 34 batches (34 MiB) in flight whatever n.
	nb := min(n*batchesPerShard, 32) + 2
	run := &shardRun{n: n, free: make(chan *batch, nb), freeChunks: make(chan *chunk, nb+3)}
	scfg := cfg
	// The caps are the run's: each shard gets its share.
	if scfg.StreamMemcap <= 0 {
		scfg.StreamMemcap = DefaultStreamMemcap
	}
	if scfg.MaxFlows <= 0 {
		scfg.MaxFlows = DefaultMaxFlows
	}
	scfg.StreamMemcap = max(scfg.StreamMemcap/n, 1)
	scfg.MaxFlows = max(scfg.MaxFlows/n, 1)
	shards := make([]*Shard, n)
	var wg sync.WaitGroup
	for i := range shards {
		s := &Shard{idx: i, run: run, in: make(chan *batch, batchesPerShard)}
		s.e = newEngine(ctx, scfg, nil, name)
		s.h = newHandler(s)
		s.e.h = s.h
		s.e.ended = s.h.FlowEnded
		shards[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop()
		}()
	}

	var dry *engine
	if !cfg.NoChecksum {
		dry = newEngine(ctx, cfg, HandlerFunc(func(*Packet) {}), name)
	} else {
		run.csumOff = true
	}
	// The frames' chunk: the reader's buffer, or with pcapng a chunk the
	// frames are copied into.
	var cur *chunk
	if first := rd.borrowBuffers(func(size int) []byte {
		old := cur
		cur = run.getChunk(size)
		run.unref(old)
		return cur.buf
	}); first != nil {
		run.chunksMade++
		cur = &chunk{buf: first}
		cur.refs.Store(1)
	}
	copied := cur == nil
	send := func(b *batch) {
		b.refs.Store(int32(n))
		for _, s := range shards {
			s.in <- b
		}
	}
	var dec decoder
	var pk Packet
	var f Frame
	var runErr error
	packets := 0
	inBatch := 0 // bytes of frame data in b
	b := run.get()
	for {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		err := rd.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			runErr = err
			break
		}
		if !KnownLinkType(f.LinkType) {
			runErr = &Error{File: name, Packet: f.Num, Err: fmt.Errorf("%w %d", errUnknownLink, f.LinkType)}
			break
		}
		packets++
		if dry != nil {
			if f.Num == checksumSample {
				run.csumBefore = dry.csumFails
			}
			dry.packet(&f)
			if f.Num == checksumSample {
				run.csumOff = dry.noCsum
				dry = nil
			}
		}
		owner, alt := route(&dec, &pk, &f, n)
		if len(b.frames) > 0 && (len(b.frames) == batchFrames || inBatch+len(f.Data) > batchBytes) {
			send(b)
			b = run.get()
			inBatch = 0
		}
		inBatch += len(f.Data)
		if copied {
			if cur == nil || cur.used+len(f.Data) > len(cur.buf) {
				old := cur
				cur = run.getChunk(max(len(f.Data), batchBytes))
				if old != nil {
					run.unref(old)
				}
			}
			d := cur.buf[cur.used : cur.used+len(f.Data) : cur.used+len(f.Data)]
			cur.used += copy(d, f.Data)
			f.Data = d
		}
		b.add(&f, cur, owner, alt)
	}
	b.last = true
	send(b)
	wg.Wait()

	var st Stats
	for _, s := range shards {
		ss := s.e.stats
		st.Bytes += ss.Bytes
		st.Invalid += ss.Invalid
		st.Flows += ss.Flows
		st.TCPSessions += ss.TCPSessions
		st.HTTPTransactions += ss.HTTPTransactions
		st.ChecksumErrors += ss.ChecksumErrors
		st.Fragments += ss.Fragments
		st.Tunneled += ss.Tunneled
		st.ReassemblyGaps += ss.ReassemblyGaps
		st.StreamMemcapHits += ss.StreamMemcapHits
	}
	st.Packets = packets
	return st, runErr
}

// loop processes the batches sent to the shard.
func (s *Shard) loop() {
	for b := range s.in {
		for i := range b.frames {
			fr := &b.frames[i]
			own := int(b.owner[i]) == s.idx
			if a := int(b.alt[i]); a >= 0 {
				if a == s.idx {
					own = s.quotedFlowExists(fr)
					b.decide(i, own)
				} else if own {
					own = !b.taken(i)
				}
			}
			if own {
				if fr.Num == checksumSample {
					s.e.csumFails = s.run.csumBefore
				}
				s.frame(fr)
			} else {
				s.tick(fr.Num, fr.Time)
			}
			if fr.Num == checksumSample {
				s.e.noCsum = s.run.csumOff
			}
		}
		last := b.last
		s.run.release(b)
		if last {
			s.phase = PhaseEnd
			s.e.finish()
			s.h.Flush(true)
			return
		}
		s.h.Flush(false)
	}
}

// tick advances the shard to frame num of another shard.
func (s *Shard) tick(num int, t time.Time) {
	s.phase = PhaseExpire
	s.e.stats.Packets = num // the schedule of defrag expiry counts all frames
	s.e.clock(num, t)
}

// frame processes one of the shard's own frames.
func (s *Shard) frame(fr *Frame) {
	s.tick(fr.Num, fr.Time)
	s.phase = PhaseFrame
	s.e.nextID = uint64(fr.Num) << 8
	s.e.stats.Packets = fr.Num - 1
	s.e.packet(fr)
}

// quotedFlowExists advances the shard to ICMP error frame fr and reports
// whether the flow it quotes exists here, as lookup would find it.
func (s *Shard) quotedFlowExists(fr *Frame) bool {
	s.tick(fr.Num, fr.Time)
	p := &s.pk
	*p = Packet{}
	if s.dec.decodeLink(p, fr.LinkType, fr.Data) != nil {
		return false
	}
	k, ok := icmpErrorKey(p)
	return ok && s.e.flows[k] != nil
}

// route picks the shard of a frame (see above), and for an ICMP error
// about a flow of another shard, that shard (else -1).
func route(dec *decoder, p *Packet, fr *Frame, n int) (owner, alt int) {
	if n == 1 {
		return 0, -1
	}
	*p = Packet{}
	err := dec.decodeLink(p, fr.LinkType, fr.Data)
	if !p.SrcIP.IsValid() || !p.DstIP.IsValid() {
		return 0, -1
	}
	owner = pairShard(p.SrcIP, p.DstIP, n)
	if err != nil {
		return owner, -1
	}
	if k, ok := icmpErrorKey(p); ok {
		if a := pairShard(k.a, k.b, n); a != owner {
			return owner, a
		}
	}
	return owner, -1
}

// pairShard hashes an address pair, the same whichever way round.
func pairShard(a, b netip.Addr, n int) int {
	h := addrHash(a) + addrHash(b)
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return int(h % uint64(n))
}

func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	x := binary.LittleEndian.Uint64(b[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(b[8:])
	x ^= x >> 31
	x *= 0x94d049bb133111eb
	return x ^ x>>29
}
