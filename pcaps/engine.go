package pcaps

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"
)

// Defaults of Config's limits, and Suricata 7 settings the engine follows.
const (
	DefaultReassemblyDepth = 1 << 20   // stream.reassembly.depth: 1mb
	DefaultStreamMemcap    = 256 << 20 // stream.reassembly.memcap: 256mb over all flows
	DefaultMaxFlows        = 65536

	// rawChunkSize is stream.reassembly.toserver-chunk-size and
	// toclient-chunk-size: in IDS mode ACKed stream data is inspected once
	// this much is waiting (or the app layer or the session state asks
	// for it earlier). Suricata randomizes it by up to 10% by default;
	// we do not, so results are deterministic.
	rawChunkSize = 2560

	// checksumSample and checksumRatio are Suricata's checksum-checks:auto
	// for pcap files: after 1000 packets, if more than one packet in 10
	// had a bad TCP checksum, the capture is taken to come from a host
	// with checksum offloading and validation is switched off.
	checksumSample = 1000
	checksumRatio  = 10
)

// Suricata 7 default flow timeouts (flow-timeouts in suricata.yaml).
var (
	timeoutTCPNew    = 60 * time.Second
	timeoutTCPEst    = 600 * time.Second
	timeoutTCPClosed = 60 * time.Second
	timeoutNew       = 30 * time.Second
	timeoutEst       = 300 * time.Second
)

// Timeout classes: flows with the same timeout share one list ordered by
// their last packet, so the head of each list is the next flow of its
// class to time out, and a flow idle past its timeout ends at the first
// packet after that whatever the other classes hold (as Suricata's flow
// manager checks each flow against its own timeout).
const (
	classTCPNew = iota
	classTCPEst
	classTCPClosed
	classNew
	classEst
	numClasses
)

func classTimeout(c uint8) time.Duration {
	switch c {
	case classTCPNew:
		return timeoutTCPNew
	case classTCPEst:
		return timeoutTCPEst
	case classTCPClosed:
		return timeoutTCPClosed
	case classNew:
		return timeoutNew
	}
	return timeoutEst
}

// lruList is a list of flows by last packet, oldest first.
type lruList struct{ head, tail *flowState }

// TCP session states, numbered as Suricata's so comparisons mean the same.
const (
	stNone        = 0
	stSynSent     = 2
	stSynRecv     = 3
	stEstablished = 4
	stFinWait1    = 5
	stFinWait2    = 6
	stTimeWait    = 7
	stLastAck     = 8
	stCloseWait   = 9
	stClosing     = 10
	stClosed      = 11
)

type flowKey struct {
	proto  uint8
	vlan   [2]uint16
	a, b   netip.Addr
	pa, pb uint16
}

type flowState struct {
	f          Flow
	key        flowKey
	prev, next *flowState // in e.lru[class], by last packet time
	class      uint8      // timeout class, the list the flow is in
	touched    uint64     // engine.touches when the flow last had a packet: global LRU order
	lastNs     int64      // f.Last in Unix nanoseconds, for the expiry check at every packet
	seenTS     bool
	seenTC     bool

	tcp      bool
	state    int
	closeRST bool
	swapped  bool      // swap() ran during the current packet
	client   tcpStream // data the client sent
	server   tcpStream // data the server sent
	app      appState
	memAcct  int // mem() as last added to engine.mem
}

// stream returns the stream of data sent in direction toServer.
func (fs *flowState) stream(toServer bool) *tcpStream {
	if toServer {
		return &fs.client
	}
	return &fs.server
}

func (fs *flowState) mem() int {
	if !fs.tcp {
		return 0
	}
	return cap(fs.client.buf) + fs.client.oooBytes() + cap(fs.server.buf) + fs.server.oooBytes()
}

// engine runs one capture through decoding, flows, reassembly and the app
// layer. It is single-goroutine and keeps all mutable state of the run.
type engine struct {
	ctx  context.Context
	cfg  Config
	h    Handler
	name string

	dec     decoder
	defrag  defragger
	rebuilt []byte

	flows    map[flowKey]*flowState
	lru      [numClasses]lruList
	lastFlow *flowState // the flow of the last lookup, while it lives
	touches  uint64
	nextID   uint64
	mem      int
	depth    uint64
	memcap   int
	maxFlows int

	bufs      bufPool // stream buffers
	noCsum    bool
	csumFails int
	stats     Stats
	pkt       Packet
	ppkt      Packet // pseudo packets
	// ended, when set, is told of every flow that ends (shard.go).
	ended      func(*Flow)
	chunks     []StreamChunk
	httpEvents []HTTPEvent
	lastTime   time.Time
	lastNum    int
}

