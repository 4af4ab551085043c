package pcaps

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ipv4UDP serializes an IPv4/UDP packet (checksums computed).
func ipv4UDP(t testing.TB, payload []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, Id: 77,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	udp := &layers.UDP{SrcPort: 1234, DstPort: 53}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, udp, gopacket.Payload(payload)))
	return buf.Bytes()
}

// ipv4TCP serializes an IPv4/TCP packet with a SYN (checksums computed).
func ipv4TCP(t testing.TB, payload []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1, Ack: 1, ACK: true, PSH: true, Window: 1000}
	require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, tcp, gopacket.Payload(payload)))
	return buf.Bytes()
}

// fragmentV4 cuts an IPv4 packet into fragments of at most size payload
// bytes (a multiple of 8).
func fragmentV4(pkt []byte, size int) [][]byte {
	hl := int(pkt[0]&0x0f) * 4
	body := pkt[hl:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		f := append(append([]byte(nil), pkt[:hl]...), body[off:end]...)
		binary.BigEndian.PutUint16(f[2:4], uint16(len(f)))
		ff := uint16(off / 8)
		if end < len(body) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:8], ff)
		f[10], f[11] = 0, 0
		out = append(out, f)
	}
	return out
}

// udpOverIPv6 returns the addresses and a UDP datagram 1234 -> 53 with
// payload, its checksum computed for those IPv6 addresses, for tests that
// write the IPv6 part (extension headers) by hand.
func udpOverIPv6(t testing.TB, payload []byte) (src, dst netip.Addr, l4 []byte) {
	t.Helper()
	src, dst = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	udp := &layers.UDP{SrcPort: 1234, DstPort: 53}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		udp, gopacket.Payload(payload)))
	return src, dst, buf.Bytes()
}

// ipv6Frag builds IPv6 fragments of a UDP datagram, with a hop-by-hop
// header in front of the fragment header.
func ipv6Frags(t testing.TB, payload []byte, size int) [][]byte {
	t.Helper()
	src, dst, l4 := udpOverIPv6(t, payload)
	var out [][]byte
	for off := 0; off < len(l4); off += size {
		end := min(off+size, len(l4))
		hdr := make([]byte, 40)
		hdr[0] = 0x60
		hdr[6] = 0 // hop-by-hop
		hdr[7] = 64
		copy(hdr[8:24], src.AsSlice())
		copy(hdr[24:40], dst.AsSlice())
		hbh := []byte{44, 0, 1, 4, 0, 0, 0, 0} // next: fragment; PadN option
		fh := make([]byte, 8)
		fh[0] = 17
		fo := uint16(off/8) << 3
		if end < len(l4) {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:4], fo)
		binary.BigEndian.PutUint32(fh[4:8], 0xabcd)
		pkt := append(append(append(hdr, hbh...), fh...), l4[off:end]...)
		binary.BigEndian.PutUint16(pkt[4:6], uint16(len(pkt)-40))
		out = append(out, pkt)
	}
	return out
}

// writeRaw writes frames as a pcap of link type lt.
func writeRaw(t testing.TB, lt layers.LinkType, frames ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	require.NoError(t, w.WriteFileHeader(65535, lt))
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, f := range frames {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			CaptureLength: len(f), Length: len(f)}, f))
	}
	return b.Bytes()
}

