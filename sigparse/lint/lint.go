package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// Severity ranks a diagnostic. It marshals as "error", "warning" or "info".
type Severity int

const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// MarshalText makes a Severity print as its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the names MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	case "info":
		*s = Info
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Style selects house conventions checked on top of the Suricata ones.
type Style string

const (
	// StyleNone checks what Suricata itself would reject or what makes a
	// rule slow or misleading.
	StyleNone Style = ""
	// StyleET adds the Emerging Threats conventions: msg prefix from the
	// current category list, sid ranges, metadata keys and vocabularies.
	StyleET Style = "et"
)

// ParseStyle maps "", "none" and "et" to a Style.
func ParseStyle(s string) (Style, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "suricata":
		return StyleNone, true
	case "et", "emerging-threats", "emergingthreats":
		return StyleET, true
	}
	return StyleNone, false
}

// Options tune Check. The zero value checks against Suricata 7's defaults
// with no house style.
type Options struct {
	Style Style
	// Strict makes warnings fail the run too (see Result.Failed).
	Strict bool
	// Classifications are the valid classtypes; nil means Suricata's
	// default classification.config.
	Classifications *rulesets.Classifications
	// References are the valid reference systems; nil means Suricata's
	// default reference.config.
	References *rulesets.References
	// Vars adds or overrides address and port variables (names without
	// "$"), as matcher.Config.Vars does: Suricata's default suricata.yaml
	// vars are always defined.
	Vars map[string]string
}

// Diagnostic is one finding, at a place in a rule file. Line and columns
// are 1-based and count bytes; EndColumn is just past the flagged text on
// the same line.
type Diagnostic struct {
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	EndColumn int      `json:"end_column"`
	Severity  Severity `json:"severity"`
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	// SID is the rule's sid, or null when the rule has none (or the
	// finding is not about one rule).
	SID *int `json:"sid"`

	// SourceLine is the physical line holding Line, for drawing a caret.
	SourceLine string `json:"-"`

	fileIndex int // position of File in the input, for sorting
	offset    int // byte offset, for sorting
}