// Process reads the capture r (pcap or pcapng, gzip allowed) and calls h for
// every packet in capture order. name is used in errors. On a read error
// the packets before the bad one have been delivered and the flows ended
// (their last stream data flushed) before the *Error is returned.
func Process(ctx context.Context, r io.Reader, name string, cfg Config, h Handler) (Stats, error) {
	rd, err := NewReader(r, name)
	if err != nil {
		return Stats{}, err
	}
	e := newEngine(ctx, cfg, h, name)
	if fe, ok := h.(interface{ FlowEnded(*Flow) }); ok {
		// A handler that can reuse a flow's buffers is told when it ends,
		// as a ShardHandler is.
		e.ended = fe.FlowEnded
	}
	if !KnownLinkType(rd.LinkType()) {
		return Stats{}, &Error{File: name, Packet: 0, Err: fmt.Errorf("%w %d", errUnknownLink, rd.LinkType())}
	}
	var f Frame
	for {
		if err := ctx.Err(); err != nil {
			e.finish()
			return e.stats, err
		}
		err := rd.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			e.finish()
			return e.stats, err
		}
		if !KnownLinkType(f.LinkType) {
			e.finish()
			return e.stats, &Error{File: name, Packet: f.Num, Err: fmt.Errorf("%w %d", errUnknownLink, f.LinkType)}
		}
		e.packet(&f)
	}
	e.finish()
	return e.stats, nil
}

// ProcessFile is Process on the file at path.
func ProcessFile(ctx context.Context, path string, cfg Config, h Handler) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	return Process(ctx, f, path, cfg, h)
}

func newEngine(ctx context.Context, cfg Config, h Handler, name string) *engine {
	e := &engine{ctx: ctx, cfg: cfg, h: h, name: name, flows: make(map[flowKey]*flowState),
		noCsum: cfg.NoChecksum}
	switch {
	case cfg.ReassemblyDepth == 0:
		e.depth = DefaultReassemblyDepth
	case cfg.ReassemblyDepth > 0:
		e.depth = uint64(cfg.ReassemblyDepth)
	}
	e.memcap = cfg.StreamMemcap
	if e.memcap <= 0 {
		e.memcap = DefaultStreamMemcap
	}
	e.maxFlows = cfg.MaxFlows
	if e.maxFlows <= 0 {
		e.maxFlows = DefaultMaxFlows
	}
	return e
}

// packet handles one frame.
func (e *engine) packet(fr *Frame) {
	e.stats.Packets++
	e.stats.Bytes += len(fr.Data)
	// The previous packet was delivered: buffers it retired are free.
	e.bufs.recycle()
	e.clock(fr.Num, fr.Time)
	p := &e.pkt
	*p = Packet{Num: fr.Num, Time: fr.Time, Data: fr.Data, LinkType: fr.LinkType, ChecksumOK: true}
	err := e.dec.decodeLink(p, fr.LinkType, fr.Data)
	e.decoded(p, err, fr, 0)
}

// clock advances the engine to packet num at time t: idle flows end and
// stale fragments are dropped. A sharded run (shard.go) calls it for every
// frame of the capture, also those another shard decodes, so flows expire
// at the same packet whatever the number of shards.
func (e *engine) clock(num int, t time.Time) {
	e.lastTime, e.lastNum = t, num
	e.expireFlows(t)
	if e.stats.Packets%1024 == 0 && len(e.defrag.m) > 0 {
		e.defrag.expire(t, false)
	}
}

// maxTunnelDepth bounds nested tunnels (IP in GRE in IP...).
const maxTunnelDepth = 3

