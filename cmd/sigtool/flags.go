package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// newFlagSet returns a flag set for a subcommand whose -h prints
// "usage: sigtool NAME SYNOPSIS", the description and the flags.
// Parse errors are returned, not fatal, so callers map them to exitUsage.
func newFlagSet(env *Env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: sigtool %s %s\n", name, synopsis)
		if description != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(description))
		}
		if hasFlags(fs) {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args and reports the exit code to return when parsing
// stops the command: exitOK after -h, exitUsage after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	switch err := fs.Parse(args); err {
	case nil:
		return 0, true
	case flag.ErrHelp:
		return exitOK, false
	default:
		return exitUsage, false
	}
}

// multiFlag collects a repeatable string flag (--rules A --rules B).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// errorf prints "sigtool NAME: message" to stderr and returns code.
func errorf(env *Env, name string, code int, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "sigtool %s: %s\n", name, fmt.Sprintf(format, args...))
	return code
}
