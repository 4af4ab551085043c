package pcaps

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/pcaps/http1"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	cli4 = netip.MustParseAddrPort("192.168.1.10:49152")
	srv4 = netip.MustParseAddrPort("203.0.113.5:80")
	cli6 = netip.MustParseAddrPort("[2001:db8::10]:49152")
	srv6 = netip.MustParseAddrPort("[2001:db8::80]:80")

	req1  = []byte("GET /imagedump/image.php?id=%41%42 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\n\r\n")
	resp1 = []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
	req2  = []byte("GET /second HTTP/1.1\r\nHost: example.com\r\n\r\n")
	resp2 = []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
)

// httpSeen is one HTTP event as a test records it.
type httpSeen struct {
	num      int
	pseudo   bool
	toServer bool
	txID     int
	uri      string
	progress http1.Progress
}

// run is what a test saw of one capture.
type run struct {
	packets  []Packet // copies without slices
	stream   [2]bytes.Buffer
	chunkAt  [2][]int // packet numbers carrying chunks, per direction (0 = to client)
	http     []httpSeen
	flows    map[uint64]*Flow
	stats    Stats
	err      error
	payloads [][]byte
}

func runCapture(t *testing.T, data []byte, cfg Config) *run {
	t.Helper()
	r := &run{flows: map[uint64]*Flow{}}
	r.stats, r.err = Process(context.Background(), bytes.NewReader(data), "test.pcap", cfg, HandlerFunc(func(p *Packet) {
		cp := *p
		cp.Data, cp.Payload, cp.Stream, cp.HTTP, cp.VLAN = nil, nil, nil, nil, append([]uint16(nil), p.VLAN...)
		r.packets = append(r.packets, cp)
		r.payloads = append(r.payloads, append([]byte(nil), p.Payload...))
		if p.Flow != nil {
			r.flows[p.Flow.ID] = p.Flow
		}
		for _, c := range p.Stream {
			d := dirIdx(c.ToServer)
			if c.Gap && c.Offset > uint64(r.stream[d].Len()) {
				// Missing data: '?' stands in for it.
				r.stream[d].Write(bytes.Repeat([]byte("?"), int(c.Offset)-r.stream[d].Len()))
			}
			if cur := uint64(r.stream[d].Len()); c.Offset < cur {
				// Inline windows repeat data inspected before: it must be
				// the same bytes.
				n := min(cur-c.Offset, uint64(len(c.Data)))
				require.Equal(t, string(r.stream[d].Bytes()[c.Offset:c.Offset+n]), string(c.Data[:n]), "packet %d: window", p.Num)
				c.Data, c.Offset = c.Data[n:], c.Offset+n
			}
			require.Equal(t, uint64(r.stream[d].Len()), c.Offset, "packet %d: chunk offset", p.Num)
			r.stream[d].Write(c.Data)
			r.chunkAt[d] = append(r.chunkAt[d], p.Num)
		}
		for _, h := range p.HTTP {
			r.http = append(r.http, httpSeen{p.Num, p.Pseudo, h.ToServer, h.TxID, string(h.Tx.URI()), h.Progress})
		}
	}))
	return r
}

func conversation(t *testing.T, opts pcapgen.Options, conv pcapgen.Conversation) ([]byte, pcapgen.Conn) {
	t.Helper()
	c, err := pcapgen.New(opts)
	require.NoError(t, err)
	if !conv.Client.IsValid() {
		conv.Client, conv.Server = cli4, srv4
	}
	if conv.Exchanges == nil {
		conv.Exchanges = []pcapgen.Exchange{{Request: req1, Response: resp1}}
	}
	conn, err := c.AddConversation(conv)
	require.NoError(t, err)
	return c.Bytes(), conn
}

// requestEvents returns the request-side HTTP events.
func (r *run) requestEvents() []httpSeen {
	var out []httpSeen
	for _, h := range r.http {
		if h.toServer {
			out = append(out, h)
		}
	}
	return out
}

