package pcaps

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
)

// Link types (pcap LINKTYPE_/DLT_ values) the decoder understands.
const (
	LinkNull      = 0
	LinkEthernet  = 1
	LinkPPP       = 9
	LinkRaw12     = 12 // DLT_RAW on most systems
	LinkRaw14     = 14 // DLT_RAW on OpenBSD
	LinkPPPHDLC   = 50
	LinkRaw       = 101
	LinkCHDLC     = 104
	LinkLoop      = 108
	LinkLinuxSLL  = 113
	LinkIPv4      = 228
	LinkIPv6      = 229
	LinkLinuxSLL2 = 276
)

// Decode errors. They are reasons, not failures of the run: the packet is
// delivered with Invalid set.
var (
	errTruncated    = errors.New("truncated")
	errUnknownLink  = errors.New("unknown link type")
	errNotIP        = errors.New("not IP")
	errBadIPHeader  = errors.New("bad IP header")
	errBadL4Header  = errors.New("bad transport header")
	errFragment     = errors.New("fragment")
	errTooManyVLANs = errors.New("too many VLAN tags")
)

// KnownLinkType reports whether the decoder understands link type lt.
func KnownLinkType(lt int) bool {
	switch lt {
	case LinkNull, LinkEthernet, LinkPPP, LinkRaw12, LinkRaw14, LinkPPPHDLC, LinkRaw,
		LinkCHDLC, LinkLoop, LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

// fragInfo describes an IP fragment found by decodeIP; the caller hands it
// to the defragmenter.
type fragInfo struct {
	v6      bool
	id      uint32
	offset  int  // bytes
	more    bool // more fragments follow
	proto   uint8
	payload []byte // fragment data (after the IP header / fragment header)
	hdr     []byte // IP header (v4) or fixed header + unfragmentable part (v6)
	isFirst bool
	isFrag  bool
}

// decoder holds per-run scratch so decoding does not allocate.
type decoder struct {
	vlan [2]uint16
	frag fragInfo
}

// decodeLink fills p's network and transport fields from data. It returns
// the IP packet bytes (for fragment handling) or an error.
func (d *decoder) decodeLink(p *Packet, lt int, data []byte) error {
	p.VLAN = d.vlan[:0]
	var ethType uint16
	var ip []byte
	switch lt {
	case LinkEthernet:
		if len(data) < 14 {
			return errTruncated
		}
		ethType = binary.BigEndian.Uint16(data[12:14])
		ip = data[14:]
	case LinkLinuxSLL:
		if len(data) < 16 {
			return errTruncated
		}
		ethType = binary.BigEndian.Uint16(data[14:16])
		ip = data[16:]
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return errTruncated
		}
		ethType = binary.BigEndian.Uint16(data[0:2])
		ip = data[20:]
	case LinkRaw12, LinkRaw14, LinkRaw, LinkIPv4, LinkIPv6:
		return d.decodeIP(p, data)
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return errTruncated
		}
		fam := binary.LittleEndian.Uint32(data)
		if lt == LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(data)
		}
		switch fam {
		case 2:
			ethType = 0x0800
		case 10, 24, 28, 30:
			ethType = 0x86dd
		default:
			return errNotIP
		}
		ip = data[4:]
	case LinkPPP, LinkPPPHDLC:
		b := data
		if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
			b = b[2:]
		}
		if len(b) < 1 {
			return errTruncated
		}
		var proto uint16
		if b[0]&1 == 1 { // compressed one-byte protocol field
			proto, b = uint16(b[0]), b[1:]
		} else {
			if len(b) < 2 {
				return errTruncated
			}
			proto, b = binary.BigEndian.Uint16(b), b[2:]
		}
		var ok bool
		if ethType, ok = pppEthType(proto); !ok {
			return errNotIP
		}
		ip = b
	case LinkCHDLC:
		if len(data) < 4 {
			return errTruncated
		}
		ethType = binary.BigEndian.Uint16(data[2:4])
		ip = data[4:]
	default:
		return errUnknownLink
	}
	for {
		switch ethType {
		case 0x8100, 0x88a8, 0x9100:
			if len(ip) < 4 {
				return errTruncated
			}
			if len(p.VLAN) == len(d.vlan) {
				return errTooManyVLANs
			}
			p.VLAN = append(p.VLAN, binary.BigEndian.Uint16(ip)&0x0fff)
			ethType = binary.BigEndian.Uint16(ip[2:4])
			ip = ip[4:]
			continue
		case 0x8864: // PPPoE session
			if len(ip) < 8 {
				return errTruncated
			}
			var ok bool
			if ethType, ok = pppEthType(binary.BigEndian.Uint16(ip[6:8])); !ok {
				return errNotIP
			}
			ip = ip[8:]
			continue
		case 0x8847, 0x8848: // MPLS: labels to the bottom of the stack
			for {
				if len(ip) < 4 {
					return errTruncated
				}
				bottom := ip[2]&0x01 != 0
				ip = ip[4:]
				if bottom {
					break
				}
			}
			if len(ip) == 0 {
				return errTruncated
			}
			switch ip[0] >> 4 {
			case 4, 6:
				return d.decodeIP(p, ip)
			case 0: // pseudowire control word, then Ethernet
				if len(ip) < 4+14 {
					return errTruncated
				}
				ip = ip[4:]
				ethType = binary.BigEndian.Uint16(ip[12:14])
				ip = ip[14:]
				continue
			}
			return errNotIP
		case 0x0800, 0x86dd:
			return d.decodeIP(p, ip)
		}
		return errNotIP
	}
}

