package matcher_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/sigtool/sigtool/sigparse"
)

// parallelNs are the worker counts compared with a single scan: 2 and 3
// split flows differently, 7 leaves most workers with few flows.
var parallelNs = []int{2, 3, 7}

type scanOut struct {
	alerts []*matcher.Alert
	stats  matcher.Stats
	err    error
}

func scanN(t *testing.T, e *matcher.Engine, capture []byte, n int) scanOut {
	t.Helper()
	var o scanOut
	emit := func(a *matcher.Alert) { o.alerts = append(o.alerts, a) }
	o.stats, o.err = e.ScanParallel(context.Background(), bytes.NewReader(capture), "capture", n, emit)
	return o
}

func alertLine(a *matcher.Alert) string {
	return fmt.Sprintf("pcap_cnt %d flow %d sid %d %s:%d -> %s:%d tx %d", a.PcapCnt, a.FlowID, a.SID, a.SrcIP, a.SrcPort, a.DstIP, a.DstPort, a.TxID)
}

// compareParallel requires ScanParallel with each of parallelNs workers to
// give exactly the single scan's alerts (every field, same order), stats
// and error.
func compareParallel(t *testing.T, e *matcher.Engine, capture []byte) (alerts int) {
	t.Helper()
	want := scanN(t, e, capture, 1)
	for _, n := range parallelNs {
		got := scanN(t, e, capture, n)
		if fmt.Sprint(got.err) != fmt.Sprint(want.err) {
			t.Errorf("%d workers: error %v, single scan %v", n, got.err, want.err)
		}
		for i := 0; i < max(len(got.alerts), len(want.alerts)); i++ {
			var g, w string
			if i < len(got.alerts) {
				g = alertLine(got.alerts[i])
			}
			if i < len(want.alerts) {
				w = alertLine(want.alerts[i])
			}
			if g != w {
				t.Fatalf("%d workers: alert %d is %q, single scan %q (%d vs %d alerts)", n, i, g, w, len(got.alerts), len(want.alerts))
			}
		}
		if !reflect.DeepEqual(got.alerts, want.alerts) {
			t.Fatalf("%d workers: alerts differ from the single scan's in some field", n)
		}
		// Rule time is measured, not counted.
		for _, st := range []*matcher.Stats{&got.stats, &want.stats} {
			for i := range st.Profile {
				st.Profile[i].Time = 0
			}
		}
		if !reflect.DeepEqual(got.stats, want.stats) {
			t.Fatalf("%d workers: stats %+v, single scan %+v", n, got.stats, want.stats)
		}
	}
	return len(want.alerts)
}

func compileRules(t *testing.T, src string, cfg matcher.Config) *matcher.Engine {
	t.Helper()
	f, _ := sigparse.ParseFile("rules.rules", []byte(src), sigparse.Options{Dialect: sigparse.DialectSuricata})
	var rules []*sigparse.Rule
	if f != nil {
		rules = f.Rules
	}
	e, err := matcher.Compile(rules, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// caseEngine compiles a case directory's rules with its expected.json's
// settings and reads its capture.
func caseEngine(t *testing.T, dir string) (*matcher.Engine, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp verifyExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "rules.rules"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := matcher.Config{Vars: exp.Vars, Midstream: exp.Config.Midstream, Inline: exp.Config.Inline,
		PacketAlertMax: exp.Config.PacketAlertMax, Profile: true}
	if exp.Config.Checksum != nil && !*exp.Config.Checksum {
		cfg.NoChecksum = true
	}
	capture, err := os.ReadFile(filepath.Join(dir, exp.Pcap))
	if err != nil {
		t.Fatal(err)
	}
	e := compileRules(t, string(src), cfg)
	return e, capture
}

// TestParallelSuricataVerify: every suricata-verify case gives the same
// alerts and stats with 1, 2, 3 and 7 workers.
func TestParallelSuricataVerify(t *testing.T) {
	root := sharedtest.Path(t, "corpus", "suricata-verify")
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "expected.json"))
	if len(dirs) == 0 {
		t.Fatal("no suricata-verify cases")
	}
	for _, d := range dirs {
		dir := filepath.Dir(d)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			e, capture := caseEngine(t, dir)
			compareParallel(t, e, capture)
		})
	}
}

