package matcher

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/sigparse"
)

// TestPrefilterSameVerdicts: the multi-pattern prefilter only skips rules
// that cannot match, so every suricata-verify case and every generated case
// alerts the same with and without it.
func TestPrefilterSameVerdicts(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if root := sharedtest.Root(); root != "" {
		sv, _ := filepath.Glob(filepath.Join(root, "corpus", "suricata-verify", "*"))
		dirs = append(dirs, sv...)
	}
	n := 0
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
		if err != nil {
			continue
		}
		var exp struct {
			Pcap   string            `json:"pcap"`
			Vars   map[string]string `json:"vars"`
			Config struct {
				Midstream bool `json:"stream.midstream"`
				Inline    bool `json:"stream.inline"`
			} `json:"config"`
		}
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatal(err)
		}
		src, _ := os.ReadFile(filepath.Join(dir, "rules.rules"))
		f, _ := sigparse.ParseFile("rules.rules", src, sigparse.Options{})
		e, err := Compile(f.Rules, Config{Vars: exp.Vars, Midstream: exp.Config.Midstream, Inline: exp.Config.Inline, NoChecksum: true})
		if err != nil {
			t.Fatal(err)
		}
		if e.pf == nil {
			continue
		}
		n++
		with, err := e.ScanFile(context.Background(), filepath.Join(dir, exp.Pcap), nil)
		if err != nil {
			t.Fatal(err)
		}
		plain := *e
		plain.pf = nil
		without, err := plain.ScanFile(context.Background(), filepath.Join(dir, exp.Pcap), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(with.PerSID, without.PerSID) {
			t.Errorf("%s: with prefilter %v, without %v", filepath.Base(dir), with.PerSID, without.PerSID)
		}
	}
	if n == 0 {
		t.Fatal("no case had prefilter patterns")
	}
}
