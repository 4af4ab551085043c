package replay

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// sum16 is the ones'-complement sum of b folded to 16 bits, computed
// from scratch (not incrementally as rewrite does).
func sum16(init uint32, b []byte) uint16 {
	s := init
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// checksums reports whether the IPv4 header checksum and the TCP or UDP
// checksum of an untagged Ethernet frame are right (true for what it does
// not check: other protocols, truncated frames, UDP without a checksum).
func checksums(f []byte) (ip, l4 bool) {
	ip, l4 = true, true
	if len(f) < 34 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return
	}
	p := f[14:]
	ihl := int(p[0]&0x0f) * 4
	tot := int(binary.BigEndian.Uint16(p[2:]))
	if len(p) < ihl || tot > len(p) || tot < ihl {
		return
	}
	ip = sum16(0, p[:ihl]) == 0xffff
	if binary.BigEndian.Uint16(p[6:])&0x3fff != 0 {
		return // a fragment: the transport checksum spans several packets
	}
	seg := p[ihl:tot]
	pseudo := uint32(sum16(0, p[12:20])) + uint32(p[9]) + uint32(len(seg))
	switch {
	case p[9] == 6 && len(seg) >= 20:
		l4 = sum16(pseudo, seg) == 0xffff
	case p[9] == 17 && len(seg) >= 8 && binary.BigEndian.Uint16(seg[6:]) != 0:
		l4 = sum16(pseudo, seg) == 0xffff
	}
	return
}

// TestRewriteChecksums checks on generated packets with valid checksums
// that moved addresses stay in HOME_NET, external ones are kept, and the
// checksums are still valid, including a wrap of the low 16 bits.
func TestRewriteChecksums(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	home := []string{"192.168.255.250", "10.1.2.3", "172.31.255.255"}
	for _, h := range home {
		a := netip.MustParseAddr(h)
		ext := netip.MustParseAddr("198.51.100.7")
		if err := c.AddTCP(pcapgen.TCPSegment{Src: netip.AddrPortFrom(a, 40000), Dst: netip.AddrPortFrom(ext, 80), PSH: true, ACK: true, Payload: []byte("GET / HTTP/1.1\r\n\r\n")}); err != nil {
			t.Fatal(err)
		}
		if err := c.AddUDP(netip.AddrPortFrom(ext, 53), netip.AddrPortFrom(a, 5353), []byte("odd length")); err != nil {
			t.Fatal(err)
		}
	}
	for _, round := range []uint16{1, 7, 300, 65535} {
		for i, p := range c.Packets() {
			f := append([]byte(nil), p.Data...)
			rewrite(f, round)
			if ip, l4 := checksums(f); !ip || !l4 {
				t.Errorf("round %d packet %d: checksums valid: ip %v, tcp/udp %v", round, i, ip, l4)
			}
			src, _ := netip.AddrFromSlice(f[26:30])
			dst, _ := netip.AddrFromSlice(f[30:34])
			h, e := src, dst
			if i%2 == 1 {
				h, e = dst, src
			}
			orig := netip.MustParseAddr(home[i/2])
			if h == orig || !homeNet(h) {
				t.Errorf("round %d: %v became %v, want another HOME_NET address", round, orig, h)
			}
			if e.String() != "198.51.100.7" {
				t.Errorf("round %d: external address became %v", round, e)
			}
		}
	}
}

