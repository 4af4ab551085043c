package pcaps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
)

// TestSuricataVerifyCorpus runs every suricata-verify capture through the
// reader, decoder, flow table and reassembly: no error, and as many packets
// as tshark counted (expected.json's pcap_info.packets).
func TestSuricataVerifyCorpus(t *testing.T) {
	dir := sharedtest.Path(t, "corpus", "suricata-verify")
	cases, err := filepath.Glob(filepath.Join(dir, "*", "expected.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases under %s: %v", dir, err)
	}
	for _, exp := range cases {
		name := filepath.Base(filepath.Dir(exp))
		t.Run(name, func(t *testing.T) {
			var e struct {
				Pcap     string `json:"pcap"`
				PcapInfo struct {
					Packets int `json:"packets"`
				} `json:"pcap_info"`
				Config map[string]any `json:"config"`
			}
			b, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			cfg := Config{
				Midstream:  e.Config["stream.midstream"] == true,
				Inline:     e.Config["stream.inline"] == true,
				NoChecksum: e.Config["checksum_validation"] == false,
			}
			notIP := 0
			st, err := ProcessFile(context.Background(), filepath.Join(filepath.Dir(exp), e.Pcap), cfg,
				HandlerFunc(func(p *Packet) {
					if p.IPVersion == 0 {
						notIP++
					}
					if testing.Verbose() && os.Getenv("PCAPS_DUMP") != "" {
						t.Log(dumpPacket(p))
					}
				}))
			if err != nil {
				t.Fatal(err)
			}
			if st.Packets != e.PcapInfo.Packets {
				t.Errorf("Stats.Packets = %d, tshark counted %d", st.Packets, e.PcapInfo.Packets)
			}
			// Every capture of the corpus is IP; packets with a broken
			// transport header (mac-eve-packet) still decode up to IP.
			if notIP != 0 {
				t.Errorf("%d packets did not decode as IP", notIP)
			}
		})
	}
}

// dumpPacket is a one-line description for debugging.
func dumpPacket(p *Packet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", p.Num)
	if p.Pseudo {
		b.WriteString(" PSEUDO")
	}
	fmt.Fprintf(&b, " %v:%d>%v:%d p%d len=%d", p.SrcIP, p.SrcPort, p.DstIP, p.DstPort, p.Proto, len(p.Payload))
	if p.Proto == ProtoTCP {
		fmt.Fprintf(&b, " fl=%#x", p.TCP.Flags)
	}
	if p.Flow != nil {
		fmt.Fprintf(&b, " flow=%d ts=%v est=%v app=%s", p.Flow.ID, p.ToServer, p.Established, p.Flow.AppProto)
	}
	if !p.ChecksumOK {
		b.WriteString(" BADCSUM")
	}
	if p.Invalid {
		b.WriteString(" INVALID")
	}
	for _, c := range p.Stream {
		fmt.Fprintf(&b, " [chunk ts=%v off=%d len=%d gap=%v final=%v %q]", c.ToServer, c.Offset, len(c.Data), c.Gap, c.Final, trunc(c.Data))
	}
	for _, h := range p.HTTP {
		fmt.Fprintf(&b, " [http tx=%d ts=%v prog=%b uri=%q]", h.TxID, h.ToServer, h.Progress, h.Tx.URI())
	}
	return b.String()
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// TestHTTPCorpora runs the benign and malware-http captures: packet counts
// and HTTP request counts as their READMEs state (tshark's numbers). Several
// were captured on a host with checksum offloading (the server's packets
// carry bad TCP checksums, and with fewer than 1000 packets Suricata's
// checksum-checks:auto keeps validating), so this runs as `-k none`.
func TestHTTPCorpora(t *testing.T) {
	for _, corpus := range []string{"benign", "malware-http"} {
		dir := sharedtest.Path(t, "corpus", corpus)
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(readme), "\n") {
			cols := strings.Split(line, "|")
			if len(cols) < 9 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
				continue
			}
			file := strings.Trim(strings.TrimSpace(cols[1]), "`")
			var packets, reqs, resps int
			if _, err := fmt.Sscan(strings.TrimSpace(cols[6]), &packets); err != nil {
				t.Fatalf("%s: packets column %q", file, cols[6])
			}
			if _, err := fmt.Sscanf(strings.TrimSpace(cols[7]), "%d / %d", &reqs, &resps); err != nil {
				t.Fatalf("%s: HTTP column %q", file, cols[7])
			}
			n++
			t.Run(corpus+"/"+file, func(t *testing.T) {
				uris := 0
				st, err := ProcessFile(context.Background(), filepath.Join(dir, file), Config{NoChecksum: true}, HandlerFunc(func(p *Packet) {
					for _, h := range p.HTTP {
						if h.ToServer && h.Progress&1 != 0 && len(h.Tx.Method()) > 0 {
							uris++
						}
					}
				}))
				if err != nil {
					t.Fatal(err)
				}
				if st.Packets != packets {
					t.Errorf("packets = %d, README says %d", st.Packets, packets)
				}
				if st.HTTPTransactions != reqs {
					t.Errorf("HTTP transactions = %d, README says %d requests", st.HTTPTransactions, reqs)
				}
				if uris < reqs {
					t.Errorf("%d request events with a method, want at least %d", uris, reqs)
				}
				if st.Invalid != 0 {
					t.Errorf("%d packets did not decode", st.Invalid)
				}
			})
		}
		if n == 0 {
			t.Fatalf("no files listed in %s/README.md", corpus)
		}
	}
}

// BenchmarkBenignCorpus runs the whole engine over every capture in
// ../shared/corpus/benign (as -k none).
func BenchmarkBenignCorpus(b *testing.B) {
	dir := sharedtest.Path(b, "corpus", "benign")
	var files [][]byte
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
		}
		return nil
	})
	var packets, size int
	for _, f := range files {
		size += len(f)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		packets = 0
		for _, f := range files {
			st, err := Process(context.Background(), bytes.NewReader(f), "bench", Config{NoChecksum: true}, HandlerFunc(func(*Packet) {}))
			if err != nil {
				b.Fatal(err)
			}
			packets += st.Packets
		}
	}
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(packets), "packets/op")
}
