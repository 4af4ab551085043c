package pcaps

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// fuzzSeeds are small captures covering the readers' and engine's paths;
// testdata/fuzz holds more (and any crasher found).
func fuzzSeeds(f *testing.F) [][]byte {
	c, err := pcapgen.New(pcapgen.Options{VLANs: []uint16{5}})
	if err != nil {
		f.Fatal(err)
	}
	_, err = c.AddConversation(pcapgen.Conversation{Client: cli4, Server: srv4, SegmentSize: 16, OutOfOrder: true,
		Exchanges: []pcapgen.Exchange{{Request: req1, Response: resp1}, {Request: req2, Response: resp2}}})
	if err != nil {
		f.Fatal(err)
	}
	_ = c.AddUDP(netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2"), []byte("u"))
	var ng, gz bytes.Buffer
	if err := c.WritePcapNG(&ng); err != nil {
		f.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(c.Bytes())
	_ = zw.Close()
	frags := fragmentV4(ipv4UDP(f, bytes.Repeat([]byte("f"), 100)), 40)
	gre := outerIPv4(f, layers.IPProtocolGRE, append([]byte{0, 0, 0x08, 0x00}, ipv4TCP(f, []byte("GET / HTTP/1.0\r\n\r\n"))...))
	return [][]byte{c.Bytes(), ng.Bytes(), gz.Bytes(), writeRaw(f, layers.LinkTypeRaw, frags...),
		writeRaw(f, layers.LinkTypeRaw, ipv6Frags(f, bytes.Repeat([]byte("6"), 100), 48)...),
		writeRaw(f, layers.LinkTypeRaw, gre, gre)}
}

// FuzzProcess feeds arbitrary bytes to the whole engine: reading, decoding,
// flows, reassembly and HTTP. It must never panic, and the packets it
// delivers must be numbered in order.
func FuzzProcess(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, midstream, inline bool) {
		last := 0
		st, _ := Process(context.Background(), bytes.NewReader(data), "fuzz", Config{Midstream: midstream, Inline: inline, NoChecksum: true},
			HandlerFunc(func(p *Packet) {
				if p.Num < last {
					t.Fatalf("packet %d after %d", p.Num, last)
				}
				last = p.Num
				for _, c := range p.Stream {
					_ = c.Data[:len(c.Data)]
				}
				for _, h := range p.HTTP {
					_ = h.Tx.URI()
				}
			}))
		if st.Packets < last {
			t.Fatalf("stats say %d packets, delivered up to %d", st.Packets, last)
		}
	})
}

// FuzzDecode decodes arbitrary frames of every link type.
func FuzzDecode(f *testing.F) {
	ip := ipv4TCP(f, []byte("GET / HTTP/1.0\r\n\r\n"))
	f.Add(uint16(LinkRaw), ip)
	f.Add(uint16(LinkEthernet), append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0, 0, 1, 0x08, 0}, ip...))
	f.Add(uint16(LinkNull), append([]byte{2, 0, 0, 0}, ip...))
	f.Add(uint16(LinkPPP), append([]byte{0xff, 0x03, 0, 0x21}, ip...))
	for _, fr := range ipv6Frags(f, []byte("abcdefgh12345678"), 8) {
		f.Add(uint16(LinkIPv6), fr)
	}
	f.Fuzz(func(t *testing.T, lt uint16, frame []byte) {
		var d decoder
		var p Packet
		err := d.decodeLink(&p, int(lt), frame)
		if err == nil && len(p.Payload) > len(frame) {
			t.Fatalf("payload longer than the frame")
		}
		if err == nil && p.Proto == ProtoTCP && p.l4 != nil {
			_ = tcpChecksumOK(p.l4, p.l4addrs)
		}
	})
}

// FuzzReassembly inserts segments of a known stream in an order, with
// duplicates and overlaps chosen by the fuzzer, and checks that whatever
// is reassembled is the stream itself (same bytes at the same offsets;
// every overlap carries identical data, so the policy cannot matter).
func FuzzReassembly(f *testing.F) {
	f.Add([]byte{0, 10, 10, 10, 20, 5})
	f.Add([]byte{20, 5, 0, 10, 5, 10, 10, 10})
	f.Add([]byte{200, 30, 0, 255, 3, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		src := make([]byte, 600)
		for i := range src {
			src[i] = byte(i * 7)
		}
		var s tcpStream
		s.init, s.base = true, 0xfffffff0 // wraps
		for i := 0; i+1 < len(ops); i += 2 {
			off, n := int(ops[i])*2, int(ops[i+1])
			if off+n > len(src) {
				n = len(src) - off
			}
			s.insert(s.base+uint32(off), src[off:off+n], 0, 1<<20)
		}
		for len(s.ooo) > 0 {
			s.fillGap(s.ooo[0].off)
		}
		if uint64(len(s.buf)) != s.contig-s.bufOff {
			t.Fatalf("buf %d bytes, contig %d", len(s.buf), s.contig)
		}
		for i := uint64(0); i < s.contig; i++ {
			if _, gap := s.nextGap(i, i+1); gap {
				continue
			}
			if s.buf[i] != src[i] {
				t.Fatalf("offset %d: %d, want %d", i, s.buf[i], src[i])
			}
		}
	})
}