// TestParallelCases does the same over the generated cases.
func TestParallelCases(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if len(dirs) == 0 {
		t.Fatal("no generated cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			e, capture := caseEngine(t, dir)
			compareParallel(t, e, capture)
		})
	}
}

// parallelRules put state across flows (thresholds tracked by the server,
// which flows of many shards share), flowbits, stream data flushed only
// when a flow times out, ICMP errors and fragments.
const parallelRules = stateRules + `
alert http any any -> any any (msg:"limit by_dst across flows"; flow:to_server; http.method; content:"GET"; threshold:type limit, track by_dst, count 3, seconds 600; sid:60; rev:1;)
alert http any any -> any any (msg:"threshold by_dst across flows"; flow:to_server; http.uri; content:"/"; threshold:type threshold, track by_dst, count 4, seconds 600; sid:61; rev:1;)
alert http any any -> any any (msg:"detection_filter by_dst"; flow:to_client; http.stat_code; content:"200"; detection_filter:track by_dst, count 5, seconds 600; sid:62; rev:1;)
alert tcp any any -> any 4444 (msg:"stream data seen at timeout"; flow:to_server; content:"secret"; sid:70; rev:1;)
alert tcp any any -> any 4444 (msg:"limit on timeout alerts"; content:"secret"; threshold:type limit, track by_dst, count 2, seconds 3600; sid:71; rev:1;)
alert icmp any any -> any any (msg:"unreachable"; itype:3; sid:80; rev:1;)
alert udp any any -> any 53 (msg:"dns"; content:"query"; sid:81; rev:1;)
alert udp any any -> any 53 (msg:"dns, flow counters"; flow:established; content:"query"; sid:82; rev:1;)
alert udp any any -> any 9999 (msg:"rebuilt datagram"; content:"FRAGMENTED-PAYLOAD"; sid:84; rev:1;)
alert tcp any any -> any any (msg:"bad checksum segments"; content:"junk"; sid:85; rev:1;)
`

// ipv4Fragments returns Ethernet frames carrying a UDP datagram cut into
// IPv4 fragments of up to 16 payload bytes.
func ipv4Fragments(src, dst netip.AddrPort, id uint16, payload []byte) [][]byte {
	udp := binary.BigEndian.AppendUint16(nil, src.Port())
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(udp, 0, 0) // no checksum
	udp = append(udp, payload...)
	var frames [][]byte
	for off := 0; off < len(udp); off += 16 {
		part := udp[off:min(off+16, len(udp))]
		ip := make([]byte, 20, 20+len(part))
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(part)))
		binary.BigEndian.PutUint16(ip[4:], id)
		ff := uint16(off / 8)
		if off+16 < len(udp) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(ip[6:], ff)
		ip[8], ip[9] = 64, 17
		a, b := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		ip = append(ip, part...)
		eth := []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00}
		frames = append(frames, append(eth, ip...))
	}
	return frames
}

