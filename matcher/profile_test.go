package matcher

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
)

// TestProfile: with Config.Profile a scan counts each rule's evaluations,
// matches and alerts; alerts agree with PerSID, and a rule that alerts was
// evaluated and matched at least as often. Without it there is no profile.
func TestProfile(t *testing.T) {
	dir := filepath.Join("testdata", "cases", "pipelining")
	src, err := os.ReadFile(filepath.Join(dir, "rules.rules"))
	if err != nil {
		t.Fatal(err)
	}
	f, errs := sigparse.ParseFile("rules.rules", src, sigparse.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, profile := range []bool{false, true} {
		e, err := Compile(f.Rules, Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.ScanFile(context.Background(), filepath.Join(dir, "input.pcap"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !profile {
			if st.Profile != nil {
				t.Fatalf("profile without Config.Profile: %v", st.Profile)
			}
			continue
		}
		if len(st.Profile) != e.Rules() {
			t.Fatalf("%d profile entries for %d rules", len(st.Profile), e.Rules())
		}
		var alerts int64
		checked := 0
		for _, rp := range st.Profile {
			if rp.Alerts != int64(st.PerSID[rp.SID]) {
				t.Errorf("sid %d: %d alerts in the profile, %d in PerSID", rp.SID, rp.Alerts, st.PerSID[rp.SID])
			}
			if rp.Matches < rp.Alerts || rp.Checks < rp.Matches {
				t.Errorf("sid %d: checks %d, matches %d, alerts %d: want checks >= matches >= alerts", rp.SID, rp.Checks, rp.Matches, rp.Alerts)
			}
			if rp.Checks > 0 {
				checked++
			}
			if rp.Checks == 0 && rp.Time != 0 {
				t.Errorf("sid %d: time %v without checks", rp.SID, rp.Time)
			}
			alerts += rp.Alerts
		}
		if alerts == 0 || alerts != int64(st.Alerts) || checked == 0 {
			t.Fatalf("profile alerts %d, stats alerts %d, rules checked %d", alerts, st.Alerts, checked)
		}
	}
}
