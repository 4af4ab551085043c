package pcapgen

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	client4 = netip.MustParseAddrPort("192.168.1.10:49152")
	server4 = netip.MustParseAddrPort("203.0.113.5:80")
	client6 = netip.MustParseAddrPort("[2001:db8::10]:49152")
	server6 = netip.MustParseAddrPort("[2001:db8:1::5]:8080")
)

const (
	req  = "GET /imagedump/image.php?id=1 HTTP/1.1\r\nHost: example.net\r\nUser-Agent: test\r\n\r\n"
	resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
)

// decoded is one packet read back through pcapgo and gopacket.
type decoded struct {
	ci  gopacket.CaptureInfo
	pkt gopacket.Packet
}

func readBack(t *testing.T, c *Capture, ng bool) []decoded {
	t.Helper()
	var buf bytes.Buffer
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var lt layers.LinkType
	if ng {
		require.NoError(t, c.WritePcapNG(&buf))
		r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
		require.NoError(t, err)
		src, lt = r, r.LinkType()
	} else {
		require.NoError(t, c.WritePcap(&buf))
		r, err := pcapgo.NewReader(&buf)
		require.NoError(t, err)
		src, lt = r, r.LinkType()
	}
	require.Equal(t, c.Link().LinkType(), lt)
	var out []decoded
	for {
		data, ci, err := src.ReadPacketData()
		if err != nil {
			break
		}
		p := gopacket.NewPacket(data, lt, gopacket.Default)
		require.Nil(t, p.ErrorLayer(), "packet %d: %v", len(out)+1, p.ErrorLayer())
		out = append(out, decoded{ci, p})
	}
	require.Len(t, out, c.Len())
	return out
}