// decoded finishes a packet whose headers were decoded (err from the
// decoder): fragments go to the defragmenter, then the packet is tracked
// and delivered, then a tunnelled packet inside it is handled the same way.
func (e *engine) decoded(p *Packet, err error, fr *Frame, depth int) {
	if err == errFragment {
		e.stats.Fragments++
		fi := &e.dec.frag
		payload, hdr, ok := e.defrag.add(p, fi, fr.Time)
		// The fragment itself is delivered as an IP packet without a
		// transport header, as Suricata inspects it too.
		p.Fragmented = true
		p.Proto = fi.proto
		p.Payload = nil
		p.Invalid = false
		e.h.HandlePacket(p)
		if !ok {
			return
		}
		// The rebuilt datagram follows as its own packet with the same
		// number, as Suricata's defrag pseudo packet does.
		v6 := fi.v6
		src, dst, ipid, ttl, vlan, tun := p.SrcIP, p.DstIP, p.IPID, p.TTL, p.VLAN, p.Tunnel
		*p = Packet{Num: fr.Num, Time: fr.Time, Data: fr.Data, LinkType: fr.LinkType, ChecksumOK: true,
			SrcIP: src, DstIP: dst, IPID: ipid, TTL: ttl, VLAN: vlan, Fragmented: true, Proto: fi.proto, Tunnel: tun}
		var addrs []byte
		if v6 {
			p.IPVersion = 6
			addrs = hdr[8:40]
		} else {
			p.IPVersion = 4
			e.rebuilt = rebuildIPv4(e.rebuilt, hdr, payload)
			addrs = e.rebuilt[12:20]
			payload = e.rebuilt[len(hdr):]
		}
		err = e.dec.decodeL4(p, payload, addrs, v6)
	}
	if err != nil {
		p.Invalid = true
		e.stats.Invalid++
		e.h.HandlePacket(p)
		return
	}
	e.track(p)
	if depth >= maxTunnelDepth {
		return
	}
	inner, lt := tunnelPayload(p)
	if inner == nil {
		return
	}
	// As Suricata, the outer packet is inspected (above) and the packet
	// it carries follows as its own packet with the same number.
	e.stats.Tunneled++
	vlan := p.VLAN
	*p = Packet{Num: fr.Num, Time: fr.Time, Data: fr.Data, LinkType: fr.LinkType, ChecksumOK: true, Tunnel: true}
	if lt == LinkEthernet {
		err = e.dec.decodeLink(p, LinkEthernet, inner)
	} else {
		p.VLAN = vlan
		err = e.dec.decodeIP(p, inner)
	}
	e.decoded(p, err, fr, depth+1)
}

// track finds the packet's flow, runs TCP and the app layer, and delivers.
func (e *engine) track(p *Packet) {
	if p.Proto == ProtoTCP && !e.noCsum && p.l4 != nil {
		p.ChecksumOK = tcpChecksumOK(p.l4, p.l4addrs)
		if !p.ChecksumOK {
			e.stats.ChecksumErrors++
			e.csumFails++
		}
		if e.stats.Packets == checksumSample && e.csumFails > 0 && checksumSample/e.csumFails < checksumRatio {
			e.noCsum = true
		}
	}
	fs, toServer := e.lookup(p)
	p.Flow = &fs.f
	p.ToServer = toServer
	e.chunks = e.chunks[:0]
	e.httpEvents = e.httpEvents[:0]
	if fs.tcp && p.Proto != ProtoTCP {
		// An ICMP error about the session.
		p.Established = fs.f.Established
	} else if fs.tcp {
		if p.ChecksumOK {
			toServer = e.tcpPacket(fs, p, toServer)
			p.ToServer = toServer
		}
		p.Established = fs.state >= stEstablished && fs.state != stClosed || fs.state == stClosed && fs.f.Established
	} else if p.Proto == fs.f.Proto {
		p.Established = fs.seenTS && fs.seenTC
		fs.f.Established = p.Established
	} else {
		p.Established = fs.f.Established
	}
	e.reclass(fs)
	p.Stream = e.chunks
	e.takeHTTP(fs, toServer)
	p.HTTP = e.httpEvents
	e.h.HandlePacket(p)
}

