package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sigtool/sigtool/matcher"
)

// Expect is what a run should produce. It comes from sigtool's own
// expectation file ({alerts: {sid: n}, alerts_min: {sid: n}, total_alerts: n})
// or from a suricata-verify test.yaml (its filter checks).
type Expect struct {
	// Name is the file it was loaded from, for messages.
	Name string
	// Alerts maps a signature id to the exact number of alerts it must
	// raise; 0 means it must not fire. Sids not listed are unconstrained.
	Alerts map[int]int
	// AlertsMin maps a signature id to the least number of alerts.
	AlertsMin map[int]int
	// TotalAlerts, when not nil, is the exact number of alerts of the run.
	TotalAlerts *int
	// Filters are suricata-verify checks on alert events.
	Filters []Filter
	// Skipped describes checks of the file that cannot be evaluated on
	// alert events (flow, stats or http events, shell commands...).
	Skipped []string
	// Settings are the engine options the expectation was recorded with,
	// in sigtool test's flag syntax ("-k none", "--set stream.inline=true"):
	// suricata-verify's args, or the config section of an expected.json.
	Settings []string
	// EVE, when set, adds rule metadata to the records filters inspect.
	EVE *EVEOptions
	// Verify is set for a suricata-verify test.yaml: its records are
	// checked with the ether, packet and packet_info fields that
	// suricata-verify's EVE configuration turns on.
	Verify bool
	// Pcap is the capture the test names (suricata-verify's pcap: key,
	// resolved against the file's folder), or "".
	Pcap string
}

// Filter is one suricata-verify filter check: the number of alert events
// whose fields match Match.
type Filter struct {
	// Index is the 1-based position of the check in the file.
	Index int
	// Match maps a dotted EVE path ("alert.signature_id", "http.url") to
	// the expected value; "has-key" and "not-has-key" test presence.
	Match map[string]any
	// Count is the exact number of matching events, when not nil.
	Count *int
	// LT and GT bound the number of matching events, when not nil.
	LT, GT *int
}

// LoadExpect reads an expectation file. Files with a top-level "checks" key
// are suricata-verify test.yaml files; anything else is read as sigtool's
// own format. JSON is read as YAML.
func LoadExpect(path string) (*Expect, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseExpect(path, src)
}

// ParseExpect parses an expectation file's contents; name is used in errors
// and to resolve a test.yaml's pcap path.
func ParseExpect(name string, src []byte) (*Expect, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty expectation file", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: expectation file must be a mapping", name, root.Line, root.Column)
	}
	e := &Expect{Name: name}
	if mapGet(root, "checks") != nil {
		return e, e.parseVerify(root)
	}
	return e, e.parseOwn(root)
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func (e *Expect) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", e.Name, n.Line, n.Column, fmt.Sprintf(format, args...))
}

// parseOwn reads {alerts: {sid: n}, alerts_min: {sid: n}, total_alerts: n};
// unknown keys are ignored so expected.json files of the shared corpus,
// which carry more, load as they are.
func (e *Expect) parseOwn(root *yaml.Node) error {
	var err error
	if e.Alerts, err = e.sidCounts(mapGet(root, "alerts")); err != nil {
		return err
	}
	if e.AlertsMin, err = e.sidCounts(mapGet(root, "alerts_min")); err != nil {
		return err
	}
	if n := mapGet(root, "total_alerts"); n != nil && n.Tag != "!!null" {
		v, err := e.count(n)
		if err != nil {
			return err
		}
		e.TotalAlerts = &v
	}
	if cfg := mapGet(root, "config"); cfg != nil {
		e.Settings = settingsFromConfig(cfg)
	}
	if e.Alerts == nil && e.AlertsMin == nil && e.TotalAlerts == nil {
		return e.errorf(root, `no expectations: want "alerts", "alerts_min" or "total_alerts"`)
	}
	return nil
}

