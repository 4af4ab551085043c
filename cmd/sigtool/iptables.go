package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sigtool/sigtool/export"
)

// newFirewall opens the real firewall. It is a variable only so that the
// CLI tests can put an export.Memory in its place.
var newFirewall = export.NewIPTables

const iptablesSynopsis = "apply|remove|status [flags] [RULES...]"

const iptablesHelp = `
Manage sigtool's own iptables chain through go-iptables.

  apply RULES...  translate the rules (as 'sigtool export --format iptables'
                  does) and replace the chain with them: a new chain is built
                  and filled, the jumps from the hooks are swapped to it, and
                  only then is the old chain deleted, so traffic never meets a
                  half-filled chain. Rules that are not translatable are
                  listed and skipped.
  remove          delete the chain and every jump to it.
  status          show the chain, the hooks that jump to it, and its rules
                  with packet counters.

Only sigtool's chain (and CHAIN-new during an apply) and the jumps to it are
ever changed. Needs root (CAP_NET_ADMIN) and the iptables command, except
with --dry-run, which prints the iptables commands instead of running them.
`

func cmdIptables(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "iptables", iptablesSynopsis, iptablesHelp)
	chain := fs.String("chain", export.DefaultChain, "sigtool's chain")
	table := fs.String("table", "filter", "table: filter, mangle or raw")
	hooks := fs.String("hook", "INPUT,FORWARD,OUTPUT", "built-in chains that jump to sigtool's chain (apply)")
	target := fs.String("target", "DROP", "what alert rules do after LOG: DROP, REJECT or LOG (apply)")
	dryRun := fs.Bool("dry-run", false, "print the iptables commands instead of running them")
	asJSON := fs.Bool("json", false, "status: print JSON")
	var vars multiFlag
	fs.Var(&vars, "var", "set a rule variable, NAME=VALUE (repeatable; apply)")
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	if strings.HasPrefix(verb, "-") {
		// "sigtool iptables -h" and flags before the verb.
		if code, ok := parseFlags(fs, args); !ok {
			return code
		}
		if fs.NArg() == 0 {
			fs.Usage()
			return exitUsage
		}
		verb, rest = fs.Arg(0), fs.Args()[1:]
	}
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	opts := export.ChainOptions{Table: *table, Chain: *chain, Hooks: splitList(*hooks)}
	name := "iptables " + verb
	switch verb {
	case "apply":
		if fs.NArg() == 0 {
			return errorf(env, name, exitUsage, "no rule files given")
		}
	case "remove", "status":
		if fs.NArg() > 0 {
			return errorf(env, name, exitUsage, "takes no arguments, got %q", fs.Args())
		}
	default:
		return errorf(env, "iptables", exitUsage, "unknown action %q: want apply, remove or status", verb)
	}

	var fw export.Firewall
	var mem *export.Memory
	if *dryRun {
		mem = export.NewMemory()
		if real, err := newFirewall(); err == nil {
			if err := mem.Seed(real, opts); err != nil {
				fmt.Fprintf(env.Stderr, "sigtool %s: cannot read the current tables (%v); the dry run starts from empty tables\n", name, err)
				mem = export.NewMemory()
			}
		} else {
			fmt.Fprintf(env.Stderr, "sigtool %s: %v; the dry run starts from empty tables\n", name, err)
		}
		fw = mem
	} else {
		var err error
		if fw, err = newFirewall(); err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
	}

	switch verb {
	case "apply":
		rules, code := loadRules(env, name, fs.Args())
		if code != exitOK {
			return errorf(env, name, code, "not applying rules from files with errors")
		}
		vm, err := ruleVars(vars)
		if err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		tr, err := export.Translate(rules, export.IPTables, export.Options{Vars: vm, Target: *target, Chain: opts})
		if err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		tr.WriteVerdicts(env.Stderr)
		specs := tr.IPTablesRules()
		if err := export.Apply(fw, opts, specs); err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		if mem != nil {
			writeLines(env, mem.Log)
			return exitOK
		}
		st, err := export.Status(fw, opts)
		if err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		fmt.Fprintf(env.Stdout, "applied %s from %s to chain %s in table %s, jumped to from %s\n",
			export.Plural(len(st.Rules), "iptables rule"), export.Plural(countTranslated(tr), "signature"), st.Chain, st.Table, strings.Join(st.Hooks, ", "))
	case "remove":
		if err := export.Remove(fw, opts); err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		if mem != nil {
			writeLines(env, mem.Log)
			return exitOK
		}
		fmt.Fprintf(env.Stdout, "removed chain %s from table %s\n", opts.Chain, opts.Table)
	case "status":
		st, err := export.Status(fw, opts)
		if err != nil {
			return errorf(env, name, exitUsage, "%v", err)
		}
		if *asJSON {
			e := json.NewEncoder(env.Stdout)
			e.SetIndent("", "  ")
			e.Encode(st)
			return exitOK
		}
		writeStatus(env, st)
	}
	return exitOK
}

func writeLines(env *Env, lines []string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	fmt.Fprint(env.Stdout, b.String())
}

func countTranslated(tr *export.Translation) int {
	n := 0
	for _, r := range tr.Results {
		if r.Verdict != export.NotTranslatable {
			n++
		}
	}
	return n
}

// writeStatus prints the chain with its counters, as iptables -vS would
// but with the counters in columns.
func writeStatus(env *Env, st *export.ChainStatus) {
	var b strings.Builder
	if !st.Exists {
		fmt.Fprintf(&b, "chain %s: not present in table %s\n", st.Chain, st.Table)
	} else {
		hooks := "no hook (inactive)"
		if len(st.Hooks) > 0 {
			hooks = strings.Join(st.Hooks, ", ")
		}
		fmt.Fprintf(&b, "chain %s in table %s: %d rules, jumped to from %s\n", st.Chain, st.Table, len(st.Rules), hooks)
		if len(st.Rules) > 0 {
			fmt.Fprintf(&b, "%10s %12s  %s\n", "packets", "bytes", "rule")
		}
		for _, r := range st.Rules {
			fmt.Fprintf(&b, "%10d %12d  %s\n", r.Packets, r.Bytes, strings.TrimPrefix(r.Rule, "-A "+st.Chain+" "))
		}
	}
	if st.Leftover {
		fmt.Fprintf(&b, "chain %s-new is left over from an interrupted apply; the next apply or remove deletes it\n", st.Chain)
	}
	fmt.Fprint(env.Stdout, b.String())
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
