package pcapgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Link is the link-layer framing written in front of each IP packet.
type Link int

const (
	// Ethernet is DLT_EN10MB, the default.
	Ethernet Link = iota
	// LinuxSLL is Linux "cooked" capture v1 (DLT_LINUX_SLL), as tcpdump -i any writes.
	LinuxSLL
	// LinuxSLL2 is Linux "cooked" capture v2 (DLT_LINUX_SLL2).
	LinuxSLL2
	// RawIP is DLT_RAW (link type 101): the IP header comes first.
	RawIP
	// Null is BSD loopback (DLT_NULL), a 4-byte host-order address family.
	Null
)

// String returns the name tcpdump uses for the link type.
func (l Link) String() string {
	switch l {
	case Ethernet:
		return "EN10MB"
	case LinuxSLL:
		return "LINUX_SLL"
	case LinuxSLL2:
		return "LINUX_SLL2"
	case RawIP:
		return "RAW"
	case Null:
		return "NULL"
	}
	return fmt.Sprintf("Link(%d)", int(l))
}

// LinkType returns the pcap link type number written in the file header.
func (l Link) LinkType() layers.LinkType {
	switch l {
	case LinuxSLL:
		return layers.LinkTypeLinuxSLL
	case LinuxSLL2:
		return layers.LinkTypeLinuxSLL2
	case RawIP:
		return layers.LinkTypeRaw
	case Null:
		return layers.LinkTypeNull
	}
	return layers.LinkTypeEthernet
}

// DefaultStart is the timestamp of the first packet when Options.Start is zero.
var DefaultStart = time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)

// DefaultStep is the time between packets when Options.Step is zero.
const DefaultStep = time.Millisecond

// Options configures a Capture. The zero value writes Ethernet frames without
// VLAN tags, starting at DefaultStart and DefaultStep apart.
type Options struct {
	Link Link
	// VLANs are 802.1Q tags, outermost first. Two tags make a QinQ frame
	// whose outer tag uses EtherType 0x88a8. Only valid with Ethernet.
	VLANs []uint16
	// Start is the timestamp of the first packet.
	Start time.Time
	// Step is how far the clock advances after each packet.
	Step time.Duration
	// Snaplen is written in the file header; zero means 262144. Packets
	// are never truncated.
	Snaplen uint32
}

// Packet is one generated frame. Data starts at the link-layer header.
type Packet struct {
	Time time.Time
	Data []byte
}

// Capture accumulates packets in capture order and writes them out.
type Capture struct {
	opts    Options
	now     time.Time
	ipID    uint16
	packets []Packet
}

// New returns an empty capture. It copies opts.
func New(opts Options) (*Capture, error) {
	if len(opts.VLANs) > 0 && opts.Link != Ethernet {
		return nil, fmt.Errorf("pcapgen: VLAN tags need Ethernet framing, not %v", opts.Link)
	}
	if len(opts.VLANs) > 2 {
		return nil, fmt.Errorf("pcapgen: at most two VLAN tags (QinQ), got %d", len(opts.VLANs))
	}
	for _, v := range opts.VLANs {
		if v == 0 || v > 4094 {
			return nil, fmt.Errorf("pcapgen: VLAN id %d out of range 1-4094", v)
		}
	}
	if opts.Link < Ethernet || opts.Link > Null {
		return nil, fmt.Errorf("pcapgen: unknown link %v", opts.Link)
	}
	opts.VLANs = append([]uint16(nil), opts.VLANs...)
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
	}
	if opts.Step == 0 {
		opts.Step = DefaultStep
	}
	if opts.Snaplen == 0 {
		opts.Snaplen = 262144
	}
	return &Capture{opts: opts, now: opts.Start, ipID: 1}, nil
}

// Packets returns the packets added so far. The slice and the frames belong
// to the Capture; callers must not modify them.
func (c *Capture) Packets() []Packet { return c.packets }

// Len returns the number of packets added so far.
func (c *Capture) Len() int { return len(c.packets) }

// Link returns the capture's link-layer framing.
func (c *Capture) Link() Link { return c.opts.Link }

// Now returns the timestamp the next packet will get.
func (c *Capture) Now() time.Time { return c.now }