// Summary counts what Check saw and found. Rules counts the enabled rules
// checked ('#'-disabled rules are only checked for parse errors).
type Summary struct {
	Files    int `json:"files"`
	Rules    int `json:"rules"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// Result is what Check returns, and the JSON document "sigtool lint
// --format json" prints.
type Result struct {
	Summary     Summary      `json:"summary"`
	Diagnostics []Diagnostic `json:"diagnostics"`

	style  Style
	strict bool
}

// Failed reports whether the run should exit non-zero: any error, or any
// warning when Options.Strict was set.
func (r *Result) Failed() bool {
	return r.Summary.Errors > 0 || r.strict && r.Summary.Warnings > 0
}

// CountByCode returns how many diagnostics each code produced.
func (r *Result) CountByCode() map[string]int {
	m := map[string]int{}
	for _, d := range r.Diagnostics {
		m[d.Code]++
	}
	return m
}

// Check lints every rule of files and returns the diagnostics sorted by
// file (in the order given), then position. Parse errors recorded in the
// files become diagnostics too; a rule with an invalid option is still
// checked for everything else. Duplicate sids are found across all files.
//
// Check does not modify the files and may run concurrently with other
// Checks over the same files.
func Check(files []*sigparse.File, opts Options) *Result {
	c := &checker{
		opts:    opts,
		classes: opts.Classifications,
		refs:    opts.References,
		vars:    rulesets.DefaultVars(),
		sids:    map[[2]int]*sigparse.Rule{},
	}
	if c.classes == nil {
		c.classes = rulesets.DefaultClassifications()
	}
	if c.refs == nil {
		c.refs = rulesets.DefaultReferences()
	}
	for k, v := range opts.Vars {
		c.vars[k] = v
	}
	res := &Result{style: opts.Style, strict: opts.Strict, Diagnostics: []Diagnostic{}}
	res.Summary.Files = len(files)
	for i, f := range files {
		if f == nil {
			continue
		}
		c.file, c.fileIndex = f, i
		c.parseErrors(f)
		for _, r := range f.Rules {
			if r.Disabled {
				continue
			}
			res.Summary.Rules++
			c.rule(r)
		}
	}
	slices.SortStableFunc(c.diags, func(a, b Diagnostic) int {
		if a.fileIndex != b.fileIndex {
			return a.fileIndex - b.fileIndex
		}
		if a.offset != b.offset {
			return a.offset - b.offset
		}
		return strings.Compare(a.Code, b.Code)
	})
	res.Diagnostics = append(res.Diagnostics, c.diags...)
	for _, d := range res.Diagnostics {
		switch d.Severity {
		case Error:
			res.Summary.Errors++
		case Warning:
			res.Summary.Warnings++
		}
	}
	return res
}

// checker carries the state of one Check call.
type checker struct {
	opts    Options
	classes *rulesets.Classifications
	refs    *rulesets.References
	vars    map[string]string

	file      *sigparse.File
	fileIndex int
	sids      map[[2]int]*sigparse.Rule // gid,sid -> first enabled rule
	diags     []Diagnostic
}

// report adds a diagnostic spanning from..to in the current file. A span
// that crosses lines is cut at the end of the first line.
func (c *checker) report(r *sigparse.Rule, from, to sigparse.Pos, sev Severity, code, format string, args ...any) {
	f := c.file
	start := f.Position(from)
	line := sigparse.LineAt(f.Src, start.Offset)
	endCol := start.Column + 1
	if to.IsValid() && to > from {
		end := f.Position(to)
		if end.Line == start.Line {
			endCol = end.Column
		} else {
			endCol = len(line) + 1
		}
	}
	if endCol <= start.Column {
		endCol = start.Column + 1
	}
	d := Diagnostic{
		File:       f.Name,
		Line:       start.Line,
		Column:     start.Column,
		EndColumn:  endCol,
		Severity:   sev,
		Code:       code,
		Message:    fmt.Sprintf(format, args...),
		SourceLine: line,
		fileIndex:  c.fileIndex,
		offset:     start.Offset,
	}
	if r != nil {
		if sid := r.SID(); sid > 0 {
			d.SID = &sid
		}
	}
	c.diags = append(c.diags, d)
}

// reportOpt flags a whole option, name to terminating ';'.
func (c *checker) reportOpt(r *sigparse.Rule, o *sigparse.Option, code, format string, args ...any) {
	c.report(r, o.Pos, o.End, severityOf(code), code, format, args...)
}

// reportArg flags an option's value, or its name when it has none.
func (c *checker) reportArg(r *sigparse.Rule, o *sigparse.Option, code, format string, args ...any) {
	if o.ArgPos.IsValid() && o.HasArg {
		c.report(r, o.ArgPos, o.End, severityOf(code), code, format, args...)
		return
	}
	c.reportOpt(r, o, code, format, args...)
}

// reportRule flags a rule as a whole, at its action.
func (c *checker) reportRule(r *sigparse.Rule, code, format string, args ...any) {
	end := r.Pos + sigparse.Pos(len(r.Action))
	c.report(r, r.Pos, end, severityOf(code), code, format, args...)
}

// parseErrors turns the file's parse errors into diagnostics. An error in a
// bad option value gets the code of what was wrong (sid-invalid,
// reference-malformed, option-invalid); an error that kept a rule from
// being read at all is parse-error. Errors inside '#'-disabled rules are
// warnings: Suricata never loads those rules.
func (c *checker) parseErrors(f *sigparse.File) {
	owner := map[*sigparse.Error]struct {
		r *sigparse.Rule
		o *sigparse.Option
	}{}
	for _, r := range f.Rules {
		for _, o := range r.Options {
			if o.Err != nil {
				owner[o.Err] = struct {
					r *sigparse.Rule
					o *sigparse.Option
				}{r, o}
			}
		}
	}
	for _, e := range f.Errors {
		code := "parse-error"
		var rule *sigparse.Rule
		if w, ok := owner[e]; ok {
			rule = w.r
			switch w.o.Name {
			case "sid":
				code = "sid-invalid"
			case "reference":
				code = "reference-malformed"
			default:
				code = "option-invalid"
			}
		}
		sev := severityOf(code)
		msg := e.Msg
		if e.InDisabled || rule != nil && rule.Disabled {
			sev = Warning
			msg += " (in a disabled rule)"
		}
		d := Diagnostic{
			File:       f.Name,
			Line:       e.Pos.Line,
			Column:     e.Pos.Column,
			EndColumn:  e.Pos.Column + 1,
			Severity:   sev,
			Code:       code,
			Message:    msg,
			SourceLine: e.Line,
			fileIndex:  c.fileIndex,
			offset:     e.Pos.Offset,
		}
		if d.SourceLine == "" {
			d.SourceLine = sigparse.LineAt(f.Src, e.Pos.Offset)
		}
		if e.End.Line == e.Pos.Line && e.End.Column > e.Pos.Column {
			d.EndColumn = e.End.Column
		}
		if rule != nil {
			if sid := rule.SID(); sid > 0 {
				d.SID = &sid
			}
		}
		c.diags = append(c.diags, d)
	}
}
