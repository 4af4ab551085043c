package matcher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

// partialFloor is how many of the suricata-verify partial checks (alert
// filters on pcap_cnt, addresses, tx_id, EVE http fields...) must hold.
const partialFloor = 31

// alertField returns an alert's value for an EVE path of a partial check,
// and false for paths this test does not model (flow counters, vlan, ...),
// which are then not compared.
func alertField(a *matcher.Alert, key string) (any, bool) {
	h := a.HTTP
	if h == nil {
		h = &matcher.HTTPInfo{}
	}
	switch key {
	case "event_type":
		return "alert", true
	case "pcap_cnt":
		return float64(a.PcapCnt), true
	case "alert.signature_id":
		return float64(a.SID), true
	case "alert.gid":
		return float64(a.GID), true
	case "alert.rev":
		return float64(a.Rev), true
	case "alert.signature":
		return a.Msg, true
	case "alert.category":
		return a.Category, true
	case "alert.severity":
		return float64(a.Severity), true
	case "alert.action":
		return a.Action, true
	case "src_ip":
		return a.SrcIP.String(), true
	case "dest_ip":
		return a.DstIP.String(), true
	case "src_port":
		return float64(a.SrcPort), true
	case "dest_port":
		return float64(a.DstPort), true
	case "proto":
		return a.Proto, true
	case "app_proto":
		return a.AppProto, true
	case "tx_id":
		return float64(a.TxID), true
	case "http.http_method":
		return h.Method, true
	case "http.hostname":
		return h.Hostname, true
	case "http.url":
		return h.URL, true
	case "http.protocol":
		return h.Protocol, true
	case "http.http_user_agent":
		return h.UserAgent, true
	case "http.status":
		return float64(h.Status), true
	case "http.length":
		return float64(h.Length), true
	}
	return nil, false
}

// sameValue compares an alert value with a JSON one; addresses compare
// as addresses (EVE writes IPv6 in full).
func sameValue(got, want any) bool {
	if gs, ok := got.(string); ok {
		if ws, ok := want.(string); ok {
			ga, err1 := netip.ParseAddr(gs)
			wa, err2 := netip.ParseAddr(ws)
			if err1 == nil && err2 == nil {
				return ga == wa
			}
		}
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// TestSuricataVerifyPartial checks the alert filters of suricata-verify
// that say more than a count per sid: which packet alerted, addresses,
// transaction and EVE http fields.
func TestSuricataVerifyPartial(t *testing.T) {
	root := sharedtest.Path(t, "corpus", "suricata-verify")
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "expected.json"))
	total, ok := 0, 0
	var b strings.Builder
	for _, f := range dirs {
		dir := filepath.Dir(f)
		raw, _ := os.ReadFile(f)
		var exp struct {
			verifyExpected
			Partial []struct {
				Match map[string]any `json:"match"`
				Count int            `json:"count"`
			} `json:"partial_checks"`
		}
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatal(err)
		}
		if len(exp.Partial) == 0 {
			continue
		}
		src, _ := os.ReadFile(filepath.Join(dir, "rules.rules"))
		pf, _ := sigparse.ParseFile("rules.rules", src, sigparse.Options{Dialect: sigparse.DialectSuricata})
		cfg := matcher.Config{Vars: exp.Vars, Midstream: exp.Config.Midstream, Inline: exp.Config.Inline, PacketAlertMax: exp.Config.PacketAlertMax}
		cfg.NoChecksum = exp.Config.Checksum != nil && !*exp.Config.Checksum
		eng, err := matcher.Compile(pf.Rules, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var alerts []*matcher.Alert
		if _, err := eng.ScanFile(context.Background(), filepath.Join(dir, exp.Pcap), func(a *matcher.Alert) { alerts = append(alerts, a) }); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		for _, pc := range exp.Partial {
			if pc.Match["event_type"] != "alert" {
				continue
			}
			total++
			n := 0
			var diff []string
			for _, a := range alerts {
				match := true
				for k, want := range pc.Match {
					got, known := alertField(a, k)
					if !known {
						continue
					}
					if !sameValue(got, want) {
						match = false
						if v, ok := pc.Match["alert.signature_id"]; ok && fmt.Sprint(float64(a.SID)) == fmt.Sprint(v) {
							diff = append(diff, fmt.Sprintf("%s=%v (want %v)", k, got, want))
						}
					}
				}
				if match {
					n++
				}
			}
			verdict := "agree"
			if n == pc.Count {
				ok++
			} else {
				verdict = fmt.Sprintf("DISAGREE: %d matching alerts, want %d; %s", n, pc.Count, strings.Join(diff, ", "))
			}
			fmt.Fprintf(&b, "%-50s sid %v pcap_cnt %v: %s\n", filepath.Base(dir), pc.Match["alert.signature_id"], pc.Match["pcap_cnt"], verdict)
		}
	}
	fmt.Fprintf(&b, "partial checks: %d/%d\n", ok, total)
	t.Log("\n" + b.String())
	if ok < partialFloor {
		t.Errorf("partial checks %d/%d below the floor of %d", ok, total, partialFloor)
	}
}
