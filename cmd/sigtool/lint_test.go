package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
)

const lintDir = "testdata/lint"

// The analyst's rule from issue 2: exit 1, an error at the x of sid:x
// (line 1, column 209) and a diagnostic on the empty reference:url,.
func TestLintIssue2(t *testing.T) {
	code, out, errOut := runCmd(t, "", "lint", lintDir+"/issue2.rules")
	assert.Equal(t, exitFindings, code)
	assert.Contains(t, out, "testdata/lint/issue2.rules:1:209: error: sid must be a positive integer, got \"x\" [sid-invalid]")
	assert.Contains(t, out, "reference:url, has an empty value [reference-malformed]")
	golden.Check(t, "testdata/lint/issue2.txt", []byte(out))
	golden.Check(t, "testdata/lint/issue2.stderr", []byte(errOut))
}

func TestLintFormats(t *testing.T) {
	for _, format := range []string{"json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", "lint", "--format", format, "--style", "et", lintDir+"/issue2.rules", lintDir+"/dir")
			assert.Equal(t, exitFindings, code)
			assert.Empty(t, errOut)
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &doc), "one JSON document")
			// The SARIF log names sigtool's version, which differs per build.
			out = strings.Replace(out, `"version": "`+sigtoolVersion()+`"`, `"version": "VERSION"`, 1)
			golden.Check(t, "testdata/lint/formats."+format, []byte(out))
		})
	}
}

func TestLintStdin(t *testing.T) {
	src, err := os.ReadFile(lintDir + "/issue2.rules")
	require.NoError(t, err)
	code, out, _ := runCmd(t, string(src), "lint", "-")
	assert.Equal(t, exitFindings, code)
	assert.Contains(t, out, "<stdin>:1:209: error:")
}

func TestLintStrict(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", lintDir+"/warn.rules")
	assert.Equal(t, exitOK, code, "warnings alone do not fail")
	assert.Contains(t, out, "[flow-established-missing]")
	code, _, _ = runCmd(t, "", "lint", "--strict", lintDir+"/warn.rules")
	assert.Equal(t, exitFindings, code)
}

func TestLintClean(t *testing.T) {
	code, out, errOut := runCmd(t, "", "lint", "--style", "et", lintDir+"/dir/a.rules")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
	assert.Empty(t, errOut)
}

func TestLintClassificationAndDirectory(t *testing.T) {
	// Without the house classification.config, house-rule is unknown and
	// the sid is duplicated across the two files of the directory.
	code, out, _ := runCmd(t, "", "lint", lintDir+"/dir")
	assert.Equal(t, exitFindings, code)
	assert.Contains(t, out, "testdata/lint/dir/sub/b.rules:1:")
	assert.Contains(t, out, "[classtype-unknown]")
	assert.Contains(t, out, "[sid-duplicate]")

	_, out, _ = runCmd(t, "", "lint", "--classification", lintDir+"/classification.config", lintDir+"/dir")
	assert.NotContains(t, out, "[classtype-unknown]")
	assert.Contains(t, out, "[sid-duplicate]")
}

func TestLintVar(t *testing.T) {
	rule := `alert tcp $LAB_NET any -> any any (msg:"x"; flow:established; content:"abcd"; classtype:misc-activity; sid:1000030; rev:1;)`
	_, out, _ := runCmd(t, rule, "lint", "-")
	assert.Contains(t, out, "undefined variable $LAB_NET")
	code, out, _ := runCmd(t, rule, "lint", "--var", "LAB_NET=10.0.0.0/8", "-")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
	code, out, _ = runCmd(t, rule, "lint", "--vars", lintDir+"/suricata.yaml", "-")
	assert.Equal(t, exitOK, code, "LAB_NET comes from the suricata.yaml")
	assert.Empty(t, out)
	code, _, errOut := runCmd(t, rule, "lint", "--vars", lintDir+"/issue2.rules", "-")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "issue2.rules")
}

func TestLintList(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", "--list")
	assert.Equal(t, exitOK, code)
	golden.Check(t, "testdata/lint/list.txt", []byte(out))
}

func TestLintUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage: sigtool lint"},
		{[]string{"--format", "xml", "x.rules"}, `unknown --format "xml"`},
		{[]string{"--style", "snort", "x.rules"}, `unknown --style "snort"`},
		{[]string{"--dialect", "bro", "x.rules"}, `unknown --dialect "bro"`},
		{[]string{"--classification", "testdata/lint/nope.config", "x.rules"}, "nope.config"},
		{[]string{"--classification", lintDir + "/issue2.rules", "x.rules"}, `want "config classification:`},
		{[]string{"--var", "NOEQUALS", "x.rules"}, "want NAME=VALUE"},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"testdata/lint/missing.rules"}, "missing.rules"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCmd(t, "", append([]string{"lint"}, tt.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

// An unreadable path is exit 2, but the files that could be read are
// still linted.
func TestLintMissingPathStillLintsOthers(t *testing.T) {
	code, out, errOut := runCmd(t, "", "lint", lintDir+"/issue2.rules", lintDir+"/missing.rules")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, "[sid-invalid]")
	assert.Contains(t, errOut, "missing.rules")
}