// pppEthType maps a PPP protocol number (PPP links, PPPoE sessions) to the
// EtherType of the same network protocol; only IPv4 and IPv6 are decoded.
func pppEthType(proto uint16) (uint16, bool) {
	switch proto {
	case 0x0021:
		return 0x0800, true
	case 0x0057:
		return 0x86dd, true
	}
	return 0, false
}

// decodeIP decodes an IPv4 or IPv6 packet and its transport header.
func (d *decoder) decodeIP(p *Packet, b []byte) error {
	d.frag.isFrag = false
	if len(b) < 1 {
		return errTruncated
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return errTruncated
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if ihl < 20 || total < ihl {
			return errBadIPHeader
		}
		if len(b) < total {
			return errTruncated
		}
		// Trailing bytes past the IP total length (Ethernet padding) are not payload.
		b = b[:total]
		p.IPVersion = 4
		p.TTL = int(b[8])
		p.IPID = int(binary.BigEndian.Uint16(b[4:6]))
		p.Proto = b[9]
		p.SrcIP = netip.AddrFrom4([4]byte(b[12:16]))
		p.DstIP = netip.AddrFrom4([4]byte(b[16:20]))
		ff := binary.BigEndian.Uint16(b[6:8])
		off := int(ff&0x1fff) * 8
		more := ff&0x2000 != 0
		if off != 0 || more {
			d.frag = fragInfo{isFrag: true, id: uint32(p.IPID), offset: off, more: more,
				proto: p.Proto, payload: b[ihl:], hdr: b[:ihl], isFirst: off == 0}
			return errFragment
		}
		return d.decodeL4(p, b[ihl:], b[12:20], false)
	case 6:
		if len(b) < 40 {
			return errTruncated
		}
		plen := int(binary.BigEndian.Uint16(b[4:6]))
		if len(b) < 40+plen {
			return errTruncated
		}
		b = b[:40+plen]
		p.IPVersion = 6
		p.TTL = int(b[7])
		p.SrcIP = netip.AddrFrom16([16]byte(b[8:24]))
		p.DstIP = netip.AddrFrom16([16]byte(b[24:40]))
		next := b[6]
		rest := b[40:]
		for {
			switch next {
			case 0, 43, 51, 60, 135, 139, 140: // hop-by-hop, routing, AH, dest opts, mobility, HIP, shim6
				if len(rest) < 8 {
					return errTruncated
				}
				l := (int(rest[1]) + 1) * 8 // 8-octet units, the first not counted
				if next == 51 {
					l = (int(rest[1]) + 2) * 4 // AH: 4-octet units, the first two not counted
				}
				if len(rest) < l {
					return errTruncated
				}
				next, rest = rest[0], rest[l:]
				continue
			case 44: // fragment
				if len(rest) < 8 {
					return errTruncated
				}
				fo := binary.BigEndian.Uint16(rest[2:4])
				off := int(fo>>3) * 8
				more := fo&1 != 0
				id := binary.BigEndian.Uint32(rest[4:8])
				p.Proto = rest[0]
				if off == 0 && !more { // atomic fragment
					next, rest = rest[0], rest[8:]
					continue
				}
				hdrLen := len(b) - len(rest)
				d.frag = fragInfo{v6: true, isFrag: true, id: id, offset: off, more: more,
					proto: rest[0], payload: rest[8:], hdr: b[:hdrLen], isFirst: off == 0}
				return errFragment
			}
			break
		}
		p.Proto = next
		return d.decodeL4(p, rest, b[8:40], true)
	}
	return errBadIPHeader
}

