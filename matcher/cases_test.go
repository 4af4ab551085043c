package matcher_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

var update = flag.Bool("update", false, "regenerate matcher/testdata/cases from the generator in cases_test.go")

// The Kryptik check-in rule of the project's issue and a stream rule on the
// same bytes, used by most generated cases.
const kryptikRules = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)
alert tcp any any -> any any (msg:"stream: image.php anywhere in the client stream"; flow:established,to_server; content:"image.php?id="; sid:2; rev:1;)
alert http any any -> any any (msg:"raw uri keeps the percent-encoding"; content:"/imagedump/"; http_raw_uri; sid:3; rev:1;)
`

// stateRules exercise flowbits ordering and thresholds.
const stateRules = `alert http any any -> any any (msg:"checker"; flow:to_server; flowbits:isnotset,seen_a; http.uri; content:"/"; sid:16; rev:1;)
alert http any any -> any any (msg:"setter"; flow:to_server; http.uri; content:"/a"; flowbits:set,seen_a; flowbits:noalert; sid:10; rev:1;)
alert http any any -> any any (msg:"isset"; flow:to_client; flowbits:isset,seen_a; http.stat_code; content:"200"; sid:11; rev:1;)
alert http any any -> any any (msg:"limit"; flow:to_server; http.method; content:"GET"; threshold:type limit, track by_src, count 2, seconds 60; sid:12; rev:1;)
alert http any any -> any any (msg:"threshold"; flow:to_server; http.method; content:"GET"; threshold:type threshold, track by_src, count 2, seconds 60; sid:13; rev:1;)
alert http any any -> any any (msg:"detection_filter"; flow:to_server; http.method; content:"GET"; detection_filter:track by_src, count 2, seconds 60; sid:14; rev:1;)
alert http any any -> any any (msg:"response header, no direction given"; content:"Content-Length"; http_header; sid:20; rev:1;)
alert http any any -> any any (msg:"request header, no direction given"; content:"User-Agent"; http_header; sid:21; rev:1;)
alert http any any -> any any (msg:"to_lowercase"; http.user_agent; to_lowercase; content:"mozilla/4"; sid:30; rev:1;)
alert http any any -> any any (msg:"strip_whitespace"; http.header; strip_whitespace; content:"Host:cdn.example"; sid:31; rev:1;)
alert http any any -> any any (msg:"url_decode"; http.uri.raw; url_decode; content:"/b"; endswith; sid:32; rev:1;)
alert http any any -> any any (msg:"to_lowercase never matches uppercase"; http.user_agent; to_lowercase; content:"Mozilla"; sid:33; rev:1;)
alert http any any -> any any (msg:"both"; flow:to_server; http.method; content:"GET"; threshold:type both, track by_src, count 2, seconds 60; sid:15; rev:1;)
`

var (
	client  = netip.MustParseAddrPort("192.168.1.20:49200")
	server  = netip.MustParseAddrPort("198.51.100.7:80")
	client6 = netip.MustParseAddrPort("[2001:db8::20]:49200")
	server6 = netip.MustParseAddrPort("[2001:db8:1::7]:80")
)

func checkin(uri string) pcapgen.Exchange {
	return pcapgen.Exchange{
		Request:  []byte("GET " + uri + " HTTP/1.1\r\nHost: cdn.example\r\nUser-Agent: Mozilla/4.0\r\n\r\n"),
		Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	}
}

// genCase describes one generated case: the capture and the counts
// Suricata 7 gives by its documented behaviour (reason says why).
type genCase struct {
	name   string
	rules  string // kryptikRules when empty
	opts   pcapgen.Options
	conv   pcapgen.Conversation
	alerts map[string]int
	reason string
}

func genCases() []genCase {
	one := []pcapgen.Exchange{checkin("/imagedump/image.php?id=42")}
	return []genCase{
		{name: "segmented-uri", conv: pcapgen.Conversation{Client: client, Server: server, Exchanges: one, SegmentSize: 7},
			alerts: map[string]int{"1000001": 1, "2": 1, "3": 1},
			reason: "the URI spans several 7-byte segments: HTTP and stream inspection see reassembled data; one transaction, one stream chunk"},
		{name: "out-of-order", conv: pcapgen.Conversation{Client: client, Server: server, Exchanges: one, SegmentSize: 10, OutOfOrder: true},
			alerts: map[string]int{"1000001": 1, "2": 1, "3": 1},
			reason: "segments swapped pairwise are reordered by reassembly before inspection"},
		{name: "retransmitted", conv: pcapgen.Conversation{Client: client, Server: server, Exchanges: one, SegmentSize: 10, Retransmit: true},
			alerts: map[string]int{"1000001": 1, "2": 1, "3": 1},
			reason: "retransmitted segments add no new stream data; the HTTP rule alerts once per transaction"},
		{name: "pipelining", conv: pcapgen.Conversation{Client: client, Server: server, Pipelined: true,
			Exchanges: []pcapgen.Exchange{checkin("/imagedump/image.php?id=1"), checkin("/imagedump/image.php?id=2")}},
			alerts: map[string]int{"1000001": 2, "3": 2},
			reason: "two pipelined requests are two transactions: the HTTP rules alert once each"},
		{name: "keep-alive", conv: pcapgen.Conversation{Client: client, Server: server,
			Exchanges: []pcapgen.Exchange{checkin("/imagedump/image.php?id=1"), checkin("/index.html"), checkin("/imagedump/image.php?id=3")}},
			alerts: map[string]int{"1000001": 2, "3": 2},
			reason: "three transactions on one connection, two of them check-ins"},
		{name: "percent-encoding", conv: pcapgen.Conversation{Client: client, Server: server,
			Exchanges: []pcapgen.Exchange{checkin("/image%64ump/image%2ephp?id=42")}},
			alerts: map[string]int{"1000001": 1, "2": 0, "3": 0},
			reason: "http_uri is percent-decoded so the check-in rule fires; the raw URI and the stream keep %64 and %2e"},
		{name: "ipv6", conv: pcapgen.Conversation{Client: client6, Server: server6, Exchanges: one},
			alerts: map[string]int{"1000001": 0, "2": 1, "3": 1},
			reason: "over IPv6 the addresses are outside HOME_NET (IPv4 only), so the $HOME_NET rule stays quiet; the others fire"},
		{name: "vlan", opts: pcapgen.Options{VLANs: []uint16{100}}, conv: pcapgen.Conversation{Client: client, Server: server, Exchanges: one},
			alerts: map[string]int{"1000001": 1, "2": 1, "3": 1},
			reason: "802.1Q tags are decoded like plain Ethernet"},
		{name: "odd-port", conv: pcapgen.Conversation{Client: client, Server: netip.MustParseAddrPort("198.51.100.7:8123"), Exchanges: one},
			alerts: map[string]int{"1000001": 1, "2": 1, "3": 1},
			reason: "HTTP is recognised by protocol on any port"},
		{name: "no-handshake", conv: pcapgen.Conversation{Client: client, Server: server, Exchanges: one, NoHandshake: true},
			alerts: map[string]int{"1000001": 0, "2": 0, "3": 0},
			reason: "without a three-way handshake and with stream.midstream=false the session is never established: no app-layer, no flow:established"},
		{name: "flowbits-threshold", rules: stateRules, conv: pcapgen.Conversation{Client: client, Server: server,
			Exchanges: []pcapgen.Exchange{checkin("/a"), checkin("/b"), checkin("/c")}},
			alerts: map[string]int{"10": 0, "11": 3, "12": 2, "13": 1, "14": 1, "15": 1, "16": 0, "20": 3, "21": 3, "30": 3, "31": 3, "32": 1, "33": 0},
			reason: "flowbits set by a noalert rule on the first request (setters run before checkers on the same packet, so 16 never sees the bit unset); each later response sees it (11: once per transaction); over 3 matching transactions threshold limit 2 gives 2, threshold count 2 gives 1 (the 2nd), detection_filter count 2 gives 1 (the 3rd), both count 2 gives 1; http_header without a direction is inspected in each direction (20 matches the responses, 21 the requests); transforms apply to the buffer before inspection (30-33)"},
	}
}

// TestGenerateCases writes testdata/cases with -update; without it, it
// checks that the checked-in pcaps are what the generator makes.
func TestGenerateCases(t *testing.T) {
	for _, c := range genCases() {
		t.Run(c.name, func(t *testing.T) {
			capt, err := pcapgen.New(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := capt.AddConversation(c.conv); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "cases", c.name)
			exp, _ := json.MarshalIndent(map[string]any{"pcap": "input.pcap", "alerts": c.alerts, "notes": c.reason}, "", "  ")
			rules := c.rules
			if rules == "" {
				rules = kryptikRules
			}
			files := map[string][]byte{"input.pcap": capt.Bytes(), "rules.rules": []byte(rules), "expected.json": append(exp, '\n')}
			for name, want := range files {
				p := filepath.Join(dir, name)
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, want, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("%v (run go test ./matcher -run TestGenerateCases -update)", err)
				}
				if string(got) != string(want) {
					t.Errorf("%s differs from the generator (run go test ./matcher -run TestGenerateCases -update)", p)
				}
			}
		})
	}
}

// TestCases runs the generated cases like suricata-verify ones.
func TestCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/cases (%v)", err)
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			r := runVerifyCase(t, d)
			if !r.agree {
				t.Errorf("expected %s, got %s %v", r.expected, r.got, r.err)
			}
			for _, ne := range r.notEval {
				t.Errorf("rule not evaluated: %s", fmt.Sprint(ne))
			}
		})
	}
}
