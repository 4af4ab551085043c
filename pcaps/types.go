package pcaps

import (
	"net/netip"
	"time"
)

// Config selects the engine behaviour. Its zero value is Suricata 7's default
// configuration: no midstream pickup, IDS (not inline) stream inspection and
// Suricata's default checksum handling.
type Config struct {
	// Midstream is stream.midstream=true: TCP sessions seen without a
	// three-way handshake are picked up (and count as established).
	Midstream bool
	// Inline is stream.inline=true: stream data becomes inspectable as it
	// arrives instead of once the other side has ACKed it.
	Inline bool
	// NoChecksum is `-k none`: no checksum is validated.
	NoChecksum bool

	// ReassemblyDepth is stream.reassembly.depth: bytes per direction that
	// are reassembled and inspected (0 = Suricata's default, 1 MiB; <0 =
	// unlimited).
	ReassemblyDepth int
	// StreamMemcap bounds the bytes held for reassembly (data not yet
	// ACKed, inspected and parsed, and out-of-order segments) over all
	// flows, as stream.reassembly.memcap (0 = 256 MiB). A segment that
	// does not fit is dropped, as Suricata does.
	StreamMemcap int
	// MaxFlows bounds the flow table (0 = 65536). When it is full the flow
	// idle the longest is ended early.
	MaxFlows int
}

// The entry points (engine.go) are
//
//	func Process(ctx context.Context, r io.Reader, name string, cfg Config, h Handler) (Stats, error)
//	func ProcessFile(ctx context.Context, path string, cfg Config, h Handler) (Stats, error)
//
// which read a pcap or pcapng capture (gzip allowed) and call h once per
// packet in capture order.

