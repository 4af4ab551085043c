package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/sigtool/sigtool/sigparse"
)

// scanEVE runs rules over the capture with the real matcher and returns the
// alerts and their EVE records decoded, keyed by signature id.
func scanEVE(t *testing.T, rules string, c *pcapgen.Capture) ([]*matcher.Alert, map[int]map[string]any) {
	return scanEVEConfig(t, rules, c, matcher.Config{})
}

func scanEVEConfig(t *testing.T, rules string, c *pcapgen.Capture, cfg matcher.Config) ([]*matcher.Alert, map[int]map[string]any) {
	t.Helper()
	var rs []*sigparse.Rule
	for _, line := range strings.Split(strings.TrimSpace(rules), "\n") {
		r, err := sigparse.ParseRule(line, sigparse.Options{})
		require.NoError(t, err)
		rs = append(rs, r)
	}
	eng, err := matcher.Compile(rs, cfg)
	require.NoError(t, err)
	require.Empty(t, eng.NotEvaluated())
	var alerts []*matcher.Alert
	_, err = eng.Scan(context.Background(), bytes.NewReader(c.Bytes()), "gen.pcap", func(a *matcher.Alert) { alerts = append(alerts, a) })
	require.NoError(t, err)
	recs := map[int]map[string]any{}
	for _, a := range alerts {
		var m map[string]any
		require.NoError(t, json.Unmarshal(AppendEVE(nil, a), &m))
		recs[a.SID] = m
	}
	return alerts, recs
}

// TestEVESuricata7Fields checks the flow object, vlan, tx_id and the
// http object of packet, stream and transaction alerts on a VLAN-tagged
// HTTP conversation, against the frames the capture actually holds.
func TestEVESuricata7Fields(t *testing.T) {
	start := time.Date(2024, 3, 1, 10, 0, 0, 250000000, time.UTC)
	c, err := pcapgen.New(pcapgen.Options{VLANs: []uint16{100, 200}, Start: start, Step: time.Millisecond})
	require.NoError(t, err)
	conn, err := c.AddConversation(pcapgen.Conversation{
		Client: netip.MustParseAddrPort("192.168.1.105:49200"),
		Server: netip.MustParseAddrPort("198.51.100.23:80"),
		Exchanges: []pcapgen.Exchange{{
			Request:  []byte("GET /a HTTP/1.1\r\nHost: h.example\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 2\r\n\r\nok"),
		}},
	})
	require.NoError(t, err)
	alerts, recs := scanEVE(t, `
alert http any any -> any any (msg:"tx"; flow:established,to_client; content:"200"; http_stat_code; sid:1;)
alert tcp any any -> any any (msg:"stream"; flow:established,to_server; content:"Host|3a| h.example"; sid:2;)
alert tcp any 80 -> any any (msg:"packet"; flow:established,to_client; dsize:>0; sid:3;)`, c)
	require.Contains(t, recs, 1)
	require.Contains(t, recs, 2)
	require.Contains(t, recs, 3)

	// Expected counters: the frames of the flow up to the alerting packet.
	counts := func(upto int) map[string]any {
		var ps, pc, bs, bc int
		for i, p := range c.Packets()[:upto] {
			if i+1 < conn.First {
				continue
			}
			// Client frames carry the client's VLAN-tagged source MAC
			// like the others; tell directions by the IPv4 source (the
			// 8-byte double tag puts the IP header at 22).
			if netip.AddrFrom4([4]byte(p.Data[22+12:22+16])) == netip.MustParseAddr("192.168.1.105") {
				ps++
				bs += len(p.Data)
			} else {
				pc++
				bc += len(p.Data)
			}
		}
		return map[string]any{"pkts_toserver": float64(ps), "pkts_toclient": float64(pc),
			"bytes_toserver": float64(bs), "bytes_toclient": float64(bc),
			"start": start.Format(TimeFormat)}
	}
	for _, a := range alerts {
		rec := recs[a.SID]
		assert.Equal(t, counts(a.PcapCnt), rec["flow"], "sid %d flow object at pcap_cnt %d", a.SID, a.PcapCnt)
		assert.Equal(t, []any{float64(100), float64(200)}, rec["vlan"], "sid %d", a.SID)
		assert.Equal(t, "http", rec["app_proto"])
	}
	// The transaction alert and the stream alert (a packet of the
	// request's direction, once the request is parsed) carry the http
	// object; sid 3 alerts on the response packet, before pcaps hands
	// the transaction to the matcher, so it has none (see docs/test-cli.md).
	for _, sid := range []int{1, 2} {
		http, ok := recs[sid]["http"].(map[string]any)
		require.True(t, ok, "sid %d: alerts on an HTTP flow carry the http object: %v", sid, recs[sid])
		assert.Equal(t, "/a", http["url"])
	}
	assert.Equal(t, "text/html", recs[1]["http"].(map[string]any)["http_content_type"], "cut at ';'")
	assert.Equal(t, float64(0), recs[1]["tx_id"], "transaction alert")
	assert.NotContains(t, recs[2], "tx_id", "stream alert")
	assert.NotContains(t, recs[3], "tx_id", "packet alert")
	assert.NotContains(t, recs[1], "icmp_type")

	// Field order: vlan after event_type, flow last.
	for _, a := range alerts {
		line := string(AppendEVE(nil, a))
		assert.Less(t, strings.Index(line, `"event_type"`), strings.Index(line, `"vlan"`))
		assert.Less(t, strings.Index(line, `"vlan"`), strings.Index(line, `"src_ip"`))
		assert.True(t, strings.HasSuffix(line, "\"start\":\""+start.Format(TimeFormat)+"\"}}\n"), line)
	}
}

