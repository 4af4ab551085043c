// Command sigtool parses, lints, formats and tests IDS signatures
// (Snort 2.9, Snort 3 and Suricata rules) without an IDS installed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit codes shared by every subcommand, as cmd/go and gofmt use them.
const (
	exitOK       = 0 // success, nothing found
	exitFindings = 1 // lint errors, a failed expectation, a rule that does not parse
	exitUsage    = 2 // bad flags, unreadable input
)

// Env is what a subcommand may touch of the process, so that run can be
// tested directly with buffers in place of the standard streams.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// IsTerminal reports whether Stderr is a terminal (progress bars,
	// default output formats); nil means never.
	IsTerminal func() bool
}

func (e *Env) terminal() bool { return e.IsTerminal != nil && e.IsTerminal() }

// command is one subcommand. run gets the arguments after the subcommand
// name and returns the exit code; it parses them with its own flag set.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"parse", "parse rule files and print them as text or JSON", cmdParse},
		{"lint", "check rules for errors and house style", cmdLint},
		{"fmt", "print rules in canonical form, or convert between dialects", cmdFmt},
		{"test", "run rules over captures and report alerts as Suricata would", cmdTest},
		{"synth", "write a pcap of a TCP conversation from an HTTP exchange", cmdSynth},
		{"demo", "run the embedded Kryptik example rule on embedded captures", cmdDemo},
		{"export", "export rules as an ET submission bundle or firewall rules", cmdExport},
		{"iptables", "apply, remove or show sigtool's iptables chain", cmdIptables},
		{"serve", "serve the web UI for drafting and testing rules", cmdServe},
		{"version", "print sigtool's version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, IsTerminal: stderrIsTerminal}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			if c, ok := lookup(args[1]); ok {
				return c.run(ctx, env, []string{"-h"})
			}
			fmt.Fprintf(env.Stderr, "sigtool help: unknown command %q\n", args[1])
			return exitUsage
		}
		usage(env.Stdout)
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "sigtool: unknown command %q\nRun 'sigtool help' for usage.\n", name)
		return exitUsage
	}
	return c.run(ctx, env, args[1:])
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("sigtool checks IDS signatures: parse, lint, format, and test them on captures.\n\nUsage:\n\n\tsigtool <command> [arguments]\n\nCommands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "\t%-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nUse \"sigtool help <command>\" for more information about a command.\n")
	io.WriteString(w, b.String())
}