// Advance moves the clock forward by d (an idle gap between conversations).
func (c *Capture) Advance(d time.Duration) {
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// AddRaw appends a frame that already carries the capture's link-layer
// header, for cases no helper builds (a truncated header, an unknown
// protocol). It copies data.
func (c *Capture) AddRaw(data []byte) {
	c.append(append([]byte(nil), data...))
}

func (c *Capture) append(frame []byte) {
	c.packets = append(c.packets, Packet{Time: c.now, Data: frame})
	c.now = c.now.Add(c.opts.Step)
}

// WritePcap writes the capture as a classic pcap file with microsecond
// timestamps.
func (c *Capture) WritePcap(w io.Writer) error {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(c.opts.Snaplen, c.opts.Link.LinkType()); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	for i, p := range c.packets {
		if err := pw.WritePacket(captureInfo(p), p.Data); err != nil {
			return fmt.Errorf("pcapgen: packet %d: %w", i+1, err)
		}
	}
	return nil
}

// WritePcapNG writes the capture as a pcapng file with one interface. The
// section header names no host OS or architecture, so output does not depend
// on the machine that wrote it.
func (c *Capture) WritePcapNG(w io.Writer) error {
	intf := pcapgo.NgInterface{
		Name:                "pcapgen0",
		LinkType:            c.opts.Link.LinkType(),
		SnapLength:          c.opts.Snaplen,
		TimestampResolution: 9,
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "sigtool pcapgen"}}
	nw, err := pcapgo.NewNgWriterInterface(w, intf, opts)
	if err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	for i, p := range c.packets {
		if err := nw.WritePacket(captureInfo(p), p.Data); err != nil {
			return fmt.Errorf("pcapgen: packet %d: %w", i+1, err)
		}
	}
	if err := nw.Flush(); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	return nil
}

// Bytes returns the capture as a pcap file in memory.
func (c *Capture) Bytes() []byte {
	var b bytes.Buffer
	_ = c.WritePcap(&b) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

// WriteFile writes the capture to name: pcapng when the name ends in
// ".pcapng", classic pcap otherwise.
func (c *Capture) WriteFile(name string) error {
	var b bytes.Buffer
	var err error
	if strings.EqualFold(filepath.Ext(name), ".pcapng") {
		err = c.WritePcapNG(&b)
	} else {
		err = c.WritePcap(&b)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

func captureInfo(p Packet) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
}

// TCPSegment is one TCP packet for AddTCP.
type TCPSegment struct {
	Src, Dst                     netip.AddrPort
	Seq, Ack                     uint32
	SYN, ACK, FIN, RST, PSH, URG bool
	// Window is the advertised window; zero means 64240.
	Window  uint16
	Payload []byte
	// BadChecksum writes a wrong TCP checksum.
	BadChecksum bool
}

// AddTCP appends one TCP segment. Src and Dst must be of the same family.
func (c *Capture) AddTCP(s TCPSegment) error {
	win := s.Window
	if win == 0 {
		win = 64240
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.Src.Port()), DstPort: layers.TCPPort(s.Dst.Port()),
		Seq: s.Seq, Ack: s.Ack,
		SYN: s.SYN, ACK: s.ACK, FIN: s.FIN, RST: s.RST, PSH: s.PSH, URG: s.URG,
		Window: win,
	}
	if s.SYN {
		// A realistic SYN carries an MSS option; some decoders look for it.
		mss := []byte{0x05, 0xb4}
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: mss}}
	}
	return c.addL4(s.Src.Addr(), s.Dst.Addr(), layers.IPProtocolTCP, tcp, s.Payload, s.BadChecksum, 16)
}

// AddUDP appends one UDP datagram.
func (c *Capture) AddUDP(src, dst netip.AddrPort, payload []byte) error {
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return c.addL4(src.Addr(), dst.Addr(), layers.IPProtocolUDP, udp, payload, false, 6)
}

// AddICMP appends one ICMP message (ICMPv6 when the addresses are IPv6).
// rest is everything after the 4-byte type/code/checksum header: for an echo
// request, the identifier, sequence number and data.
func (c *Capture) AddICMP(src, dst netip.Addr, typ, code uint8, rest []byte) error {
	if src.Is4() {
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
		if len(rest) >= 4 {
			// gopacket's ICMPv4 owns the id and sequence fields.
			icmp.Id = binary.BigEndian.Uint16(rest[0:2])
			icmp.Seq = binary.BigEndian.Uint16(rest[2:4])
			rest = rest[4:]
		} else if len(rest) > 0 {
			return errors.New("pcapgen: ICMPv4 body shorter than the 4-byte rest of header")
		}
		return c.addL4(src, dst, layers.IPProtocolICMPv4, icmp, rest, false, 2)
	}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	return c.addL4(src, dst, layers.IPProtocolICMPv6, icmp, rest, false, 2)
}

// AddEchoRequest appends an ICMP (or ICMPv6) echo request with the given
// identifier, sequence number and data.
func (c *Capture) AddEchoRequest(src, dst netip.Addr, id, seq uint16, data []byte) error {
	typ := uint8(layers.ICMPv4TypeEchoRequest)
	if src.Is6() {
		typ = layers.ICMPv6TypeEchoRequest
	}
	rest := binary.BigEndian.AppendUint16(nil, id)
	rest = binary.BigEndian.AppendUint16(rest, seq)
	return c.AddICMP(src, dst, typ, 0, append(rest, data...))
}