func TestConversationVariants(t *testing.T) {
	tests := []struct {
		name string
		opts pcapgen.Options
		conv pcapgen.Conversation
	}{
		{"plain", pcapgen.Options{}, pcapgen.Conversation{}},
		{"segmented uri", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 7}},
		{"out of order", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 10, OutOfOrder: true}},
		{"retransmitted", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 10, Retransmit: true}},
		{"overlapping", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 10, Overlap: 4}},
		{"all at once", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 3, Overlap: 1, OutOfOrder: true, Retransmit: true}},
		{"ipv6", pcapgen.Options{}, pcapgen.Conversation{Client: cli6, Server: srv6}},
		{"vlan", pcapgen.Options{VLANs: []uint16{100}}, pcapgen.Conversation{}},
		{"qinq", pcapgen.Options{VLANs: []uint16{100, 200}}, pcapgen.Conversation{Client: cli6, Server: srv6}},
		{"linux sll", pcapgen.Options{Link: pcapgen.LinuxSLL}, pcapgen.Conversation{}},
		{"linux sll2", pcapgen.Options{Link: pcapgen.LinuxSLL2}, pcapgen.Conversation{}},
		{"raw ip", pcapgen.Options{Link: pcapgen.RawIP}, pcapgen.Conversation{Client: cli6, Server: srv6}},
		{"bsd null", pcapgen.Options{Link: pcapgen.Null}, pcapgen.Conversation{}},
		{"odd port", pcapgen.Options{}, pcapgen.Conversation{Client: cli4, Server: netip.MustParseAddrPort("203.0.113.5:31337")}},
		{"isn wraps", pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 20, ClientISN: 0xffffffe0, ServerISN: 0xfffffff0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, conn := conversation(t, tc.opts, tc.conv)
			r := runCapture(t, data, Config{})
			require.NoError(t, r.err)
			assert.Equal(t, conn.Last, r.stats.Packets)
			assert.Equal(t, 1, r.stats.Flows)
			assert.Equal(t, 1, r.stats.TCPSessions)
			assert.Equal(t, 1, r.stats.HTTPTransactions)
			assert.Equal(t, string(req1), r.stream[1].String(), "client stream")
			assert.Equal(t, string(resp1), r.stream[0].String(), "server stream")
			for _, f := range r.flows {
				assert.Equal(t, "http", f.AppProto)
				assert.True(t, f.Established)
				assert.Equal(t, tc.conv.Client.Addr().Is6() || tc.conv.Client == cli6, f.Client.Addr().Is6())
			}
			reqs := r.requestEvents()
			require.NotEmpty(t, reqs)
			assert.Equal(t, "/imagedump/image.php?id=AB", reqs[0].uri)
			// IDS mode: the request is inspected on a client packet after
			// the server ACKed it, never on the packets carrying it.
			last := conn.Requests[0][len(conn.Requests[0])-1]
			for _, h := range reqs {
				assert.Greater(t, h.num, last, "request inspected before the server ACKed it")
				p := r.find(h.num, h.pseudo)
				assert.True(t, p.ToServer, "request event on a to-server packet")
			}
			if len(tc.opts.VLANs) > 0 {
				assert.Equal(t, tc.opts.VLANs, r.packets[0].VLAN)
			}
		})
	}
}

func (r *run) find(num int, pseudo bool) Packet {
	for _, p := range r.packets {
		if p.Num == num && p.Pseudo == pseudo {
			return p
		}
	}
	return Packet{}
}

func TestKeepAliveAndPipelining(t *testing.T) {
	for _, pipelined := range []bool{false, true} {
		data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{Pipelined: pipelined,
			Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp1}, {Request: req2, Response: resp2}}})
		r := runCapture(t, data, Config{})
		require.NoError(t, r.err)
		assert.Equal(t, 2, r.stats.HTTPTransactions)
		ids := map[int]string{}
		for _, h := range r.requestEvents() {
			ids[h.txID] = h.uri
		}
		assert.Equal(t, map[int]string{0: "/imagedump/image.php?id=AB", 1: "/second"}, ids, "pipelined=%v", pipelined)
		assert.Equal(t, string(req1)+string(req2), r.stream[1].String())
		assert.Equal(t, string(resp1)+string(resp2), r.stream[0].String())
	}
}

func TestNoHandshake(t *testing.T) {
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{NoHandshake: true})

	r := runCapture(t, data, Config{})
	require.NoError(t, r.err)
	assert.Zero(t, r.stats.TCPSessions)
	assert.Empty(t, r.http, "no app layer without a session")
	assert.Zero(t, r.stream[0].Len()+r.stream[1].Len(), "no stream without a session")
	for _, p := range r.packets {
		assert.False(t, p.Established, "packet %d established without handshake", p.Num)
	}

	r = runCapture(t, data, Config{Midstream: true})
	require.NoError(t, r.err)
	assert.Equal(t, 1, r.stats.TCPSessions)
	assert.Equal(t, string(req1), r.stream[1].String())
	assert.Equal(t, string(resp1), r.stream[0].String())
	require.NotEmpty(t, r.requestEvents())
	for _, p := range r.packets {
		assert.True(t, p.Established, "packet %d", p.Num)
	}
}

