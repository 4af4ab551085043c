package replay

import "encoding/binary"

// rewrite moves the HOME_NET IPv4 addresses of an Ethernet frame by round
// (see the package comment) and updates the checksums over them in place.
// Frames it does not understand are left as they are.
func rewrite(b []byte, round uint16) {
	if round == 0 || len(b) < 14 {
		return
	}
	off, et := 12, binary.BigEndian.Uint16(b[12:])
	for et == 0x8100 || et == 0x88a8 || et == 0x9100 {
		off += 4
		if len(b) < off+2 {
			return
		}
		et = binary.BigEndian.Uint16(b[off:])
	}
	if et == 0x0800 {
		rewriteIPv4(b[off+2:], round, false)
	}
}

// rewriteIPv4 rewrites the IPv4 packet at the start of p and returns the
// ones'-complement sum of its changes, which a checksum over p (an ICMP
// error quoting p) must take in. inner says p is quoted in an ICMP error,
// where the transport header is cut after 8 bytes.
func rewriteIPv4(p []byte, round uint16, inner bool) uint32 {
	if len(p) < 20 || p[0]>>4 != 4 {
		return 0
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || len(p) < ihl {
		return 0
	}
	addrs := moveAddr(p[12:16], round) + moveAddr(p[16:20], round)
	if addrs == 0 {
		return 0
	}
	total := addrs + adjust(p[10:12], addrs)
	if binary.BigEndian.Uint16(p[6:])&0x1fff != 0 {
		return total // a later fragment: no transport header
	}
	l4 := p[ihl:]
	switch p[9] {
	case 6: // TCP
		if !inner && len(l4) >= 18 {
			adjust(l4[16:18], addrs)
		}
	case 17: // UDP; a zero checksum means none
		if len(l4) >= 8 && (l4[6] != 0 || l4[7] != 0) {
			total += adjust(l4[6:8], addrs)
			if l4[6] == 0 && l4[7] == 0 {
				l4[6], l4[7] = 0xff, 0xff
			}
		}
	case 1: // ICMP: an error quotes the packet that caused it
		if !inner && len(l4) >= 8+20 {
			switch l4[0] {
			case 3, 4, 5, 11, 12:
				if d := rewriteIPv4(l4[8:], round, true); d != 0 {
					adjust(l4[2:4], d)
				}
			}
		}
	}
	return total
}

// stride is what each round adds to the low 16 bits of a HOME_NET
// address: odd, so 65536 rounds go through every value, and large, so
// neighbouring addresses of the corpus (172.16.16.139 and .140) do not
// become each other's in the next round.
const stride = 0x9e37

// moveAddr adds round×stride to the low 16 bits of a in place when a is in
// Suricata's default HOME_NET (all three blocks are at least /16, so the
// address stays in its block) and returns the ones'-complement sum of the
// change (0 when a is kept).
func moveAddr(a []byte, round uint16) uint32 {
	if !(a[0] == 10 || a[0] == 172 && a[1]&0xf0 == 16 || a[0] == 192 && a[1] == 168) {
		return 0
	}
	old := binary.BigEndian.Uint16(a[2:])
	nw := old + round*stride
	binary.BigEndian.PutUint16(a[2:], nw)
	return uint32(^old) + uint32(nw)
}

// adjust updates the checksum at c for a change whose ones'-complement
// sum is d (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')) and returns the sum
// of its own change, for a checksum that covers this one.
func adjust(c []byte, d uint32) uint32 {
	old := binary.BigEndian.Uint16(c)
	s := uint32(^old) + d
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	nw := ^uint16(s)
	binary.BigEndian.PutUint16(c, nw)
	return uint32(^old) + uint32(nw)
}