func TestLinkTypes(t *testing.T) {
	ip := ipv4UDP(t, []byte("payload"))
	eth := func(typ uint16, rest ...byte) []byte {
		b := make([]byte, 12, 14+len(rest))
		b = binary.BigEndian.AppendUint16(b, typ)
		return append(b, rest...)
	}
	tests := []struct {
		name  string
		lt    layers.LinkType
		frame []byte
		vlan  []uint16
	}{
		{"ethernet", layers.LinkTypeEthernet, append(eth(0x0800), ip...), nil},
		{"802.1q", layers.LinkTypeEthernet, append(eth(0x8100, 0x00, 0x0a, 0x08, 0x00), ip...), []uint16{10}},
		{"qinq", layers.LinkTypeEthernet, append(eth(0x88a8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00), ip...), []uint16{10, 20}},
		{"pppoe", layers.LinkTypeEthernet, append(eth(0x8864, 0x11, 0, 0, 1, 0, 0, 0x00, 0x21), ip...), nil},
		{"ppp", layers.LinkTypePPP, append([]byte{0xff, 0x03, 0x00, 0x21}, ip...), nil},
		{"ppp no address", layers.LinkTypePPP, append([]byte{0x00, 0x21}, ip...), nil},
		{"cisco hdlc", layers.LinkType(104), append([]byte{0x0f, 0x00, 0x08, 0x00}, ip...), nil},
		{"null little endian", layers.LinkTypeNull, append([]byte{2, 0, 0, 0}, ip...), nil},
		{"null big endian", layers.LinkTypeNull, append([]byte{0, 0, 0, 2}, ip...), nil},
		{"loop", layers.LinkTypeLoop, append([]byte{0, 0, 0, 2}, ip...), nil},
		{"raw 12", layers.LinkType(12), ip, nil},
		{"raw 14", layers.LinkType(14), ip, nil},
		{"raw 101", layers.LinkTypeRaw, ip, nil},
		{"ipv4 228", layers.LinkTypeIPv4, ip, nil},
		{"sll", layers.LinkTypeLinuxSLL, append([]byte{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00}, ip...), nil},
		{"sll2", layers.LinkTypeLinuxSLL2, append([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0}, ip...), nil},
		{"ethernet padding", layers.LinkTypeEthernet, append(append(eth(0x0800), ip...), 0, 0, 0, 0), nil},
		{"mpls two labels", layers.LinkTypeEthernet, append(eth(0x8847, 0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64), ip...), nil},
		{"mpls pseudowire ethernet", layers.LinkTypeEthernet, append(append(eth(0x8847, 0, 0x10, 0x01, 64, 0, 0, 0, 0), eth(0x0800)...), ip...), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCapture(t, writeRaw(t, tc.lt, tc.frame), Config{})
			require.NoError(t, r.err)
			require.Len(t, r.packets, 1)
			p := r.packets[0]
			assert.False(t, p.Invalid)
			assert.Equal(t, 4, p.IPVersion)
			assert.Equal(t, netip.MustParseAddr("10.0.0.1"), p.SrcIP)
			assert.Equal(t, uint16(53), p.DstPort)
			assert.Equal(t, uint8(ProtoUDP), p.Proto)
			assert.Equal(t, "payload", string(r.payloads[0]))
			assert.Equal(t, tc.vlan, nilIfEmpty(p.VLAN))
		})
	}
}

func nilIfEmpty(v []uint16) []uint16 {
	if len(v) == 0 {
		return nil
	}
	return v
}

func TestIPv4Fragments(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 200) // 3200 bytes
	frags := fragmentV4(ipv4UDP(t, payload), 1200)
	require.Len(t, frags, 3)
	// Out of order, with a duplicate.
	order := [][]byte{frags[2], frags[0], frags[0], frags[1]}
	var raw [][]byte
	raw = append(raw, order...)
	r := runCapture(t, writeRaw(t, layers.LinkTypeRaw, raw...), Config{})
	require.NoError(t, r.err)
	assert.Equal(t, 4, r.stats.Fragments)
	// Four fragments, then the rebuilt datagram with the number of the
	// fragment that completed it.
	require.Len(t, r.packets, 5)
	rb := r.packets[4]
	assert.Equal(t, 4, rb.Num)
	assert.True(t, rb.Fragmented)
	assert.Equal(t, uint16(53), rb.DstPort)
	assert.Equal(t, payload, r.payloads[4])
	for i := range 4 {
		assert.True(t, r.packets[i].Fragmented)
		assert.Empty(t, r.payloads[i])
	}
}

func TestIPv6ExtensionHeadersAndFragments(t *testing.T) {
	payload := bytes.Repeat([]byte("v6"), 1000)
	frags := ipv6Frags(t, payload, 800)
	require.Len(t, frags, 3)
	r := runCapture(t, writeRaw(t, layers.LinkTypeRaw, frags[1], frags[0], frags[2]), Config{})
	require.NoError(t, r.err)
	require.Len(t, r.packets, 4)
	rb := r.packets[3]
	assert.Equal(t, 6, rb.IPVersion)
	assert.Equal(t, uint8(ProtoUDP), rb.Proto)
	assert.Equal(t, uint16(53), rb.DstPort)
	assert.Equal(t, payload, r.payloads[3])
}