func TestInlineInspectsOnArrival(t *testing.T) {
	data, conn := conversation(t, pcapgen.Options{}, pcapgen.Conversation{})
	r := runCapture(t, data, Config{Inline: true})
	require.NoError(t, r.err)
	reqs := r.requestEvents()
	require.NotEmpty(t, reqs)
	assert.Equal(t, conn.Requests[0][0], reqs[0].num, "inline: request inspected on its own packet")
	assert.Equal(t, conn.Requests[0][0], r.chunkAt[1][0])
	assert.Equal(t, string(req1), r.stream[1].String())
}

// TestInlineWindow: in inline mode each data packet is inspected with the
// stream data before it, so content split over segments is seen whole.
func TestInlineWindow(t *testing.T) {
	data, conn := conversation(t, pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 10})
	var windows []StreamChunk
	_, err := Process(context.Background(), bytes.NewReader(data), "w", Config{Inline: true}, HandlerFunc(func(p *Packet) {
		for _, c := range p.Stream {
			if c.ToServer {
				c.Data = append([]byte(nil), c.Data...)
				windows = append(windows, c)
			}
		}
	}))
	require.NoError(t, err)
	require.Len(t, windows, len(conn.Requests[0]), "one window per request segment")
	for i, w := range windows {
		end := min(10*(i+1), len(req1))
		assert.Equal(t, uint64(0), w.Offset)
		assert.Equal(t, string(req1[:end]), string(w.Data), "window %d", i)
	}
	assert.Contains(t, string(windows[len(windows)-1].Data), "/imagedump/image.php")
}

// segmentAdder returns a function that adds one hand-made TCP segment
// between cli4 and srv4 to c; flags holds S, A and F as set.
func segmentAdder(t *testing.T, c *pcapgen.Capture) func(fromClient bool, seq, ack uint32, flags, payload string) {
	return func(fromClient bool, seq, ack uint32, flags, payload string) {
		t.Helper()
		s := pcapgen.TCPSegment{Src: cli4, Dst: srv4, Seq: seq, Ack: ack, Payload: []byte(payload),
			SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), FIN: strings.Contains(flags, "F")}
		if !fromClient {
			s.Src, s.Dst = srv4, cli4
		}
		require.NoError(t, c.AddTCP(s))
	}
}

func TestConflictingOverlapFirstWins(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	seg := segmentAdder(t, c)
	seg(true, 100, 0, "S", "")
	seg(false, 500, 101, "SA", "")
	seg(true, 101, 501, "A", "")
	seg(true, 101, 501, "A", "AAAA")
	seg(true, 103, 501, "A", "XXXXBB") // overlaps "AA" with "XX": the first data stays
	seg(false, 501, 109, "A", "")
	seg(true, 109, 501, "A", "")
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	assert.Equal(t, "AAAAXXBB", r.stream[1].String())
	// Not HTTP from the client, nothing from the server: undecided.
	for _, f := range r.flows {
		assert.Equal(t, "", f.AppProto)
	}
	assert.Equal(t, []int{7}, r.chunkAt[1], "stream data waits for the ACK and the next client packet (here the end of the flow)")
}

func TestBadChecksumNotReassembled(t *testing.T) {
	// Packet 4 is the request's only segment.
	data, conn := conversation(t, pcapgen.Options{}, pcapgen.Conversation{CorruptChecksum: 4})
	require.Equal(t, []int{4}, conn.Requests[0])

	r := runCapture(t, data, Config{})
	require.NoError(t, r.err)
	assert.False(t, r.packets[3].ChecksumOK)
	assert.Equal(t, 1, r.stats.ChecksumErrors)
	assert.NotContains(t, r.stream[1].String(), "imagedump", "bad-checksum segment reassembled")
	for _, h := range r.requestEvents() {
		// The response alone makes a transaction whose request was not
		// seen, as libhtp does.
		assert.NotContains(t, h.uri, "imagedump")
	}

	r = runCapture(t, data, Config{NoChecksum: true})
	require.NoError(t, r.err)
	assert.True(t, r.packets[3].ChecksumOK)
	assert.Equal(t, string(req1), r.stream[1].String())
}