func (e *Expect) sidCounts(n *yaml.Node) (map[int]int, error) {
	if n == nil || n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, e.errorf(n, "want a mapping of signature id to alert count")
	}
	out := make(map[int]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sid, err := strconv.Atoi(strings.TrimSpace(k.Value))
		if err != nil || sid <= 0 {
			return nil, e.errorf(k, "signature id must be a positive integer, got %q", k.Value)
		}
		c, err := e.count(v)
		if err != nil {
			return nil, err
		}
		out[sid] = c
	}
	return out, nil
}

func (e *Expect) count(n *yaml.Node) (int, error) {
	c, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || c < 0 {
		return 0, e.errorf(n, "alert count must be a non-negative integer, got %q", n.Value)
	}
	return c, nil
}

// settingsFromConfig turns the config section of a corpus expected.json
// into sigtool test flags.
func settingsFromConfig(cfg *yaml.Node) []string {
	var out []string
	if v := mapGet(cfg, "checksum_validation"); v != nil && v.Value == "false" {
		out = append(out, "-k none")
	}
	for _, k := range []string{"stream.midstream", "stream.inline"} {
		if v := mapGet(cfg, k); v != nil && v.Value == "true" {
			out = append(out, "--set "+k+"=true")
		}
	}
	if v := mapGet(cfg, "packet-alert-max"); v != nil && v.Value != "" && v.Value != "15" {
		out = append(out, "--set packet-alert-max="+v.Value)
	}
	return out
}

// parseVerify reads a suricata-verify test.yaml.
func (e *Expect) parseVerify(root *yaml.Node) error {
	e.Verify = true
	if p := mapGet(root, "pcap"); p != nil && p.Kind == yaml.ScalarNode && p.Value != "" {
		e.Pcap = filepath.Join(filepath.Dir(e.Name), p.Value)
	}
	if args := mapGet(root, "args"); args != nil {
		for _, a := range args.Content {
			e.Settings = append(e.Settings, splitArgs(a.Value)...)
		}
	}
	checks := mapGet(root, "checks")
	if checks.Kind != yaml.SequenceNode {
		return e.errorf(checks, "checks must be a list")
	}
	for i, c := range checks.Content {
		idx := i + 1
		if c.Kind != yaml.MappingNode || len(c.Content) < 2 {
			return e.errorf(c, "check %d: want a mapping such as filter:", idx)
		}
		kind := c.Content[0].Value
		if kind != "filter" {
			e.Skipped = append(e.Skipped, fmt.Sprintf("check %d (%s): not an event filter", idx, kind))
			continue
		}
		f, skip, err := e.parseFilter(idx, c.Content[1])
		if err != nil {
			return err
		}
		if skip != "" {
			e.Skipped = append(e.Skipped, fmt.Sprintf("check %d: %s", idx, skip))
			continue
		}
		e.Filters = append(e.Filters, f)
	}
	return nil
}

// splitArgs splits a suricata-verify args entry ("-k none --set a=b") into
// sigtool test settings; options sigtool has no use for are dropped.
func splitArgs(s string) []string {
	f := strings.Fields(s)
	var out []string
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "-k" && i+1 < len(f):
			out = append(out, "-k "+f[i+1])
			i++
		case f[i] == "--set" && i+1 < len(f):
			out = append(out, "--set "+f[i+1])
			i++
		case strings.HasPrefix(f[i], "--set="):
			out = append(out, "--set "+strings.TrimPrefix(f[i], "--set="))
		}
	}
	return out
}

func (e *Expect) parseFilter(idx int, n *yaml.Node) (Filter, string, error) {
	f := Filter{Index: idx}
	if n.Kind != yaml.MappingNode {
		return f, "", e.errorf(n, "check %d: filter must be a mapping", idx)
	}
	for _, k := range []struct {
		name string
		dst  **int
	}{{"count", &f.Count}, {"lt", &f.LT}, {"gt", &f.GT}} {
		if v := mapGet(n, k.name); v != nil {
			c, err := e.count(v)
			if err != nil {
				return f, "", err
			}
			*k.dst = &c
		}
	}
	if f.Count == nil && f.LT == nil && f.GT == nil {
		return f, "", e.errorf(n, "check %d: filter has no count, lt or gt", idx)
	}
	m := mapGet(n, "match")
	if m == nil {
		return f, "", e.errorf(n, "check %d: filter has no match", idx)
	}
	var match map[string]any
	if err := m.Decode(&match); err != nil {
		return f, "", e.errorf(m, "check %d: %v", idx, err)
	}
	f.Match = match
	if et, ok := match["event_type"]; ok && et != "alert" {
		return f, fmt.Sprintf("filters %v events; sigtool writes alert events only", et), nil
	}
	return f, "", nil
}

