package report

import (
	"strings"
	"testing"

	"github.com/sigtool/sigtool/matcher"
)

// FuzzParseExpect: an expectation file of any content gives an expectation
// or an error naming the file, never a panic, and checking alerts against
// whatever parsed does not panic either.
func FuzzParseExpect(f *testing.F) {
	for _, s := range []string{
		"alerts:\n  1: 1\nalerts_min:\n  2: 0\n",
		`{"alerts": {"5": 2}, "total_alerts": 4, "config": {"checksum_validation": false}}`,
		verifyYAML,
		"checks:\n  - filter:\n      count: 1\n      match:\n        a.b[0].__len: 3\n        has-key: x\n",
		"checks: 3\n",
		"alerts: {1: [2]}\n",
	} {
		f.Add(s)
	}
	alerts := alerts()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpect("f.yaml", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		e.Check(alerts)
		e.Check([]*matcher.Alert{})
	})
}