func TestUDPAndICMPFlows(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	a, b := netip.MustParseAddrPort("10.0.0.1:5353"), netip.MustParseAddrPort("10.0.0.2:53")
	require.NoError(t, c.AddUDP(a, b, []byte("query")))
	require.NoError(t, c.AddUDP(b, a, []byte("answer")))
	require.NoError(t, c.AddEchoRequest(a.Addr(), b.Addr(), 7, 1, []byte("ping")))
	require.NoError(t, c.AddICMP(b.Addr(), a.Addr(), 0, 0, []byte{0, 7, 0, 1, 'p', 'o', 'n', 'g'}))
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	assert.Equal(t, 2, r.stats.Flows)
	assert.Equal(t, []byte("query"), r.payloads[0])
	assert.True(t, r.packets[0].ToServer)
	assert.False(t, r.packets[0].Established, "one direction seen")
	assert.False(t, r.packets[1].ToServer)
	assert.True(t, r.packets[1].Established, "both directions seen")
	assert.Equal(t, r.packets[2].Flow, r.packets[3].Flow, "echo and reply share a flow")
	assert.Equal(t, ICMPInfo{Type: 8, ID: 7, Seq: 1}, r.packets[2].ICMP)
	assert.Equal(t, []byte("pong"), r.payloads[3])
}

func TestFlowTimeoutEndsFlow(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	a, b := netip.MustParseAddrPort("10.0.0.1:5353"), netip.MustParseAddrPort("10.0.0.2:53")
	require.NoError(t, c.AddUDP(a, b, []byte("one")))
	c.Advance(timeoutNew + 1e9)
	require.NoError(t, c.AddUDP(a, b, []byte("two")))
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	assert.Equal(t, 2, r.stats.Flows)
	assert.NotEqual(t, r.packets[0].Flow.ID, r.packets[1].Flow.ID)
}

// TestFlowTimeoutPerFlow: a closed TCP session ends 60 s after its last
// packet even when a flow with a longer timeout (a DNS exchange, 300 s) is
// older, and flows end in the order of their last packets.
func TestFlowTimeoutPerFlow(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	dnsC, dnsS := netip.MustParseAddrPort("10.0.0.1:5353"), netip.MustParseAddrPort("10.0.0.2:53")
	require.NoError(t, c.AddUDP(dnsC, dnsS, []byte("query")))
	require.NoError(t, c.AddUDP(dnsS, dnsC, []byte("answer")))
	_, err = c.AddConversation(pcapgen.Conversation{Client: cli4, Server: srv4,
		Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp1}}})
	require.NoError(t, err)
	other := netip.MustParseAddrPort("10.0.0.3:1234")
	require.NoError(t, c.AddUDP(other, dnsS, []byte("one-way"))) // 30 s
	c.Advance(timeoutTCPClosed + time.Second)
	require.NoError(t, c.AddUDP(netip.MustParseAddrPort("10.0.0.4:1"), dnsS, []byte("tick")))
	var ended []string
	e := newEngine(t.Context(), Config{}, HandlerFunc(func(*Packet) {}), "x")
	e.ended = func(f *Flow) { ended = append(ended, f.Client.String()) }
	rd, err := NewReader(bytes.NewReader(c.Bytes()), "x")
	require.NoError(t, err)
	var f Frame
	for rd.Next(&f) == nil {
		e.packet(&f)
	}
	assert.Equal(t, []string{cli4.String(), other.String()}, ended, "the TCP session, then the one-way UDP flow")
	assert.Len(t, e.flows, 2, "the DNS flow and the last one live on")
	e.finish()
	assert.Zero(t, e.mem)
}