// Mismatch is one expectation the run did not meet.
type Mismatch struct {
	// What names the expectation: "sid 1000001", "total alerts",
	// "check 3 (alert.signature_id=1, pcap_cnt=4)".
	What string
	// Want is the expected count in words: "1", "0", "at least 2".
	Want string
	Got  int
	// Detail, for filter checks, shows what the nearest alerts had.
	Detail string
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("%s: want %s, got %d", m.What, m.Want, m.Got)
	if m.Detail != "" {
		s += "\n      " + strings.ReplaceAll(m.Detail, "\n", "\n      ")
	}
	return s
}

// Check compares alerts with the expectation and returns what disagrees,
// sids first in numeric order, then total, then filter checks in file order.
func (e *Expect) Check(alerts []*matcher.Alert) []Mismatch {
	counts := map[int]int{}
	for _, a := range alerts {
		counts[a.SID]++
	}
	out := e.CheckCounts(counts)
	if len(e.Filters) == 0 {
		return out
	}
	opts := e.EVE
	if e.Verify {
		o := EVEOptions{Ethernet: true, Packet: true}
		if e.EVE != nil {
			o.Metadata = e.EVE.Metadata
		}
		opts = &o
	}
	events := make([]map[string]any, len(alerts))
	for i, a := range alerts {
		events[i] = eveMap(opts.Append(nil, a))
	}
	for _, f := range e.Filters {
		n := 0
		for _, ev := range events {
			if f.matches(ev) {
				n++
			}
		}
		if want, ok := f.verdict(n); !ok {
			detail := f.nearest(events)
			if n > 0 {
				detail = f.matching(events)
			}
			out = append(out, Mismatch{What: fmt.Sprintf("check %d (%s)", f.Index, f.describe()), Want: want, Got: n, Detail: detail})
		}
	}
	return out
}

// CheckCounts compares per-sid alert counts with the sid and total
// expectations; filter checks need the alerts themselves (see Check).
func (e *Expect) CheckCounts(counts map[int]int) []Mismatch {
	var out []Mismatch
	for _, sid := range sortedKeys(e.Alerts) {
		if want, got := e.Alerts[sid], counts[sid]; got != want {
			out = append(out, Mismatch{What: fmt.Sprintf("sid %d", sid), Want: strconv.Itoa(want), Got: got})
		}
	}
	for _, sid := range sortedKeys(e.AlertsMin) {
		if want, got := e.AlertsMin[sid], counts[sid]; got < want {
			out = append(out, Mismatch{What: fmt.Sprintf("sid %d", sid), Want: fmt.Sprintf("at least %d", want), Got: got})
		}
	}
	if e.TotalAlerts != nil {
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != *e.TotalAlerts {
			out = append(out, Mismatch{What: "total alerts", Want: strconv.Itoa(*e.TotalAlerts), Got: total})
		}
	}
	return out
}

