package matcher

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sigtool/sigtool/pcaps"
	"github.com/sigtool/sigtool/sigparse"
)

const allocRules = `alert tcp any any -> any any (msg:"c"; flow:established,to_server; content:"/imagedump/"; nocase; content:"image.php"; distance:0; within:20; isdataat:1,relative; sid:1;)
alert udp any any -> any 53 (msg:"u"; content:"|01 00|"; offset:2; depth:2; byte_test:1,>,0,4; sid:2;)
alert ip any any -> any any (msg:"i"; dsize:>2000; sid:3;)
`

func allocEngine(tb testing.TB) *Engine {
	f, errs := sigparse.ParseFile("a.rules", []byte(allocRules), sigparse.Options{})
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	e, err := Compile(f.Rules, Config{})
	if err != nil || len(e.NotEvaluated()) > 0 {
		tb.Fatal(err, e.NotEvaluated())
	}
	return e
}

func allocPacket() *pcaps.Packet {
	fl := &pcaps.Flow{ID: 1, Proto: pcaps.ProtoTCP, Established: true,
		Client: netip.MustParseAddrPort("192.168.1.2:40000"), Server: netip.MustParseAddrPort("198.51.100.7:80")}
	payload := []byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: x\r\n\r\n")
	return &pcaps.Packet{Num: 4, Time: time.Unix(0, 0), IPVersion: 4, SrcIP: fl.Client.Addr(), DstIP: fl.Server.Addr(),
		SrcPort: 40000, DstPort: 80, Proto: pcaps.ProtoTCP, Payload: payload, ChecksumOK: true, Flow: fl,
		ToServer: true, Established: true,
		Stream: []pcaps.StreamChunk{{ToServer: true, Data: payload}}}
}

// TestPerPacketAllocs: once a flow's state exists, inspecting a packet
// that alerts on nothing allocates nothing.
func TestPerPacketAllocs(t *testing.T) {
	e := allocEngine(t)
	sc := newScanner(e, nil)
	p := allocPacket()
	p.Flow.AppProto = "http"
	sc.HandlePacket(p) // creates the flow state
	allocs := testing.AllocsPerRun(200, func() {
		p.Flow.UserData.(*flowState).closing = true
		sc.HandlePacket(p)
	})
	if allocs != 0 {
		t.Errorf("HandlePacket allocates %.1f times per packet, want 0", allocs)
	}
	if sc.stats.Alerts != 0 {
		t.Fatalf("test packet alerted %d times; it must not match", sc.stats.Alerts)
	}
}

func BenchmarkHandlePacket(b *testing.B) {
	e := allocEngine(b)
	sc := newScanner(e, nil)
	p := allocPacket()
	sc.HandlePacket(p)
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Payload)))
	fs := p.Flow.UserData.(*flowState)
	for b.Loop() {
		fs.closing = true // inspect the stream chunk on every packet
		sc.HandlePacket(p)
	}
}

// TestStreamGap: data on both sides of a reassembly gap is not joined.
func TestStreamGap(t *testing.T) {
	f, errs := sigparse.ParseFile("g.rules", []byte(`alert tcp any any -> any any (msg:"across"; content:"bc"; sid:1;)
alert tcp any any -> any any (msg:"after"; content:"cd"; sid:2;)
`), sigparse.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, err := Compile(f.Rules, Config{})
	if err != nil {
		t.Fatal(err)
	}
	sc := newScanner(e, nil)
	p := allocPacket()
	p.Payload = nil
	p.Stream = []pcaps.StreamChunk{{ToServer: true, Offset: 0, Data: []byte("ab")}}
	sc.HandlePacket(p) // pending, not flushed yet
	p.Num++
	p.Stream = []pcaps.StreamChunk{{ToServer: true, Offset: 10, Data: []byte("cd"), Gap: true}}
	p.TCP.Flags = pcaps.TCPFin | pcaps.TCPAck // closing: flush
	sc.HandlePacket(p)
	if sc.stats.PerSID[1] != 0 || sc.stats.PerSID[2] != 1 {
		t.Errorf("alerts per sid %v, want none for 1 and one for 2", sc.stats.PerSID)
	}
}
