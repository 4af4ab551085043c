package pcaps

import (
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
