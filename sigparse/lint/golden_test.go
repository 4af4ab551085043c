package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	golden.Check(t, "testdata/golden.txt", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, goldenResult(t).WriteJSON(&b))
	golden.Check(t, "testdata/golden.json", b.Bytes())

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
	golden.Check(t, "testdata/golden.sarif", b.Bytes())
}

// The analyst's rule of issue 2: an error at the x of sid:x (line 1,
// column 209) and a diagnostic on the empty reference:url,.
func TestIssue2Rule(t *testing.T) {
	const rule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)`
	res := lintSrc(t, rule+"\n", StyleNone)
	require.True(t, res.Failed())
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

// The SARIF log has what GitHub code scanning requires (its upload
// validation and the SARIF multitool's GH rules): version 2.1.0, a driver
// name, results whose ruleId/ruleIndex name a rule of the driver, a
// fully formatted message, a region with startLine and columns, and
// artifact URIs that are relative or file:// URIs.
func TestSARIFForCodeScanning(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "golden.rules"))
	require.NoError(t, err)
	abs, err := filepath.Abs(filepath.Join("testdata", "golden.rules"))
	require.NoError(t, err)
	rel, _ := sigparse.ParseFile("testdata/golden.rules", src, sigparse.Options{})
	absFile, _ := sigparse.ParseFile(abs, src, sigparse.Options{})
	outside, _ := sigparse.ParseFile("/elsewhere/x y.rules", src, sigparse.Options{})
	res := Check([]*sigparse.File{rel, absFile, outside}, Options{Style: StyleET})
	var b bytes.Buffer
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, res.WriteSARIF(&b, SARIFOptions{BaseDir: wd}))

	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct{ Text string }
						Help             struct{ Text string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			ColumnKind string `json:"columnKind"`
			Results    []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine, StartColumn, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &log))
	assert.Equal(t, "2.1.0", log.Version)
	assert.Contains(t, log.Schema, "sarif-2.1.0")
	require.Len(t, log.Runs, 1)
	run := log.Runs[0]
	assert.Equal(t, "sigtool", run.Tool.Driver.Name)
	assert.Equal(t, "utf16CodeUnits", run.ColumnKind)
	assert.Len(t, run.Tool.Driver.Rules, len(Checks()), "the ET style lists every check")
	require.Len(t, run.Results, len(res.Diagnostics))
	uris := map[string]string{}
	for _, r := range run.Results {
		require.Less(t, r.RuleIndex, len(run.Tool.Driver.Rules))
		assert.Equal(t, r.RuleID, run.Tool.Driver.Rules[r.RuleIndex].ID)
		assert.Contains(t, []string{"error", "warning", "note"}, r.Level)
		assert.NotEmpty(t, r.Message.Text)
		require.Len(t, r.Locations, 1)
		pl := r.Locations[0].PhysicalLocation
		assert.GreaterOrEqual(t, pl.Region.StartLine, 1)
		assert.GreaterOrEqual(t, pl.Region.StartColumn, 1)
		assert.Greater(t, pl.Region.EndColumn, pl.Region.StartColumn)
		assert.NotContains(t, pl.ArtifactLocation.URI, `\`)
		uris[pl.ArtifactLocation.URI] = pl.ArtifactLocation.URIBaseID
	}
	assert.Equal(t, map[string]string{
		"testdata/golden.rules":         "%SRCROOT%", // relative, and absolute under the base dir
		"file:///elsewhere/x%20y.rules": "",
	}, uris)
	for _, r := range run.Tool.Driver.Rules {
		assert.NotEmpty(t, r.ShortDescription.Text)
		assert.NotEmpty(t, r.Help.Text)
	}
}