// lookup finds or creates the flow of p and tells the packet's direction.
func (e *engine) lookup(p *Packet) (*flowState, bool) {
	if fs := e.icmpErrorFlow(p); fs != nil {
		// Suricata hands an ICMP "destination unreachable" about a
		// flow's packet to that flow; it does not count as the other
		// direction being seen.
		e.unlink(fs)
		e.pushBack(fs)
		fs.f.Last, fs.lastNs = p.Time, p.Time.UnixNano()
		toServer := p.SrcIP == fs.f.Client.Addr()
		if toServer {
			fs.f.PktsToServer++
			fs.f.BytesToServer += len(p.Data)
		} else {
			fs.f.PktsToClient++
			fs.f.BytesToClient += len(p.Data)
		}
		return fs, toServer
	}
	k := flowKey{proto: p.Proto, a: p.SrcIP, b: p.DstIP, pa: p.SrcPort, pb: p.DstPort}
	// Suricata's vlan.use-for-tracking (default on): both tags are part
	// of the flow key.
	copy(k.vlan[:], p.VLAN)
	if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 {
		k.pa, k.pb = 0, 0
	}
	if c := k.a.Compare(k.b); c > 0 || c == 0 && k.pa > k.pb {
		k.a, k.b, k.pa, k.pb = k.b, k.a, k.pb, k.pa
	}
	// Packets of a flow tend to come in runs: the last flow looked up is
	// checked before the table (endFlow clears it).
	fs := e.lastFlow
	if fs == nil || fs.key != k {
		fs = e.flows[k]
	}
	if fs != nil && fs.tcp && fs.state == stClosed && p.TCP.Flags&(TCPSyn|TCPAck) == TCPSyn {
		// A new SYN on a closed session starts a new flow (TCP reuse).
		e.endFlow(fs)
		fs = nil
	}
	if fs == nil {
		if len(e.flows) >= e.maxFlows {
			if lru := e.oldest(time.Time{}); lru != nil {
				e.endFlow(lru)
			}
		}
		e.nextID++
		e.stats.Flows++
		fs = &flowState{key: k, tcp: p.Proto == ProtoTCP}
		if fs.tcp {
			fs.client.pool, fs.server.pool = &e.bufs, &e.bufs
			if e.cfg.Inline {
				// Inline windows reach back up to a chunk before the packet.
				fs.client.keep, fs.server.keep = rawChunkSize, rawChunkSize
			}
		}
		fs.f = Flow{ID: e.nextID, Proto: p.Proto,
			Client: netip.AddrPortFrom(p.SrcIP, p.SrcPort), Server: netip.AddrPortFrom(p.DstIP, p.DstPort),
			Start: p.Time}
		if fs.tcp && p.TCP.Flags&(TCPSyn|TCPAck) == TCPSyn|TCPAck {
			// The SYN/ACK's sender is the server.
			fs.f.Client, fs.f.Server = fs.f.Server, fs.f.Client
		}
		e.flows[k] = fs
		e.pushBack(fs)
		e.lastFlow = fs
	} else {
		e.unlink(fs)
		e.pushBack(fs)
		e.lastFlow = fs
	}
	toServer := p.SrcIP == fs.f.Client.Addr() && p.SrcPort == fs.f.Client.Port()
	if fs.f.Client.Addr() == fs.f.Server.Addr() && fs.f.Client.Port() == fs.f.Server.Port() {
		toServer = true
	}
	if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 {
		toServer = p.SrcIP == fs.f.Client.Addr()
	}
	fs.f.Last, fs.lastNs = p.Time, p.Time.UnixNano()
	if toServer {
		fs.seenTS = true
		fs.f.PktsToServer++
		fs.f.BytesToServer += len(p.Data)
	} else {
		fs.seenTC = true
		fs.f.PktsToClient++
		fs.f.BytesToClient += len(p.Data)
	}
	return fs, toServer
}

// account brings engine.mem up to date with the flow's stream memory.
func (e *engine) account(fs *flowState) {
	m := fs.mem()
	e.mem += m - fs.memAcct
	fs.memAcct = m
}

// icmpErrorFlow returns the existing flow an ICMP or ICMPv6 destination
// unreachable message is about (from the IP header and ports it quotes).
func (e *engine) icmpErrorFlow(p *Packet) *flowState {
	k, ok := icmpErrorKey(p)
	if !ok {
		return nil
	}
	return e.flows[k]
}

