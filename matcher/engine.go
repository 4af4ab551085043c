package matcher

import (
	"context"
	"io"
	"math/bits"
	"net/netip"
	"sort"
	"time"

	"github.com/sigtool/sigtool/matcher/iponly"
	"github.com/sigtool/sigtool/matcher/prefilter"
	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/pcaps/http1"
)

// rawChunkSize is Suricata's stream.reassembly.toserver-chunk-size and
// toclient-chunk-size default: in IDS mode raw stream data is inspected
// once this much has been ACKed, when the app-layer asks for it (an HTTP
// message completed), or when the session ends.
const rawChunkSize = 2560

// flowState is the matcher's per-flow state, kept in pcaps.Flow.UserData.
type flowState struct {
	bits       []bool
	ipOnlyDone [2]bool
	// pending holds stream data of each direction (0 = to server) that
	// became inspectable but has not been inspected yet; pendOff is the
	// stream offset of pending[d][0].
	pending [2][]byte
	// segs marks where pending data continues after a reassembly gap:
	// each segment starts at index start of pending, at stream offset off.
	// Segments are inspected separately, as Suricata does not join data
	// across a gap.
	segs    [2][]streamSeg
	trigger [2]bool // the app-layer asked for raw inspection
	closing bool
	txs     []*txState
	// hist keeps the start of each direction's stream (up to histMax) for
	// HTTP rules that also match the payload.
	hist [2][]byte
	// forgotten: transactions with a lower id are done and dropped.
	forgotten int
	// synData is the length of data carried by a SYN (TCP Fast Open) in
	// each direction: it is inspected with the SYN packet, and Suricata
	// does not inspect it again in the stream.
	synData [2]int
	// estSeen is set once a packet saw the session established;
	// handshakeACK marks the current packet as the bare ACK that
	// completed the handshake.
	estSeen, handshakeACK bool
	// seq follows each direction's sequence numbers for stream_size.
	seq      [2]seqTrack
	firstPkt bool // the current packet is the flow's first
	npkts    int
	// lastNum is the number of the flow's latest packet, kept by
	// parallel.go to order flow expiry across workers.
	lastNum  int
	pktRules [2]pktRules
}

// histMax bounds the stream kept per direction for HTTP rules with payload
// keywords. A hist buffer's capacity is a size class, histMin<<k for k
// below histClasses, so buffers of ended flows are reused (histFree).
const (
	histMax     = 64 << 10
	histMin     = 4 << 10
	histClasses = 5
)

// appendHist appends data to the hist buffer h, growing it into a buffer
// of the next size class, a reused one when a flow that ended left one.
func (sc *scanner) appendHist(h, data []byte) []byte {
	if need := len(h) + len(data); need > cap(h) {
		k := 0
		for histMin<<k < need && k < histClasses-1 {
			k++
		}
		var nb []byte
		if free := sc.histFree[k]; len(free) > 0 {
			nb = free[len(free)-1][:0]
			sc.histFree[k] = free[:len(free)-1]
		} else {
			nb = make([]byte, 0, histMin<<k)
		}
		nb = append(nb, h...)
		sc.putHist(h)
		h = nb
	}
	return append(h, data...)
}

// putHist keeps a hist buffer nothing refers to any more for reuse.
func (sc *scanner) putHist(h []byte) {
	for k := range histClasses {
		if cap(h) == histMin<<k {
			sc.histFree[k] = append(sc.histFree[k], h)
			return
		}
	}
}

// FlowEnded is told by pcaps that f has ended, after its last packet: its
// hist buffers are free for other flows. (Alerts copy what they show of
// a buffer, so none refers to them.)
func (sc *scanner) FlowEnded(f *pcaps.Flow) {
	if fs, ok := f.UserData.(*flowState); ok {
		sc.putHist(fs.hist[0])
		sc.putHist(fs.hist[1])
		fs.hist = [2][]byte{}
	}
}

// streamSeg is a gap-free run of pending stream data.
type streamSeg struct {
	start int
	off   uint64
}

// txState tracks one HTTP transaction: which tx rules are done with it.
type txState struct {
	tx *http1.Tx
	id int
	// done records, per transaction rule and direction, that the rule is
	// done with the transaction (Suricata keeps a detect state per
	// transaction and direction): a bit set, 2 bits per rule.
	done []uint64
	// swept[d] bit k: the rules of Engine.txGroups[d][k] that were not
	// prefilter candidates when ready are marked done.
	swept [2]uint64
	// pfCands[d] are the transaction rules that are prefilter candidates
	// for direction d, valid (pfValid) while the final buffers are still
	// those of pfScanned (bit i: Engine.pfBufs[i]).
	pfCands   [2][]int32
	pfValid   [2]bool
	pfScanned [2]uint64
	// pending counts the (rule, direction) pairs, for the directions
	// each rule inspects, not yet done: the transaction can be forgotten
	// at 0.
	pending int
	// inspected[d]: the transaction was inspected in direction d once
	// its progress there was complete, and is not inspected in d again
	// (Suricata's APP_LAYER_TX_INSPECTED_TS/TC after DetectRunTx): a
	// rule still waiting, on flowbits say, is done with it.
	inspected [2]bool
}

// candidate is an alert waiting for the packet's alert queue.
type candidate struct {
	r      *rule
	txID   int
	tx     *http1.Tx
	nmatch int
	mstart int // index into scanner.mbuf
}

type threshKey struct {
	sid, gid int
	addr     netip.Addr
	addr2    netip.Addr
}

type threshState struct {
	start time.Time
	count int
}