// decodeL4 decodes the transport header. addrs is src||dst for the
// pseudo-header checksum.
func (d *decoder) decodeL4(p *Packet, b []byte, addrs []byte, v6 bool) error {
	p.ChecksumOK = true
	switch p.Proto {
	case ProtoTCP:
		if len(b) < 20 {
			return errBadL4Header
		}
		hl := int(b[12]>>4) * 4
		if hl < 20 || len(b) < hl {
			return errBadL4Header
		}
		p.SrcPort = binary.BigEndian.Uint16(b[0:2])
		p.DstPort = binary.BigEndian.Uint16(b[2:4])
		p.TCP = TCPInfo{
			Seq:     binary.BigEndian.Uint32(b[4:8]),
			Ack:     binary.BigEndian.Uint32(b[8:12]),
			Flags:   b[13],
			Window:  binary.BigEndian.Uint16(b[14:16]),
			HdrLen:  hl,
			Options: b[20:hl],
		}
		p.Payload = b[hl:]
		p.l4 = b
		p.l4addrs = addrs
	case ProtoUDP:
		if len(b) < 8 {
			return errBadL4Header
		}
		p.SrcPort = binary.BigEndian.Uint16(b[0:2])
		p.DstPort = binary.BigEndian.Uint16(b[2:4])
		ul := int(binary.BigEndian.Uint16(b[4:6]))
		if ul < 8 || ul > len(b) {
			return errBadL4Header
		}
		// Bytes past the UDP length are not payload (Suricata ignores them too).
		p.Payload = b[8:ul]
	case ProtoICMP, ProtoICMPv6:
		if (p.Proto == ProtoICMP) == v6 {
			// ICMP in IPv6 or ICMPv6 in IPv4: carry on as plain IP.
			p.Payload = b
			return nil
		}
		if len(b) < 8 {
			if len(b) < 4 {
				return errBadL4Header
			}
		}
		p.ICMP = ICMPInfo{Type: b[0], Code: b[1]}
		if len(b) >= 8 {
			switch {
			case !v6 && (b[0] == 0 || b[0] == 8 || b[0] == 13 || b[0] == 14 || b[0] == 15 || b[0] == 16),
				v6 && (b[0] == 128 || b[0] == 129):
				p.ICMP.ID = binary.BigEndian.Uint16(b[4:6])
				p.ICMP.Seq = binary.BigEndian.Uint16(b[6:8])
			}
			p.Payload = b[8:]
		} else {
			p.Payload = b[len(b):]
		}
	default:
		p.Payload = b
	}
	return nil
}