// TestICMPFields checks icmp_type/icmp_code in EVE and the type/code
// "ports" of fast.log on a real echo request and reply.
func TestICMPFields(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	require.NoError(t, c.AddEchoRequest(src, dst, 7, 1, []byte("ping")))
	require.NoError(t, c.AddICMP(dst, src, 0, 0, []byte{0, 7, 0, 1, 'p', 'i', 'n', 'g'}))
	require.NoError(t, c.AddICMP(dst, src, 3, 3, make([]byte, 4)))
	alerts, recs := scanEVE(t, `
alert icmp any any -> any any (msg:"req"; itype:8; sid:1;)
alert icmp any any -> any any (msg:"reply"; itype:0; sid:2;)
alert icmp any any -> any any (msg:"unreach"; itype:3; sid:3;)`, c)
	require.Len(t, alerts, 3)
	assert.Equal(t, float64(8), recs[1]["icmp_type"])
	assert.Equal(t, float64(0), recs[1]["icmp_code"])
	assert.Equal(t, float64(3), recs[3]["icmp_type"])
	assert.Equal(t, float64(3), recs[3]["icmp_code"])
	assert.NotContains(t, recs[1], "src_port")
	var b bytes.Buffer
	for _, a := range alerts {
		require.NoError(t, WriteFast(&b, a))
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 3)
	// Echo request: type 8, counterpart 0; reply: 0 and 8; unreachable:
	// 3 + 256*3 and no counterpart.
	assert.True(t, strings.HasSuffix(lines[0], "{ICMP} 10.0.0.1:8 -> 10.0.0.2:0"), lines[0])
	assert.True(t, strings.HasSuffix(lines[1], "{ICMP} 10.0.0.2:0 -> 10.0.0.1:8"), lines[1])
	assert.True(t, strings.HasSuffix(lines[2], "{ICMP} 10.0.0.2:771 -> 10.0.0.1:0"), lines[2])
}

// TestEVEEtherPacket checks the optional ether, packet and packet_info
// fields against the generated frame, and that they stay off by default.
func TestEVEEtherPacket(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	require.NoError(t, c.AddEchoRequest(src, dst, 7, 1, []byte("ping")))
	alerts, recs := scanEVEConfig(t, `alert icmp any any -> any any (msg:"req"; itype:8; sid:1;)`, c, matcher.Config{Frames: true})
	require.Len(t, alerts, 1)
	assert.NotContains(t, recs[1], "ether")
	assert.NotContains(t, recs[1], "packet")
	plain, _ := scanEVE(t, `alert icmp any any -> any any (msg:"req"; itype:8; sid:1;)`, c)
	assert.Nil(t, plain[0].Frame, "frames are kept only with Config.Frames")

	frame := c.Packets()[0].Data
	var m map[string]any
	o := &EVEOptions{Ethernet: true, Packet: true}
	require.NoError(t, json.Unmarshal(o.Append(nil, alerts[0]), &m))
	mac := func(b []byte) string {
		var s []string
		for _, x := range b {
			s = append(s, fmt.Sprintf("%02x", x))
		}
		return strings.Join(s, ":")
	}
	assert.Equal(t, map[string]any{"src_mac": mac(frame[6:12]), "dest_mac": mac(frame[0:6])}, m["ether"])
	assert.Equal(t, base64.StdEncoding.EncodeToString(frame), m["packet"])
	assert.Equal(t, map[string]any{"linktype": float64(1), "linktype_name": "EN10MB"}, m["packet_info"])
}

// TestVerifyChecksEther checks that a suricata-verify test.yaml sees the
// ether and packet fields suricata-verify's configuration writes.
func TestVerifyChecksEther(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	require.NoError(t, c.AddEchoRequest(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 7, 1, []byte("ping")))
	alerts, _ := scanEVEConfig(t, `alert icmp any any -> any any (msg:"req"; itype:8; sid:1;)`, c, matcher.Config{Frames: true})
	frame := c.Packets()[0].Data
	yml := fmt.Sprintf("checks:\n- filter:\n    count: 1\n    match:\n      ether.dest_mac: \"%02x:%02x:%02x:%02x:%02x:%02x\"\n      packet_info.linktype: 1\n      icmp_type: 8\n",
		frame[0], frame[1], frame[2], frame[3], frame[4], frame[5])
	e, err := ParseExpect("test.yaml", []byte(yml))
	require.NoError(t, err)
	assert.True(t, e.Verify)
	assert.Empty(t, e.Check(alerts))
	e.Verify = false
	assert.Len(t, e.Check(alerts), 1, "without suricata-verify's settings there is no ether object")
}