// icmpErrorKey is the key of the flow an ICMP or ICMPv6 destination
// unreachable message quotes, if p is one.
func icmpErrorKey(p *Packet) (flowKey, bool) {
	if !(p.Proto == ProtoICMP && p.ICMP.Type == 3 || p.Proto == ProtoICMPv6 && p.ICMP.Type == 1) {
		return flowKey{}, false
	}
	b := p.Payload
	var k flowKey
	var l4 []byte
	switch {
	case len(b) >= 20 && b[0]>>4 == 4 && p.Proto == ProtoICMP:
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl+4 {
			return flowKey{}, false
		}
		k = flowKey{proto: b[9], a: netip.AddrFrom4([4]byte(b[12:16])), b: netip.AddrFrom4([4]byte(b[16:20]))}
		l4 = b[ihl:]
	case len(b) >= 44 && b[0]>>4 == 6 && p.Proto == ProtoICMPv6:
		k = flowKey{proto: b[6], a: netip.AddrFrom16([16]byte(b[8:24])), b: netip.AddrFrom16([16]byte(b[24:40]))}
		l4 = b[40:]
	default:
		return flowKey{}, false
	}
	if k.proto != ProtoTCP && k.proto != ProtoUDP {
		return flowKey{}, false
	}
	k.pa, k.pb = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
	copy(k.vlan[:], p.VLAN)
	if c := k.a.Compare(k.b); c > 0 || c == 0 && k.pa > k.pb {
		k.a, k.b, k.pa, k.pb = k.b, k.a, k.pb, k.pa
	}
	return k, true
}

// pushBack puts the flow at the end of its class's list: it has just had
// a packet.
func (e *engine) pushBack(fs *flowState) {
	e.touches++
	fs.touched = e.touches
	fs.class = fs.timeoutClass()
	l := &e.lru[fs.class]
	fs.prev, fs.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = fs
	} else {
		l.head = fs
	}
	l.tail = fs
}

func (e *engine) unlink(fs *flowState) {
	l := &e.lru[fs.class]
	if fs.prev != nil {
		fs.prev.next = fs.next
	} else {
		l.head = fs.next
	}
	if fs.next != nil {
		fs.next.prev = fs.prev
	} else {
		l.tail = fs.prev
	}
	fs.prev, fs.next = nil, nil
}

// reclass moves a flow whose state changed at its packet to the list of
// its new timeout. It had the latest packet, so it goes to the end and
// keeps its place in the global order.
func (e *engine) reclass(fs *flowState) {
	if c := fs.timeoutClass(); c != fs.class {
		e.unlink(fs)
		touched := fs.touched
		e.pushBack(fs)
		e.touches--
		fs.touched = touched
	}
}

func (fs *flowState) timeoutClass() uint8 {
	if fs.tcp {
		switch {
		case fs.state == stClosed:
			return classTCPClosed
		case fs.state >= stEstablished:
			return classTCPEst
		}
		return classTCPNew
	}
	if fs.seenTS && fs.seenTC {
		return classEst
	}
	return classNew
}

// oldest returns, of the flows idle past their timeout at now (of all
// flows when now is zero), the one whose last packet came first.
func (e *engine) oldest(now time.Time) *flowState {
	var old *flowState
	nowNs := now.UnixNano()
	for c := range e.lru {
		fs := e.lru[c].head
		if fs == nil || !now.IsZero() && nowNs-fs.lastNs <= int64(classTimeout(uint8(c))) {
			continue
		}
		if old == nil || fs.touched < old.touched {
			old = fs
		}
	}
	return old
}

// expireFlows ends flows idle past their timeout, in the order of their
// last packets.
func (e *engine) expireFlows(now time.Time) {
	for {
		fs := e.oldest(now)
		if fs == nil {
			return
		}
		e.endFlow(fs)
	}
}

// endFlow flushes what the flow still holds and forgets it.
func (e *engine) endFlow(fs *flowState) {
	if fs.tcp && fs.state != stNone {
		if e.needsFlush(fs, true) {
			e.pseudo(fs, true, e.lastNum)
		}
		if e.needsFlush(fs, false) {
			e.pseudo(fs, false, e.lastNum)
		}
	}
	if e.ended != nil {
		e.ended(&fs.f)
	}
	e.mem -= fs.memAcct
	fs.memAcct = 0
	e.unlink(fs)
	if e.flows[fs.key] == fs {
		delete(e.flows, fs.key)
	}
	if e.lastFlow == fs {
		e.lastFlow = nil
	}
	// The flow's last packets were delivered: nothing refers to its
	// buffers any more.
	e.bufs.put(fs.client.buf)
	e.bufs.put(fs.server.buf)
	fs.client, fs.server = tcpStream{}, tcpStream{}
	fs.app.close()
}

