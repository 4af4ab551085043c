package http1

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigtool/sigtool/internal/sharedtest"
)

// This test reads captures with a deliberately naive TCP reassembler of its
// own (segments ordered by sequence number, overlaps dropped), so the HTTP
// parser is tested on real traffic independently of package pcaps.

type segment struct {
	off  uint32 // sequence number relative to the direction's first byte
	data []byte
}

type direction struct {
	isn     uint32
	haveISN bool
	segs    []segment
}

type tcpFlow struct {
	client netip.AddrPort
	dirs   [2]direction // 0: client to server, 1: server to client
}

func (d *direction) add(seq uint32, syn bool, payload []byte) {
	if syn {
		d.isn, d.haveISN = seq+1, true
		return
	}
	if len(payload) == 0 {
		return
	}
	if !d.haveISN {
		d.isn, d.haveISN = seq, true
	}
	d.segs = append(d.segs, segment{seq - d.isn, append([]byte(nil), payload...)})
}

// stream returns the direction's bytes in sequence order and the gaps
// between them (offset and length).
func (d *direction) stream() (data []byte, gaps [][2]int) {
	slices.SortStableFunc(d.segs, func(a, b segment) int {
		switch {
		case a.off < b.off:
			return -1
		case a.off > b.off:
			return 1
		}
		return 0
	})
	next := uint32(0)
	for _, s := range d.segs {
		end := s.off + uint32(len(s.data))
		if end <= next {
			continue // retransmission
		}
		if s.off > next {
			gaps = append(gaps, [2]int{len(data), int(s.off - next)})
			data = append(data, make([]byte, s.off-next)...)
			next = s.off
		}
		data = append(data, s.data[next-s.off:]...)
		next = end
	}
	return data, gaps
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

func openCapture(t *testing.T, path string) packetSource {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return ng
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pr
}

// readFlows collects the TCP flows of a capture keyed by 4-tuple, in
// first-seen order.
func readFlows(t *testing.T, path string) []*tcpFlow {
	src := openCapture(t, path)
	flows := map[[2]netip.AddrPort]*tcpFlow{}
	var order []*tcpFlow
	var eth layers.Ethernet
	var ip4 layers.IPv4
	var ip6 layers.IPv6
	var tcp layers.TCP
	var d1q layers.Dot1Q
	var payload gopacket.Payload
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &d1q, &ip4, &ip6, &tcp, &payload)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	for n := 1; ; n++ {
		data, _, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, n, err)
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			continue
		}
		var src, dst netip.Addr
		isTCP := false
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				src, _ = netip.AddrFromSlice(ip4.SrcIP)
				dst, _ = netip.AddrFromSlice(ip4.DstIP)
			case layers.LayerTypeIPv6:
				src, _ = netip.AddrFromSlice(ip6.SrcIP)
				dst, _ = netip.AddrFromSlice(ip6.DstIP)
			case layers.LayerTypeTCP:
				isTCP = true
			}
		}
		if !isTCP {
			continue
		}
		a := netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
		b := netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
		key := [2]netip.AddrPort{a, b}
		if a.String() > b.String() {
			key = [2]netip.AddrPort{b, a}
		}
		fl := flows[key]
		if fl == nil {
			// The SYN's sender (or else the first sender) is the client.
			client := a
			if tcp.SYN && tcp.ACK {
				client = b
			}
			fl = &tcpFlow{client: client}
			flows[key] = fl
			order = append(order, fl)
		}
		d := 0
		if a != fl.client {
			d = 1
		}
		fl.dirs[d].add(tcp.Seq, tcp.SYN, tcp.Payload)
	}
	return order
}

// countHTTP runs every flow that starts like HTTP through a Conn and counts
// requests (transactions with a request line) and responses (status lines,
// interim 1xx included, as tshark counts them; see below for gaps).
func countHTTP(t *testing.T, path string) (reqs, resps int) {
	for _, fl := range readFlows(t, path) {
		up, upGaps := fl.dirs[0].stream()
		down, downGaps := fl.dirs[1].stream()
		if !Detect(up, true) && !Detect(down, false) {
			continue
		}
		c := NewConn(Config{})
		var txs []*Tx
		feed := func(data []byte, gaps [][2]int, toServer bool) {
			pos := 0
			for _, g := range append(gaps, [2]int{len(data), 0}) {
				if toServer {
					c.Request(data[pos:g[0]])
					c.RequestGap(g[1])
				} else {
					c.Response(data[pos:g[0]])
					c.ResponseGap(g[1])
				}
				pos = g[0] + g[1]
				txs = append(txs, c.Updated()...)
			}
		}
		feed(up, upGaps, true)
		feed(down, downGaps, false)
		c.Close()
		txs = append(txs, c.Updated()...)
		seen := map[*Tx]bool{}
		for _, tx := range txs {
			if seen[tx] {
				continue
			}
			seen[tx] = true
			if tx.Progress().Has(RequestLineDone) {
				reqs++
			}
			// tshark does not dissect a response whose body it cannot
			// reassemble, so a response with a capture gap inside is not
			// in its count; the parser (like Suricata) still has it.
			if tx.Progress().Has(ResponseLineDone) && len(tx.responseLine) > 0 && tx.Flags()&FlagResponseGap == 0 {
				resps += 1 + tx.InterimResponses()
			}
		}
	}
	return reqs, resps
}

// TestCorpora checks request and response counts on the shared benign and
// malware captures against the counts tshark gave (each README's table).
func TestCorpora(t *testing.T) {
	for _, corpus := range []string{"benign", "malware-http"} {
		t.Run(corpus, func(t *testing.T) {
			dir := sharedtest.Path(t, "corpus", corpus)
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|.*\\| (\\d+) / (\\d+) \\|")
			rows := row.FindAllStringSubmatch(string(readme), -1)
			if len(rows) == 0 {
				t.Fatalf("no capture rows found in the %s README", corpus)
			}
			agree := 0
			for _, m := range rows {
				wantReq, _ := strconv.Atoi(m[2])
				wantResp, _ := strconv.Atoi(m[3])
				t.Run(m[1], func(t *testing.T) {
					reqs, resps := countHTTP(t, filepath.Join(dir, m[1]))
					if reqs != wantReq || resps != wantResp {
						t.Errorf("requests/responses = %d/%d, README says %d/%d", reqs, resps, wantReq, wantResp)
						return
					}
					agree++
				})
			}
			t.Logf("%d of %d captures agree with the README's counts", agree, len(rows))
		})
	}
}