// scanner is the state of one scan: it implements pcaps.Handler.
type scanner struct {
	e     *Engine
	s     scratch
	emit  func(*Alert)
	stats Stats
	ctx   context.Context

	queue  []candidate
	mrecs  []matchRec
	mbufs  [][]byte // buffer inspected by each recorded match (views)
	mnames []string // and its name
	thresh map[threshKey]*threshState
	// histFree holds the hist buffers of ended flows by size class
	// (histMin<<k bytes), for new flows' hist to grow into without
	// allocating and clearing.
	histFree [histClasses][][]byte
	prof     []RuleProfile      // per rule index, with Config.Profile
	profAt   time.Time          // start of the evaluation being timed
	profR    int                // its rule index, -1 when none
	pfs      *prefilter.Scratch // nil without a prefilter
	ips      iponly.Scratch
	hdr      []byte // scratch for multi-buffer instances
	// direct is the packet's stream chunk of its own direction when
	// pending data of that direction is empty (HandlePacket): inspectDir
	// inspects it in place. segs is its one segment.
	direct *pcaps.StreamChunk
	segs   []streamSeg
	// ipoKey, ipoRes: ipoLookup's two remembered address pairs and
	// answers (ipoSet: entry filled); ipoNext is the one to replace.
	ipoKey  [2][2]netip.Addr
	ipoRes  [2][]int32
	ipoSet  [2]bool
	ipoNext int
	// extra is scratch for the candidates added to the prefilter's.
	extra []int32
	// pktRules are the rules with a pattern in the packet bucket.
	pktRules []*rule
	// scanned lists the buffers of one inspectTxs prefilter pass.
	scanned []scannedBuf
	// txc and txm are scratch candidate lists of inspectTxs.
	txc, txm []int32
	// txPairs is the number of (transaction rule, direction inspected)
	// pairs (txState.pending starts there); pfDir[d] has bit i set when
	// Engine.pfBufs[i] can hold the pattern of a rule inspecting
	// direction d (response-only buffers cannot for requests).
	txPairs int
	pfDir   [2]uint64
	// groupBits[d][k] has the done bits (txState.done) of the rules of
	// Engine.txGroups[d][k] set; sweep is sweepGroup's scratch.
	groupBits [2][][]uint64
	sweep     []uint64
	tbuf      []byte // scratch for transformed buffers

	// memo caches address-set verdicts for the two most recent addresses.
	memoIP   [2]netip.Addr
	memo     [2][]uint8
	memoNext int

	// collect, when set, takes each packet's queued alerts instead of
	// finish: a parallel scan (parallel.go) applies thresholds and
	// packet-alert-max in capture order across its workers.
	collect func(p *pcaps.Packet)
}

func (e *Engine) scan(ctx context.Context, r io.Reader, name string, emit func(*Alert)) (Stats, error) {
	sc := newScanner(e, emit)
	sc.ctx = ctx
	pcfg := pcaps.Config{Midstream: e.cfg.Midstream, Inline: e.cfg.Inline, NoChecksum: e.cfg.NoChecksum}
	ps, err := pcaps.Process(ctx, r, name, pcfg, sc)
	sc.stats.Packets = ps.Packets
	sc.stats.Bytes = ps.Bytes
	sc.stats.Flows = ps.Flows
	sc.stats.HTTPTransactions = ps.HTTPTransactions
	return sc.stats, err
}

func newScanner(e *Engine, emit func(*Alert)) *scanner {
	sc := &scanner{e: e, emit: emit, thresh: map[threshKey]*threshState{}}
	if e.pf != nil {
		sc.pfs = e.pf.NewScratch()
	}
	sc.stats.PerSID = map[int]int{}
	sc.profR = -1
	for _, r := range e.txRules {
		if r.txToSrv {
			sc.txPairs++
		}
		if r.txToCli {
			sc.txPairs++
		}
	}
	for _, r := range e.rules {
		if !r.isTx && r.pfPay && payloadBucket(r) == bucketPacket {
			sc.pktRules = append(sc.pktRules, r)
		}
	}
	words := (2*len(e.txRules) + 63) / 64
	for d := range e.txGroups {
		for _, g := range e.txGroups[d] {
			m := make([]uint64, words)
			for _, r := range g.rules {
				b := 2*r.txIdx + d
				m[b/64] |= 1 << (b % 64)
			}
			sc.groupBits[d] = append(sc.groupBits[d], m)
		}
	}
	for i, b := range e.pfBufs {
		if s, _ := bufDirections(b.buf); s {
			sc.pfDir[0] |= 1 << i
		}
		sc.pfDir[1] |= 1 << i
	}
	if e.cfg.Profile {
		sc.prof = make([]RuleProfile, len(e.rules))
		for i, r := range e.rules {
			sc.prof[i] = RuleProfile{SID: r.sid, GID: r.gid, Rev: r.rev, Msg: r.msg}
		}
		sc.stats.Profile = sc.prof
	}
	return sc
}

// profStart ends the timing of the previous evaluation and, with r, starts
// timing (and counts) r's. Only called with Config.Profile.
func (sc *scanner) profStart(r *rule) {
	now := time.Now()
	if sc.profR >= 0 {
		sc.prof[sc.profR].Time += now.Sub(sc.profAt)
		sc.profR = -1
	}
	if r != nil {
		sc.prof[r.idx].Checks++
		sc.profR, sc.profAt = r.idx, now
	}
}

func (sc *scanner) flowState(f *pcaps.Flow) *flowState {
	if fs, ok := f.UserData.(*flowState); ok {
		return fs
	}
	fs := &flowState{bits: make([]bool, len(sc.e.flowbitNames))}
	f.UserData = fs
	return fs
}

func dirIdx(toServer bool) int {
	if toServer {
		return 0
	}
	return 1
}

// HandlePacket runs the rules over one packet. It is the per-packet hot
// path: it allocates only when an alert is emitted, when a flow is new,
// or when stream data must be kept for a later packet.
func (sc *scanner) HandlePacket(p *pcaps.Packet) {
	sc.queue = sc.queue[:0]
	sc.mrecs = sc.mrecs[:0]
	sc.mbufs = sc.mbufs[:0]
	sc.mnames = sc.mnames[:0]
	var fs *flowState
	sc.direct = nil
	if p.Flow != nil {
		fs = sc.flowState(p.Flow)
		own := dirIdx(p.ToServer)
		// A flow ruled out as HTTP that never had a transaction never
		// will: HTTP rules do not look at its stream.
		failed := p.Flow.AppProto == "failed" && len(fs.txs) == 0 && fs.forgotten == 0
		for i := range p.Stream {
			c := &p.Stream[i]
			d := dirIdx(c.ToServer)
			switch {
			case d == own && sc.direct == nil && len(fs.pending[d]) == 0:
				// Usually the only chunk, of the packet's own
				// direction, and inspected by this packet:
				// inspectDir looks at it in place and copies it
				// only if it must wait.
				sc.direct = c
			case d == own && sc.direct != nil:
				// A second chunk: the stream is kept whole in
				// pending.
				fs.appendChunk(sc.direct)
				sc.direct = nil
				fs.appendChunk(c)
			default:
				fs.appendChunk(c)
			}
			// The stream start is kept for HTTP rules with payload
			// keywords.
			if sc.e.mixed[d] && !failed && len(fs.hist[d]) < histMax {
				n := min(len(c.Data), histMax-len(fs.hist[d]))
				fs.hist[d] = sc.appendHist(fs.hist[d], c.Data[:n])
			}
			if c.Final {
				fs.closing = true
			}
		}
		if failed {
			sc.putHist(fs.hist[0])
			sc.putHist(fs.hist[1])
			fs.hist = [2][]byte{}
		}
		for _, ev := range p.HTTP {
			if ev.TxID >= fs.forgotten {
				fs.tx(ev.Tx, ev.TxID, len(sc.e.txRules), sc.txPairs)
			}
			// The HTTP parser asks for raw inspection of a direction
			// when a message of that direction completes.
			pr := ev.Tx.Progress()
			if pr.Has(http1.RequestComplete) {
				fs.trigger[0] = true
			}
			if pr.Has(http1.ResponseComplete) {
				fs.trigger[1] = true
			}
		}
		fs.handshakeACK = false
		if p.Proto == pcaps.ProtoTCP && !p.Pseudo && p.ChecksumOK {
			fs.seq[dirIdx(p.ToServer)].update(p)
		}
		fs.npkts++
		fs.firstPkt = fs.npkts == 1
		if p.Proto == pcaps.ProtoTCP && !p.Pseudo && p.Established && !fs.estSeen {
			fs.estSeen = true
			fs.handshakeACK = !p.Flow.Midstream && len(p.Payload) == 0 && p.TCP.Flags&pcaps.TCPSyn == 0
		}
		if p.Proto == pcaps.ProtoTCP && p.TCP.Flags&pcaps.TCPSyn != 0 && len(p.Payload) > 0 {
			fs.synData[dirIdx(p.ToServer)] = len(p.Payload)
		}
		if p.Proto == pcaps.ProtoTCP && p.TCP.Flags&(pcaps.TCPFin|pcaps.TCPRst) != 0 {
			fs.closing = true
		}
	}
	if p.Pseudo {
		// pcaps makes one flow-end pseudo packet per direction.
		if fs != nil {
			sc.inspectDir(p, fs, p.ToServer, true)
		}
	} else {
		sc.inspectDir(p, fs, p.ToServer, false)
	}
	sc.finish(p, fs)
}

