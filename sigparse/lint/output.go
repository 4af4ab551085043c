package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sigtool/sigtool/sigparse"
)

// WriteText writes one block per diagnostic, like a compiler:
//
//	rules/local.rules:1:209: error: sid must be a positive integer, got "x" [sid-invalid]
//	  … classtype:trojan-activity; sid:x; rev:1;)
//	                                   ^
func (r *Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i := range r.Diagnostics {
		d := &r.Diagnostics[i]
		fmt.Fprintf(bw, "%s:%d:%d: %s: %s [%s]\n", d.File, d.Line, d.Column, d.Severity, d.Message, d.Code)
		bw.WriteString(sigparse.Caret(&sigparse.Error{
			Pos:  sigparse.Position{Filename: d.File, Line: d.Line, Column: d.Column},
			Line: d.SourceLine,
		}))
	}
	return bw.Flush()
}

// SummaryLine is a one-line count of the result for a terminal:
// "2 errors, 1 warning in 1 file (1 rule)".
func (r *Result) SummaryLine() string {
	s := r.Summary
	return fmt.Sprintf("%s, %s in %s (%s)",
		count(s.Errors, "error"), count(s.Warnings, "warning"), count(s.Files, "file"), count(s.Rules, "rule"))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// WriteJSON writes the result as one JSON document:
// {"summary":{"files","rules","errors","warnings"},"diagnostics":[...]}.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// SARIFOptions fill in the parts of a SARIF log that lint cannot know.
type SARIFOptions struct {
	// ToolVersion is sigtool's version ("" leaves it out).
	ToolVersion string
	// BaseDir, when set, makes artifact URIs relative to it, as GitHub code
	// scanning wants them relative to the repository root.
	BaseDir string
}

// WriteSARIF writes the result as a SARIF 2.1.0 log that GitHub code
// scanning accepts: one run, the checks of the style as rules (id, short
// description, default level), and each diagnostic as a result with a
// physical location. Columns are converted to UTF-16 code units, SARIF's
// default column kind.
func (r *Result) WriteSARIF(w io.Writer, opts SARIFOptions) error {
	type text struct {
		Text string `json:"text"`
	}
	type config struct {
		Level string `json:"level"`
	}
	type rule struct {
		ID                   string `json:"id"`
		Name                 string `json:"name"`
		ShortDescription     text   `json:"shortDescription"`
		FullDescription      text   `json:"fullDescription"`
		Help                 text   `json:"help"`
		DefaultConfiguration config `json:"defaultConfiguration"`
	}
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndColumn   int `json:"endColumn"`
	}
	type artifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	type physical struct {
		ArtifactLocation artifact `json:"artifactLocation"`
		Region           region   `json:"region"`
	}
	type location struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type result struct {
		RuleID     string     `json:"ruleId"`
		RuleIndex  int        `json:"ruleIndex"`
		Level      string     `json:"level"`
		Message    text       `json:"message"`
		Locations  []location `json:"locations"`
		Properties any        `json:"properties,omitempty"`
	}
	type driver struct {
		Name           string `json:"name"`
		InformationURI string `json:"informationUri"`
		Version        string `json:"version,omitempty"`
		Rules          []rule `json:"rules"`
	}
	type tool struct {
		Driver driver `json:"driver"`
	}
	type run struct {
		Tool       tool     `json:"tool"`
		ColumnKind string   `json:"columnKind"`
		Results    []result `json:"results"`
	}
	type log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []run  `json:"runs"`
	}

	index := map[string]int{}
	var rules []rule
	for _, c := range checks() {
		if c.Style != StyleNone && c.Style != r.style {
			continue
		}
		index[c.Code] = len(rules)
		rules = append(rules, rule{
			ID:                   c.Code,
			Name:                 camel(c.Code),
			ShortDescription:     text{c.Description},
			FullDescription:      text{c.Description},
			Help:                 text{helpText(c)},
			DefaultConfiguration: config{sarifLevel(c.Severity)},
		})
	}
	results := []result{}
	for _, d := range r.Diagnostics {
		loc := artifactFor(d.File, opts.BaseDir)
		res := result{
			RuleID:    d.Code,
			RuleIndex: index[d.Code],
			Level:     sarifLevel(d.Severity),
			Message:   text{d.Message},
			Locations: []location{{physical{
				ArtifactLocation: artifact{URI: loc.uri, URIBaseID: loc.base},
				Region: region{
					StartLine:   d.Line,
					StartColumn: utf16Column(d.SourceLine, d.Column),
					EndColumn:   utf16Column(d.SourceLine, d.EndColumn),
				},
			}}},
		}
		if d.SID != nil {
			res.Properties = map[string]int{"sid": *d.SID}
		}
		results = append(results, res)
	}
	doc := log{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []run{{
			Tool: tool{driver{
				Name:           "sigtool",
				InformationURI: "https://github.com/sigtool/sigtool",
				Version:        opts.ToolVersion,
				Rules:          rules,
			}},
			ColumnKind: "utf16CodeUnits",
			Results:    results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type artifactURI struct{ uri, base string }

// artifactFor turns a file name into a SARIF artifact location: a URI
// relative to the source root (%SRCROOT%) when the file is under baseDir or
// given as a relative path, a file:// URI otherwise. Code scanning rejects
// bare absolute paths.
func artifactFor(name, baseDir string) artifactURI {
	p := name
	if baseDir != "" && filepath.IsAbs(p) {
		if rel, err := filepath.Rel(baseDir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	if filepath.IsAbs(p) {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
		return artifactURI{uri: u.String()}
	}
	u := url.URL{Path: filepath.ToSlash(filepath.Clean(p))}
	return artifactURI{uri: u.EscapedPath(), base: "%SRCROOT%"}
}

func helpText(c CheckInfo) string {
	h := c.Description + ". Reported by sigtool lint"
	if c.Style != StyleNone {
		h += " --style " + string(c.Style)
	}
	return h + "; sigtool lint --list describes every check."
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// camel turns "sid-missing" into "SidMissing", the form SARIF viewers
// show as a rule name.
func camel(code string) string {
	var b strings.Builder
	for _, p := range strings.Split(code, "-") {
		if p == "" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]))
		b.WriteString(p[1:])
	}
	return b.String()
}

// utf16Column converts a 1-based byte column in line to a 1-based column
// in UTF-16 code units. Columns past the line's end keep their distance
// from it.
func utf16Column(line string, col int) int {
	if col <= 1 {
		return 1
	}
	byteIdx := col - 1
	if byteIdx > len(line) {
		return utf16Len(line) + 1 + (byteIdx - len(line))
	}
	return utf16Len(line[:byteIdx]) + 1
}

func utf16Len(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}
