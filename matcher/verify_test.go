package matcher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

// verifyFloor is the number of suricata-verify cases (of 84) that must
// agree with Suricata; raise it as the matcher improves.
const verifyFloor = 84

type verifyExpected struct {
	Pcap        string            `json:"pcap"`
	Alerts      map[string]int    `json:"alerts"`
	AlertsMin   map[string]int    `json:"alerts_min"`
	TotalAlerts *int              `json:"total_alerts"`
	Vars        map[string]string `json:"vars"`
	Config      struct {
		Checksum       *bool `json:"checksum_validation"`
		Midstream      bool  `json:"stream.midstream"`
		Inline         bool  `json:"stream.inline"`
		PacketAlertMax int   `json:"packet-alert-max"`
	} `json:"config"`
}

type verifyResult struct {
	name      string
	expected  string
	got       string
	agree     bool
	notEval   []matcher.NotEvaluated
	err       error
	mismatchs []string
}

func runVerifyCase(t *testing.T, dir string) verifyResult {
	res := verifyResult{name: filepath.Base(dir)}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		res.err = err
		return res
	}
	var exp verifyExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		res.err = err
		return res
	}
	src, err := os.ReadFile(filepath.Join(dir, "rules.rules"))
	if err != nil {
		res.err = err
		return res
	}
	f, _ := sigparse.ParseFile("rules.rules", src, sigparse.Options{Dialect: sigparse.DialectSuricata})
	var rules []*sigparse.Rule
	if f != nil {
		rules = f.Rules
	}
	cfg := matcher.Config{Vars: exp.Vars, Midstream: exp.Config.Midstream, Inline: exp.Config.Inline,
		PacketAlertMax: exp.Config.PacketAlertMax}
	if exp.Config.Checksum != nil && !*exp.Config.Checksum {
		cfg.NoChecksum = true
	}
	eng, err := matcher.Compile(rules, cfg)
	if err != nil {
		res.err = err
		return res
	}
	res.notEval = eng.NotEvaluated()
	var emit func(*matcher.Alert)
	if os.Getenv("VERIFY_CASE") != "" {
		emit = func(a *matcher.Alert) {
			t.Logf("%s: alert sid %d pcap_cnt %d %s:%d -> %s:%d tx %d", res.name, a.SID, a.PcapCnt, a.SrcIP, a.SrcPort, a.DstIP, a.DstPort, a.TxID)
		}
	}
	stats, err := eng.ScanFile(context.Background(), filepath.Join(dir, exp.Pcap), emit)
	if err != nil {
		res.err = err
	}
	var exps, gots []string
	sids := map[string]bool{}
	for s := range exp.Alerts {
		sids[s] = true
	}
	for s := range exp.AlertsMin {
		sids[s] = true
	}
	keys := make([]string, 0, len(sids))
	for s := range sids {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { a, _ := strconv.Atoi(keys[i]); b, _ := strconv.Atoi(keys[j]); return a < b })
	res.agree = res.err == nil
	for _, s := range keys {
		sid, _ := strconv.Atoi(s)
		got := stats.PerSID[sid]
		if n, ok := exp.Alerts[s]; ok {
			exps = append(exps, fmt.Sprintf("%s:%d", s, n))
			if got != n {
				res.agree = false
				res.mismatchs = append(res.mismatchs, s)
			}
		} else {
			n := exp.AlertsMin[s]
			exps = append(exps, fmt.Sprintf("%s:>=%d", s, n))
			if got < n {
				res.agree = false
				res.mismatchs = append(res.mismatchs, s)
			}
		}
		gots = append(gots, fmt.Sprintf("%s:%d", s, got))
	}
	if exp.TotalAlerts != nil {
		exps = append(exps, fmt.Sprintf("total:%d", *exp.TotalAlerts))
		gots = append(gots, fmt.Sprintf("total:%d", stats.Alerts))
		if stats.Alerts != *exp.TotalAlerts {
			res.agree = false
			res.mismatchs = append(res.mismatchs, "total")
		}
	}
	res.expected = strings.Join(exps, " ")
	res.got = strings.Join(gots, " ")
	return res
}

// TestSuricataVerify runs every case of ../shared/corpus/suricata-verify
// and reports how many agree with the counts Suricata produced.
func TestSuricataVerify(t *testing.T) {
	root := sharedtest.Path(t, "corpus", "suricata-verify")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var results []verifyResult
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if only := os.Getenv("VERIFY_CASE"); only != "" && !strings.Contains(e.Name(), only) {
			continue
		}
		results = append(results, runVerifyCase(t, filepath.Join(root, e.Name())))
	}
	agree := 0
	var b strings.Builder
	fmt.Fprintf(&b, "%-55s %-30s %-30s %s\n", "case", "expected", "got", "verdict")
	for _, r := range results {
		verdict := "agree"
		if r.agree {
			agree++
		} else {
			verdict = "DISAGREE"
			if r.err != nil {
				verdict += " (" + r.err.Error() + ")"
			}
			for _, ne := range r.notEval {
				verdict += fmt.Sprintf(" [not evaluated sid %d: %s]", ne.SID, ne.Reason)
			}
		}
		fmt.Fprintf(&b, "%-55s %-30s %-30s %s\n", r.name, r.expected, r.got, verdict)
	}
	fmt.Fprintf(&b, "agreement: %d/%d\n", agree, len(results))
	t.Log("\n" + b.String())
	if os.Getenv("VERIFY_CASE") == "" && agree < verifyFloor {
		t.Errorf("suricata-verify agreement %d/%d is below the floor of %d", agree, len(results), verifyFloor)
	}
}