// appendChunk adds a stream chunk to the data waiting for inspection.
func (fs *flowState) appendChunk(c *pcaps.StreamChunk) {
	d := dirIdx(c.ToServer)
	if len(fs.pending[d]) == 0 {
		fs.segs[d] = append(fs.segs[d][:0], streamSeg{0, c.Offset})
	} else if c.Gap {
		fs.segs[d] = append(fs.segs[d], streamSeg{len(fs.pending[d]), c.Offset})
	}
	fs.pending[d] = append(fs.pending[d], c.Data...)
}

// pendingKeep is the capacity of waiting stream data a flow keeps between
// inspections; a larger buffer (a whole response ACKed at once) is
// released, so idle flows do not hold the largest chunk they ever saw.
const pendingKeep = 16 << 10

func (fs *flowState) tx(tx *http1.Tx, id int, nrules, pairs int) *txState {
	// Match by id: the parser may move a Tx in memory as it grows its
	// table, so the latest pointer is kept.
	for _, t := range fs.txs {
		if t.id == id {
			t.tx = tx
			return t
		}
	}
	t := &txState{tx: tx, id: id, done: make([]uint64, (2*nrules+63)/64), pending: pairs}
	fs.txs = append(fs.txs, t)
	return t
}

// inspectDir evaluates the rules for one direction of a packet. Pseudo
// packets (flow end) only inspect stream data and transactions.
func (sc *scanner) inspectDir(p *pcaps.Packet, fs *flowState, toSrv bool, pseudo bool) {
	d := dirIdx(toSrv)
	// stream is the data to inspect as this direction's stream, in
	// gap-free segments segs: pending data, or the packet's own chunk
	// in place (sc.direct, pending being empty then).
	var stream []byte
	var segs []streamSeg
	if c := sc.direct; fs != nil && c != nil && dirIdx(c.ToServer) == d {
		switch {
		case p.Flow != nil && !p.Flow.Established:
			// As below: nothing to keep.
		case pseudo || sc.e.cfg.Inline || fs.closing || fs.trigger[d] || len(c.Data) >= rawChunkSize:
			stream = c.Data
			sc.segs = append(sc.segs[:0], streamSeg{0, c.Offset})
			segs = sc.segs
		default:
			fs.appendChunk(c)
		}
		sc.direct = nil
	}
	if fs != nil && len(fs.pending[d]) > 0 {
		ready := pseudo || sc.e.cfg.Inline || fs.closing || fs.trigger[d] || len(fs.pending[d]) >= rawChunkSize
		// A TCP session that never got established has no stream to
		// inspect in Suricata; its packets are inspected one by one.
		if p.Flow != nil && !p.Flow.Established {
			ready = false
			fs.pending[d] = fs.pending[d][:0]
		}
		if ready {
			stream, segs = fs.pending[d], fs.segs[d]
		}
	}
	src, dst, sport, dport := p.SrcIP, p.DstIP, p.SrcPort, p.DstPort
	if pseudo && p.Flow != nil {
		// A flow-end pseudo packet per direction, as Suricata makes.
		if toSrv {
			src, dst, sport, dport = p.Flow.Client.Addr(), p.Flow.Server.Addr(), p.Flow.Client.Port(), p.Flow.Server.Port()
		} else {
			src, dst, sport, dport = p.Flow.Server.Addr(), p.Flow.Client.Addr(), p.Flow.Server.Port(), p.Flow.Client.Port()
		}
	}
	proto := p.Proto
	if pseudo && p.Flow != nil {
		proto = p.Flow.Proto
	}
	established := p.Established
	if pseudo && p.Flow != nil {
		established = p.Flow.Established
	}
	// Suricata counts the flow established from the packet after the one
	// completing the handshake; the handshake's final ACK is established
	// only when it carries data (stream-tcp.c; suricata-verify
	// like-ip-only-01).
	if fs != nil && !pseudo && established && fs.handshakeACK {
		established = false
	}
	appHTTP := p.Flow != nil && p.Flow.AppProto == "http"
	// A TCP segment of an established session goes into the stream and is
	// inspected there, not as a packet (Suricata's PKT_STREAM_ADD).
	addedToStream := proto == pcaps.ProtoTCP && len(p.Payload) > 0 && p.ChecksumOK &&
		established && !(p.Flow != nil && p.Flow.Midstream && fs != nil && fs.firstPkt)
	// (The packet that picks a session up midstream is inspected as a
	// packet as well: detect-bytetest-02 alerts on it and again on the
	// stream at flow end.)

	// One multi-pattern pass over the payload and the stream instead of a
	// search per rule.
	// Only the candidates (rules whose pattern occurs, and rules without
	// one) are evaluated; without a prefilter, every rule.
	var cands []int32
	if sc.pfs != nil {
		sc.pfs.Reset()
		// Packet-only rules: on a flow, those whose header fits the
		// flow direction are candidates outright (a handful, mostly
		// dsize rules that a packet's size rejects at once), instead of
		// a multi-pattern pass over every payload.
		var pkt []int32
		if !pseudo {
			if fs == nil {
				sc.e.pf.Scan(sc.pfs, sc.e.pfPacket, p.Payload)
			} else {
				pkt = sc.packetRules(fs, d, proto, src, dst, sport, dport, toSrv, p.IPVersion != 0)
			}
		}
		if !pseudo {
			// Stream rules see a segment that went into the stream
			// only through the stream: its bytes are scanned there.
			if !addedToStream {
				sc.e.pf.Scan(sc.pfs, sc.e.pfPayload, p.Payload)
			}
			if proto != pcaps.ProtoTCP {
				sc.e.pf.Scan(sc.pfs, sc.e.pfNonTCP, p.Payload)
			}
		}
		sc.e.pf.Scan(sc.pfs, sc.e.pfPayload, stream)
		// Rules in the address table run on packets only (content-less
		// rules skip pseudo packets).
		var ipc []int32
		if sc.e.ipo != nil && !pseudo && p.IPVersion != 0 {
			ipc = sc.ipoLookup(src, dst)
		}
		if len(pkt) > 0 {
			// Disjoint lists: table rules have no content.
			sc.extra = unionSorted(sc.extra[:0], ipc, pkt)
			ipc = sc.extra
		}
		cands = sc.e.pf.CandidatesWith(sc.pfs, ipc)
	}
	n := len(sc.e.rules)
	if sc.pfs != nil {
		n = len(cands)
	}
	for k := 0; k < n; k++ {
		r := sc.e.rules[k]
		if sc.pfs != nil {
			r = sc.e.rules[cands[k]]
		}
		if r.isTx {
			continue
		}
		if pseudo && (len(r.payload) == 0 || r.requirePacket) {
			continue
		}
		// IP-only rules look at the first packet of each direction of a
		// flow only: skip them before their (often long) address lists.
		if r.ipOnly && (pseudo || fs != nil && fs.ipOnlyDone[d]) {
			continue
		}
		if sc.prof != nil {
			sc.profStart(r)
		}
		if !sc.headerMatch(r, p, proto, src, dst, sport, dport, appHTTP, p.IPVersion != 0 || pseudo) {
			continue
		}
		if !flowMatch(r, toSrv, established, pseudo) {
			continue
		}
		if !sc.flowbitsMatch(r, fs) {
			continue
		}
		if r.dsize != nil && (pseudo || !r.dsize.match(len(p.Payload))) {
			continue
		}
		if !packetKeywords(r, p, pseudo) {
			continue
		}
		if r.streamSize != nil && (proto != pcaps.ProtoTCP || !r.streamSize.match(fs)) {
			continue
		}
		mstart := len(sc.mrecs)
		if len(r.payload) > 0 {
			matched := false
			// Rules with a content (an mpm pattern) inspect the
			// reassembled stream, falling back to the packet when the
			// segment did not go into a stream. Payload rules without
			// any content (pcre, byte_* only) are inspected once, on
			// the packet: suricata-verify detect-bytetest-02 and
			// detect-pcre-03 show Suricata alerting once for them
			// where content rules alert on the packet and the stream.
			isStreamRule := proto == pcaps.ProtoTCP && payloadBucket(r) == bucketStream
			if isStreamRule {
				if stream != nil && has(stream, r.payNeed, r.payNeedFold) {
					matched = sc.inspectStream(r, fs, d, stream, segs)
				}
				if !matched && !pseudo && !addedToStream && !r.streamOnly && has(p.Payload, r.payNeed, r.payNeedFold) {
					if sc.s.inspectList(r.payload, p.Payload, 0) {
						matched = true
						sc.keepMatches(p.Payload, "")
					}
				}
			} else if !pseudo && has(p.Payload, r.payNeed, r.payNeedFold) {
				if sc.s.inspectList(r.payload, p.Payload, 0) {
					matched = true
					sc.keepMatches(p.Payload, "")
				}
			}
			if !matched {
				continue
			}
		}
		sc.postMatch(r, fs)
		sc.enqueue(r, -1, nil, mstart)
	}
	if sc.prof != nil {
		sc.profStart(nil)
	}
	if fs != nil && !pseudo {
		fs.ipOnlyDone[d] = true
	}
	if stream != nil {
		if cap(fs.pending[d]) > pendingKeep {
			fs.pending[d] = nil
		} else {
			fs.pending[d] = fs.pending[d][:0]
		}
		fs.trigger[d] = false
	}
	if fs != nil && len(fs.txs) > 0 {
		sc.inspectTxs(p, fs, toSrv, pseudo, src, dst, sport, dport, established)
	}
}