// tcpChecksumOK verifies the TCP checksum of the segment b with the
// pseudo-header built from addrs (src||dst, 8 or 32 bytes).
//
// The one's complement sum is taken over 64-bit big-endian words with
// end-around carry and folded to 16 bits at the end (RFC 1071: the sum is
// the same whatever the word size), about four times fewer operations than
// 16-bit words; it runs over every TCP byte of the capture.
func tcpChecksumOK(b, addrs []byte) bool {
	var sum, c uint64
	for len(addrs) >= 8 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(addrs), c)
		addrs = addrs[8:]
	}
	sum, c = bits.Add64(sum, ProtoTCP+uint64(len(b)), c)
	for len(b) >= 32 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[8:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[16:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[24:]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), c)
		b = b[8:]
	}
	// The last 0–7 bytes, zero-padded on the right as one more word.
	var tail uint64
	for i, x := range b {
		tail |= uint64(x) << (56 - 8*i)
	}
	sum, c = bits.Add64(sum, tail, c)
	sum, c = bits.Add64(sum, 0, c)
	sum += c
	sum = sum>>32 + sum&0xffffffff
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

// VXLAN's and Teredo's ports; Suricata decodes both by default.
const (
	vxlanPort  = 4789
	teredoPort = 3544
)

// tunnelPayload returns the packet carried inside p, if p is a tunnel
// Suricata decodes by default: IPv4 or IPv6 in IP (protocols 4 and 41), GRE
// version 0 carrying IP or Ethernet, VXLAN on UDP port 4789 and Teredo
// (IPv6 in UDP) on port 3544; ERSPAN types I and II in GRE. lt tells
// whether the inner packet starts with IP (LinkRaw) or Ethernet.
func tunnelPayload(p *Packet) (inner []byte, lt int) {
	b := p.Payload
	switch {
	case p.Proto == 4 || p.Proto == 41:
		if len(b) > 0 {
			return b, LinkRaw
		}
	case p.Proto == 47: // GRE
		if len(b) < 4 || b[1]&0x07 != 0 {
			return nil, 0 // only version 0
		}
		hl := 4
		if b[0]&0x80 != 0 { // checksum present
			hl += 4
		}
		if b[0]&0x20 != 0 { // key present
			hl += 4
		}
		if b[0]&0x10 != 0 { // sequence number present
			hl += 4
		}
		if b[0]&0x40 != 0 { // routing present: not decoded
			return nil, 0
		}
		if len(b) <= hl {
			return nil, 0
		}
		switch binary.BigEndian.Uint16(b[2:4]) {
		case 0x0800, 0x86dd:
			return b[hl:], LinkRaw
		case 0x6558: // transparent Ethernet bridging
			return b[hl:], LinkEthernet
		case 0x88be: // ERSPAN type II (type I when GRE has no sequence number)
			if b[0]&0x10 == 0 {
				return b[hl:], LinkEthernet
			}
			if len(b) > hl+8 {
				return b[hl+8:], LinkEthernet
			}
		}
	case p.Proto == ProtoUDP && (p.DstPort == teredoPort || p.SrcPort == teredoPort):
		// Teredo: IPv6 in UDP, maybe after an origin indication.
		if len(b) >= 8 && b[0] == 0 && b[1] == 0 {
			b = b[8:]
		}
		if len(b) >= 40 && b[0]>>4 == 6 && int(binary.BigEndian.Uint16(b[4:6]))+40 == len(b) {
			return b, LinkRaw
		}
	case p.Proto == ProtoUDP && p.DstPort == vxlanPort:
		// Flags with the I bit, reserved bits zero, then an Ethernet frame.
		if len(b) > 8+14 && b[0] == 0x08 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[7] == 0 {
			return b[8:], LinkEthernet
		}
	}
	return nil, 0
}