// A hop-by-hop header (8-octet units) then AH (4-octet units, RFC 4302)
// in front of UDP: both lengths are counted right, so the UDP header is
// found; cut short inside AH, the packet is invalid.
func TestIPv6HopByHopAndAH(t *testing.T) {
	src, dst, l4 := udpOverIPv6(t, []byte("after AH"))
	hdr := make([]byte, 40)
	hdr[0], hdr[6], hdr[7] = 0x60, 0, 64 // next: hop-by-hop
	copy(hdr[8:24], src.AsSlice())
	copy(hdr[24:40], dst.AsSlice())
	hbh := make([]byte, 16)
	hbh[0], hbh[1] = 51, 1 // next: AH; 16 octets
	hbh[2], hbh[3] = 1, 12 // PadN over the rest
	ah := make([]byte, 24)
	ah[0], ah[1] = 17, 4 // next: UDP; (4+2)*4 = 24 octets
	pkt := append(append(append(hdr, hbh...), ah...), l4...)
	binary.BigEndian.PutUint16(pkt[4:6], uint16(len(pkt)-40))

	r := runCapture(t, writeRaw(t, layers.LinkTypeRaw, pkt), Config{})
	require.NoError(t, r.err)
	require.Len(t, r.packets, 1)
	assert.False(t, r.packets[0].Invalid)
	assert.Equal(t, uint8(ProtoUDP), r.packets[0].Proto)
	assert.Equal(t, uint16(53), r.packets[0].DstPort)
	assert.Equal(t, "after AH", string(r.payloads[0]))

	short := append([]byte(nil), pkt[:40+16+20]...)
	binary.BigEndian.PutUint16(short[4:6], uint16(len(short)-40))
	r = runCapture(t, writeRaw(t, layers.LinkTypeRaw, short), Config{})
	require.NoError(t, r.err)
	assert.True(t, r.packets[0].Invalid)
}

func TestTruncatedHeadersAreInvalid(t *testing.T) {
	ip := ipv4TCP(t, []byte("x"))
	for _, n := range []int{0, 10, 19, 30} {
		r := runCapture(t, writeRaw(t, layers.LinkTypeRaw, ip[:n]), Config{})
		require.NoError(t, r.err)
		assert.True(t, r.packets[0].Invalid, "length %d", n)
		assert.Nil(t, r.packets[0].Flow)
	}
}

func TestTCPChecksum(t *testing.T) {
	pkt := ipv4TCP(t, []byte("hello"))
	assert.True(t, tcpChecksumOK(pkt[20:], pkt[12:20]))
	pkt[len(pkt)-1] ^= 1
	assert.False(t, tcpChecksumOK(pkt[20:], pkt[12:20]))
	odd := ipv4TCP(t, []byte("odd"))
	assert.True(t, tcpChecksumOK(odd[20:], odd[12:20]))
}

// TestTCPChecksumWordSizes compares the 64-bit word checksum with the
// plain 16-bit word sum of RFC 793 over every length up to a few words
// past the unrolled loop, IPv4 and IPv6 pseudo-headers, random contents
// and a correct checksum planted so both the valid and invalid cases run.
func TestTCPChecksumWordSizes(t *testing.T) {
	sum16 := func(b, addrs []byte) uint32 {
		var sum uint32
		for i := 0; i+1 < len(addrs); i += 2 {
			sum += uint32(addrs[i])<<8 | uint32(addrs[i+1])
		}
		sum += ProtoTCP + uint32(len(b))&0xffff + uint32(len(b))>>16
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)&1 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		return sum
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, alen := range []int{8, 32} {
		for n := 18; n < 120; n++ {
			for range 20 {
				addrs, b := make([]byte, alen), make([]byte, n)
				for i := range addrs {
					addrs[i] = byte(rng.Uint32())
				}
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				if rng.IntN(4) == 0 {
					b[n-1] = 0xff // more carries
				}
				assert.Equal(t, sum16(b, addrs) == 0xffff, tcpChecksumOK(b, addrs), "n=%d", n)
				// Plant the right checksum (TCP header offset 16).
				b[16], b[17] = 0, 0
				ck := ^uint16(sum16(b, addrs))
				b[16], b[17] = byte(ck>>8), byte(ck)
				assert.True(t, tcpChecksumOK(b, addrs), "n=%d", n)
				b[rng.IntN(n)] ^= 1 << rng.IntN(8)
				assert.Equal(t, sum16(b, addrs) == 0xffff, tcpChecksumOK(b, addrs), "n=%d", n)
			}
		}
	}
}

