package lint

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs; run go test ./sigparse/lint -update and review the diff", path)
}

func goldenResult(t *testing.T) *Result {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "golden.rules"))
	require.NoError(t, err)
	// The name is what the user typed, as the CLI passes it on.
	f, _ := sigparse.ParseFile("testdata/golden.rules", src, sigparse.Options{})
	return Check([]*sigparse.File{f}, Options{Style: StyleET})
}

func TestGoldenText(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, goldenResult(t).WriteText(&b))
	golden(t, "golden.txt", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, goldenResult(t).WriteJSON(&b))
	golden(t, "golden.json", b.Bytes())

	// The document reads back into the same result.
	var back Result
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	res := goldenResult(t)
	assert.Equal(t, res.Summary, back.Summary)
	require.Len(t, back.Diagnostics, len(res.Diagnostics))
	for i := range back.Diagnostics {
		assert.Equal(t, res.Diagnostics[i].Code, back.Diagnostics[i].Code)
		assert.Equal(t, res.Diagnostics[i].Severity, back.Diagnostics[i].Severity)
	}
}

func TestGoldenSARIF(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, goldenResult(t).WriteSARIF(&b, SARIFOptions{ToolVersion: "test"}))
	golden(t, "golden.sarif", b.Bytes())
}

// The analyst's rule of issue 2: an error at the x of sid:x (line 1,
// column 209) and a diagnostic on the empty reference:url,.
func TestIssue2Rule(t *testing.T) {
	const rule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)`
	res := lintSrc(t, rule+"\n", StyleNone)
	require.True(t, res.Failed(false))
	var sid, ref *Diagnostic
	for i, d := range res.Diagnostics {
		switch d.Code {
		case "sid-invalid":
			sid = &res.Diagnostics[i]
		case "reference-malformed":
			ref = &res.Diagnostics[i]
		}
	}
	require.NotNil(t, sid)
	assert.Equal(t, Error, sid.Severity)
	assert.Equal(t, [2]int{1, 209}, [2]int{sid.Line, sid.Column})
	assert.Equal(t, byte('x'), rule[sid.Column-1])
	require.NotNil(t, ref)
	assert.Equal(t, 1, ref.Line)
	assert.Equal(t, "reference:url,", rule[ref.Column-1:ref.EndColumn-1], "the diagnostic spans the whole option")
}