func (e *engine) needsFlush(fs *flowState, toServer bool) bool {
	s := fs.stream(toServer)
	if len(fs.app.pending(toServer)) > 0 {
		return true
	}
	end := max(s.contig, s.seen)
	return end > s.raw || (fs.app.active() && end > s.app)
}

// finish ends every flow, in the order they were created.
func (e *engine) finish() {
	all := make([]*flowState, 0, len(e.flows))
	for c := range e.lru {
		for fs := e.lru[c].head; fs != nil; fs = fs.next {
			all = append(all, fs)
		}
	}
	slices.SortFunc(all, func(a, b *flowState) int { return cmp.Compare(a.f.ID, b.f.ID) })
	for _, fs := range all {
		e.endFlow(fs)
	}
}

// pseudo delivers an engine-made packet in direction toServer that flushes
// the rest of that direction's stream (Suricata's stream-end and flow
// timeout pseudo packets): all data is handed on, ACKed or not.
func (e *engine) pseudo(fs *flowState, toServer bool, num int) {
	// Not e.pkt: a flow can end while a packet is being decoded or
	// tracked (expiry, eviction, TCP port reuse), and that packet must
	// survive the flush.
	p := &e.ppkt
	*p = Packet{Num: num, Time: fs.f.Last, Pseudo: true, ChecksumOK: true, Proto: ProtoTCP,
		Flow: &fs.f, ToServer: toServer, Established: fs.f.Established}
	src, dst := fs.f.Client, fs.f.Server
	if !toServer {
		src, dst = dst, src
	}
	p.SrcIP, p.SrcPort, p.DstIP, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
	if src.Addr().Is4() {
		p.IPVersion = 4
	} else {
		p.IPVersion = 6
	}
	e.chunks = e.chunks[:0]
	e.httpEvents = e.httpEvents[:0]
	s := fs.stream(toServer)
	if s.init {
		// Whatever is still missing is lost now.
		for len(s.ooo) > 0 {
			s.fillGap(s.ooo[0].off)
		}
		e.appUpdate(fs, toServer, s.contig, true)
		e.rawChunks(fs, s, toServer, s.contig, true)
	}
	p.Stream = e.chunks
	e.takeHTTP(fs, toServer)
	p.HTTP = e.httpEvents
	if len(p.Stream) == 0 && len(p.HTTP) == 0 {
		return // nothing left to inspect in this direction
	}
	e.h.HandlePacket(p)
}