// Prefilter buffer names of payload rules (payloadBucket); the names
// cannot collide with an HTTP buffer's.
const (
	bucketStream = ""
	bucketPacket = "\x00packet"
	bucketNonTCP = "\x00non-tcp"
)

// bucketBody holds the patterns of file.data, http.request_body and
// http.response_body: a message's body is all three (http1 returns the
// same bytes), so one automaton scans it once instead of three times.
// Scanning a body for another body buffer's patterns only adds
// candidates.
const bucketBody = "\x00body"

// txBucket is the prefilter buffer of a transaction rule's pattern in
// HTTP buffer name.
func txBucket(name string) string {
	switch name {
	case "file.data", "http.request_body", "http.response_body":
		return bucketBody
	}
	return name
}

// bucketBuffers lists the HTTP buffers whose data a prefilter buffer is
// scanned over.
func bucketBuffers(bucket string) []string {
	if bucket == bucketBody {
		return []string{"file.data", "http.request_body", "http.response_body"}
	}
	return []string{bucket}
}

// payloadBucket is the prefilter buffer a payload rule's pattern goes in,
// by the data the rule can inspect. Rules that may inspect a TCP stream
// (the isStreamRule test of inspectDir, less the packet's protocol) go in
// bucketStream, scanned over stream data and over packets that did not go
// into a stream. UDP and ICMP rules go in bucketNonTCP, scanned over
// non-TCP packets only. The rest (dsize, flow:no_stream, contentless)
// only ever inspect packets and go in bucketPacket, scanned over every
// packet. A TCP segment added to the stream is then scanned once for
// stream rules (in the stream) and, as a packet, only by the few
// packet-only patterns.
func payloadBucket(r *rule) string {
	switch {
	case r.proto == protoUDP || r.proto == protoICMP:
		return bucketNonTCP
	case !r.requirePacket && r.hasContent:
		return bucketStream
	}
	return bucketPacket
}

// ipoLookup is the address table's Lookup, remembering the answers for
// the two most recent address pairs (a flow's two directions): packets of
// a flow come in runs. The slice is valid until the next call.
func (sc *scanner) ipoLookup(src, dst netip.Addr) []int32 {
	for k := range sc.ipoKey {
		if sc.ipoSet[k] && sc.ipoKey[k] == [2]netip.Addr{src, dst} {
			return sc.ipoRes[k]
		}
	}
	k := sc.ipoNext
	sc.ipoNext ^= 1
	sc.ipoRes[k] = append(sc.ipoRes[k][:0], sc.e.ipo.Lookup(&sc.ips, src, dst)...)
	sc.ipoKey[k], sc.ipoSet[k] = [2]netip.Addr{src, dst}, true
	return sc.ipoRes[k]
}