// TestDecodeDoesNotAllocate pins the per-packet decode path at zero
// allocations.
func TestDecodeDoesNotAllocate(t *testing.T) {
	frame := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00}, ipv4TCP(t, []byte("GET / HTTP/1.1\r\n\r\n"))...)
	var d decoder
	var p Packet
	allocs := testing.AllocsPerRun(1000, func() {
		p = Packet{}
		if err := d.decodeLink(&p, LinkEthernet, frame); err != nil {
			t.Fatal(err)
		}
		if !tcpChecksumOK(p.l4, p.l4addrs) {
			t.Fatal("checksum")
		}
	})
	assert.Zero(t, allocs)
}

// TestEnginePacketDoesNotAllocate pins the steady-state path of a packet
// in an established flow (lookup, TCP, delivery) at zero allocations.
func TestEnginePacketDoesNotAllocate(t *testing.T) {
	ip := ipv4TCP(t, nil) // a pure ACK, as most packets of a bulk transfer
	e := newEngine(t.Context(), Config{Midstream: true}, HandlerFunc(func(*Packet) {}), "x")
	f := Frame{Num: 1, Time: time.Unix(1, 0), Data: ip, LinkType: LinkRaw}
	e.packet(&f)
	allocs := testing.AllocsPerRun(1000, func() {
		f.Num++
		e.packet(&f)
	})
	assert.Zero(t, allocs)
}

// TestEngineDataPacketsDoNotAllocate: in a bulk transfer, data segments
// are reassembled, ACKed, inspected in raw chunks and their buffers given
// back and taken again from the pool, without allocating in steady state
// and without holding more than what waits for its ACK.
func TestEngineDataPacketsDoNotAllocate(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	cl, sv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:5000")
	payload := bytes.Repeat([]byte{0xa5}, 1400)
	// The server speaks first, so both directions are seen not to be
	// HTTP and the app layer gives up: data is then released once
	// inspected.
	require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: sv, Dst: cl, Seq: 1, Ack: 1, ACK: true, Payload: []byte("\x00\x01\x02\x03")}))
	const rounds = 1000
	for i := range rounds {
		seq := uint32(1 + 3*1400*i)
		for k := range 3 {
			require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: cl, Dst: sv, Seq: seq + uint32(k*1400), Ack: 5, ACK: true, Payload: payload}))
		}
		require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: sv, Dst: cl, Seq: 5, Ack: seq + 3*1400, ACK: true}))
	}
	rd, err := NewReader(bytes.NewReader(c.Bytes()), "x")
	require.NoError(t, err)
	var frames []Frame
	for {
		var f Frame
		if rd.Next(&f) != nil {
			break
		}
		f.Data = append([]byte(nil), f.Data...)
		frames = append(frames, f)
	}
	chunks := 0
	// No depth limit: every round is reassembled and inspected.
	e := newEngine(t.Context(), Config{Midstream: true, ReassemblyDepth: -1}, HandlerFunc(func(p *Packet) { chunks += len(p.Stream) }), "x")
	for _, f := range frames[:400] { // warm up the pool and the flow
		e.packet(&f)
	}
	peak := 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 400; i < len(frames); i++ {
		e.packet(&frames[i])
		peak = max(peak, e.mem)
	}
	runtime.ReadMemStats(&after)
	assert.Zero(t, after.Mallocs-before.Mallocs, "allocations over %d packets", len(frames)-400)
	assert.Greater(t, chunks, rounds/2, "data was inspected in raw chunks")
	assert.Less(t, peak, 32<<10, "stream memory stays at what waits for an ACK")
}

// BenchmarkDecode measures the decoder alone on an Ethernet/VLAN/IPv4/TCP
// frame.
func BenchmarkDecode(b *testing.B) {
	frame := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00}, ipv4TCP(b, bytes.Repeat([]byte("x"), 1000))...)
	var d decoder
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		p = Packet{}
		_ = d.decodeLink(&p, LinkEthernet, frame)
		_ = tcpChecksumOK(p.l4, p.l4addrs)
	}
}