// ipInIP wraps the IPv4 packet of an Ethernet frame (as ipv4Fragments
// makes) in an outer IPv4 header from src to dst (protocol 4).
func ipInIP(frame []byte, src, dst netip.Addr) []byte {
	inner := frame[14:]
	ip := make([]byte, 20, 20+len(inner))
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(inner)))
	ip[8], ip[9] = 64, 4
	a, b := src.As4(), dst.As4()
	copy(ip[12:], a[:])
	copy(ip[16:], b[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return append(append(append([]byte(nil), frame[:14]...), ip...), inner...)
}

// stressCapture interleaves what a sharded run must put back in order.
func stressCapture(t *testing.T) []byte {
	t.Helper()
	c, err := pcapgen.New(pcapgen.Options{Start: time.Unix(1700000000, 0), Step: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := netip.MustParseAddrPort("198.51.100.7:80")
	router := netip.MustParseAddr("203.0.113.1")
	dns := netip.MustParseAddrPort("198.51.100.53:53")
	// Enough bad TCP checksums in the first 1000 packets for checksum
	// validation to be turned off at packet 1000 (below).
	for i := range 120 {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}), 1234)
		must(c.AddTCP(pcapgen.TCPSegment{Src: cl, Dst: srv, ACK: true, Seq: 1, Ack: 1, Payload: []byte("junk"), BadChecksum: true}))
	}
	for i := range 48 {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 1, byte(10 + i)}), uint16(40000+i))
		ex := []pcapgen.Exchange{checkin("/a"), checkin(fmt.Sprintf("/imagedump/image.php?id=%d", i))}
		_, err := c.AddConversation(pcapgen.Conversation{Client: cl, Server: srv, Exchanges: ex, NoClose: i%3 == 0})
		must(err)
		// Data that only a flow's end (here: its timeout) flushes.
		if i%4 == 0 {
			_, err := c.AddConversation(pcapgen.Conversation{Client: netip.AddrPortFrom(cl.Addr(), 50000), Server: netip.MustParseAddrPort("198.51.100.9:4444"),
				Exchanges: []pcapgen.Exchange{{Request: []byte("secret stuff"), Response: []byte("ok")}}, NoClose: true})
			must(err)
		}
		q := netip.AddrPortFrom(cl.Addr(), uint16(30000+i))
		must(c.AddUDP(q, dns, []byte("query example.com")))
		if i%5 == 0 {
			must(c.AddUDP(dns, q, []byte("answer")))
			must(c.AddUDP(q, dns, []byte("query again")))
		}
		if i%6 == 1 {
			// An ICMP port unreachable from a router about the query:
			// it belongs to the UDP flow, whose shard is not the
			// router's.
			a, b := q.Addr().As4(), dns.Addr().As4()
			quoted := []byte{0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0}
			quoted = append(append(append(quoted, a[:]...), b[:]...), 0, 0, 0, 0, 0, 8, 0, 0)
			binary.BigEndian.PutUint16(quoted[20:], q.Port())
			binary.BigEndian.PutUint16(quoted[22:], dns.Port())
			must(c.AddICMP(router, q.Addr(), 3, 3, append([]byte{0, 0, 0, 0}, quoted...)))
			// One about a flow that does not exist, then pings
			// between the same hosts: one ICMP flow.
			binary.BigEndian.PutUint16(quoted[20:], 1)
			must(c.AddICMP(router, q.Addr(), 3, 3, append([]byte{0, 0, 0, 0}, quoted...)))
			must(c.AddEchoRequest(router, q.Addr(), 7, 1, []byte("ping")))
		}
		if i%8 == 3 {
			// A datagram tunnelled IP in IP between two routers: the
			// inner flow goes with the outer addresses' shard.
			in := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 20, 0, byte(i)}), 7001)
			for _, f := range ipv4Fragments(in, netip.MustParseAddrPort("198.51.100.99:9999"), uint16(1000+i), []byte("FRAGMENTED-PAYLOAD")) {
				c.AddRaw(ipInIP(f, netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), netip.MustParseAddr("203.0.113.250")))
			}
		}
		if i%7 == 2 {
			for _, f := range ipv4Fragments(netip.AddrPortFrom(cl.Addr(), 7000), netip.MustParseAddrPort("198.51.100.99:9999"), uint16(i), []byte("a FRAGMENTED-PAYLOAD for reassembly")) {
				c.AddRaw(f)
			}
		}
		if i == 36 {
			// Short timeouts behind long ones: the UDP flows of i 21..35
			// (30 s) end at the next packet although the TCP sessions
			// before them (600 s) live on; a query on one of them then
			// starts a new flow, whose answer makes it established.
			c.Advance(100 * time.Second)
			q := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 1, 10 + 26}), 30000+26)
			must(c.AddUDP(q, dns, []byte("query after timeout")))
			must(c.AddUDP(dns, q, []byte("answer")))
			must(c.AddUDP(q, dns, []byte("query again")))
		}
		if i == 20 {
			// Past every timeout: flows of all shards expire at the
			// same packet.
			c.Advance(700 * time.Second)
			// The packet that expires them alerts too, after the
			// expired flows' alerts.
			must(c.AddUDP(netip.MustParseAddrPort("192.168.7.7:5353"), dns, []byte("query late")))
		}
	}
	// Packet 1000, where the decision is taken, must be TCP.
	if c.Len() >= 1000 {
		t.Fatalf("%d packets before the checksum decision", c.Len())
	}
	for c.Len() < 1000 {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(c.Len() >> 8), byte(c.Len())}), 1234)
		must(c.AddTCP(pcapgen.TCPSegment{Src: cl, Dst: srv, ACK: true, Seq: 1, Ack: 1, Payload: []byte("junk")}))
	}
	// After the decision, a conversation whose data segment has a bad
	// checksum: reassembled only if validation was turned off.
	for i := range 4 {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, 0, byte(i)}), 41000)
		_, err := c.AddConversation(pcapgen.Conversation{Client: cl, Server: netip.MustParseAddrPort("198.51.100.9:4444"),
			Exchanges: []pcapgen.Exchange{{Request: []byte("secret junk"), Response: []byte("ok")}}, CorruptChecksum: 4})
		must(err)
	}
	return c.Bytes()
}

