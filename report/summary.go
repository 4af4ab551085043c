package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sigtool/sigtool/matcher"
)

// Summary collects what a human wants after a run: alerts per signature and
// per capture, traffic totals, captures that could not be read, and rules
// that were not evaluated. Add alerts and files as they come, then Write.
type Summary struct {
	// Rules is the number of rules evaluated, NotEvaluated the rules the
	// matcher cannot evaluate, and ParseErrors the number of errors
	// parsing the rule files.
	Rules        int
	NotEvaluated []matcher.NotEvaluated
	ParseErrors  int
	// Verbose lists every rule not evaluated; otherwise a long list is
	// grouped by keyword.
	Verbose bool

	files []fileResult
	sigs  map[[2]int]*sigCount // by {gid, sid}
	// cur is the file alerts are being added for.
	cur string
}

type fileResult struct {
	name  string
	stats matcher.Stats
	err   error
}

type sigCount struct {
	gid, sid int
	msg      string
	total    int
	perFile  map[string]int
	files    []string // in first-alert order
	flows    map[flowKey]bool
}

// flowKey names a flow across captures: flow ids restart in each capture.
type flowKey struct {
	file string
	id   uint64
}

// Begin starts counting alerts for capture name.
func (s *Summary) Begin(name string) { s.cur = name }

// Alert counts one alert of the current capture.
func (s *Summary) Alert(a *matcher.Alert) {
	if s.sigs == nil {
		s.sigs = map[[2]int]*sigCount{}
	}
	key := [2]int{max(a.GID, 1), a.SID}
	c := s.sigs[key]
	if c == nil {
		c = &sigCount{gid: key[0], sid: a.SID, msg: a.Msg, perFile: map[string]int{}, flows: map[flowKey]bool{}}
		s.sigs[key] = c
	}
	c.total++
	if a.FlowID != 0 {
		c.flows[flowKey{s.cur, a.FlowID}] = true
	}
	if c.perFile[s.cur] == 0 {
		c.files = append(c.files, s.cur)
	}
	c.perFile[s.cur]++
}

// End records the capture's statistics and error (nil when it was read to
// the end).
func (s *Summary) End(name string, st matcher.Stats, err error) {
	s.files = append(s.files, fileResult{name, st, err})
}

// Alerts returns the number of alerts counted so far.
func (s *Summary) Alerts() int {
	n := 0
	for _, c := range s.sigs {
		n += c.total
	}
	return n
}

