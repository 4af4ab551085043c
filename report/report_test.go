package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

func httpAlert() *matcher.Alert {
	return &matcher.Alert{
		Time:    time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC),
		PcapCnt: 4, FlowID: 1234567890123,
		SrcIP: netip.MustParseAddr("192.168.1.10"), DstIP: netip.MustParseAddr("203.0.113.5"),
		SrcPort: 49152, DstPort: 80, Proto: "TCP", AppProto: "http", Action: "allowed",
		GID: 1, SID: 1000001, Rev: 1, Msg: `ET TROJAN Win32/Kryptik.ABUD Checkin "q" <x>`,
		Category: "A Network Trojan was detected", Severity: 1, TxID: 0,
		HTTP: &matcher.HTTPInfo{Hostname: "cdn.example", URL: "/imagedump/image.php?id=1&x=\xff", UserAgent: "Mozilla/4.0 (compatible; MSIE 6.0)",
			Method: "GET", Protocol: "HTTP/1.1", Status: 200, ContentType: "text/html", Length: 5},
	}
}

func alerts() []*matcher.Alert {
	udp := &matcher.Alert{
		Time:  time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC),
		SrcIP: netip.MustParseAddr("2001:db8::1"), DstIP: netip.MustParseAddr("2001:db8::53"),
		SrcPort: 5353, DstPort: 53, Proto: "UDP", GID: 1, SID: 2, Rev: 3, Msg: "udp thing", TxID: -1, PcapCnt: 7, FlowID: 9,
	}
	icmp := &matcher.Alert{
		Time:  time.Date(2024, 1, 2, 3, 4, 7, 500000000, time.UTC),
		SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"),
		SrcPort: 8, DstPort: 0, Proto: "ICMP", GID: 1, SID: 3, Rev: 1, Msg: "ping", Category: "Misc activity", Severity: 3, TxID: -1, PcapCnt: 9, FlowID: 10,
	}
	return []*matcher.Alert{httpAlert(), udp, icmp}
}

func TestEVEGolden(t *testing.T) {
	var b bytes.Buffer
	for _, a := range alerts() {
		require.NoError(t, WriteEVE(&b, a))
	}
	for i, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		assert.True(t, json.Valid([]byte(line)), "line %d is not JSON: %s", i+1, line)
	}
	golden.Check(t, "testdata/alerts.eve.json", b.Bytes())
}

func TestFastGolden(t *testing.T) {
	var b bytes.Buffer
	for _, a := range alerts() {
		require.NoError(t, WriteFast(&b, a))
	}
	golden.Check(t, "testdata/alerts.fast.log", b.Bytes())
}

// TestEVEMatchesSuricata checks field names, nesting and value formats
// against an alert record Suricata itself wrote (suricata-verify's
// bug-78-http-uri check, from the shared corpus).
func TestEVEMatchesSuricata(t *testing.T) {
	dir := sharedtest.Path(t, "corpus", "suricata-verify", "bug-78-http-uri")
	e, err := LoadExpect(filepath.Join(dir, "test.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, e.Filters)
	f := e.Filters[0]
	a := &matcher.Alert{
		Time: time.Date(2009, 10, 16, 16, 44, 16, 100000000, time.UTC), PcapCnt: 6, FlowID: 1,
		SrcIP: netip.MustParseAddr("192.168.2.3"), DstIP: netip.MustParseAddr("208.69.36.231"),
		SrcPort: 37010, DstPort: 80, Proto: "TCP", AppProto: "http", Action: "allowed",
		GID: 1, SID: 100, Rev: 1, Msg: "msg escape tests", Severity: 3, TxID: 0,
		HTTP: &matcher.HTTPInfo{Hostname: "www.google.com", URL: "/blah/", UserAgent: "Wget/1.11.4", ContentType: "text/html",
			Method: "GET", Protocol: "HTTP/1.0", Status: 404, Length: 1194},
	}
	ev := eveMap(AppendEVE(nil, a))
	for k, want := range f.Match {
		if strings.HasPrefix(k, "flow.") {
			continue // flow counters are not part of matcher.Alert
		}
		assert.True(t, matchKey(ev, k, want), "%s: want %v, have %v", k, want, lookup(ev, k))
	}
	assert.Equal(t, e.Settings, []string{"-k none"})
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"<&>", `"<&>"`},
		{"\r\n\t\x00\x1f\x7f", `"\r\n\t\u0000\u001f\u007f"`},
		{"caf\xc3\xa9", `"café"`},
		{"bad\xff\xfe", `"bad\u00ff\u00fe"`},
	}
	for _, tt := range tests {
		got := string(appendString(nil, tt.in))
		assert.Equal(t, tt.want, got, "%q", tt.in)
		assert.True(t, json.Valid([]byte(got)))
	}
}

