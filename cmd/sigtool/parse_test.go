package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
)

const kryptikRule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)`

// The analyst's rule of issue 2 read from stdin: exit 1 and the error at
// line 1, column 209 with its caret.
func TestParseIssue2(t *testing.T) {
	code, out, errs := runCmd(t, kryptikRule+"\n", "parse", "-")
	assert.Equal(t, exitFindings, code)
	assert.Equal(t, "-:1:1: sid 0 snort2 \"ET TROJAN Win32/Kryptik.ABUD Checkin\"\n", out)
	golden.Check(t, "testdata/parse/issue2.stderr", []byte(errs))
	assert.Contains(t, errs, "-:1:209: sid must be a positive integer, got \"x\"")

	code, out, _ = runCmd(t, kryptikRule+"\n", "parse", "--format", "json", "-")
	assert.Equal(t, exitFindings, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var e struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Column int    `json:"column"`
		Error  string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &e))
	assert.Equal(t, "-", e.File)
	assert.Equal(t, 1, e.Line)
	assert.Equal(t, 209, e.Column)
	assert.Equal(t, `sid must be a positive integer, got "x"`, e.Error)
}

func TestParseText(t *testing.T) {
	code, out, errs := runCmd(t, "", "parse", "testdata/parse/mixed.rules", "testdata/parse/dir")
	assert.Equal(t, exitOK, code)
	golden.Check(t, "testdata/parse/text.stdout", []byte(out))
	assert.Equal(t, "3 files, 9 rules (2 disabled), 0 errors\n", errs)
}

func TestParseJSON(t *testing.T) {
	code, out, errs := runCmd(t, "", "parse", "--format", "json", "testdata/parse/mixed.rules")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, errs)
	golden.Check(t, "testdata/parse/mixed.jsonl", []byte(out))
}

// TestParseFmtRoundTrip checks the promise of `parse --format json`: the
// fmt output of a file parses to identical "rule" objects.
func TestParseFmtRoundTrip(t *testing.T) {
	code, formatted, _ := runCmd(t, "", "fmt", "testdata/parse/mixed.rules")
	require.Equal(t, exitOK, code)
	_, before, _ := runCmd(t, "", "parse", "--format", "json", "testdata/parse/mixed.rules")
	_, after, _ := runCmd(t, formatted, "parse", "--format", "json", "-")
	rules := func(s string) []string {
		var out []string
		sc := bufio.NewScanner(strings.NewReader(s))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct {
				Rule     json.RawMessage `json:"rule"`
				Disabled bool            `json:"disabled"`
				SID      int             `json:"sid"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
			out = append(out, string(rec.Rule))
		}
		return out
	}
	b, a := rules(before), rules(after)
	require.Len(t, b, 6)
	assert.Equal(t, b, a)
}

func TestParseDialectFlag(t *testing.T) {
	// In Snort 3 http_uri selects the buffer of the content after it.
	rule := `alert tcp any any -> any any (msg:"m"; content:"a"; http_uri; content:"b"; sid:1;)` + "\n"
	_, s2, _ := runCmd(t, rule, "parse", "--format", "json", "--dialect", "snort2", "-")
	_, s3, _ := runCmd(t, rule, "parse", "--format", "json", "--dialect", "snort3", "-")
	assert.Contains(t, s2, `"pattern":"a","buffer":"http.uri"`)
	assert.Contains(t, s3, `"pattern":"b","buffer":"http.uri"`)
}

func TestParseUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"parse"}, "usage: sigtool parse"},
		{[]string{"parse", "--format", "xml", "x"}, `unknown --format "xml"`},
		{[]string{"parse", "--dialect", "snort4", "x"}, `unknown --dialect "snort4"`},
		{[]string{"parse", "testdata/parse/nope.rules"}, "no such file"},
		{[]string{"parse", "testdata/parse/dir/sub/README.txt/.."}, ""},
		{[]string{"fmt", "-l", "-w", "x"}, "exclude each other"},
		{[]string{"fmt", "--to", "auto", "x"}, `unknown --to "auto"`},
		{[]string{"fmt", "-w", "-"}, "-w cannot write to stdin"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errs := runCmd(t, "", tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errs, tt.msg)
		})
	}
}

func TestFmtStdout(t *testing.T) {
	code, out, errs := runCmd(t, "", "fmt", "testdata/parse/mixed.rules")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, errs)
	golden.Check(t, "testdata/parse/mixed.fmt", []byte(out))
	// Idempotent on its own output.
	code, again, _ := runCmd(t, out, "fmt", "-")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, out, again)
}