// TestEvictionTakesLeastRecentFlow: at MaxFlows the flow whose last
// packet is oldest gives way, whatever timeout class it is in.
func TestEvictionTakesLeastRecentFlow(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	a, b := netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:2000")
	dnsC, dnsS := netip.MustParseAddrPort("10.0.0.3:3000"), netip.MustParseAddrPort("10.0.0.4:53")
	require.NoError(t, c.AddUDP(a, b, []byte("one-way")))                                     // UDP, new
	require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: cli4, Dst: srv4, Seq: 1, SYN: true})) // TCP, new
	require.NoError(t, c.AddUDP(dnsC, dnsS, []byte("q")))
	require.NoError(t, c.AddUDP(dnsS, dnsC, []byte("a")))                                 // UDP, established
	require.NoError(t, c.AddUDP(a, b, []byte("again")))                                   // the first flow is now the most recent
	require.NoError(t, c.AddUDP(netip.MustParseAddrPort("10.0.0.5:1"), b, []byte("new"))) // evicts one
	require.NoError(t, c.AddUDP(netip.MustParseAddrPort("10.0.0.6:1"), b, []byte("new"))) // and another
	var ended []string
	e := newEngine(t.Context(), Config{MaxFlows: 3}, HandlerFunc(func(*Packet) {}), "x")
	e.ended = func(f *Flow) { ended = append(ended, f.Client.String()) }
	rd, err := NewReader(bytes.NewReader(c.Bytes()), "x")
	require.NoError(t, err)
	var f Frame
	for rd.Next(&f) == nil {
		e.packet(&f)
	}
	assert.Equal(t, []string{cli4.String(), dnsC.String()}, ended)
	e.finish()
}

func TestMaxFlowsBoundsTable(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	for i := range 50 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(1000+i))
		require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: src, Dst: srv4, Seq: 1, SYN: true}))
	}
	h := HandlerFunc(func(*Packet) {})
	e := newEngine(context.Background(), Config{MaxFlows: 8}, h, "x")
	rd, err := NewReader(bytes.NewReader(c.Bytes()), "x")
	require.NoError(t, err)
	var f Frame
	for rd.Next(&f) == nil {
		e.packet(&f)
		require.LessOrEqual(t, len(e.flows), 8)
	}
	e.finish()
	assert.Equal(t, 50, e.stats.Flows)
	assert.Empty(t, e.flows)
	assert.Zero(t, e.mem)
}

func TestStreamMemcap(t *testing.T) {
	// Out-of-order segments beyond the memcap are refused, not stored.
	var s tcpStream
	s.init = true
	assert.Equal(t, 4, s.insert(10, []byte("late"), 0, 100))
	assert.Equal(t, -1, s.insert(20, []byte("toolarge"), 0, 4))
	assert.Equal(t, 0, s.insert(0, []byte("0123456789"), 0, 100))
	assert.Equal(t, "0123456789late", string(s.buf))
	assert.Empty(t, s.ooo)
}

func TestReassemblyDepth(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{
		Exchanges: []pcapgen.Exchange{{Request: append([]byte("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"), body...)}}})
	r := runCapture(t, data, Config{ReassemblyDepth: 100})
	require.NoError(t, r.err)
	assert.Equal(t, 100, r.stream[1].Len())
}

func TestCaptureFormats(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(pcapgen.Conversation{Client: cli4, Server: srv4, Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp1}}})
	require.NoError(t, err)
	var ng bytes.Buffer
	require.NoError(t, c.WritePcapNG(&ng))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(c.Bytes())
	require.NoError(t, zw.Close())
	var gzng bytes.Buffer
	zw = gzip.NewWriter(&gzng)
	_, _ = zw.Write(ng.Bytes())
	require.NoError(t, zw.Close())
	for name, data := range map[string][]byte{"pcap": c.Bytes(), "pcapng": ng.Bytes(), "pcap.gz": gz.Bytes(), "pcapng.gz": gzng.Bytes()} {
		r := runCapture(t, data, Config{})
		require.NoError(t, r.err, name)
		assert.Equal(t, c.Len(), r.stats.Packets, name)
		assert.Equal(t, string(req1), r.stream[1].String(), name)
	}
}

