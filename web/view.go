package web

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sigtool/sigtool/matcher"
)

// testView is the test page's results, ready for the template: every
// user-controlled byte is a plain string that html/template escapes.
type testView struct {
	Capture      string
	Stats        matcher.Stats
	Summary      string // packets, flows, HTTP transactions
	Elapsed      string
	Alerts       []alertView
	Truncated    bool
	Counts       []countRow
	NotEvaluated []matcher.NotEvaluated
	RuleErrors   []string
	CaptureError string
	Timeline     timelineChart
	Ports        portsChart
}

type alertView struct {
	GID, SID, Rev int
	Msg, Category string
	Severity      int
	PcapCnt       int
	Time          string
	Proto         string
	AppProto      string
	Src, Dst      string
	TxID          int
	HTTP          *matcher.HTTPInfo
	Buffers       []bufferView
}

// bufferView is one inspected buffer cut into plain and matched segments.
type bufferView struct {
	Name     string
	Segments []segment
}

type segment struct {
	Text string
	Mark bool
}

func newTestView(res *runResult) *testView {
	v := &testView{
		Capture: res.Capture, Stats: res.Stats, Elapsed: res.Elapsed.Round(100 * time.Microsecond).String(),
		Summary: fmt.Sprintf("%d packet%s · %d flow%s · %d HTTP transaction%s", res.Stats.Packets, plural(res.Stats.Packets),
			res.Stats.Flows, plural(res.Stats.Flows), res.Stats.HTTPTransactions, plural(res.Stats.HTTPTransactions)),
		Truncated: res.Truncated, Counts: res.counts(), NotEvaluated: res.NotEvaluated, RuleErrors: res.RuleErrors,
		CaptureError: res.CaptureError,
	}
	for _, a := range res.Alerts {
		v.Alerts = append(v.Alerts, alertView{
			GID: a.GID, SID: a.SID, Rev: a.Rev, Msg: a.Msg, Category: a.Category, Severity: a.Severity,
			PcapCnt: a.PcapCnt, Time: a.Time.UTC().Format("2006-01-02 15:04:05.000000"),
			Proto: a.Proto, AppProto: a.AppProto,
			Src: hostPort(a.SrcIP, a.SrcPort, a.Proto), Dst: hostPort(a.DstIP, a.DstPort, a.Proto),
			TxID: a.TxID, HTTP: a.HTTP, Buffers: highlight(a.Matches),
		})
	}
	v.Timeline = newTimeline(res.Alerts, res.Stats.Packets)
	v.Ports = newPortsChart(res.Alerts)
	return v
}

func hostPort(ip netip.Addr, port uint16, proto string) string {
	if proto == "ICMP" || proto == "IPV6-ICMP" {
		return ip.String()
	}
	return netip.AddrPortFrom(ip, port).String()
}

// highlight groups an alert's matches by buffer (the same name and bytes)
// and marks the merged matched ranges.
func highlight(ms []matcher.Match) []bufferView {
	type group struct {
		name   string
		data   []byte
		ranges [][2]int
	}
	var groups []*group
outer:
	for _, m := range ms {
		if m.Start < 0 || m.End > len(m.Data) || m.Start > m.End {
			continue
		}
		for _, g := range groups {
			if g.name == m.Buffer && string(g.data) == string(m.Data) {
				g.ranges = append(g.ranges, [2]int{m.Start, m.End})
				continue outer
			}
		}
		groups = append(groups, &group{name: m.Buffer, data: m.Data, ranges: [][2]int{{m.Start, m.End}}})
	}
	out := make([]bufferView, 0, len(groups))
	for _, g := range groups {
		name := g.name
		if name == "" {
			name = "payload"
		}
		out = append(out, bufferView{Name: name, Segments: segments(g.data, g.ranges)})
	}
	return out
}

// Buffers longer than maxShown are cut to a window around the matches.
const (
	maxShown = 2048
	context_ = 256
)

func segments(data []byte, ranges [][2]int) []segment {
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	var merged [][2]int
	for _, r := range ranges {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	lo, hi := 0, len(data)
	if len(data) > maxShown && len(merged) > 0 {
		lo = max(0, merged[0][0]-context_)
		hi = min(len(data), merged[len(merged)-1][1]+context_)
	}
	var out []segment
	if lo > 0 {
		out = append(out, segment{Text: fmt.Sprintf("… (%d bytes) ", lo)})
	}
	pos := lo
	for _, r := range merged {
		if r[0] > pos {
			out = append(out, segment{Text: printable(data[pos:r[0]])})
		}
		out = append(out, segment{Text: printable(data[r[0]:r[1]]), Mark: true})
		pos = r[1]
	}
	if hi > pos {
		out = append(out, segment{Text: printable(data[pos:hi])})
	}
	if hi < len(data) {
		out = append(out, segment{Text: fmt.Sprintf(" … (%d more bytes)", len(data)-hi)})
	}
	return out
}

// printable shows bytes as text: printable ASCII as is, line breaks as
// line breaks (CR LF as one), everything else as \xNN.
func printable(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
		case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f):
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// Charts are SVG drawn by the server: numbers and escaped labels only, no
// script and no external library.

type timelineChart struct {
	Width, Height, Base, LabelY int
	Bars                        []bar
	Left, Right                 string
}

type bar struct {
	X, Y, W, H int
	Title      string
	Label      string
	N          int
	NX, TextY  int
}

// newTimeline bins alerts by packet number across the whole capture.
func newTimeline(alerts []*matcher.Alert, packets int) timelineChart {
	t := timelineChart{Width: 480, Height: 120, Base: 96, LabelY: 114}
	if packets <= 0 {
		packets = 1
	}
	bins := min(60, packets)
	counts := make([]int, bins)
	for _, a := range alerts {
		i := (a.PcapCnt - 1) * bins / packets
		if i >= 0 && i < bins {
			counts[i]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	w := t.Width / bins
	for i, n := range counts {
		if n == 0 {
			continue
		}
		h := n * (t.Base - 8) / top
		first, last := i*packets/bins+1, (i+1)*packets/bins
		t.Bars = append(t.Bars, bar{X: i * w, Y: t.Base - h, W: max(w-1, 1), H: h,
			Title: fmt.Sprintf("packets %d–%d: %d alert%s", first, last, n, plural(n))})
	}
	t.Left, t.Right = "packet 1", "packet "+strconv.Itoa(packets)
	return t
}

type portsChart struct {
	Width, Height int
	Bars          []bar
}

// newPortsChart draws alerts per destination port and protocol, most first.
func newPortsChart(alerts []*matcher.Alert) portsChart {
	type key struct {
		proto string
		port  uint16
	}
	counts := map[key]int{}
	for _, a := range alerts {
		counts[key{a.Proto, a.DstPort}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		if keys[i].port != keys[j].port {
			return keys[i].port < keys[j].port
		}
		return keys[i].proto < keys[j].proto
	})
	if len(keys) > 8 {
		keys = keys[:8]
	}
	c := portsChart{Width: 480, Height: max(24, 22*len(keys)+4)}
	top := 1
	for _, k := range keys {
		top = max(top, counts[k])
	}
	for i, k := range keys {
		n := counts[k]
		w := max(1, n*330/top)
		label := fmt.Sprintf("%d/%s", k.port, strings.ToLower(k.proto))
		c.Bars = append(c.Bars, bar{X: 90, Y: i*22 + 5, W: w, H: 16, N: n, NX: 90 + w + 6, TextY: i*22 + 17,
			Label: label, Title: fmt.Sprintf("%s: %d alert%s", label, n, plural(n))})
	}
	return c
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