// tcpPacket runs the TCP state machine and reassembly for a packet with a
// good checksum (or checksums off).
//
// It returns the packet's direction, which changes when the app layer
// reverses a flow picked up midstream.
func (e *engine) tcpPacket(fs *flowState, p *Packet, toServer bool) bool {
	t := &p.TCP
	flags := t.Flags
	syn, ack, fin, rst := flags&TCPSyn != 0, flags&TCPAck != 0, flags&TCPFin != 0, flags&TCPRst != 0
	s, o := fs.stream(toServer), fs.stream(!toServer)
	defer e.account(fs)

	switch fs.state {
	case stNone:
		switch {
		case syn && !ack && toServer:
			fs.state = stSynSent
			s.init, s.base = true, t.Seq+1
		case syn && ack && !toServer && e.cfg.Midstream:
			// Midstream pickup on the SYN/ACK.
			fs.state = stSynRecv
			fs.f.Midstream = true
			s.init, s.base = true, t.Seq+1
			o.init, o.base = true, t.Ack
		case !syn && !rst && e.cfg.Midstream && (ack || len(p.Payload) > 0):
			fs.state = stEstablished
			fs.f.Midstream = true
			fs.f.Established = true
			e.stats.TCPSessions++
			s.init, s.base = true, t.Seq
			if ack {
				o.init, o.base = true, t.Ack
			}
		default:
			return toServer // no session: Suricata ignores the packet for streaming
		}
	case stSynSent:
		switch {
		case rst:
			fs.state, fs.closeRST = stClosed, true
			return toServer
		case syn && ack && !toServer:
			fs.state = stSynRecv
			s.init, s.base = true, t.Seq+1
		case syn && !ack && toServer:
			// Retransmitted SYN (maybe a new ISN).
			s.base = t.Seq + 1
		}
	case stSynRecv:
		switch {
		case rst:
			fs.state, fs.closeRST = stClosed, true
			return toServer
		case ack && !syn && toServer:
			fs.state = stEstablished
			fs.f.Established = true
			e.stats.TCPSessions++
		case syn && ack && !toServer:
			s.base = t.Seq + 1
		}
	}
	if fs.state < stEstablished && !(syn && len(p.Payload) > 0) {
		// Handshake packets carry no stream data (except TCP Fast Open
		// SYNs), and Suricata only hands ACKed data to the app layer
		// from established sessions: a SYN/ACK that ACKs a Fast Open
		// SYN's data records the ACK, the next server packet passes the
		// data on (detect-engine-proto).
		if ack {
			e.ackUpdate(fs, o, !toServer, t.Ack, false)
		}
		return toServer
	}

	// ACK handling first, as Suricata: it makes the other side's data
	// available to the app layer (IDS mode).
	if ack && !rst {
		e.ackUpdate(fs, o, !toServer, t.Ack, true)
		if fs.swapped {
			// The app layer reversed the flow: the packet's side is now
			// the other one.
			fs.swapped = false
			toServer = !toServer
			s, o = o, s
		}
	}
	// Data.
	if len(p.Payload) > 0 && s.init && fs.state < stClosed {
		seq := t.Seq
		if syn {
			seq++
		}
		left := e.memcap - e.mem - (fs.mem() - fs.memAcct)
		if s.insert(seq, p.Payload, e.depth, left) < 0 {
			e.stats.StreamMemcapHits++
		} else {
			p.InStream = true
		}
	}
	// State changes on FIN and RST (server's view, as Suricata).
	if rst {
		fs.state, fs.closeRST = stClosed, true
	} else if fin {
		if s.init && !s.fin {
			s.fin = true
			off := s.offset(t.Seq) + int64(len(p.Payload))
			if off >= 0 {
				s.finOff = uint64(off)
			}
		}
		switch fs.state {
		case stEstablished:
			if toServer {
				fs.state = stCloseWait
			} else {
				fs.state = stFinWait1
			}
		case stFinWait1, stFinWait2:
			if toServer {
				fs.state = stTimeWait
			}
		case stCloseWait:
			if !toServer {
				fs.state = stLastAck
			}
		}
	} else if ack {
		switch fs.state {
		case stFinWait1:
			if toServer && o.fin && o.acked > o.finOff {
				fs.state = stFinWait2
			}
		case stLastAck:
			if toServer && o.fin && o.acked > o.finOff {
				fs.state = stClosed
			}
		case stTimeWait:
			if !toServer {
				fs.state = stClosed
			}
		case stClosing:
			fs.state = stTimeWait
		}
	}

	if e.cfg.Inline {
		// Inline: the packet's own data is inspected as it arrives.
		e.appUpdate(fs, toServer, s.contig, false)
		if fs.swapped {
			fs.swapped = false
			toServer = !toServer
			s, o = o, s
		}
		if p.InStream {
			e.inlineChunk(s, toServer, p, syn)
		}
		return toServer
	}
	if rst || fs.state == stClosed || (fin && fs.state > stTimeWait) {
		// Suricata also updates the packet's own direction then, and
		// once the session is closed tells the app layer both streams
		// ended (STREAM_EOF), so a message cut short by the close is
		// finished with what arrived.
		closed := fs.state == stClosed
		e.appUpdate(fs, toServer, s.ackedEnd(), closed)
		if closed && !rst {
			e.appUpdate(fs, !toServer, o.ackedEnd(), true)
		}
	}
	// Raw inspection of the packet's own direction, up to what the peer
	// ACKed, when enough is waiting or something asks for it.
	if s.ackedEnd() > s.raw && (s.trigger || s.depthHit || fs.state > stTimeWait || s.ackedEnd()-s.raw >= rawChunkSize) {
		e.rawChunks(fs, s, toServer, s.ackedEnd(), false)
	}
	return toServer
}

