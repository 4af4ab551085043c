package export

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
)

// FuzzTranslate checks that any rule sigparse accepts translates to both
// formats without panicking, that every result has a verdict, and that a
// not-translatable rule says why and writes no firewall rule.
func FuzzTranslate(f *testing.F) {
	src, err := os.ReadFile("testdata/translate/mixed.rules")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "alert") || strings.HasPrefix(l, "drop") || strings.HasPrefix(l, "pass") || strings.HasPrefix(l, "reject") {
			f.Add(l)
		}
	}
	f.Add(`alert udp [1.2.3.4,!1.2.3.4/32,::1] [1:3,!2] <> ![$HOME_NET,10.0.0.0/255.0.0.0] !:1023 (msg:"x"; content:"|00|"; offset:70000; depth:1; dsize:<0; ttl:>255; sid:1;)`)
	f.Fuzz(func(t *testing.T, rule string) {
		r, _ := sigparse.ParseRule(rule, sigparse.Options{})
		if r == nil {
			return
		}
		for _, fm := range []Format{IPTables, NFTables} {
			tr, err := Translate([]*sigparse.Rule{r}, fm, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range tr.Results {
				switch res.Verdict {
				case Exact, Approximated:
					if len(res.Rules) == 0 {
						t.Fatalf("%s: %s without rules", fm, res.Verdict)
					}
				case NotTranslatable:
					if len(res.Rules) != 0 || len(res.Notes) == 0 {
						t.Fatalf("%s: not translatable with rules %q or without notes %q", fm, res.Rules, res.Notes)
					}
				default:
					t.Fatalf("verdict %q", res.Verdict)
				}
			}
			var b bytes.Buffer
			if err := tr.WriteRuleset(&b, "fuzz"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