// BenchmarkProcess runs the whole engine (read, decode, flows, reassembly,
// HTTP) over a generated capture of 200 keep-alive HTTP conversations.
func BenchmarkProcess(b *testing.B) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(b, err)
	body := bytes.Repeat([]byte("<html>benchmark body</html>\n"), 200)
	resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...)
	for i := range 200 {
		cl := netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(20000+i))
		_, err := c.AddConversation(pcapgen.Conversation{Client: cl, Server: srv4,
			Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp}, {Request: req2, Response: resp2}}})
		require.NoError(b, err)
	}
	data := c.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var packets int
	for b.Loop() {
		st, err := Process(context.Background(), bytes.NewReader(data), "bench", Config{}, HandlerFunc(func(*Packet) {}))
		if err != nil {
			b.Fatal(err)
		}
		packets = st.Packets
	}
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(packets), "packets/op")
}

// outerIPv4 wraps payload in an IPv4 header of protocol proto.
func outerIPv4(t testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.IP{172, 16, 0, 1}, DstIP: net.IP{172, 16, 0, 2}}
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, gopacket.Payload(payload)))
	return buf.Bytes()
}

func TestTunnels(t *testing.T) {
	inner := ipv4UDP(t, []byte("inner"))
	innerEth := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00}, inner...)
	vxlan := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{172, 16, 0, 1}, DstIP: net.IP{172, 16, 0, 2}}
		udp := &layers.UDP{SrcPort: 50000, DstPort: 4789}
		require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		buf := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			ip, udp, gopacket.Payload(append([]byte{0x08, 0, 0, 0, 0, 0, 42, 0}, innerEth...))))
		return buf.Bytes()
	}
	teredo := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{172, 16, 0, 1}, DstIP: net.IP{172, 16, 0, 2}}
		udp := &layers.UDP{SrcPort: 3544, DstPort: 40000}
		require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		// An IPv6/UDP packet from 10.0.0.1's mapped address.
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
			SrcIP: netip.MustParseAddr("::ffff:10.0.0.1").AsSlice(), DstIP: netip.MustParseAddr("2001:db8::2").AsSlice()}
		u6 := &layers.UDP{SrcPort: 1234, DstPort: 53}
		require.NoError(t, u6.SetNetworkLayerForChecksum(ip6))
		in6 := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(in6, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			ip6, u6, gopacket.Payload("inner")))
		buf := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			ip, udp, gopacket.Payload(in6.Bytes())))
		return buf.Bytes()
	}
	tests := []struct {
		name      string
		pkt       []byte
		outerProt uint8
	}{
		{"ip in ip", outerIPv4(t, 4, inner), 4},
		{"gre ip", outerIPv4(t, layers.IPProtocolGRE, append([]byte{0, 0, 0x08, 0x00}, inner...)), 47},
		{"gre key ethernet", outerIPv4(t, layers.IPProtocolGRE, append([]byte{0x20, 0, 0x65, 0x58, 0, 0, 0, 7}, innerEth...)), 47},
		{"vxlan", vxlan(), ProtoUDP},
		{"erspan ii", outerIPv4(t, layers.IPProtocolGRE, append([]byte{0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 1, 0, 0, 0, 0}, innerEth...)), 47},
		{"teredo", teredo(), ProtoUDP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCapture(t, writeRaw(t, layers.LinkTypeRaw, tc.pkt), Config{})
			require.NoError(t, r.err)
			require.Len(t, r.packets, 2, "outer then inner")
			outer, in := r.packets[0], r.packets[1]
			assert.Equal(t, tc.outerProt, outer.Proto)
			assert.False(t, outer.Tunnel)
			assert.True(t, in.Tunnel)
			assert.Equal(t, 1, in.Num)
			assert.Equal(t, netip.MustParseAddr("10.0.0.1"), in.SrcIP.Unmap())
			assert.Equal(t, uint16(53), in.DstPort)
			assert.Equal(t, "inner", string(r.payloads[1]))
			assert.Equal(t, 2, r.stats.Flows)
			assert.Equal(t, 1, r.stats.Tunneled)
		})
	}
}
