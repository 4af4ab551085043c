package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sigtool/sigtool/export"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

const exportSynopsis = "--format iptables|nftables|rules|et [flags] RULES..."

const exportHelp = `
Export rules.

  --format iptables  an iptables-restore file (load with iptables-restore
                     --noflush) filling sigtool's chain, as fwsnort did
  --format nftables  an nft -f file replacing table inet sigtool
  --format rules     the rules in canonical form, one per line
  --format et        an Emerging Threats submission bundle (-o x.tar.gz or
                     x.zip): the rule in ET style with today's created_at and
                     updated_at, the true-positive pcaps (--pcap), and a report
                     in Markdown and JSON of the alerts on them and on the
                     benign captures (--benign)

For iptables and nftables every rule gets a verdict: exact, approximated
(with what is lost) or not translatable (with why). The verdicts go to
standard error as a table (to standard output with -o), or with the rules as
one JSON document with --json. The exit code is 1 when a rule file has
errors or no rule could be translated.
`

func cmdExport(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "export", exportSynopsis, exportHelp)
	format := fs.String("format", "", "iptables, nftables, rules or et (required)")
	out := fs.String("o", "", "write to this file instead of standard output")
	asJSON := fs.Bool("json", false, "iptables/nftables: print the verdicts and the rules as JSON")
	target := fs.String("target", "DROP", "what alert rules do after LOG: DROP, REJECT or LOG (log only)")
	chain := fs.String("chain", export.DefaultChain, "iptables chain (nftables: the table is its lower-case name)")
	table := fs.String("table", "filter", "iptables table: filter, mangle or raw")
	hooks := fs.String("hook", "INPUT,FORWARD,OUTPUT", "built-in chains that jump to sigtool's chain")
	var vars, rules, pcaps multiFlag
	fs.Var(&vars, "var", "set a rule variable, NAME=VALUE (repeatable)")
	fs.Var(&rules, "rules", "rule file or directory (repeatable; or give them as arguments)")
	fs.Var(&pcaps, "pcap", "et: true-positive capture to include (repeatable)")
	benign := fs.String("benign", "", "et: directory of benign captures for the false-positive run")
	date := fs.String("date", "", "et: the date for created_at/updated_at, YYYY-MM-DD (default today, UTC)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	paths := append(append([]string(nil), rules...), fs.Args()...)
	if len(paths) == 0 {
		return errorf(env, "export", exitUsage, "no rule files given")
	}
	vm, err := ruleVars(vars)
	if err != nil {
		return errorf(env, "export", exitUsage, "%v", err)
	}
	switch *format {
	case "iptables", "nftables":
		rs, code := loadRules(env, "export", paths)
		if code == exitUsage {
			return code
		}
		opts := export.Options{Vars: vm, Target: *target,
			Chain: export.ChainOptions{Table: *table, Chain: *chain, Hooks: splitList(*hooks)}}
		tr, err := export.Translate(rs, export.Format(*format), opts)
		if err != nil {
			return errorf(env, "export", exitUsage, "%v", err)
		}
		var buf bytes.Buffer
		if *asJSON {
			tr.WriteJSON(&buf, sigtoolVersion())
		} else {
			tr.WriteRuleset(&buf, sigtoolVersion())
		}
		if *out != "" {
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return errorf(env, "export", exitUsage, "%v", err)
			}
			if !*asJSON {
				tr.WriteVerdicts(env.Stdout)
			}
		} else {
			env.Stdout.Write(buf.Bytes())
			if !*asJSON {
				tr.WriteVerdicts(env.Stderr)
			}
		}
		if code == exitOK && countTranslated(tr) == 0 && len(tr.Results) > 0 {
			code = exitFindings
		}
		return code
	case "rules":
		rs, code := loadRules(env, "export", paths)
		if code == exitUsage {
			return code
		}
		var b strings.Builder
		for _, r := range rs {
			if r.Disabled {
				continue
			}
			text, err := sigparse.Format(r, sigparse.FormatOptions{})
			if err != nil {
				return errorf(env, "export", exitUsage, "%v", err)
			}
			b.WriteString(text + "\n")
		}
		if *out != "" {
			if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
				return errorf(env, "export", exitUsage, "%v", err)
			}
		} else {
			fmt.Fprint(env.Stdout, b.String())
		}
		return code
	case "et":
		return exportET(ctx, env, etArgs{rules: paths, pcaps: pcaps, benign: *benign, out: *out, date: *date, vars: vm})
	case "":
		return errorf(env, "export", exitUsage, "--format is required: iptables, nftables, rules or et")
	}
	return errorf(env, "export", exitUsage, "unknown format %q: want iptables, nftables, rules or et", *format)
}

