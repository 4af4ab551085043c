package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// ruleCost is one rule's share of a scan, as "sigtool test --profile"
// reports it, after Suricata's rule profiling (rule_perf.log): how often
// the rule was evaluated past the prefilter, how often it matched, and the
// time spent evaluating it. The matcher fills these when profiling is on
// (see /work/notes/requests-speed.md); the CLI only sorts and prints.
type ruleCost struct {
	SID, GID, Rev int
	Msg           string
	Checks        int64 // evaluations (candidates after the prefilter)
	Matches       int64 // evaluations that matched (before thresholds)
	Alerts        int64 // alerts emitted
	Time          time.Duration
}

// costliest returns the n rules with the most time (ties: more checks,
// then lower SID), without modifying costs. n <= 0 means all.
func costliest(costs []ruleCost, n int) []ruleCost {
	out := append([]ruleCost(nil), costs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Time != b.Time {
			return a.Time > b.Time
		}
		if a.Checks != b.Checks {
			return a.Checks > b.Checks
		}
		if a.GID != b.GID {
			return a.GID < b.GID
		}
		return a.SID < b.SID
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// writeProfile prints the n costliest rules as a table, with each rule's
// share of the total rule time and its average time per check, and a
// total line. It prints a note instead when nothing was evaluated.
func writeProfile(w io.Writer, costs []ruleCost, n int) error {
	var total time.Duration
	var checks int64
	for _, c := range costs {
		total += c.Time
		checks += c.Checks
	}
	if checks == 0 {
		_, err := fmt.Fprintln(w, "rule profile: no rule was evaluated")
		return err
	}
	top := costliest(costs, n)
	fmt.Fprintf(w, "rule profile: %d costliest of %d rules (%v in rule evaluation, %d checks)\n", len(top), len(costs), total.Round(time.Microsecond), checks)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tsid\tgid\tchecks\tmatches\talerts\ttime\t%\tavg/check\t msg")
	for i, c := range top {
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(c.Time) / float64(total)
		}
		avg := time.Duration(0)
		if c.Checks > 0 {
			avg = c.Time / time.Duration(c.Checks)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%v\t%.1f\t%v\t %s\n", i+1, c.SID, c.GID, c.Checks, c.Matches, c.Alerts, c.Time.Round(time.Microsecond), pct, avg, c.Msg)
	}
	return tw.Flush()
}