func TestBadInput(t *testing.T) {
	data, conn := conversation(t, pcapgen.Options{}, pcapgen.Conversation{})

	t.Run("truncated", func(t *testing.T) {
		r := runCapture(t, data[:len(data)-10], Config{})
		var pe *Error
		require.ErrorAs(t, r.err, &pe)
		assert.Equal(t, conn.Last, pe.Packet)
		assert.Equal(t, "test.pcap", pe.File)
		assert.Contains(t, r.err.Error(), "test.pcap: packet ")
		assert.Contains(t, r.err.Error(), "truncated")
		assert.Equal(t, conn.Last-1, r.stats.Packets, "packets before the bad one are delivered")
		// The flow was still ended: its request reached the app layer.
		assert.NotEmpty(t, r.requestEvents())
	})
	t.Run("not a capture", func(t *testing.T) {
		r := runCapture(t, []byte("GET / HTTP/1.1\r\n\r\n"), Config{})
		require.ErrorIs(t, r.err, ErrNotCapture)
		assert.Equal(t, "test.pcap: not a pcap or pcapng capture (magic 47 45 54 20)", r.err.Error())
	})
	t.Run("empty", func(t *testing.T) {
		r := runCapture(t, nil, Config{})
		require.ErrorIs(t, r.err, ErrNotCapture)
	})
	t.Run("unknown link type", func(t *testing.T) {
		bad := append([]byte(nil), data...)
		bad[20], bad[21] = 0xee, 0x00 // LINKTYPE 238 (no decoder)
		r := runCapture(t, bad, Config{})
		require.Error(t, r.err)
		assert.Equal(t, "test.pcap: unknown link type 238", r.err.Error())
	})
	t.Run("garbage frames", func(t *testing.T) {
		c, err := pcapgen.New(pcapgen.Options{})
		require.NoError(t, err)
		c.AddRaw([]byte{1, 2, 3})
		c.AddRaw(bytes.Repeat([]byte{0x45}, 60))
		r := runCapture(t, c.Bytes(), Config{})
		require.NoError(t, r.err)
		assert.Equal(t, 2, r.stats.Invalid)
	})
}

func TestErrorUnwrap(t *testing.T) {
	e := &Error{File: "a.pcap", Packet: 3, Err: ErrNotCapture}
	assert.True(t, errors.Is(e, ErrNotCapture))
	assert.Equal(t, "a.pcap: packet 3: not a pcap or pcapng capture", e.Error())
}

func TestStreamMemcapDropsSegments(t *testing.T) {
	body := bytes.Repeat([]byte("y"), 3000)
	req := append([]byte("POST / HTTP/1.1\r\nContent-Length: 3000\r\n\r\n"), body...)
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 500,
		Exchanges: []pcapgen.Exchange{{Request: req}}})
	r := runCapture(t, data, Config{StreamMemcap: 1200})
	require.NoError(t, r.err)
	assert.Positive(t, r.stats.StreamMemcapHits)
	assert.Less(t, r.stream[1].Len(), 3000)
	r = runCapture(t, data, Config{})
	require.NoError(t, r.err)
	assert.Zero(t, r.stats.StreamMemcapHits)
	assert.Equal(t, string(req), r.stream[1].String())
}

// TestGapWhenAckedDataIsMissing: a segment the capture lost but the server
// ACKed becomes a gap; the data after it is still inspected, flagged.
func TestGapWhenAckedDataIsMissing(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	seg := segmentAdder(t, c)
	seg(true, 100, 0, "S", "")
	seg(false, 500, 101, "SA", "")
	seg(true, 101, 501, "A", "")
	seg(true, 101, 501, "A", "first-")
	// bytes 107..113 ("LOSTSEG") never captured
	seg(true, 114, 501, "A", "-third")
	seg(false, 501, 120, "A", "")
	seg(true, 120, 501, "A", "")
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	assert.Equal(t, 1, r.stats.ReassemblyGaps)
	assert.Equal(t, "first-???????-third", r.stream[1].String())
	// The chunks: "first-", then "-third" flagged as following a gap.
	var chunks []StreamChunk
	_, err = Process(context.Background(), bytes.NewReader(c.Bytes()), "gap", Config{}, HandlerFunc(func(p *Packet) {
		for _, ch := range p.Stream {
			ch.Data = append([]byte(nil), ch.Data...)
			chunks = append(chunks, ch)
		}
	}))
	require.NoError(t, err)
	require.Len(t, chunks, 2)
	assert.Equal(t, StreamChunk{ToServer: true, Offset: 0, Data: []byte("first-")}, chunks[0])
	assert.Equal(t, StreamChunk{ToServer: true, Offset: 13, Data: []byte("-third"), Gap: true, Final: true}, chunks[1])
}

