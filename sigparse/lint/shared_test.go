package lint

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countsLine prints diagnostic counts per code in a stable order.
func countsLine(res *Result) string {
	m := res.CountByCode()
	var codes []string
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "  %-26s %6d\n", c, m[c])
	}
	return b.String()
}

// ET Open is a ruleset Suricata loads: linting it must not produce a
// single parse error or error-level finding (each would be a false
// positive of ours). The warnings per code are printed for the record.
func TestLintETOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the full ET Open lint in -short mode")
	}
	dir := sharedtest.Path(t, "rulesets", "et-open-2024-04")
	l, err := rulesets.Load([]string{dir}, sigparse.Options{})
	require.NoError(t, err)
	for _, style := range []Style{StyleNone, StyleET} {
		res := Check(l.Files, Options{Style: style})
		t.Logf("ET Open, style %q: %d files, %d enabled rules, %d errors, %d warnings; per code:\n%s",
			style, res.Summary.Files, res.Summary.Rules, res.Summary.Errors, res.Summary.Warnings, countsLine(res))
		assert.Greater(t, res.Summary.Rules, 20000)
		for _, d := range res.Diagnostics {
			if d.Severity == Error || d.Code == "parse-error" || d.Code == "option-invalid" || d.Code == "sid-invalid" {
				t.Errorf("%s:%d:%d: %s [%s]", d.File, d.Line, d.Column, d.Message, d.Code)
			}
		}
	}
}

// The Snort 2.9 community rules (mostly disabled) lint without errors in
// their enabled rules either.
func TestLintSnortCommunity(t *testing.T) {
	dir := sharedtest.Path(t, "rulesets", "snort2-community")
	l, err := rulesets.Load([]string{dir}, sigparse.Options{})
	require.NoError(t, err)
	res := Check(l.Files, Options{})
	t.Logf("Snort community: %d enabled rules, %d errors, %d warnings; per code:\n%s",
		res.Summary.Rules, res.Summary.Errors, res.Summary.Warnings, countsLine(res))
	for _, d := range res.Diagnostics {
		if d.Severity == Error {
			t.Errorf("%s:%d:%d: %s [%s]", d.File, d.Line, d.Column, d.Message, d.Code)
		}
	}
}