// packetRules lists (ascending) the rules of the packet bucket
// (payloadBucket) whose header and flow direction match direction d of
// the flow. They are the flow's, so the list is kept per direction (and
// made again if the direction's source changes, as when pcaps reverses a
// flow picked up midstream). app-layer http is taken as matched: it may
// still come. The rules not listed cannot match this direction's packets.
func (sc *scanner) packetRules(fs *flowState, d int, proto uint8, src, dst netip.Addr, sport, dport uint16, toSrv, isIP bool) []int32 {
	g := &fs.pktRules[d]
	if g.known && g.src == src && g.sport == sport {
		return g.rules
	}
	*g = pktRules{known: true, src: src, sport: sport}
	for _, r := range sc.pktRules {
		if f := r.flow; f != nil && (f.ToServer && !toSrv || f.ToClient && toSrv) {
			continue
		}
		if sc.headerMatch(r, nil, proto, src, dst, sport, dport, true, isIP) {
			g.rules = append(g.rules, int32(r.idx))
		}
	}
	return g.rules
}

// pktRules is packetRules' answer for one direction of a flow.
type pktRules struct {
	known bool
	src   netip.Addr
	sport uint16
	rules []int32
}

// inspectStream runs a rule's payload list over the pending stream data of
// direction d, one gap-free segment at a time. Data a SYN carried (TCP Fast
// Open) was inspected with the SYN and is skipped.
func (sc *scanner) inspectStream(r *rule, fs *flowState, d int, data []byte, segs []streamSeg) bool {
	for i, sg := range segs {
		end := len(data)
		if i+1 < len(segs) {
			end = segs[i+1].start
		}
		buf, off := data[sg.start:end], int(sg.off)
		if skip := fs.synData[d] - off; skip > 0 {
			skip = min(skip, len(buf))
			buf, off = buf[skip:], off+skip
		}
		if len(buf) == 0 {
			continue
		}
		if sc.s.inspectList(r.payload, buf, off) {
			sc.keepMatches(buf, "stream")
			return true
		}
	}
	return false
}

// inspectTxs runs the transaction rules of one direction over the flow's
// live HTTP transactions; each rule alerts at most once per transaction
// and direction.
func (sc *scanner) inspectTxs(p *pcaps.Packet, fs *flowState, toSrv, pseudo bool, src, dst netip.Addr, sport, dport uint16, established bool) {
	d := dirIdx(toSrv)
	// Buffers are scanned by the prefilter once they are final (a rule
	// is not ready before its buffers are), and a transaction's
	// candidates are kept until another buffer becomes final: a response
	// body is not rescanned on every segment. Pseudo packets (flow end)
	// make every rule ready, so they scan whatever there is.
	cache := !pseudo && len(sc.e.pfBufs) <= 64
	complete := http1.RequestComplete
	if !toSrv {
		complete = http1.ResponseComplete
	}
	for _, ts := range fs.txs {
		if ts.inspected[d] {
			continue
		}
		if sc.prof != nil {
			// The prefilter work below is no rule's.
			sc.profStart(nil)
		}
		pr := ts.tx.Progress()
		ts.inspected[d] = pr.Has(complete)
		cands := ts.pfCands[d]
		if sc.pfs != nil {
			var final uint64
			if cache {
				for i, b := range sc.e.pfBufs {
					if sc.pfDir[d]&(1<<i) != 0 && pr.Has(b.buf.Progress(bufDir(b.buf, toSrv))) {
						final |= 1 << i
					}
				}
			}
			if !cache || !ts.pfValid[d] || final != ts.pfScanned[d] {
				// Buffers only become final, and a final buffer
				// does not change: when the earlier scan was of final
				// buffers, only the newly final ones are scanned and
				// their candidates added.
				old := ts.pfScanned[d]
				more := cache && ts.pfValid[d] && final&old == old
				sc.pfs.Reset()
				sc.scanned = sc.scanned[:0]
				for i, b := range sc.e.pfBufs {
					if cache && final&(1<<i) == 0 || more && old&(1<<i) != 0 || i < 64 && sc.pfDir[d]&(1<<i) == 0 {
						continue
					}
					if data, ok := txBuffer(ts.tx, b.buf, bufDir(b.buf, toSrv)); ok && sc.firstScan(b.id, data) {
						sc.e.pf.Scan(sc.pfs, b.id, data)
					}
				}
				clear(sc.scanned) // hold no transaction's memory
				found := sc.txc[:0]
				for _, c := range sc.e.pf.Candidates(sc.pfs) {
					if sc.e.rules[c].isTx {
						found = append(found, c)
					}
				}
				sc.txc = found
				if more {
					// txm and txc never share an array.
					sc.txm = unionSorted(sc.txm[:0], cands, found)
					found = sc.txm
				}
				cands = append(cands[:0], found...)
				ts.pfCands[d], ts.pfValid[d], ts.pfScanned[d] = cands, cache, final
			}
			// A rule whose needed content is absent when its buffers
			// are final never becomes a candidate: it is done with
			// this transaction. Group rules and candidates are both
			// in rule order: one merge walk.
			for k, g := range sc.e.txGroups[d] {
				if ts.swept[d]&(1<<k) != 0 || !pseudo && !pr.Has(g.need) {
					continue
				}
				ts.swept[d] |= 1 << k
				sc.sweepGroup(ts, d, k, cands)
			}
		}
		n := len(sc.e.txRules)
		if sc.pfs != nil {
			n = len(cands)
		}
		for k := 0; k < n; k++ {
			var r *rule
			if sc.pfs != nil {
				r = sc.e.rules[cands[k]]
			} else {
				r = sc.e.txRules[k]
			}
			if ts.isDone(r.txIdx, toSrv) {
				continue
			}
			if toSrv && !r.txToSrv || !toSrv && !r.txToCli {
				continue
			}
			// Wait until every buffer the rule inspects is final.
			if !pseudo && !pr.Has(r.txNeed[d]) {
				continue
			}
			if sc.prof != nil {
				sc.profStart(r)
			}
			if !sc.headerMatch(r, p, pcaps.ProtoTCP, src, dst, sport, dport, true, true) {
				// The addresses and ports of a transaction's packets
				// in one direction are the flow's: a header that
				// does not match now never will.
				ts.setDone(r.txIdx, toSrv)
				continue
			}
			if !flowMatch(r, toSrv, established, pseudo) {
				continue
			}
			if !packetKeywords(r, p, pseudo) || r.streamSize != nil && !r.streamSize.match(fs) {
				continue
			}
			if !sc.flowbitsMatch(r, fs) {
				continue
			}
			ts.setDone(r.txIdx, toSrv)
			mstart := len(sc.mrecs)
			if !sc.txMatch(r, ts.tx, toSrv) {
				continue
			}
			if len(r.payload) > 0 {
				// Payload keywords of an HTTP rule look at the raw
				// stream of the rule's direction.
				h := fs.hist[dirIdx(toSrv)]
				if !sc.s.inspectList(r.payload, h, 0) {
					sc.mrecs = sc.mrecs[:mstart]
					sc.mbufs = sc.mbufs[:mstart]
					sc.mnames = sc.mnames[:mstart]
					continue
				}
				sc.keepMatches(h, "stream")
			}
			sc.postMatch(r, fs)
			sc.enqueue(r, ts.id, ts.tx, mstart)
		}
	}
	if sc.prof != nil {
		sc.profStart(nil)
	}
	// Forget the oldest transactions every rule is done with; ids below
	// forgotten are never tracked again.
	n := 0
	for n < len(fs.txs) && (fs.txs[n].inspected == [2]bool{true, true} ||
		fs.txs[n].tx.Progress().Has(http1.ResponseComplete) && sc.allDone(fs.txs[n])) {
		n++
	}
	if n > 0 {
		fs.forgotten = fs.txs[n-1].id + 1
		fs.txs = append(fs.txs[:0], fs.txs[n:]...)
	}
}