// loadRules reads rule files and directories and prints their parse
// errors with a caret. The code is exitUsage when a path cannot be read,
// exitFindings when a file has errors (the rules that parsed are still
// returned) and exitOK otherwise.
func loadRules(env *Env, name string, paths []string) ([]*sigparse.Rule, int) {
	l, err := rulesets.Load(paths, sigparse.Options{})
	if err != nil {
		return nil, errorf(env, name, exitUsage, "%v", err)
	}
	code := exitOK
	var b strings.Builder
	for _, e := range l.Errors {
		if e.InDisabled {
			continue
		}
		b.WriteString(e.Error() + "\n" + sigparse.Caret(e))
		code = exitFindings
	}
	fmt.Fprint(env.Stderr, b.String())
	return l.Rules(), code
}

// ruleVars returns Suricata's default variables with the --var overrides.
func ruleVars(overrides []string) (map[string]string, error) {
	vm := rulesets.DefaultVars()
	if err := rulesets.ApplyOverrides(vm, overrides); err != nil {
		return nil, err
	}
	return vm, nil
}

type etArgs struct {
	rules, pcaps []string
	benign, out  string
	date         string
	vars         map[string]string
}

// exportET writes the ET submission bundle. The exit code is 1 when the
// bundle is written but is not a clean submission (lint findings, no alert
// on a true positive, a false positive), with the problems on stderr.
func exportET(ctx context.Context, env *Env, a etArgs) int {
	if a.out == "" {
		return errorf(env, "export", exitUsage, "--format et needs -o BUNDLE.tar.gz or BUNDLE.zip")
	}
	lower := strings.ToLower(a.out)
	if !strings.HasSuffix(lower, ".tar.gz") && !strings.HasSuffix(lower, ".tgz") && !strings.HasSuffix(lower, ".zip") {
		return errorf(env, "export", exitUsage, "-o %s: the bundle is a .tar.gz, .tgz or .zip", a.out)
	}
	if len(a.pcaps) == 0 {
		return errorf(env, "export", exitUsage, "--format et needs --pcap with the true-positive capture")
	}
	date := time.Now().UTC()
	if a.date != "" {
		d, err := time.Parse("2006-01-02", a.date)
		if err != nil {
			return errorf(env, "export", exitUsage, "--date %q: want YYYY-MM-DD", a.date)
		}
		date = d
	}
	rs, code := loadRules(env, "export", a.rules)
	if code != exitOK {
		return errorf(env, "export", code, "not exporting rules from files with errors")
	}
	b, err := export.BuildBundle(ctx, rs, export.BundleOptions{
		Date: date, Version: sigtoolVersion(), Pcaps: a.pcaps, Benign: a.benign,
		Matcher: matcher.Config{Vars: a.vars},
	})
	if err != nil {
		return errorf(env, "export", exitUsage, "%v", err)
	}
	var buf bytes.Buffer
	if err := b.WriteArchive(&buf, a.out); err != nil {
		return errorf(env, "export", exitUsage, "%v", err)
	}
	if err := os.WriteFile(a.out, buf.Bytes(), 0o644); err != nil {
		return errorf(env, "export", exitUsage, "%v", err)
	}
	var s strings.Builder
	fmt.Fprintf(&s, "wrote %s: sid %v", a.out, b.SIDs)
	for _, r := range b.TruePositives {
		fmt.Fprintf(&s, "; %s: %s", r.Name, export.Plural(sum(r.Alerts), "alert"))
	}
	if b.Benign != nil {
		fmt.Fprintf(&s, "; %s: %s", export.Plural(b.Benign.Pcaps, "benign capture"), export.Plural(sum(b.Benign.Alerts), "alert"))
	}
	fmt.Fprintln(env.Stdout, s.String())
	if p := b.Problems(); len(p) > 0 {
		var e strings.Builder
		for _, x := range p {
			e.WriteString("sigtool export: " + x + "\n")
		}
		fmt.Fprint(env.Stderr, e.String())
		return exitFindings
	}
	return exitOK
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
