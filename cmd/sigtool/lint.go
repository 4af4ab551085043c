package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/sigparse/lint"
)

const lintDescription = `
Check rules for what Suricata 7 would refuse, what can never match, what
is slow, and (with --style et) the Emerging Threats conventions. A
directory is searched recursively for *.rules files; "-" reads stdin.
Duplicate sids are found across all the files given.

--format text (the default) prints FILE:LINE:COL: SEVERITY: MESSAGE [CODE]
with the source line and a caret, and a count on stderr; --format json
prints one document {"summary":{...},"diagnostics":[...]}; --format sarif
prints SARIF 2.1.0 for GitHub code scanning. --list prints every check
with its code and what it looks for.

Exit status: 0 when nothing is wrong, 1 when a check reports an error
(or a warning, with --strict), 2 for usage errors and unreadable input.`

func cmdLint(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "lint", "[--format text|json|sarif] [--style et] [--strict] [--classification FILE] [--list] PATH...", lintDescription)
	format := fs.String("format", "text", "output `format`: text, json or sarif")
	styleName := fs.String("style", "", "house `style` to check on top of Suricata's rules: et")
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	classFile := fs.String("classification", "", "classification.config `file` to check classtypes against (default: Suricata's)")
	refFile := fs.String("reference-config", "", "reference.config `file` to check reference types against (default: Suricata's)")
	dialectName := fs.String("dialect", "auto", "rule `dialect`: auto, snort2, suricata or snort3")
	list := fs.Bool("list", false, "list every check and exit")
	var varFlags multiFlag
	fs.Var(&varFlags, "var", "define or override a rule variable, `NAME=VALUE` (repeatable)")
	varsFile := fs.String("vars", "", "read address and port variables from this suricata.yaml `file`")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	style, ok := lint.ParseStyle(*styleName)
	if !ok {
		return errorf(env, "lint", exitUsage, "unknown --style %q: want et", *styleName)
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return errorf(env, "lint", exitUsage, "unknown --format %q: want text, json or sarif", *format)
	}
	if *list {
		return listChecks(env)
	}
	dialect, ok := sigparse.ParseDialect(*dialectName)
	if !ok {
		return errorf(env, "lint", exitUsage, "unknown --dialect %q: want auto, snort2, suricata or snort3", *dialectName)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	opts := lint.Options{Style: style, Strict: *strict}
	if *classFile != "" {
		src, err := os.ReadFile(*classFile)
		if err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
		c, err := rulesets.ParseClassifications(*classFile, src)
		if err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
		opts.Classifications = c
	}
	if *refFile != "" {
		src, err := os.ReadFile(*refFile)
		if err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
		r, err := rulesets.ParseReferences(*refFile, src)
		if err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
		opts.References = r
	}
	opts.Vars = map[string]string{}
	if *varsFile != "" {
		src, err := os.ReadFile(*varsFile)
		if err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
		if opts.Vars, err = rulesets.ReadSuricataVars(*varsFile, src); err != nil {
			return errorf(env, "lint", exitUsage, "%v", err)
		}
	}
	if err := rulesets.ApplyOverrides(opts.Vars, varFlags); err != nil {
		return errorf(env, "lint", exitUsage, "%v", err)
	}

	files, loadErr := loadForLint(env, fs.Args(), sigparse.Options{Dialect: dialect})
	if ctx.Err() != nil {
		return errorf(env, "lint", exitUsage, "interrupted")
	}
	res := lint.Check(files, opts)
	var err error
	switch *format {
	case "json":
		err = res.WriteJSON(env.Stdout)
	case "sarif":
		wd, _ := os.Getwd()
		err = res.WriteSARIF(env.Stdout, lint.SARIFOptions{ToolVersion: sigtoolVersion(), BaseDir: wd})
	default:
		err = res.WriteText(env.Stdout)
		if err == nil && (len(res.Diagnostics) > 0 || env.terminal()) {
			fmt.Fprintln(env.Stderr, res.SummaryLine())
		}
	}
	if err != nil {
		return errorf(env, "lint", exitUsage, "writing output: %v", err)
	}
	if loadErr != nil {
		for _, line := range strings.Split(loadErr.Error(), "\n") {
			errorf(env, "lint", exitUsage, "%s", line)
		}
		return exitUsage
	}
	if res.Failed() {
		return exitFindings
	}
	return exitOK
}

// loadForLint reads the paths, with "-" meaning standard input, keeping the
// order given. Unreadable paths are reported together; what could be read
// is still returned.
func loadForLint(env *Env, paths []string, opts sigparse.Options) ([]*sigparse.File, error) {
	var files []*sigparse.File
	var errs []string
	stdinDone := false
	flush := func(batch []string) {
		if len(batch) == 0 {
			return
		}
		l, err := rulesets.Load(batch, opts)
		files = append(files, l.Files...)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	var batch []string
	for _, p := range paths {
		if p != "-" {
			batch = append(batch, p)
			continue
		}
		flush(batch)
		batch = nil
		if stdinDone {
			continue
		}
		stdinDone = true
		l, err := rulesets.LoadReader("<stdin>", env.Stdin, opts)
		files = append(files, l.Files...)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	flush(batch)
	if len(errs) > 0 {
		return files, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return files, nil
}

// listChecks prints every check: code, severity, style and description.
func listChecks(env *Env) int {
	tw := tabwriter.NewWriter(env.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSEVERITY\tSTYLE\tDESCRIPTION")
	for _, c := range lint.Checks() {
		style := "-"
		if c.Style != lint.StyleNone {
			style = string(c.Style)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Code, c.Severity, style, c.Description)
	}
	if err := tw.Flush(); err != nil {
		return errorf(env, "lint", exitUsage, "writing output: %v", err)
	}
	return exitOK
}
