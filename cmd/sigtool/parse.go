package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sigtool/sigtool/sigparse"
)

const parseDescription = `
Parse rule files (Snort 2.9, Suricata 5-8 or Snort 3; the dialect is
detected per file unless --dialect is given) and print every rule.
A directory is searched recursively for *.rules files; "-" reads stdin.

With --format text (the default) each rule is printed as
FILE:LINE:COL: sid SID [disabled] msg, and errors go to stderr with the
source line and a caret. With --format json each rule is one JSON object
per line, {"file","line","column","sid","disabled","rule":{...}}, and each
error {"file","line","column","error"}, in source order.

Exit status: 0 when every enabled rule parses, 1 when one does not,
2 for usage errors and unreadable files.`

func cmdParse(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "parse", "[--format text|json] [--dialect auto|snort2|suricata|snort3] PATH...", parseDescription)
	format := fs.String("format", "text", "output `format`: text or json")
	dialectName := fs.String("dialect", "auto", "rule `dialect`: auto, snort2, suricata or snort3")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *format != "text" && *format != "json" {
		return errorf(env, "parse", exitUsage, "unknown --format %q: want text or json", *format)
	}
	dialect, ok := sigparse.ParseDialect(*dialectName)
	if !ok {
		return errorf(env, "parse", exitUsage, "unknown --dialect %q: want auto, snort2, suricata or snort3", *dialectName)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	files, err := ruleFiles(fs.Args())
	if err != nil {
		return errorf(env, "parse", exitUsage, "%v", err)
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	code := exitOK
	var nRules, nDisabled, nErrors int
	for _, name := range files {
		if ctx.Err() != nil {
			return errorf(env, "parse", exitUsage, "interrupted")
		}
		src, err := readRuleFile(env, name)
		if err != nil {
			out.Flush()
			return errorf(env, "parse", exitUsage, "%v", err)
		}
		f, errs := sigparse.ParseFile(name, src, sigparse.Options{Dialect: dialect})
		for _, e := range errs {
			if !e.InDisabled {
				code = exitFindings
			}
		}
		nErrors += len(errs)
		for _, r := range f.Rules {
			nRules++
			if r.Disabled {
				nDisabled++
			}
		}
		if *format == "json" {
			if err := writeParseJSON(out, f); err != nil {
				return errorf(env, "parse", exitUsage, "%v", err)
			}
			continue
		}
		writeParseText(out, env.Stderr, f)
	}
	if *format == "text" {
		out.Flush()
		fmt.Fprintf(env.Stderr, "%d %s, %d %s (%d disabled), %d %s\n",
			len(files), plural(len(files), "file", "files"), nRules, plural(nRules, "rule", "rules"), nDisabled, nErrors, plural(nErrors, "error", "errors"))
	}
	return code
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseRecord is one line of `parse --format json` for a rule.
type parseRecord struct {
	File     string         `json:"file"`
	Line     int            `json:"line"`
	Column   int            `json:"column"`
	SID      int            `json:"sid"`
	Disabled bool           `json:"disabled"`
	Rule     *sigparse.Rule `json:"rule"`
}

// parseErrorRecord is one line of `parse --format json` for an error.
type parseErrorRecord struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Error    string `json:"error"`
	Disabled bool   `json:"disabled,omitempty"`
}

// writeParseJSON prints rules and errors of f merged in source order.
func writeParseJSON(w io.Writer, f *sigparse.File) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	errs := f.Errors
	ei := 0
	flushErrs := func(before int) error {
		for ; ei < len(errs) && errs[ei].Pos.Offset < before; ei++ {
			e := errs[ei]
			if err := enc.Encode(parseErrorRecord{File: f.Name, Line: e.Pos.Line, Column: e.Pos.Column, Error: e.Msg, Disabled: e.InDisabled}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range f.Rules {
		if err := flushErrs(int(r.Pos)); err != nil {
			return err
		}
		p := f.Position(r.Pos)
		if err := enc.Encode(parseRecord{File: f.Name, Line: p.Line, Column: p.Column, SID: r.SID(), Disabled: r.Disabled, Rule: r}); err != nil {
			return err
		}
	}
	return flushErrs(int(^uint(0) >> 1))
}

// writeParseText prints one line per rule to w and then the errors with
// their caret to errw (flushing w first, so a terminal shows them in order).
func writeParseText(w *bufio.Writer, errw io.Writer, f *sigparse.File) {
	for _, r := range f.Rules {
		p := f.Position(r.Pos)
		state := ""
		if r.Disabled {
			state = " disabled"
		}
		fmt.Fprintf(w, "%s: sid %d%s %s %q\n", p, r.SID(), state, r.Dialect, r.Msg())
	}
	if len(f.Errors) > 0 {
		w.Flush()
		printErrors(errw, f.Errors)
	}
}

// printErrors writes each error and its caret block.
func printErrors(w io.Writer, errs sigparse.ErrorList) {
	for _, e := range errs {
		msg := e.Error()
		if e.InDisabled {
			msg += " (in a disabled rule)"
		}
		fmt.Fprintln(w, msg)
		io.WriteString(w, sigparse.Caret(e))
	}
}

// ruleFiles expands the command-line paths: files as given, directories
// searched recursively for *.rules in lexical order, "-" for stdin.
func ruleFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".rules") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.rules files", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// readRuleFile reads a rule file, or stdin for "-".
func readRuleFile(env *Env, name string) ([]byte, error) {
	if name == "-" {
		if env.Stdin == nil {
			return nil, fmt.Errorf("stdin: no input")
		}
		return io.ReadAll(env.Stdin)
	}
	return os.ReadFile(name)
}