// checksummer is the part of gopacket's TCP, UDP and ICMPv6 layers that
// computes a pseudo-header checksum.
type checksummer interface {
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// addL4 serializes IP + l4 + payload, frames it and appends it. csumOff is
// the offset of the checksum within the L4 header, for BadChecksum.
func (c *Capture) addL4(src, dst netip.Addr, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload []byte, bad bool, csumOff int) error {
	ip, err := c.ipLayer(src, dst, proto)
	if err != nil {
		return err
	}
	if cs, ok := l4.(checksummer); ok {
		if err := cs.SetNetworkLayerForChecksum(ip.(gopacket.NetworkLayer)); err != nil {
			return fmt.Errorf("pcapgen: %w", err)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, l4, gopacket.Payload(payload)); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	pkt := buf.Bytes()
	if bad {
		ipLen := 20
		if src.Is6() {
			ipLen = 40
		}
		// Any XOR but 0xffff keeps the value wrong: 0x0000 and 0xffff are
		// the same number in ones' complement.
		pkt[ipLen+csumOff] ^= 0x55
		pkt[ipLen+csumOff+1] ^= 0x55
	}
	c.append(c.frame(src, dst, pkt))
	return nil
}

func (c *Capture) ipLayer(src, dst netip.Addr, proto layers.IPProtocol) (gopacket.SerializableLayer, error) {
	if !src.IsValid() || !dst.IsValid() {
		return nil, fmt.Errorf("pcapgen: invalid address %v -> %v", src, dst)
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("pcapgen: address families differ: %v -> %v", src, dst)
	}
	if src.Is4() {
		c.ipID++
		return &layers.IPv4{
			Version: 4, IHL: 5, TTL: 64, Id: c.ipID, Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
		}, nil
	}
	return &layers.IPv6{
		Version: 6, HopLimit: 64, NextHeader: proto,
		SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
	}, nil
}

// frame prepends the link-layer header to an IP packet.
func (c *Capture) frame(src, dst netip.Addr, ipPkt []byte) []byte {
	etype := layers.EthernetTypeIPv4
	if ipPkt[0]>>4 == 6 {
		etype = layers.EthernetTypeIPv6
	}
	var hdr []byte
	switch c.opts.Link {
	case Ethernet:
		hdr = append(hdr, mac(dst)...)
		hdr = append(hdr, mac(src)...)
		switch len(c.opts.VLANs) {
		case 2:
			hdr = binary.BigEndian.AppendUint16(hdr, uint16(layers.EthernetTypeQinQ))
			hdr = binary.BigEndian.AppendUint16(hdr, c.opts.VLANs[0])
			hdr = binary.BigEndian.AppendUint16(hdr, uint16(layers.EthernetTypeDot1Q))
			hdr = binary.BigEndian.AppendUint16(hdr, c.opts.VLANs[1])
		case 1:
			hdr = binary.BigEndian.AppendUint16(hdr, uint16(layers.EthernetTypeDot1Q))
			hdr = binary.BigEndian.AppendUint16(hdr, c.opts.VLANs[0])
		}
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(etype))
	case LinuxSLL:
		hdr = binary.BigEndian.AppendUint16(hdr, 0) // packet type: to us
		hdr = binary.BigEndian.AppendUint16(hdr, 1) // ARPHRD_ETHER
		hdr = binary.BigEndian.AppendUint16(hdr, 6) // address length
		hdr = append(hdr, mac(src)...)
		hdr = append(hdr, 0, 0) // address padded to 8 bytes
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(etype))
	case LinuxSLL2:
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(etype))
		hdr = binary.BigEndian.AppendUint16(hdr, 0) // reserved
		hdr = binary.BigEndian.AppendUint32(hdr, 2) // interface index
		hdr = binary.BigEndian.AppendUint16(hdr, 1) // ARPHRD_ETHER
		hdr = append(hdr, 0, 6)                     // packet type, address length
		hdr = append(hdr, mac(src)...)
		hdr = append(hdr, 0, 0)
	case Null:
		// Host byte order of the capturing machine; little-endian is
		// what macOS and BSD on x86 and arm64 write. AF_INET6 is 30 on
		// macOS, the usual source of DLT_NULL captures.
		fam := uint32(2)
		if etype == layers.EthernetTypeIPv6 {
			fam = 30
		}
		hdr = binary.LittleEndian.AppendUint32(hdr, fam)
	case RawIP:
	}
	return append(hdr, ipPkt...)
}

// mac derives a stable, locally administered MAC address from an IP address
// so that each host keeps one address throughout a capture.
func mac(a netip.Addr) []byte {
	b := a.AsSlice()
	return []byte{0x02, 0x00, b[len(b)-4], b[len(b)-3], b[len(b)-2], b[len(b)-1]}
}