// allDone reports whether every transaction rule is done with ts in
// each direction it inspects.
func (sc *scanner) allDone(ts *txState) bool { return ts.pending == 0 }

// Two bits per transaction rule: bit 2i to server, bit 2i+1 to client.
func (ts *txState) isDone(i int, toSrv bool) bool {
	b := 2 * i
	if !toSrv {
		b++
	}
	return ts.done[b/64]&(1<<(b%64)) != 0
}

// setDone marks rule i done with ts in one direction; callers only do so
// for a direction the rule inspects, so pending counts what is left.
func (ts *txState) setDone(i int, toSrv bool) {
	b := 2 * i
	if !toSrv {
		b++
	}
	if ts.done[b/64]&(1<<(b%64)) == 0 {
		ts.done[b/64] |= 1 << (b % 64)
		ts.pending--
	}
}

// firstScan reports whether data has not been scanned for prefilter
// buffer id yet in this pass, and records it: the buffers of one bucket
// (bucketBody) are often the same bytes.
func (sc *scanner) firstScan(id int, data []byte) bool {
	for _, s := range sc.scanned {
		if s.id == id && len(s.data) == len(data) && (len(data) == 0 || &s.data[0] == &data[0]) {
			return false
		}
	}
	sc.scanned = append(sc.scanned, scannedBuf{id, data})
	return true
}

type scannedBuf struct {
	id   int
	data []byte
}

// sweepGroup marks the rules of group k of direction d (Engine.txGroups)
// that are not in cands done with ts, a word of done bits at a time.
func (sc *scanner) sweepGroup(ts *txState, d, k int, cands []int32) {
	m := append(sc.sweep[:0], sc.groupBits[d][k]...)
	sc.sweep = m
	for _, c := range cands {
		// Clearing the bit of a candidate outside the group is
		// harmless: it is not set.
		b := 2*sc.e.rules[c].txIdx + d
		m[b/64] &^= 1 << (b % 64)
	}
	for w, set := range m {
		if n := set &^ ts.done[w]; n != 0 {
			ts.pending -= bits.OnesCount64(n)
			ts.done[w] |= n
		}
	}
}

// unionSorted appends to dst the ascending union of two ascending lists
// without duplicates.
func unionSorted(dst, a, b []int32) []int32 {
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			dst = append(dst, a[0])
			a = a[1:]
		case b[0] < a[0]:
			dst = append(dst, b[0])
			b = b[1:]
		default:
			dst = append(dst, a[0])
			a, b = a[1:], b[1:]
		}
	}
	dst = append(dst, a...)
	return append(dst, b...)
}

// txMatch evaluates every buffer list of a transaction rule.
func (sc *scanner) txMatch(r *rule, tx *http1.Tx, toSrv bool) bool {
	start := len(sc.mrecs)
	for i := range r.bufs {
		b := &r.bufs[i]
		bufToSrv := toSrv
		s, c := bufDirections(b.buf)
		if s && !c {
			bufToSrv = true
		} else if c && !s {
			bufToSrv = false
		}
		if b.multi {
			if !sc.multiMatch(b, tx) {
				sc.mrecs = sc.mrecs[:start]
				sc.mbufs = sc.mbufs[:start]
				sc.mnames = sc.mnames[:start]
				return false
			}
			continue
		}
		data, ok := txBuffer(tx, b.buf, bufToSrv)
		if !ok {
			sc.mrecs = sc.mrecs[:start]
			sc.mbufs = sc.mbufs[:start]
			sc.mnames = sc.mnames[:start]
			return false
		}
		transformed := len(b.transforms) > 0
		if transformed {
			sc.tbuf = applyTransforms(sc.tbuf, data, b.transforms)
			data = sc.tbuf
		}
		for _, sz := range b.sizes {
			if !sz.match(len(data)) {
				sc.mrecs = sc.mrecs[:start]
				sc.mbufs = sc.mbufs[:start]
				sc.mnames = sc.mnames[:start]
				return false
			}
		}
		if !has(data, b.need, b.needFold) || !sc.s.inspectList(b.ops, data, 0) {
			sc.mrecs = sc.mrecs[:start]
			sc.mbufs = sc.mbufs[:start]
			sc.mnames = sc.mnames[:start]
			return false
		}
		if transformed {
			// The scratch is reused by the next list: keep a copy.
			data = append([]byte(nil), data...)
		}
		sc.keepMatches(data, b.name)
	}
	return true
}

// has reports whether need occurs in buf (always true for an empty need).
func has(buf, need []byte, fold bool) bool {
	return len(need) == 0 || index(buf, need, fold) >= 0
}

// multiMatch inspects each header of a multi-buffer as "Name: value".
func (sc *scanner) multiMatch(b *bufList, tx *http1.Tx) bool {
	hs := tx.ResponseHeaders()
	if b.multiSrv {
		hs = tx.RequestHeaders()
	}
	for _, h := range hs {
		sc.hdr = append(append(append(sc.hdr[:0], h.Name...), ": "...), h.Value...)
		if len(b.transforms) > 0 {
			sc.tbuf = applyTransforms(sc.tbuf, sc.hdr, b.transforms)
			sc.hdr, sc.tbuf = sc.tbuf, sc.hdr
		}
		ok := true
		for _, sz := range b.sizes {
			if !sz.match(len(sc.hdr)) {
				ok = false
			}
		}
		if ok && sc.s.inspectList(b.ops, sc.hdr, 0) {
			// The scratch header is reused: keep a copy for the alert.
			sc.keepMatches(append([]byte(nil), sc.hdr...), b.name)
			return true
		}
	}
	return false
}