// TestConcurrentRuns processes captures on several goroutines at once
// (run with -race): runs share no state.
func TestConcurrentRuns(t *testing.T) {
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{SegmentSize: 9, OutOfOrder: true,
		Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp1}, {Request: req2, Response: resp2}}})
	want := runCapture(t, data, Config{})
	require.NoError(t, want.err)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var got [2]bytes.Buffer
			_, err := Process(context.Background(), bytes.NewReader(data), "c", Config{}, HandlerFunc(func(p *Packet) {
				for _, c := range p.Stream {
					got[dirIdx(c.ToServer)].Write(c.Data)
				}
			}))
			if err == nil && (got[0].String() != want.stream[0].String() || got[1].String() != want.stream[1].String()) {
				err = errors.New("different stream data")
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

// TestICMPUnreachableJoinsFlow: an ICMP port unreachable quoting a UDP
// datagram belongs to that datagram's flow, to the client, as in Suricata.
func TestICMPUnreachableJoinsFlow(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	a, b := netip.MustParseAddrPort("10.0.0.1:5353"), netip.MustParseAddrPort("10.0.0.2:53")
	require.NoError(t, c.AddUDP(a, b, []byte("query")))
	quoted := ipv4UDP(t, []byte("query")) // 10.0.0.1:1234 -> 10.0.0.2:53
	binary.BigEndian.PutUint16(quoted[20:22], 5353)
	require.NoError(t, c.AddICMP(b.Addr(), a.Addr(), 3, 3, append([]byte{0, 0, 0, 0}, quoted[:28]...)))
	require.NoError(t, c.AddICMP(netip.MustParseAddr("10.9.9.9"), a.Addr(), 3, 1, append([]byte{0, 0, 0, 0}, quoted[:28]...)))
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	require.Len(t, r.packets, 3)
	assert.Equal(t, 1, r.stats.Flows)
	assert.Same(t, r.packets[0].Flow, r.packets[1].Flow)
	assert.Same(t, r.packets[0].Flow, r.packets[2].Flow, "from a router too")
	assert.False(t, r.packets[1].ToServer)
	assert.False(t, r.packets[1].Established, "the error does not make the flow established")
	assert.Equal(t, uint8(ProtoICMP), r.packets[1].Proto)
}

// TestMemoryBounded: one-sided traffic (nothing is ever ACKed, so nothing
// can be released before the flow ends) stays within the memcap however
// long the capture is.
func TestMemoryBounded(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("z"), 1000)
	for i := range 200 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.2.0.1"), uint16(30000+i))
		for j := range 5 {
			require.NoError(t, c.AddTCP(pcapgen.TCPSegment{Src: src, Dst: srv4, Seq: uint32(1 + 1000*j), Ack: 1, ACK: true, Payload: chunk}))
		}
	}
	const memcap = 64 << 10
	e := newEngine(t.Context(), Config{Midstream: true, StreamMemcap: memcap}, HandlerFunc(func(*Packet) {}), "x")
	rd, err := NewReader(bytes.NewReader(c.Bytes()), "x")
	require.NoError(t, err)
	var f Frame
	peak := 0
	for rd.Next(&f) == nil {
		e.packet(&f)
		peak = max(peak, e.mem)
	}
	e.finish()
	assert.LessOrEqual(t, peak, memcap+len(chunk))
	assert.Positive(t, e.stats.StreamMemcapHits)
	assert.Zero(t, e.mem)
}

// TestStreamChunksIntactWithACKs: a long response ACKed as it goes, as real
// receivers do, is inspected in chunks while more data waits for its ACK;
// every chunk must carry the bytes that were sent, also at the packets
// where the stream buffer is compacted or moved.
func TestStreamChunksIntactWithACKs(t *testing.T) {
	for _, ack := range []struct{ every, behind int }{{2, 1}, {50, 25}, {7, 3}} {
		t.Run(fmt.Sprintf("every%d-behind%d", ack.every, ack.behind), func(t *testing.T) {
			testStreamChunksIntact(t, ack.every, ack.behind)
		})
	}
}