// TestParallelStress runs a capture made to trip a wrong merge:
// thresholds shared by flows of different shards, flows timing out
// together, ICMP errors about another shard's flow, fragments, and the
// checksum decision at packet 1000.
func TestParallelStress(t *testing.T) {
	capture := stressCapture(t)
	for _, cfg := range []matcher.Config{{}, {PacketAlertMax: 1}, {NoChecksum: true, Profile: true}} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			e := compileRules(t, parallelRules, cfg)
			if ne := e.NotEvaluated(); len(ne) > 0 {
				t.Fatalf("rules not evaluated: %v", ne)
			}
			n := compareParallel(t, e, capture)
			if n < 100 {
				t.Errorf("only %d alerts: the capture no longer exercises the merge", n)
			}
			// A capture cut short: the alerts before the damage, the
			// flows ended, and the same error.
			compareParallel(t, e, capture[:len(capture)*2/3])
		})
	}
}

// TestParallelCorpus compares the shared corpora's captures with the
// snort2-community rules (many thresholds and flowbits).
func TestParallelCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	rulesDir := sharedtest.Path(t, "rulesets", "snort2-community")
	files, _ := filepath.Glob(filepath.Join(rulesDir, "*.rules"))
	var src []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(append(src, b...), '\n')
	}
	e := compileRules(t, string(src), matcher.Config{})
	var captures []string
	for _, dir := range []string{"benign", "malware-http"} {
		root := sharedtest.Path(t, "corpus", dir)
		_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && (filepath.Ext(p) == ".pcap" || filepath.Ext(p) == ".pcapng") {
				captures = append(captures, p)
			}
			return nil
		})
	}
	for _, p := range captures {
		t.Run(filepath.Base(p), func(t *testing.T) {
			capture, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			compareParallel(t, e, capture)
		})
	}
}

// BenchmarkScanParallel scans a 16 MB mix with all of ET Open on 1 and 2
// workers; cpu-ms/op is the process's user+system time, so the 1 -> 2
// speedup shows both in wall time (ns/op, MB/s) and in what the second
// worker costs.
func BenchmarkScanParallel(b *testing.B) {
	dir := sharedtest.Path(b, "rulesets", "et-open-2024-04")
	files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
	var rules []*sigparse.Rule
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pf, _ := sigparse.ParseFile(f, src, sigparse.Options{})
		if pf != nil {
			for _, r := range pf.Rules {
				if !r.Disabled {
					rules = append(rules, r)
				}
			}
		}
	}
	e, err := matcher.Compile(rules, matcher.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var capture bytes.Buffer
	if _, err := mix.Write(context.Background(), &capture, 1, 16<<20); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			b.SetBytes(int64(capture.Len()))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for range b.N {
				if _, err := e.ScanParallel(context.Background(), bytes.NewReader(capture.Bytes()), "mix", n, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