// keepMatches moves the scratch's recorded matches to the packet's list.
func (sc *scanner) keepMatches(buf []byte, name string) {
	n := sc.s.nmatches
	if n > maxMatches {
		n = maxMatches
	}
	for i := 0; i < n; i++ {
		sc.mrecs = append(sc.mrecs, sc.s.matches[i])
		sc.mbufs = append(sc.mbufs, buf)
		sc.mnames = append(sc.mnames, name)
	}
}

func (sc *scanner) headerMatch(r *rule, p *pcaps.Packet, proto uint8, src, dst netip.Addr, sport, dport uint16, appHTTP, isIP bool) bool {
	if !isIP {
		return false
	}
	switch r.proto {
	case protoTCP:
		if proto != pcaps.ProtoTCP {
			return false
		}
	case protoUDP:
		if proto != pcaps.ProtoUDP {
			return false
		}
	case protoICMP:
		if proto != pcaps.ProtoICMP && proto != pcaps.ProtoICMPv6 {
			return false
		}
	case protoHTTP:
		if proto != pcaps.ProtoTCP || !appHTTP {
			return false
		}
	}
	ports := proto == pcaps.ProtoTCP || proto == pcaps.ProtoUDP
	fwd := sc.addrMatch(r.srcSet, src) && sc.addrMatch(r.dstSet, dst) && (!ports || r.sp.match(sport) && r.dp.match(dport)) &&
		(ports || !r.hasPorts)
	if fwd {
		return true
	}
	if r.bidir {
		return sc.addrMatch(r.srcSet, dst) && sc.addrMatch(r.dstSet, src) && (!ports || r.sp.match(dport) && r.dp.match(sport)) &&
			(ports || !r.hasPorts)
	}
	return false
}

// addrMatch evaluates address set i for ip, remembering the answer for
// the packet's two addresses: most rules share a few sets ($HOME_NET,
// $EXTERNAL_NET), so each is evaluated about once per packet.
func (sc *scanner) addrMatch(i int, ip netip.Addr) bool {
	var memo []uint8
	n := len(sc.e.addrSets)
	switch {
	case ip == sc.memoIP[0] && len(sc.memo[0]) == n:
		memo = sc.memo[0]
	case ip == sc.memoIP[1] && len(sc.memo[1]) == n:
		memo = sc.memo[1]
	default:
		// Replace the older of the two remembered addresses.
		k := sc.memoNext
		sc.memoNext ^= 1
		sc.memoIP[k] = ip
		if len(sc.memo[k]) != n {
			sc.memo[k] = make([]uint8, n)
		} else {
			clear(sc.memo[k])
		}
		memo = sc.memo[k]
	}
	switch memo[i] {
	case 1:
		return true
	case 2:
		return false
	}
	m := sc.e.addrSets[i].match(ip)
	if m {
		memo[i] = 1
	} else {
		memo[i] = 2
	}
	return m
}

// packetKeywords checks flags, itype and icode against the packet itself
// (pseudo packets carry no header to check).
func packetKeywords(r *rule, p *pcaps.Packet, pseudo bool) bool {
	if r.flags != nil && (pseudo || p.Proto != pcaps.ProtoTCP || !r.flags.match(p.TCP.Flags)) {
		return false
	}
	icmp := !pseudo && (p.Proto == pcaps.ProtoICMP || p.Proto == pcaps.ProtoICMPv6)
	if r.itype != nil && (!icmp || !r.itype.match(int(p.ICMP.Type))) {
		return false
	}
	if r.icode != nil && (!icmp || !r.icode.match(int(p.ICMP.Code))) {
		return false
	}
	return true
}

func flowMatch(r *rule, toSrv, established, pseudo bool) bool {
	f := r.flow
	if f == nil {
		return true
	}
	if f.ToServer && !toSrv || f.ToClient && toSrv {
		return false
	}
	if f.Established && !established {
		return false
	}
	if f.NotEstablished && established {
		return false
	}
	return true
}

func (sc *scanner) flowbitsMatch(r *rule, fs *flowState) bool {
	for _, c := range r.fbChecks {
		if fs == nil {
			if c.cmd == fbIsset {
				return false
			}
			continue
		}
		any, all := false, true
		for _, b := range c.bits {
			if fs.bits[b] {
				any = true
			} else {
				all = false
			}
		}
		var m bool
		switch {
		case c.cmd == fbIsset && c.orAll:
			m = any
		case c.cmd == fbIsset:
			m = all
		case c.orAll:
			m = !all // isnotset a|b: one of them unset
		default:
			m = !any
		}
		if !m {
			return false
		}
	}
	return true
}

// postMatch applies a matching rule's flowbit actions at once, so later
// rules on the same packet see them, as Suricata's post-match does.
func (sc *scanner) postMatch(r *rule, fs *flowState) {
	if fs == nil {
		return
	}
	for _, a := range r.fbActions {
		for _, b := range a.bits {
			switch a.cmd {
			case fbSet:
				fs.bits[b] = true
			case fbUnset:
				fs.bits[b] = false
			case fbToggle:
				fs.bits[b] = !fs.bits[b]
			}
		}
	}
}

// enqueue queues a matching rule's alert; its matches are those kept
// since mstart.
func (sc *scanner) enqueue(r *rule, txID int, tx *http1.Tx, mstart int) {
	if sc.prof != nil {
		sc.prof[r.idx].Matches++
	}
	if r.noalert {
		return
	}
	sc.queue = append(sc.queue, candidate{r: r, txID: txID, tx: tx, mstart: mstart, nmatch: len(sc.mrecs) - mstart})
}

// finish applies thresholds and packet-alert-max to the packet's queue and
// emits the alerts in rule order.
func (sc *scanner) finish(p *pcaps.Packet, fs *flowState) {
	if len(sc.queue) == 0 {
		return
	}
	if sc.collect != nil {
		sc.collect(p)
		return
	}
	sort.SliceStable(sc.queue, func(i, j int) bool { return sc.queue[i].r.idx < sc.queue[j].r.idx })
	kept := 0
	for i := range sc.queue {
		c := &sc.queue[i]
		keep, stop := sc.admit(c.r, p, &kept)
		if stop {
			break
		}
		if keep && sc.emit != nil {
			sc.emit(sc.makeAlert(p, c))
		}
	}
}

// admit decides one of a packet's queued alerts, taken in rule order:
// thresholds first, then packet-alert-max (kept counts the alerts already
// taken). A kept alert is counted. stop means the packet is full: the
// remaining alerts are dropped and their thresholds left untouched.
func (sc *scanner) admit(r *rule, p *pcaps.Packet, kept *int) (keep, stop bool) {
	if !sc.thresholdOK(r, p) {
		return false, false
	}
	if *kept >= sc.e.cfg.PacketAlertMax {
		return false, true
	}
	*kept++
	sc.stats.Alerts++
	sc.stats.PerSID[r.sid]++
	if sc.prof != nil {
		sc.prof[r.idx].Alerts++
	}
	return true, false
}