// Write prints the summary.
func (s *Summary) Write(w io.Writer) error {
	var b strings.Builder
	var tot matcher.Stats
	failed := 0
	for _, f := range s.files {
		tot.Packets += f.stats.Packets
		tot.Bytes += f.stats.Bytes
		tot.Flows += f.stats.Flows
		tot.HTTPTransactions += f.stats.HTTPTransactions
		if f.err != nil {
			failed++
		}
	}
	fmt.Fprintf(&b, "%s, %s, %s, %s, %s\n",
		plural(len(s.files), "capture"), plural(tot.Packets, "packet"), plural(tot.Flows, "flow"),
		plural(tot.HTTPTransactions, "HTTP transaction"), plural(s.Rules, "rule")+" evaluated")
	sigs := make([]*sigCount, 0, len(s.sigs))
	for _, c := range s.sigs {
		sigs = append(sigs, c)
	}
	sort.Slice(sigs, func(i, j int) bool {
		if sigs[i].total != sigs[j].total {
			return sigs[i].total > sigs[j].total
		}
		if sigs[i].sid != sigs[j].sid {
			return sigs[i].sid < sigs[j].sid
		}
		return sigs[i].gid < sigs[j].gid
	})
	if len(sigs) == 0 {
		b.WriteString("\nno alerts\n")
	} else {
		fmt.Fprintf(&b, "\n%s from %s:\n", plural(s.Alerts(), "alert"), plural(len(sigs), "signature"))
		fmt.Fprintf(&b, "  %6s %6s %8s  %-10s %s\n", "alerts", "flows", "captures", "sid", "msg")
		for _, c := range sigs {
			id := fmt.Sprint(c.sid)
			if c.gid != 1 {
				id = fmt.Sprintf("%d:%d", c.gid, c.sid)
			}
			fmt.Fprintf(&b, "  %6d %6d %8d  %-10s %s\n", c.total, len(c.flows), len(c.files), id, c.msg)
		}
		if len(s.files) > 1 {
			b.WriteString("\nalerts by capture:\n")
			for _, c := range sigs {
				for i, f := range c.files {
					if i == maxFilesShown {
						fmt.Fprintf(&b, "  sid %-10d ... and %d more captures\n", c.sid, len(c.files)-i)
						break
					}
					fmt.Fprintf(&b, "  sid %-10d %6d in %s\n", c.sid, c.perFile[f], f)
				}
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(&b, "\n%s could not be read to the end:\n", plural(failed, "capture"))
		for _, f := range s.files {
			if f.err != nil {
				fmt.Fprintf(&b, "  %v\n", f.err)
			}
		}
	}
	if s.ParseErrors > 0 {
		fmt.Fprintf(&b, "\n%s in the rule files (reported above)\n", plural(s.ParseErrors, "parse error"))
	}
	if len(s.NotEvaluated) > 0 {
		fmt.Fprintf(&b, "\n%s not evaluated (they can never alert here):\n", plural(len(s.NotEvaluated), "rule"))
		writeNotEvaluated(&b, s.NotEvaluated, s.Verbose, "  ")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxFilesShown bounds the per-capture lines of one signature, so that a
// rule firing across a large benign corpus does not flood the summary.
const maxFilesShown = 10

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// NotEvaluatedReason says why a rule is not evaluated, naming the keyword:
// the matcher's reason when it names one of the keywords, else the keywords
// followed by the reason.
func NotEvaluatedReason(n matcher.NotEvaluated) string {
	kw := "keyword " + strings.Join(n.Keywords, ", ")
	switch {
	case n.Reason == "" && len(n.Keywords) == 0:
		return "not supported"
	case n.Reason == "":
		return kw + " not supported"
	case len(n.Keywords) == 0:
		return n.Reason
	}
	for _, k := range n.Keywords {
		if strings.Contains(n.Reason, k) {
			return n.Reason
		}
	}
	return kw + ": " + n.Reason
}

// NotEvaluatedListMax is how many rules not evaluated are listed one by one
// before they are grouped by keyword (unless verbose).
const NotEvaluatedListMax = 20

// WriteNotEvaluated writes why rules are not evaluated, each line starting
// with prefix: one line per rule when there are few or verbose is set,
// otherwise the number of rules per keyword, most frequent first.
func WriteNotEvaluated(w io.Writer, list []matcher.NotEvaluated, verbose bool, prefix string) error {
	var b strings.Builder
	writeNotEvaluated(&b, list, verbose, prefix)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeNotEvaluated(b *strings.Builder, list []matcher.NotEvaluated, verbose bool, prefix string) {
	if verbose || len(list) <= NotEvaluatedListMax {
		for _, n := range list {
			fmt.Fprintf(b, "%ssid %-10d %s: %s\n", prefix, n.SID, n.Msg, NotEvaluatedReason(n))
		}
		return
	}
	type group struct {
		key  string
		n    int
		sids []int
	}
	groups := map[string]*group{}
	var order []*group
	for _, n := range list {
		key := "(no keyword named)"
		if len(n.Keywords) > 0 {
			key = n.Keywords[0]
		}
		g := groups[key]
		if g == nil {
			g = &group{key: key}
			groups[key] = g
			order = append(order, g)
		}
		g.n++
		if len(g.sids) < 3 {
			g.sids = append(g.sids, n.SID)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].n > order[j].n })
	const shown = 15
	for i, g := range order {
		if i == shown {
			rest := 0
			for _, g := range order[i:] {
				rest += g.n
			}
			fmt.Fprintf(b, "%s%6d  rules with %d other keywords\n", prefix, rest, len(order)-i)
			break
		}
		ids := make([]string, len(g.sids))
		for k, sid := range g.sids {
			ids[k] = fmt.Sprint(sid)
		}
		more := ""
		if g.n > len(g.sids) {
			more = ", ..."
		}
		fmt.Fprintf(b, "%s%6d  %s (sid %s%s)\n", prefix, g.n, g.key, strings.Join(ids, ", "), more)
	}
	fmt.Fprintf(b, "%s(grouped by the first keyword not evaluated; -v lists every rule and why)\n", prefix)
}
