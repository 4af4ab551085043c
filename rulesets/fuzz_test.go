package rulesets

import (
	"testing"
)

// FuzzConfig feeds the same bytes to every config reader: none may panic,
// and each *Error they return has a line inside the input.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("config classification: trojan-activity,A Network Trojan was detected, 1\n"))
	f.Add([]byte("config reference: url https://\n# c\n"))
	f.Add([]byte("1:2019401,2019402\nre:heart(bleed)?\ngroup:emerging-*\nmetadata: deployment perimeter\n"))
	f.Add([]byte("%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n    EXTERNAL_NET: \"!$HOME_NET\"\n"))
	f.Add([]byte("vars:\n  port-groups:\n    A: \"[$B,$B]\"\n    B: $A\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _ = ParseClassifications("c", src)
		_, _ = ParseReferences("r", src)
		_, _ = ParseFilter("f", src)
		if vars, err := ReadSuricataVars("y", src); err == nil {
			_, _ = ExpandAll(vars)
		}
		_, _ = Expand(map[string]string{"A": string(src), "B": "$A"}, string(src))
	})
}