func (sc *scanner) thresholdOK(r *rule, p *pcaps.Packet) bool {
	if r.detFilter != nil && !sc.applyThreshold(r, r.detFilter, p) {
		return false
	}
	if r.threshold != nil && !sc.applyThreshold(r, r.threshold, p) {
		return false
	}
	return true
}

func (sc *scanner) applyThreshold(r *rule, t *thresholdSpec, p *pcaps.Packet) bool {
	k := threshKey{sid: r.sid, gid: r.gid}
	switch t.track {
	case "by_src":
		k.addr = p.SrcIP
	case "by_dst":
		k.addr = p.DstIP
	case "by_both":
		k.addr, k.addr2 = p.SrcIP, p.DstIP
	}
	if t.kind == "detection_filter" {
		k.sid = -k.sid // separate state from a threshold on the same rule
	}
	// As Suricata's ThresholdHandlePacket: the first match creates the
	// entry (count 1); later matches inside the window count up; a match
	// after the window restarts it at count 1 without the checks a new
	// entry gets.
	st := sc.thresh[k]
	if st == nil {
		if t.kind == "threshold" && t.count == 1 {
			return true // every match alerts; no state is kept
		}
		sc.thresh[k] = &threshState{start: p.Time, count: 1}
		switch t.kind {
		case "limit":
			return true
		case "threshold", "both":
			return t.count == 1
		case "detection_filter":
			return t.count == 0
		}
		return true
	}
	if p.Time.Sub(st.start) >= time.Duration(t.seconds)*time.Second {
		st.start, st.count = p.Time, 1
		return t.kind == "limit"
	}
	st.count++
	switch t.kind {
	case "limit":
		return st.count <= t.count
	case "threshold":
		if st.count >= t.count {
			st.count = 0
			return true
		}
		return false
	case "both":
		return st.count == t.count
	case "detection_filter":
		return st.count > t.count
	}
	return true
}

func (sc *scanner) makeAlert(p *pcaps.Packet, c *candidate) *Alert {
	r := c.r
	a := &Alert{Time: p.Time, PcapCnt: p.Num, SrcIP: p.SrcIP, DstIP: p.DstIP, SrcPort: p.SrcPort, DstPort: p.DstPort,
		Proto: protoName(p.Proto), Action: "allowed", GID: r.gid, SID: r.sid, Rev: r.rev, Msg: r.msg,
		Category: r.category, Severity: r.prio, TxID: c.txID}
	if r.action == "drop" || r.action == "reject" || r.action == "sdrop" {
		a.Action = "allowed" // IDS mode reports drop rules as allowed
	}
	if len(p.VLAN) > 0 {
		a.VLAN = append([]uint16(nil), p.VLAN...) // p.VLAN is the decoder's scratch
	}
	if !p.Pseudo {
		a.LinkType = p.LinkType
		if sc.e.cfg.Frames {
			a.Frame = append([]byte(nil), p.Data...)
		}
	}
	if !p.Pseudo && (p.Proto == pcaps.ProtoICMP || p.Proto == pcaps.ProtoICMPv6) {
		a.ICMPType, a.ICMPCode = p.ICMP.Type, p.ICMP.Code
	}
	if f := p.Flow; f != nil {
		// pcaps has already counted this packet, as Suricata updates the
		// flow counters before detection.
		a.Flow = &FlowInfo{PktsToServer: f.PktsToServer, PktsToClient: f.PktsToClient,
			BytesToServer: f.BytesToServer, BytesToClient: f.BytesToClient, Start: f.Start}
	}
	if p.Flow != nil {
		a.FlowID = p.Flow.ID
		if p.Flow.AppProto == "http" {
			a.AppProto = "http"
		}
		if p.Pseudo {
			a.Proto = protoName(p.Flow.Proto)
		}
	}
	tx := c.tx
	if tx == nil && p.Flow != nil {
		// A packet or stream alert on an HTTP flow carries the flow's
		// latest transaction in its http object but no tx_id: Suricata
		// logs the app-layer for every alert on the flow and the tx_id
		// only for transaction matches.
		// The transaction that advanced at this packet comes first: it
		// may already be forgotten (done and complete) by now, while
		// Suricata frees transactions only after logging the packet.
		if len(p.HTTP) > 0 {
			tx = p.HTTP[0].Tx
		} else if fs, ok := p.Flow.UserData.(*flowState); ok && len(fs.txs) > 0 {
			tx = fs.txs[len(fs.txs)-1].tx
		}
	}
	if tx != nil {
		a.HTTP = httpInfo(tx)
	}
	for i := c.mstart; i < c.mstart+c.nmatch && i < len(sc.mrecs); i++ {
		m := sc.mrecs[i]
		data := append([]byte(nil), sc.mbufs[i]...)
		a.Matches = append(a.Matches, Match{Buffer: sc.mnames[i], Start: m.start, End: m.end, Data: data})
	}
	return a
}

func httpInfo(tx *http1.Tx) *HTTPInfo {
	h := &HTTPInfo{Method: string(tx.Method()), URL: string(tx.RawURI()), Protocol: string(tx.Protocol()), Status: tx.StatusCode()}
	if host, ok := tx.Hostname(); ok {
		h.Hostname = string(host)
	}
	if v, ok := tx.RequestHeader("User-Agent"); ok {
		h.UserAgent = string(v)
	}
	if v, ok := tx.RequestHeader("Referer"); ok {
		h.Referer = string(v)
	}
	if v, ok := tx.ResponseHeader("Content-Type"); ok {
		h.ContentType = string(v)
	}
	h.Length = int(tx.ResponseBodyLen())
	return h
}

func protoName(p uint8) string {
	switch p {
	case pcaps.ProtoTCP:
		return "TCP"
	case pcaps.ProtoUDP:
		return "UDP"
	case pcaps.ProtoICMP:
		return "ICMP"
	case pcaps.ProtoICMPv6:
		return "IPv6-ICMP"
	}
	return "IP"
}

// bufDirections is http1's Buffer.Directions, except that http.connection
// is inspected in both directions as in Suricata 7 (suricata-verify
// http-connection-toclient); http1 only fills it for requests.
func bufDirections(b http1.Buffer) (toServer, toClient bool) {
	if b == http1.BufConnection {
		return true, true
	}
	return b.Directions()
}

// txBuffer is Tx.Buffer with the response side of http.connection.
func txBuffer(tx *http1.Tx, b http1.Buffer, toServer bool) ([]byte, bool) {
	if b == http1.BufConnection && !toServer {
		if !tx.Progress().Has(http1.ResponseHeadersDone) {
			return nil, false
		}
		return tx.ResponseHeader("Connection")
	}
	return tx.Buffer(b, toServer)
}