func TestFmtToSuricata(t *testing.T) {
	code, out, errs := runCmd(t, "", "fmt", "--to", "suricata", "testdata/parse/mixed.rules")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, errs)
	golden.Check(t, "testdata/parse/mixed.to-suricata", []byte(out))
	assert.Contains(t, out, `http.uri; content:"/admin/"; nocase;`)
	assert.NotContains(t, out, "http_uri")
}

func TestFmtConvertError(t *testing.T) {
	code, out, errs := runCmd(t, "alert http any any -> any any (msg:\"m\"; http.user_agent; content:\"x\"; sid:9;)\n", "fmt", "--to", "snort2", "-")
	assert.Equal(t, exitFindings, code)
	assert.Empty(t, out)
	assert.Equal(t, "-:1:1: sid 9: cannot convert to snort2: protocol http: Snort 2 rules take tcp, udp, icmp or ip; write the app-layer protocol as a flow and content match instead\n", errs)
}

func TestFmtParseErrorLeavesFileAlone(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k.rules")
	require.NoError(t, os.WriteFile(p, []byte(kryptikRule+"\n"), 0o644))
	code, out, errs := runCmd(t, "", "fmt", "-w", p)
	assert.Equal(t, exitFindings, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "k.rules:1:209: sid must be a positive integer")
	b, _ := os.ReadFile(p)
	assert.Equal(t, kryptikRule+"\n", string(b))
}

func TestFmtListWriteDiff(t *testing.T) {
	dir := t.TempDir()
	messy := filepath.Join(dir, "messy.rules")
	clean := filepath.Join(dir, "clean.rules")
	src := "# keep me\nalert tcp any any -> any any (sid:1;   msg:\"m\"; content:\"a\";)\n\nalert udp any any -> any 53 (msg:\"ok\"; sid:2;)\n"
	require.NoError(t, os.WriteFile(messy, []byte(src), 0o600))
	require.NoError(t, os.WriteFile(clean, []byte("alert tcp any any -> any any (msg:\"m\"; sid:3;)\n"), 0o644))

	code, out, _ := runCmd(t, "", "fmt", "-l", dir)
	assert.Equal(t, exitFindings, code)
	assert.Equal(t, messy+"\n", out)

	code, out, _ = runCmd(t, "", "fmt", "-d", messy)
	assert.Equal(t, exitOK, code)
	want := "--- " + messy + ".orig\n+++ " + messy + "\n" +
		"@@ -1,4 +1,4 @@\n" +
		" # keep me\n" +
		"-alert tcp any any -> any any (sid:1;   msg:\"m\"; content:\"a\";)\n" +
		"+alert tcp any any -> any any (msg:\"m\"; content:\"a\"; sid:1;)\n" +
		" \n" +
		" alert udp any any -> any 53 (msg:\"ok\"; sid:2;)\n"
	assert.Equal(t, want, out)

	code, out, _ = runCmd(t, "", "fmt", "-w", messy, clean)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
	b, _ := os.ReadFile(messy)
	assert.Equal(t, "# keep me\nalert tcp any any -> any any (msg:\"m\"; content:\"a\"; sid:1;)\n\nalert udp any any -> any 53 (msg:\"ok\"; sid:2;)\n", string(b))
	st, _ := os.Stat(messy)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "-w keeps the file mode")

	code, out, _ = runCmd(t, "", "fmt", "-l", dir)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
}

func TestLineDiff(t *testing.T) {
	a := []string{"a\n", "b\n", "c\n", "d\n", "e\n", "f\n", "g\n", "h\n", "i\n", "j\n"}
	b := []string{"a\n", "B\n", "c\n", "d\n", "e\n", "f\n", "g\n", "h\n", "i\n", "J\n", "k"}
	var out bytes.Buffer
	writeUnifiedDiff(&out, "x", a, b)
	want := "--- x.orig\n+++ x\n" +
		"@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n" +
		"@@ -7,4 +7,5 @@\n g\n h\n i\n-j\n+J\n+k\n\\ No newline at end of file\n"
	assert.Equal(t, want, out.String())
	// The coarse fallback gives the same lines when the trace is too long.
	ops := coarseDiff(a, b)
	var kept, del, add int
	for _, op := range ops {
		switch op.kind {
		case ' ':
			kept++
		case '-':
			del++
		case '+':
			add++
		}
	}
	assert.Equal(t, []int{1, 9, 10}, []int{kept, del, add})
}
