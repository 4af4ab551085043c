package matcher

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// TestPrefilterSameVerdicts: the multi-pattern prefilter and the address
// table of content-less rules (matcher/iponly) only skip rules that cannot
// match, so every suricata-verify case and every generated case alerts the
// same with and without them (an Engine without pf evaluates every rule).
func TestPrefilterSameVerdicts(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if root := sharedtest.Root(); root != "" {
		sv, _ := filepath.Glob(filepath.Join(root, "corpus", "suricata-verify", "*"))
		dirs = append(dirs, sv...)
	}
	n, tables := 0, 0
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
		if e.ipo != nil {
			tables++
		}
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
	if sharedtest.Root() != "" && tables == 0 {
		t.Fatal("no suricata-verify case had rules in the address table")
	}
}

// TestPrefilterSameVerdictsETOpen: ET Open (40k rules, ~1,200 IP-list
// rules in the address table, thousands of HTTP rules) alerts the same
// with and without the prefilter and table over the shared captures.
func TestPrefilterSameVerdictsETOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("loads all of ET Open")
	}
	dir := sharedtest.Path(t, "rulesets", "et-open-2024-04")
	l, err := rulesets.Load([]string{dir}, sigparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(l.Enabled(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e.pf == nil || e.ipo == nil {
		t.Fatal("ET Open compiled without prefilter or address table")
	}
	plain := *e
	plain.pf = nil
	alerts := 0
	for _, c := range []string{"benign", "malware-http"} {
		root := sharedtest.Path(t, "corpus", c)
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".pcap") && !strings.HasSuffix(p, ".pcapng") {
				return err
			}
			with, err := e.ScanFile(context.Background(), p, nil)
			if err != nil {
				t.Logf("%s: %v", p, err)
			}
			without, err2 := plain.ScanFile(context.Background(), p, nil)
			if (err == nil) != (err2 == nil) {
				t.Errorf("%s: errors differ: %v / %v", p, err, err2)
			}
			if !maps.Equal(with.PerSID, without.PerSID) {
				t.Errorf("%s: with prefilter %v, without %v", p, with.PerSID, without.PerSID)
			}
			alerts += with.Alerts
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The benchmark mix (HTTP with malware-like requests, DNS, TLS, bulk
	// TCP/UDP) raises more alerts than the shared captures.
	var mixBuf bytes.Buffer
	if _, err := mix.Write(context.Background(), &mixBuf, 1, 1<<20); err != nil {
		t.Fatal(err)
	}
	with, err := e.Scan(context.Background(), bytes.NewReader(mixBuf.Bytes()), "mix", nil)
	if err != nil {
		t.Fatal(err)
	}
	without, err := plain.Scan(context.Background(), bytes.NewReader(mixBuf.Bytes()), "mix", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(with.PerSID, without.PerSID) {
		t.Errorf("mix: with prefilter %v, without %v", with.PerSID, without.PerSID)
	}
	alerts += with.Alerts
	if alerts == 0 {
		t.Fatal("ET Open raised no alert on the shared captures: the comparison shows nothing")
	}
	t.Logf("%d alerts, identical with and without prefilter and address table", alerts)
}