// Handler consumes decoded packets. HandlePacket is called once per packet,
// in capture order, from a single goroutine. The Packet and every slice it
// references (Data, Payload, Stream[i].Data, HTTP) are valid only during the
// call: copy what must outlive it. Flow outlives the call; its UserData
// belongs to the handler.
//
// A Handler that also has a method FlowEnded(*Flow) is told by Process of
// each flow's end, after the flow's last HandlePacket, so it can reuse
// what it kept for the flow (ShardHandler's FlowEnded does the same for
// ProcessSharded).
type Handler interface {
	HandlePacket(p *Packet)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(p *Packet)

// HandlePacket calls f(p).
func (f HandlerFunc) HandlePacket(p *Packet) { f(p) }

// IP protocol numbers used in Packet.Proto.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flag bits as in Packet.TCP.Flags.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// Packet is one captured packet after decoding, flow lookup, reassembly and
// application-layer parsing.
//
// Pseudo is set on the packets the engine makes up to flush a flow that
// ends (by RST, timeout, eviction or end of capture), as Suricata does: they
// carry no Data or Payload, only Stream and HTTP, and the Num of the packet
// being processed when the flow ended (the RST, the packet whose time
// expired the flow, or the capture's last packet), so Num never decreases
// from one HandlePacket call to the next.
type Packet struct {
	Num  int       // 1-based packet number in the capture (Suricata's pcap_cnt)
	Time time.Time // capture timestamp
	Data []byte    // the captured frame, from the link-layer header on

	LinkType   int  // pcap link type (DLT) of Data
	IPVersion  int  // 4 or 6; 0 when the packet is not IP
	TTL        int  // IPv4 TTL or IPv6 hop limit
	IPID       int  // IPv4 identification
	Fragmented bool // an IP fragment, or rebuilt from fragments (Data is the last one)
	// Tunnel is set on a packet decoded from inside another one (IP in
	// IP, IPv6 in IPv4, GRE, VXLAN); it follows the outer packet, with the
	// same Num, as Suricata's tunnel packets do.
	Tunnel bool
	VLAN   []uint16

	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16 // 0 for protocols without ports
	Proto            uint8  // IP protocol number (ProtoTCP, ...)

	// Payload is the L4 payload (TCP/UDP data, or what follows the ICMP
	// header), as in the packet: `dsize` and packet content rules look at it.
	Payload []byte

	TCP  TCPInfo  // valid when Proto == ProtoTCP
	ICMP ICMPInfo // valid when Proto is ProtoICMP or ProtoICMPv6

	// ChecksumOK is false when an IP, TCP, UDP or ICMP checksum was checked
	// and found wrong (never false with Config.NoChecksum). Suricata does
	// not reassemble TCP segments with a bad checksum.
	ChecksumOK bool
	// Invalid is set when the packet could not be decoded past the network
	// layer (truncated header...). Such packets have no Flow.
	Invalid bool
	// Pseudo marks an engine-made flush packet (see above).
	Pseudo bool
	// InStream is set when the TCP payload was handed to stream
	// reassembly (Suricata's PKT_STREAM_ADD): its bytes reach stream
	// inspection through Stream chunks, at this or a later packet.
	InStream bool

	// Flow is the flow the packet belongs to; nil for non-IP or invalid
	// packets.
	Flow *Flow
	// ToServer is the packet's direction in Flow: true from the client (the
	// SYN's sender for TCP, the first packet's sender otherwise).
	ToServer bool
	// Established is the flow state as this packet saw it: the TCP session
	// had completed its three-way handshake (or was picked up midstream),
	// or, for UDP/ICMP, both directions had been seen.
	Established bool

	// Stream is the reassembled TCP data that becomes inspectable at this
	// packet, per Suricata's semantics. IDS mode: a direction's data is
	// inspected on a later packet of that direction once the peer ACKed
	// it (and enough waits, or the HTTP parser or the session state asks
	// for it); chunks are in stream order and never repeat data. Inline
	// mode: each data packet carries the window Suricata inspects around
	// its payload (up to a chunk of earlier data included), so windows
	// of consecutive packets overlap.
	Stream []StreamChunk

	// HTTP lists the HTTP transactions that advanced in the packet's
	// direction and are inspected at this packet (see HTTPEvent).
	HTTP []HTTPEvent

	l4      []byte // TCP header and payload, for the checksum
	l4addrs []byte // source and destination address bytes
}

// TCPInfo holds the TCP header fields.
type TCPInfo struct {
	Seq, Ack uint32
	Flags    uint8 // TCPFin | TCPSyn | ...
	Window   uint16
	HdrLen   int // header length in bytes, options included
	Options  []byte
}

// ICMPInfo holds the ICMP or ICMPv6 header fields.
type ICMPInfo struct {
	Type, Code uint8
	ID, Seq    uint16 // echo request/reply only
}

// StreamChunk is a piece of reassembled TCP stream data in one direction.
type StreamChunk struct {
	// ToServer is the direction of the data (not of the packet carrying
	// the chunk).
	ToServer bool
	// Offset is the stream offset of Data[0]: bytes since the first data
	// byte of that direction.
	Offset uint64
	// Data is valid only during HandlePacket.
	Data []byte
	// Gap is set when data is missing right before this chunk.
	Gap bool
	// Final is set on the last chunk of a direction (the flow ended).
	Final bool
}

// Flow is a bidirectional conversation keyed by the 5-tuple. It lives from
// its first packet until it ends (TCP close or reset, timeout, end of
// capture); the same *Flow is passed with every packet of the flow.
type Flow struct {
	// ID is unique within one run of the engine and nonzero.
	ID    uint64
	Proto uint8
	// Client sent the flow's first packet (the SYN for TCP); Server is the
	// other end.
	Client, Server netip.AddrPort

	Established bool   // see Packet.Established
	Midstream   bool   // picked up without a handshake (Config.Midstream)
	AppProto    string // "http" once detected, "failed" once ruled out, else ""

	Start, Last   time.Time
	PktsToServer  int
	PktsToClient  int
	BytesToServer int // frame bytes, as Suricata's flow counters
	BytesToClient int

	// UserData belongs to the Handler (per-flow matcher state: flowbits,
	// thresholds...). The engine never reads it.
	UserData any
}

// Stats counts what one run saw.
type Stats struct {
	Packets          int // frames read
	Bytes            int // frame bytes (captured length)
	Invalid          int // frames that did not decode past the network layer
	Flows            int
	TCPSessions      int // TCP flows that completed a handshake or were picked up midstream
	HTTPTransactions int
	ChecksumErrors   int
	Fragments        int // IP fragments seen
	Tunneled         int // packets decoded from inside tunnels
	ReassemblyGaps   int
	StreamMemcapHits int // segments dropped because StreamMemcap was reached
}