func TestTimestampFormat(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteEVE(&b, httpAlert()))
	assert.True(t, strings.HasPrefix(b.String(), `{"timestamp":"2024-01-02T03:04:05.123456+0000","flow_id":1234567890123,"pcap_cnt":4,"event_type":"alert",`), b.String())
	b.Reset()
	require.NoError(t, WriteFast(&b, httpAlert()))
	assert.True(t, strings.HasPrefix(b.String(), "01/02/2024-03:04:05.123456  [**] [1:1000001:1] "), b.String())
}

func TestParseExpectOwn(t *testing.T) {
	tests := []struct {
		name, src string
		want      *Expect
		err       string
	}{
		{name: "x.yaml", src: "alerts:\n  1000001: 1\n  2: 0\nalerts_min:\n  3: 2\n",
			want: &Expect{Name: "x.yaml", Alerts: map[int]int{1000001: 1, 2: 0}, AlertsMin: map[int]int{3: 2}}},
		{name: "x.json", src: `{"alerts": {"5": 2}, "total_alerts": 4, "config": {"checksum_validation": false, "stream.inline": true, "stream.midstream": false, "packet-alert-max": 32}}`,
			want: &Expect{Name: "x.json", Alerts: map[int]int{5: 2}, TotalAlerts: ptr(4), Settings: []string{"-k none", "--set stream.inline=true", "--set packet-alert-max=32"}}},
		{name: "e.json", src: `{"alerts": {}, "alerts_min": {"100": 1}}`, want: &Expect{Name: "e.json", Alerts: map[int]int{}, AlertsMin: map[int]int{100: 1}}},
		{name: "bad.yaml", src: "alerts:\n  abc: 1\n", err: `bad.yaml:2:3: signature id must be a positive integer, got "abc"`},
		{name: "bad.yaml", src: "alerts:\n  1: -1\n", err: `bad.yaml:2:6: alert count must be a non-negative integer, got "-1"`},
		{name: "bad.yaml", src: "alerts: [1, 2]\n", err: `bad.yaml:1:9: want a mapping of signature id to alert count`},
		{name: "bad.yaml", src: "foo: 1\n", err: `bad.yaml:1:1: no expectations`},
		{name: "bad.yaml", src: "- 1\n", err: `bad.yaml:1:1: expectation file must be a mapping`},
		{name: "bad.yaml", src: "alerts: {1: 2\n", err: `bad.yaml: line 1: did not find expected ',' or '}'`},
		{name: "bad.yaml", src: "", err: `bad.yaml: empty expectation file`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.src, func(t *testing.T) {
			got, err := ParseExpect(tt.name, []byte(tt.src))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func ptr(n int) *int { return &n }

const verifyYAML = `requires:
  min-version: 7

pcap: ../other/input.pcap

args:
  - -k none --set stream.inline=true

checks:
  - filter:
      count: 1
      match:
        event_type: alert
        alert.signature_id: 1000001
        pcap_cnt: 4
  - filter:
      count: 0
      match:
        event_type: alert
        alert.signature_id: 99
  - filter:
      gt: 0
      match:
        http.url: "/imagedump/image.php?id=1&x=\xff"
        has-key: http.hostname
  - filter:
      count: 1
      match:
        event_type: flow
        flow.alerted: true
  - shell:
      args: grep -q x eve.json
`

func TestVerifyYAML(t *testing.T) {
	e, err := ParseExpect("case/test.yaml", []byte(verifyYAML))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("other", "input.pcap"), e.Pcap)
	assert.Equal(t, []string{"-k none", "--set stream.inline=true"}, e.Settings)
	assert.Len(t, e.Filters, 3)
	assert.Equal(t, []string{
		"check 4: filters flow events; sigtool writes alert events only",
		"check 5 (shell): not an event filter",
	}, e.Skipped)

	assert.Empty(t, e.Check(alerts()))

	// The same alert on another packet, and a second rule firing.
	a := alerts()
	a[0].PcapCnt = 5
	a[1].SID = 99
	ms := e.Check(a)
	require.Len(t, ms, 2)
	var b bytes.Buffer
	require.NoError(t, WriteMismatches(&b, e.Name, ms))
	golden.Check(t, "testdata/mismatch.txt", b.Bytes())
}

func TestCheckCounts(t *testing.T) {
	e := &Expect{Alerts: map[int]int{1: 1, 2: 0}, AlertsMin: map[int]int{3: 2}, TotalAlerts: ptr(3)}
	assert.Empty(t, e.CheckCounts(map[int]int{1: 1, 3: 2}))
	ms := e.CheckCounts(map[int]int{1: 2, 2: 1, 3: 1})
	var got []string
	for _, m := range ms {
		got = append(got, m.String())
	}
	assert.Equal(t, []string{
		"sid 1: want 1, got 2",
		"sid 2: want 0, got 1",
		"sid 3: want at least 2, got 1",
		"total alerts: want 3, got 4",
	}, got)
}

func TestLookup(t *testing.T) {
	ev := map[string]any{"a": map[string]any{"b": []any{"x", map[string]any{"c": json.Number("3")}}}, "s": "abc"}
	assert.Equal(t, "x", lookup(ev, "a.b[0]"))
	assert.Equal(t, json.Number("3"), lookup(ev, "a.b[1].c"))
	assert.Equal(t, json.Number("2"), lookup(ev, "a.b.__len"))
	assert.Nil(t, lookup(ev, "a.b[2]"))
	assert.Nil(t, lookup(ev, "a.z"))
	assert.True(t, equalValues(json.Number("3"), 3))
	assert.False(t, equalValues(json.Number("3"), "3x"))
	assert.True(t, equalValues("abc", "abc"))
}

func TestSummaryGolden(t *testing.T) {
	s := &Summary{Rules: 3, ParseErrors: 1, NotEvaluated: []matcher.NotEvaluated{
		{SID: 7, GID: 1, Msg: "uses lua", Keywords: []string{"lua"}, Reason: "lua scripts are not supported"},
		{SID: 8, GID: 1, Msg: "dns rule", Keywords: []string{"dns.query"}},
	}}
	s.Begin("infected.pcap")
	for _, a := range alerts() {
		s.Alert(a)
	}
	s.Alert(alerts()[0])
	s.End("infected.pcap", matcher.Stats{Packets: 10, Flows: 2, HTTPTransactions: 1}, nil)
	s.Begin("benign.pcap")
	s.Alert(alerts()[1])
	s.End("benign.pcap", matcher.Stats{Packets: 5, Flows: 1}, errors.New("benign.pcap: packet 6: truncated record"))
	assert.Equal(t, 5, s.Alerts())
	var b bytes.Buffer
	require.NoError(t, s.Write(&b))
	golden.Check(t, "testdata/summary.txt", b.Bytes())
}

func TestSummaryEmpty(t *testing.T) {
	var s Summary
	s.End("a.pcap", matcher.Stats{Packets: 1}, nil)
	var b bytes.Buffer
	require.NoError(t, s.Write(&b))
	assert.Equal(t, "1 capture, 1 packet, 0 flows, 0 HTTP transactions, 0 rules evaluated\n\nno alerts\n", b.String())
}

func TestEVEMetadata(t *testing.T) {
	r, err := sigparse.ParseRule(`alert http any any -> any any (msg:"m"; content:"x"; metadata: created_at 2024_01_01, former_category MALWARE, created_at 2024_02_02; sid:1000001; rev:1;)`, sigparse.Options{})
	require.NoError(t, err)
	o := NewEVEOptions([]*sigparse.Rule{r})
	rec := string(o.Append(nil, httpAlert()))
	assert.Contains(t, rec, `"severity":1,"metadata":{"created_at":["2024_01_01","2024_02_02"],"former_category":["MALWARE"]}},"http":`)
	assert.True(t, json.Valid([]byte(rec)))
	// Other rules and the zero options add nothing.
	other := httpAlert()
	other.SID = 5
	assert.NotContains(t, string(o.Append(nil, other)), "metadata")
	var none *EVEOptions
	assert.Equal(t, string(AppendEVE(nil, httpAlert())), string(none.Append(nil, httpAlert())))

	// Filters see the metadata when the expectation has the options.
	e, err := ParseExpect("t.yaml", []byte("checks:\n  - filter:\n      count: 1\n      match:\n        alert.metadata.former_category[0]: MALWARE\n"))
	require.NoError(t, err)
	assert.Len(t, e.Check([]*matcher.Alert{httpAlert()}), 1)
	e.EVE = o
	assert.Empty(t, e.Check([]*matcher.Alert{httpAlert()}))
}

func TestNotEvaluatedGrouped(t *testing.T) {
	var list []matcher.NotEvaluated
	for i := range 30 {
		kw := []string{"protocol:dns", "dns.query"}
		if i%3 == 0 {
			kw = []string{"stream_size"}
		}
		list = append(list, matcher.NotEvaluated{SID: 100 + i, Msg: "r", Keywords: kw, Reason: "x"})
	}
	list = append(list, matcher.NotEvaluated{SID: 7, Msg: "no keyword", Reason: "pcre: bad"})
	var b bytes.Buffer
	require.NoError(t, WriteNotEvaluated(&b, list, false, "> "))
	assert.Equal(t, `>     20  protocol:dns (sid 101, 102, 104, ...)
>     10  stream_size (sid 100, 103, 106, ...)
>      1  (no keyword named) (sid 7)
> (grouped by the first keyword not evaluated; -v lists every rule and why)
`, b.String())
	b.Reset()
	require.NoError(t, WriteNotEvaluated(&b, list, true, ""))
	assert.Equal(t, len(list), strings.Count(b.String(), "\n"))
	assert.Contains(t, b.String(), "sid 7          no keyword: pcre: bad\n")
}