// WriteMismatches writes a readable report of ms for expectation file name.
func WriteMismatches(w io.Writer, name string, ms []Mismatch) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d expectation(s) not met:\n", name, len(ms))
	for _, m := range ms {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[int]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func (f Filter) verdict(n int) (want string, ok bool) {
	var parts []string
	ok = true
	if f.Count != nil {
		parts = append(parts, strconv.Itoa(*f.Count))
		ok = ok && n == *f.Count
	}
	if f.GT != nil {
		parts = append(parts, fmt.Sprintf("more than %d", *f.GT))
		ok = ok && n > *f.GT
	}
	if f.LT != nil {
		parts = append(parts, fmt.Sprintf("fewer than %d", *f.LT))
		ok = ok && n < *f.LT
	}
	return strings.Join(parts, " and ") + " matching alert(s)", ok
}

func (f Filter) keys() []string {
	keys := make([]string, 0, len(f.Match))
	for k := range f.Match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f Filter) describe() string {
	var parts []string
	for _, k := range f.keys() {
		if k == "event_type" {
			continue
		}
		v, _ := json.Marshal(f.Match[k])
		s := string(v)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, ", ")
}

// matching lists where the alerts that matched a filter were raised, for a
// check that got too many or too few.
func (f Filter) matching(events []map[string]any) string {
	var at []string
	for _, ev := range events {
		if f.matches(ev) {
			at = append(at, fmt.Sprintf("pcap_cnt %v", lookup(ev, "pcap_cnt")))
		}
	}
	if len(at) > 10 {
		at = append(at[:10], "...")
	}
	return "matching alerts at " + strings.Join(at, ", ")
}

// nearest explains a failed filter: for the alerts that agree on the most
// keys (at least the signature id when the filter names one), which keys
// differ and how.
func (f Filter) nearest(events []map[string]any) string {
	best, bestScore := -1, -1
	sid, hasSID := f.Match["alert.signature_id"]
	for i, ev := range events {
		if hasSID && !equalValues(lookup(ev, "alert.signature_id"), sid) {
			continue
		}
		score := 0
		for k, want := range f.Match {
			if matchKey(ev, k, want) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		if hasSID {
			return fmt.Sprintf("no alert with signature_id %v at all", sid)
		}
		return "no alerts at all"
	}
	var diffs []string
	for _, k := range f.keys() {
		if want := f.Match[k]; !matchKey(events[best], k, want) {
			got, _ := json.Marshal(lookup(events[best], k))
			w, _ := json.Marshal(want)
			diffs = append(diffs, fmt.Sprintf("%s: want %s, nearest alert has %s", k, w, got))
		}
	}
	n := 0
	for _, ev := range events {
		if !hasSID || equalValues(lookup(ev, "alert.signature_id"), sid) {
			n++
		}
	}
	return fmt.Sprintf("%d candidate alert(s); the nearest differs in:\n%s", n, strings.Join(diffs, "\n"))
}

func (f Filter) matches(ev map[string]any) bool {
	for k, want := range f.Match {
		if !matchKey(ev, k, want) {
			return false
		}
	}
	return true
}

func matchKey(ev map[string]any, key string, want any) bool {
	switch key {
	case "has-key":
		return lookup(ev, fmt.Sprint(want)) != nil
	case "not-has-key":
		return lookup(ev, fmt.Sprint(want)) == nil
	}
	return equalValues(lookup(ev, key), want)
}

// lookup follows a dotted path through an EVE record as suricata-verify
// does: "a.b.c", "a.b[0]" indexes a list, "a.b.__len" is a length.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		if part == "__len" {
			switch x := v.(type) {
			case []any:
				return json.Number(strconv.Itoa(len(x)))
			case map[string]any:
				return json.Number(strconv.Itoa(len(x)))
			case string:
				return json.Number(strconv.Itoa(len(x)))
			}
			return nil
		}
		idx := -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil
			}
			part, idx = part[:i], n
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[part]; !ok {
			return nil
		}
		if idx >= 0 {
			l, ok := v.([]any)
			if !ok || idx >= len(l) {
				return nil
			}
			v = l[idx]
		}
	}
	return v
}

// equalValues compares an EVE value (decoded with json.Number) with a YAML
// value (int, float64, string, bool, map, list), numbers by value.
func equalValues(got, want any) bool {
	if got == nil {
		return want == nil
	}
	if gn, ok := number(got); ok {
		wn, ok := number(want)
		return ok && gn == wn
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			if !equalValues(g[k], wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equalValues(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x)
	}
	return 0, false
}

// eveMap decodes an EVE record into maps, the form filters inspect.
func eveMap(rec []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(rec))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		// AppendEVE writes valid JSON; a failure here is a bug worth
		// seeing in the check output rather than a silent non-match.
		return map[string]any{"sigtool_error": errors.Join(errors.New("report: bad EVE record"), err).Error()}
	}
	return m
}