// testStreamChunksIntact sends the response in 1400-byte segments; the
// client ACKs after every `every` segments, up to `behind` segments before
// the last one sent.
func testStreamChunksIntact(t *testing.T, every, behind int) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	cseq, sseq := uint32(1000), uint32(5000)
	add := func(fromClient bool, s pcapgen.TCPSegment) {
		t.Helper()
		s.Src, s.Dst = cli4, srv4
		if !fromClient {
			s.Src, s.Dst = srv4, cli4
		}
		require.NoError(t, c.AddTCP(s))
	}
	add(true, pcapgen.TCPSegment{SYN: true, Seq: cseq})
	cseq++
	add(false, pcapgen.TCPSegment{SYN: true, ACK: true, Seq: sseq, Ack: cseq})
	sseq++
	add(true, pcapgen.TCPSegment{ACK: true, Seq: cseq, Ack: sseq})
	req := []byte("GET /big HTTP/1.1\r\nHost: example.com\r\n\r\n")
	add(true, pcapgen.TCPSegment{ACK: true, PSH: true, Seq: cseq, Ack: sseq, Payload: req})
	cseq += uint32(len(req))
	add(false, pcapgen.TCPSegment{ACK: true, Seq: sseq, Ack: cseq})
	body := make([]byte, 300_000)
	for i := range body {
		body[i] = byte(i*7 + i>>8)
	}
	resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...)
	const mss = 1400
	for i := 0; i < len(resp); i += mss {
		seg := resp[i:min(i+mss, len(resp))]
		add(false, pcapgen.TCPSegment{ACK: true, Seq: sseq + uint32(i), Ack: cseq, Payload: seg})
		if k := i / mss; k%every == every-1 && k+1 > behind {
			add(true, pcapgen.TCPSegment{ACK: true, Seq: cseq, Ack: sseq + uint32((k+1-behind)*mss)})
		}
	}
	sseq += uint32(len(resp))
	add(true, pcapgen.TCPSegment{ACK: true, Seq: cseq, Ack: sseq})
	add(true, pcapgen.TCPSegment{FIN: true, ACK: true, Seq: cseq, Ack: sseq})
	add(false, pcapgen.TCPSegment{FIN: true, ACK: true, Seq: sseq, Ack: cseq + 1})
	add(true, pcapgen.TCPSegment{ACK: true, Seq: cseq + 1, Ack: sseq + 1})
	r := runCapture(t, c.Bytes(), Config{})
	require.NoError(t, r.err)
	require.Greater(t, len(r.chunkAt[0]), 3, "the response is inspected in many chunks")
	assert.True(t, bytes.Equal(resp, r.stream[0].Bytes()), "response stream differs from what was sent")
	assert.Equal(t, string(req), r.stream[1].String())
}

// TestConsumedStreamsHoldNoMemory: once a session's data was inspected
// and parsed, its streams give their buffers back, so a closed flow that
// waits for its timeout holds no stream memory (on long captures these
// flows are most of the table).
func TestConsumedStreamsHoldNoMemory(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 20_000)
	resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...)
	data, _ := conversation(t, pcapgen.Options{}, pcapgen.Conversation{
		Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp}, {Request: req2, Response: resp2}}})
	e := newEngine(t.Context(), Config{}, HandlerFunc(func(*Packet) {}), "x")
	rd, err := NewReader(bytes.NewReader(data), "x")
	require.NoError(t, err)
	var f Frame
	peak := 0
	for rd.Next(&f) == nil {
		e.packet(&f)
		peak = max(peak, e.mem)
	}
	require.Len(t, e.flows, 1, "the closed flow waits for its timeout")
	for _, fs := range e.flows {
		assert.Equal(t, stClosed, fs.state)
		assert.Zero(t, cap(fs.client.buf)+cap(fs.server.buf))
	}
	assert.Greater(t, peak, len(body), "the response was held until ACKed")
	assert.Zero(t, e.mem)
	assert.Positive(t, e.bufs.pooled, "its buffer is in the pool for the next flow")
	e.finish()
}

// endRec is a Handler that also wants to know when flows end.
type endRec struct {
	ended map[*Flow]bool
	late  int // packets of a flow after its end
}

func (r *endRec) HandlePacket(p *Packet) {
	if p.Flow != nil && r.ended[p.Flow] {
		r.late++
	}
}

func (r *endRec) FlowEnded(f *Flow) { r.ended[f] = true }

// TestProcessFlowEnded: Process tells a handler with FlowEnded of every
// flow's end once, after the flow's last packet (the matcher then reuses
// the flow's buffers).
func TestProcessFlowEnded(t *testing.T) {
	root := sharedtest.Path(t, "corpus")
	var files []string
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Ext(p) == ".pcap" && len(files) < 40 {
			files = append(files, p)
		}
		return nil
	})
	flows := 0
	for _, f := range files {
		r := &endRec{ended: map[*Flow]bool{}}
		st, _ := ProcessFile(context.Background(), f, Config{}, r)
		if len(r.ended) != st.Flows || r.late != 0 {
			t.Errorf("%s: %d flows ended of %d, %d packets after a flow ended", f, len(r.ended), st.Flows, r.late)
		}
		flows += st.Flows
	}
	if flows == 0 {
		t.Fatal("no flows in the corpus captures")
	}
}