func homeNet(a netip.Addr) bool {
	for _, p := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

// counter collects what pcaps sees.
type counter struct {
	flows map[uint64]bool
	home  map[netip.Addr]bool
}

func (h *counter) HandlePacket(p *pcaps.Packet) {
	if p.Flow != nil {
		h.flows[p.Flow.ID] = true
	}
	for _, a := range []netip.Addr{p.SrcIP, p.DstIP} {
		if a.Is4() && homeNet(a) {
			h.home[a] = true
		}
	}
}

func process(t *testing.T, path string) (pcaps.Stats, *counter) {
	t.Helper()
	h := &counter{flows: map[uint64]bool{}, home: map[netip.Addr]bool{}}
	st, err := pcaps.ProcessFile(context.Background(), path, pcaps.Config{}, h)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return st, h
}

// TestBenignCorpus replays the shared benign corpus three times and checks
// that pcaps reads the result cleanly and sees each round as one pass over
// the corpus (flows, HTTP transactions, checksum errors), with distinct
// HOME_NET addresses per round, checksums as valid as the originals', and
// the same bytes on a second run.
func TestBenignCorpus(t *testing.T) {
	dir := sharedtest.Path(t, "corpus", "benign")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The corpus keeps a classic-pcap copy of each pcapng original.
	if len(c.Captures) != 12 || len(c.Skipped) != 5 {
		t.Errorf("Load: %d captures, skipped %q; want 12 and the 5 pcap copies", len(c.Captures), c.Skipped)
	}
	var pass pcaps.Stats
	home := map[netip.Addr]bool{}
	var origOK [][2]bool
	for _, cp := range c.Captures {
		st, h := process(t, filepath.Join(dir, cp.Name))
		pass.Packets += st.Packets
		pass.Flows += st.Flows
		pass.HTTPTransactions += st.HTTPTransactions
		pass.ChecksumErrors += st.ChecksumErrors
		for a := range h.home {
			home[a] = true
		}
		for _, f := range cp.Frames {
			ip, l4 := checksums(f.Data)
			origOK = append(origOK, [2]bool{ip, l4})
		}
	}
	t.Logf("one pass: %d packets, %d flows, %d HTTP transactions, %d checksum errors, %d HOME_NET addresses", pass.Packets, pass.Flows, pass.HTTPTransactions, pass.ChecksumErrors, len(home))

	const rounds = 3
	out := filepath.Join(t.TempDir(), "benign.pcap")
	var data [2][]byte
	for i := range data {
		var buf bytes.Buffer
		st, err := Write(context.Background(), &buf, c, int64(rounds*c.Bytes()), 0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rounds != rounds || st.Packets != rounds*pass.Packets || st.Bytes != int64(buf.Len()) {
			t.Fatalf("Write: %+v, want %d rounds of %d packets, %d bytes", st, rounds, pass.Packets, buf.Len())
		}
		data[i] = buf.Bytes()
	}
	if !bytes.Equal(data[0], data[1]) {
		t.Error("two runs with the same corpus and size wrote different bytes")
	}
	if err := os.WriteFile(out, data[0], 0o644); err != nil {
		t.Fatal(err)
	}
	st, h := process(t, out)
	if st.Packets != rounds*pass.Packets || st.Invalid != 0 && st.Invalid%rounds != 0 {
		t.Errorf("replayed: %d packets, %d invalid", st.Packets, st.Invalid)
	}
	if st.Flows != rounds*pass.Flows || len(h.flows) != rounds*pass.Flows {
		t.Errorf("replayed: %d flows (%d IDs), want %d × %d", st.Flows, len(h.flows), rounds, pass.Flows)
	}
	if st.HTTPTransactions != rounds*pass.HTTPTransactions {
		t.Errorf("replayed: %d HTTP transactions, want %d × %d", st.HTTPTransactions, rounds, pass.HTTPTransactions)
	}
	if st.ChecksumErrors != rounds*pass.ChecksumErrors {
		t.Errorf("replayed: %d checksum errors, want %d × %d (as in the corpus)", st.ChecksumErrors, rounds, pass.ChecksumErrors)
	}
	if len(h.home) != rounds*len(home) {
		t.Errorf("replayed: %d HOME_NET addresses, want %d × %d (distinct per round)", len(h.home), rounds, len(home))
	}

	// Every frame's checksums are exactly as valid as its original's.
	r, err := pcaps.NewReader(bytes.NewReader(data[0]), out)
	if err != nil {
		t.Fatal(err)
	}
	var fr pcaps.Frame
	var last int64
	for i := 0; r.Next(&fr) == nil; i++ {
		ip, l4 := checksums(fr.Data)
		if want := origOK[i%len(origOK)]; [2]bool{ip, l4} != want {
			t.Errorf("packet %d: checksums ip %v tcp/udp %v, original %v %v", fr.Num, ip, l4, want[0], want[1])
		}
		if ts := fr.Time.UnixNano(); ts < last {
			t.Errorf("packet %d: timestamp goes back", fr.Num)
		} else {
			last = ts
		}
	}
}

// TestLoadLinkTypes: raw-IP captures are given Ethernet framing and replay
// to the same packets as an Ethernet capture of the same conversation; a
// pcapng with the frames of an earlier pcap, and a link type Load does not
// convert (BSD loopback), are skipped with a note.
func TestLoadLinkTypes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, link pcapgen.Link, ng bool) {
		c, err := pcapgen.New(pcapgen.Options{Link: link})
		if err != nil {
			t.Fatal(err)
		}
		cl := netip.MustParseAddrPort("192.168.1.10:40000")
		srv := netip.MustParseAddrPort("203.0.113.5:80")
		ex := pcapgen.Exchange{Request: []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")}
		if _, err := c.AddConversation(pcapgen.Conversation{Client: cl, Server: srv, Exchanges: []pcapgen.Exchange{ex}}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if ng {
			err = c.WritePcapNG(&buf)
		} else {
			err = c.WritePcap(&buf)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a-eth.pcap", pcapgen.Ethernet, false)
	write("a-eth.pcapng", pcapgen.Ethernet, true)
	write("b-raw.pcap", pcapgen.RawIP, false)
	write("c-null.pcap", pcapgen.Null, false)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Captures) != 2 || c.Captures[0].Name != "a-eth.pcap" || c.Captures[1].Name != "b-raw.pcap" {
		t.Fatalf("Load kept %d captures (%v), want a-eth.pcap and b-raw.pcap", len(c.Captures), c.Captures)
	}
	if len(c.Skipped) != 2 || !strings.Contains(c.Skipped[0], "a-eth.pcapng: same frames as a-eth.pcap") || !strings.Contains(c.Skipped[1], "c-null.pcap: link type 0") {
		t.Errorf("Skipped = %q", c.Skipped)
	}
	var stats []pcaps.Stats
	for i := range c.Captures {
		var buf bytes.Buffer
		if _, err := Write(context.Background(), &buf, &Corpus{Captures: c.Captures[i : i+1]}, 1, 0); err != nil {
			t.Fatal(err)
		}
		st, err := pcaps.Process(context.Background(), &buf, c.Captures[i].Name, pcaps.Config{}, pcaps.HandlerFunc(func(*pcaps.Packet) {}))
		if err != nil {
			t.Fatal(err)
		}
		stats = append(stats, st)
	}
	if stats[0].HTTPTransactions != 1 || stats[0].ChecksumErrors != 0 || stats[0].Packets != stats[1].Packets || stats[0].HTTPTransactions != stats[1].HTTPTransactions || stats[1].ChecksumErrors != 0 {
		t.Errorf("replayed Ethernet capture %+v, raw IP capture %+v: want the same packets and one HTTP transaction", stats[0], stats[1])
	}
}