// onesSum verifies an Internet checksum: the folded sum over the data with
// the checksum in place is 0xffff.
func onesSum(parts ...[]byte) uint16 {
	var s uint32
	for _, p := range parts {
		for i := 0; i+1 < len(p); i += 2 {
			s += uint32(binary.BigEndian.Uint16(p[i:]))
		}
		if len(p)%2 == 1 {
			s += uint32(p[len(p)-1]) << 8
		}
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func pseudo(p gopacket.Packet, proto byte, l4len int) []byte {
	var b []byte
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		b = append(b, ip.SrcIP.To4()...)
		b = append(b, ip.DstIP.To4()...)
		b = append(b, 0, proto)
		b = binary.BigEndian.AppendUint16(b, uint16(l4len))
	case *layers.IPv6:
		b = append(b, ip.SrcIP.To16()...)
		b = append(b, ip.DstIP.To16()...)
		b = binary.BigEndian.AppendUint32(b, uint32(l4len))
		b = append(b, 0, 0, 0, proto)
	}
	return b
}

func tcpChecksumOK(p gopacket.Packet) bool {
	l4 := p.NetworkLayer().LayerPayload()
	return onesSum(pseudo(p, 6, len(l4)), l4) == 0xffff
}

func ipv4ChecksumOK(p gopacket.Packet) bool {
	ip, ok := p.NetworkLayer().(*layers.IPv4)
	return !ok || onesSum(ip.Contents) == 0xffff
}

// reassemble rebuilds what src sent from the data segments, whatever their
// order, and checks that repeated bytes agree.
func reassemble(t *testing.T, pkts []decoded, src netip.AddrPort) string {
	t.Helper()
	var isn uint32
	got := map[int]byte{}
	max := 0
	for _, d := range pkts {
		tcp := d.pkt.TransportLayer().(*layers.TCP)
		from, _ := netip.AddrFromSlice(d.pkt.NetworkLayer().NetworkFlow().Src().Raw())
		if from.Unmap() != src.Addr() || uint16(tcp.SrcPort) != src.Port() {
			continue
		}
		if tcp.SYN {
			isn = tcp.Seq + 1
			continue
		}
		for i, b := range tcp.Payload {
			off := int(tcp.Seq-isn) + i
			if old, ok := got[off]; ok {
				require.Equal(t, old, b, "conflicting byte at offset %d", off)
			}
			got[off] = b
			max = maxInt(max, off+1)
		}
	}
	var s strings.Builder
	for i := range max {
		b, ok := got[i]
		require.True(t, ok, "hole at offset %d", i)
		s.WriteByte(b)
	}
	return s.String()
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestConversation(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		conv    Conversation
		packets int
		// segments of the request, in capture order, as payload lengths
		reqSegs []int
	}{
		{name: "plain", conv: Conversation{Client: client4, Server: server4}, packets: 3 + 2 + 2 + 3, reqSegs: []int{len(req)}},
		{name: "segmented", conv: Conversation{Client: client4, Server: server4, SegmentSize: 10}, packets: 3 + 8 + 1 + 7 + 1 + 3, reqSegs: []int{10, 10, 10, 10, 10, 10, 10, 9}},
		{name: "out-of-order", conv: Conversation{Client: client4, Server: server4, SegmentSize: 30, OutOfOrder: true}, packets: 3 + 3 + 1 + 3 + 1 + 3, reqSegs: []int{30, 30, 19}},
		{name: "retransmit", conv: Conversation{Client: client4, Server: server4, SegmentSize: 40, Retransmit: true}, packets: 3 + 4 + 1 + 4 + 1 + 3, reqSegs: []int{40, 40, 39, 39}},
		{name: "overlap", conv: Conversation{Client: client4, Server: server4, SegmentSize: 40, Overlap: 5}, packets: 3 + 2 + 1 + 2 + 1 + 3, reqSegs: []int{40, 44}},
		{name: "ipv6 odd port", conv: Conversation{Client: client6, Server: server6}, packets: 10, reqSegs: []int{len(req)}},
		{name: "vlan", opts: Options{VLANs: []uint16{100}}, conv: Conversation{Client: client4, Server: server4}, packets: 10, reqSegs: []int{len(req)}},
		{name: "qinq", opts: Options{VLANs: []uint16{10, 20}}, conv: Conversation{Client: client6, Server: server6}, packets: 10, reqSegs: []int{len(req)}},
		{name: "sll", opts: Options{Link: LinuxSLL}, conv: Conversation{Client: client4, Server: server4}, packets: 10, reqSegs: []int{len(req)}},
		{name: "sll2", opts: Options{Link: LinuxSLL2}, conv: Conversation{Client: client6, Server: server6}, packets: 10, reqSegs: []int{len(req)}},
		{name: "raw", opts: Options{Link: RawIP}, conv: Conversation{Client: client4, Server: server4}, packets: 10, reqSegs: []int{len(req)}},
		{name: "null", opts: Options{Link: Null}, conv: Conversation{Client: client6, Server: server6}, packets: 10, reqSegs: []int{len(req)}},
		{name: "midstream", conv: Conversation{Client: client4, Server: server4, NoHandshake: true, NoClose: true}, packets: 4, reqSegs: []int{len(req)}},
	}
	for _, tt := range tests {
		for _, ng := range []bool{false, true} {
			name := tt.name
			if ng {
				name += "/pcapng"
			}
			t.Run(name, func(t *testing.T) {
				c, err := New(tt.opts)
				require.NoError(t, err)
				tt.conv.Exchanges = []Exchange{{Request: []byte(req), Response: []byte(resp)}}
				conn, err := c.AddConversation(tt.conv)
				require.NoError(t, err)
				assert.Equal(t, 1, conn.First)
				assert.Equal(t, tt.packets, conn.Last)
				pkts := readBack(t, c, ng)
				require.Len(t, pkts, tt.packets)

				for i, d := range pkts {
					assert.Equal(t, DefaultStart.Add(time.Duration(i)*DefaultStep), d.ci.Timestamp.UTC(), "packet %d time", i+1)
					assert.True(t, tcpChecksumOK(d.pkt), "packet %d TCP checksum", i+1)
					assert.True(t, ipv4ChecksumOK(d.pkt), "packet %d IPv4 checksum", i+1)
					if n := len(tt.opts.VLANs); n > 0 {
						var tags []uint16
						for _, l := range d.pkt.Layers() {
							if q, ok := l.(*layers.Dot1Q); ok {
								tags = append(tags, q.VLANIdentifier)
							}
						}
						assert.Equal(t, tt.opts.VLANs, tags)
					}
				}
				first := pkts[0].pkt.TransportLayer().(*layers.TCP)
				if tt.conv.NoHandshake {
					assert.False(t, first.SYN)
				} else {
					assert.True(t, first.SYN && !first.ACK, "first packet is a SYN")
					sa := pkts[1].pkt.TransportLayer().(*layers.TCP)
					assert.True(t, sa.SYN && sa.ACK)
					assert.Equal(t, first.Seq+1, sa.Ack)
				}
				if !tt.conv.NoClose {
					fin := pkts[len(pkts)-3].pkt.TransportLayer().(*layers.TCP)
					assert.True(t, fin.FIN)
				}

				var lens []int
				for _, n := range conn.Requests[0] {
					lens = append(lens, len(pkts[n-1].pkt.TransportLayer().LayerPayload()))
				}
				assert.Equal(t, tt.reqSegs, lens)
				if tt.conv.OutOfOrder {
					s0 := pkts[conn.Requests[0][0]-1].pkt.TransportLayer().(*layers.TCP).Seq
					s1 := pkts[conn.Requests[0][1]-1].pkt.TransportLayer().(*layers.TCP).Seq
					assert.Greater(t, s0, s1, "later data first")
				}
				if !tt.conv.NoHandshake {
					assert.Equal(t, req, reassemble(t, pkts, tt.conv.Client))
					assert.Equal(t, resp, reassemble(t, pkts, tt.conv.Server))
				}
			})
		}
	}
}

func TestPipelinedKeepAlive(t *testing.T) {
	ex := []Exchange{
		{Request: []byte("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")},
		{Request: []byte("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"), Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")},
	}
	for _, pipelined := range []bool{false, true} {
		c, err := New(Options{})
		require.NoError(t, err)
		conn, err := c.AddConversation(Conversation{Client: client4, Server: server4, Exchanges: ex, Pipelined: pipelined})
		require.NoError(t, err)
		pkts := readBack(t, c, false)
		if pipelined {
			// Both requests before either response.
			assert.Equal(t, [][]int{{4}, {5}}, conn.Requests)
			assert.Equal(t, [][]int{{7}, {8}}, conn.Responses)
		} else {
			assert.Equal(t, [][]int{{4}, {8}}, conn.Requests)
			assert.Equal(t, [][]int{{6}, {10}}, conn.Responses)
		}
		assert.Equal(t, string(ex[0].Request)+string(ex[1].Request), reassemble(t, pkts, client4))
		assert.Equal(t, string(ex[0].Response)+string(ex[1].Response), reassemble(t, pkts, server4))
	}
}

func TestCorruptChecksum(t *testing.T) {
	c, err := New(Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(Conversation{Client: client4, Server: server4,
		Exchanges: []Exchange{{Request: []byte(req)}}, CorruptChecksum: 4})
	require.NoError(t, err)
	for i, d := range readBack(t, c, false) {
		assert.Equal(t, i != 3, tcpChecksumOK(d.pkt), "packet %d", i+1)
	}
}

func TestUDPAndICMP(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		c, err := New(Options{})
		require.NoError(t, err)
		src, dst := client4, netip.MustParseAddrPort("8.8.8.8:9999")
		if v6 {
			src, dst = client6, netip.MustParseAddrPort("[2001:4860:4860::8888]:9999")
		}
		require.NoError(t, c.AddUDP(src, dst, []byte("dns?")))
		require.NoError(t, c.AddEchoRequest(src.Addr(), dst.Addr(), 7, 1, []byte("ping")))
		pkts := readBack(t, c, false)
		udp := pkts[0].pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		assert.Equal(t, "dns?", string(udp.Payload))
		l4 := pkts[0].pkt.NetworkLayer().LayerPayload()
		assert.Equal(t, uint16(0xffff), onesSum(pseudo(pkts[0].pkt, 17, len(l4)), l4), "UDP checksum")
		if v6 {
			l4 := pkts[1].pkt.NetworkLayer().LayerPayload()
			assert.Equal(t, uint16(0xffff), onesSum(pseudo(pkts[1].pkt, 58, len(l4)), l4), "ICMPv6 checksum")
			echo := pkts[1].pkt.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo)
			assert.Equal(t, uint16(7), echo.Identifier)
			assert.Equal(t, "ping", string(echo.Payload))
		} else {
			icmp := pkts[1].pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			assert.Equal(t, uint8(layers.ICMPv4TypeEchoRequest), icmp.TypeCode.Type())
			assert.Equal(t, uint16(7), icmp.Id)
			assert.Equal(t, uint16(0xffff), onesSum(icmp.Contents, icmp.Payload), "ICMP checksum")
			assert.Equal(t, "ping", string(icmp.Payload))
		}
	}
}

func TestDeterministic(t *testing.T) {
	build := func() []byte {
		c, err := New(Options{VLANs: []uint16{5}})
		require.NoError(t, err)
		_, err = c.AddConversation(Conversation{Client: client4, Server: server4, Exchanges: []Exchange{{Request: []byte(req), Response: []byte(resp)}}})
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, c.WritePcapNG(&b))
		return b.Bytes()
	}
	assert.Equal(t, build(), build())
}