// swap reverses the flow's direction: Suricata does so when a session
// picked up midstream turns out to have the server's data first (an HTTP
// response where a request was expected).
func (fs *flowState) swap() {
	fs.client, fs.server = fs.server, fs.client
	f := &fs.f
	f.Client, f.Server = f.Server, f.Client
	f.PktsToServer, f.PktsToClient = f.PktsToClient, f.PktsToServer
	f.BytesToServer, f.BytesToClient = f.BytesToClient, f.BytesToServer
	fs.seenTS, fs.seenTC = fs.seenTC, fs.seenTS
	fs.swapped = true
}

// ackUpdate records an ACK for stream s (sent in direction sToServer) and,
// in IDS mode, hands the newly ACKed data to the app layer.
func (e *engine) ackUpdate(fs *flowState, s *tcpStream, sToServer bool, ack uint32, app bool) {
	if !s.init {
		return
	}
	off := s.offset(ack)
	if off < 0 {
		return
	}
	a := uint64(off)
	if !s.ackSeen || a > s.acked {
		s.acked, s.ackSeen = a, true
	}
	if s.acked > s.contig && len(s.ooo) > 0 {
		// The peer ACKed data we never saw: declare it lost.
		if s.fillGap(s.acked) {
			e.stats.ReassemblyGaps++
		}
	}
	if app && !e.cfg.Inline {
		e.appUpdate(fs, sToServer, s.ackedEnd(), false)
	}
}

// inlineChunk appends the window of stream data Suricata inspects around a
// packet's payload in inline mode (StreamReassembleRawInline): the
// contiguous data holding the payload, cut to the chunk size (grown to the
// payload plus a third of it for big packets) with the payload kept and
// the rest taken evenly before and after it. When the payload is not part
// of contiguous data (it arrived out of order) the payload alone is used.
// Windows of consecutive packets overlap: content that started in an
// earlier packet is seen again, as in Suricata.
func (e *engine) inlineChunk(s *tcpStream, toServer bool, p *Packet, syn bool) {
	seq := p.TCP.Seq
	if syn {
		seq++
	}
	o := s.offset(seq)
	plen := uint64(len(p.Payload))
	if o < 0 || plen == 0 {
		return
	}
	pl := uint64(o)
	pr := pl + plen
	if e.depth > 0 && pr > e.depth {
		return // past the reassembly depth: no more raw inspection
	}
	chunk := uint64(rawChunkSize)
	if chunk <= plen || (chunk/3)*2 < plen {
		chunk = plen + rawChunkSize/3
	}
	// The contiguous block around the packet, between gaps.
	bl, br := s.bufOff, s.contig
	for _, g := range s.gaps {
		if g.end <= pl && g.end > bl {
			bl = g.end
		}
		if g.start >= pr && g.start < br {
			br = g.start
		}
	}
	var off uint64
	var data []byte
	if pl < bl || pr > br {
		off, data = pl, p.Payload
	} else {
		off, end := bl, br
		if end-off > chunk {
			switch {
			case end == pr:
				off = end - chunk
			case off == pl:
				end = off + chunk
			default:
				before, after := pl-off, end-pr
				half := (chunk - plen) / 2
				if after >= half {
					if before >= half {
						before, after = half, half
					} else {
						after = chunk - plen - before
					}
				} else if before >= half {
					before = chunk - plen - after
				}
				off, end = pl-before, pr+after
			}
		}
		data = s.span(off, end)
		e.chunks = append(e.chunks, StreamChunk{ToServer: toServer, Offset: off, Data: data})
		s.raw = max(s.raw, end)
		s.trim()
		return
	}
	e.chunks = append(e.chunks, StreamChunk{ToServer: toServer, Offset: off, Data: data})
}

// rawChunks appends the stream data [s.raw, to) to the packet's chunks,
// split around gaps, and advances the raw progress.
func (e *engine) rawChunks(fs *flowState, s *tcpStream, toServer bool, to uint64, final bool) {
	from := s.raw
	s.trigger = false
	gap := false
	for from < to {
		g, ok := s.nextGap(from, to)
		end := to
		if ok {
			if g.start <= from {
				from = min(g.end, to)
				gap = true
				continue
			}
			end = g.start
		}
		e.chunks = append(e.chunks, StreamChunk{ToServer: toServer, Offset: from, Data: s.span(from, end), Gap: gap})
		gap = false
		from = end
	}
	s.raw = max(s.raw, to)
	if final && len(e.chunks) > 0 {
		e.chunks[len(e.chunks)-1].Final = true
	}
	s.trim()
}