func TestErrors(t *testing.T) {
	_, err := New(Options{Link: RawIP, VLANs: []uint16{1}})
	assert.ErrorContains(t, err, "VLAN tags need Ethernet")
	_, err = New(Options{VLANs: []uint16{1, 2, 3}})
	assert.ErrorContains(t, err, "at most two")
	_, err = New(Options{VLANs: []uint16{4095}})
	assert.ErrorContains(t, err, "out of range")
	c, _ := New(Options{})
	_, err = c.AddConversation(Conversation{Client: client4, Server: server6})
	assert.ErrorContains(t, err, "address families differ")
	_, err = c.AddConversation(Conversation{Client: client4, Server: server4, SegmentSize: 10, Overlap: 10})
	assert.ErrorContains(t, err, "overlap")
	_, err = c.AddConversation(Conversation{})
	assert.ErrorContains(t, err, "needs client and server")
}

// TestAckEvery: the receiver ACKs every N segments of a message with the
// sequence number of the data received so far, then the whole message.
func TestAckEvery(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 10*100)
	c, err := New(Options{})
	require.NoError(t, err)
	conn, err := c.AddConversation(Conversation{Client: client4, Server: server4, SegmentSize: 100, AckEvery: 3,
		Exchanges: []Exchange{{Request: []byte(req), Response: body}}})
	require.NoError(t, err)
	pkts := readBack(t, c, false)
	var acks []uint32
	for _, d := range pkts[conn.Responses[0][0]-1:] {
		tcp := d.pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp.FIN {
			break // the close
		}
		if tcp.SrcPort == layers.TCPPort(client4.Port()) && len(tcp.Payload) == 0 {
			acks = append(acks, tcp.Ack-5001)
		}
	}
	assert.Equal(t, []uint32{300, 600, 900, 1000}, acks, "client ACKs relative to the server's ISN")
	assert.Equal(t, string(body), reassemble(t, pkts, server4))
}
