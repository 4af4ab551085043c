package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigtool/sigtool/sigparse"
)

const fmtDescription = `
Print rule files in canonical form: one rule per line, one space between
options, msg and flow first and reference, classtype, sid, rev, metadata
last (detection options keep their order). Comments and blank lines are
kept; rules continued over lines are joined. Formatting is idempotent.

With --to, rules are converted to another dialect: --to suricata writes
Snort 2 modifiers as sticky buffers (content:"x"; http_uri; becomes
http.uri; content:"x";), --to snort3 writes Snort 3 buffers and inline
content modifiers, --to snort2 writes Suricata sticky buffers as Snort 2
modifiers. A rule that has no exact equivalent is an error.

Exit status: 0 on success, 1 when -l listed files or a file has errors,
2 for usage errors and unreadable files.`

func cmdFmt(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "fmt", "[-l | -w | -d] [--to suricata|snort2|snort3] [--dialect D] PATH...", fmtDescription)
	list := fs.Bool("l", false, "list files whose formatting differs")
	write := fs.Bool("w", false, "write the result back to the files")
	diff := fs.Bool("d", false, "print a unified diff instead of the result")
	toName := fs.String("to", "", "convert to `dialect`: suricata, snort2 or snort3")
	dialectName := fs.String("dialect", "auto", "input `dialect`: auto, snort2, suricata or snort3")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	n := 0
	for _, b := range []bool{*list, *write, *diff} {
		if b {
			n++
		}
	}
	if n > 1 {
		return errorf(env, "fmt", exitUsage, "-l, -w and -d exclude each other")
	}
	var to sigparse.Dialect
	if *toName != "" {
		d, ok := sigparse.ParseDialect(*toName)
		if !ok || d == sigparse.DialectAuto {
			return errorf(env, "fmt", exitUsage, "unknown --to %q: want suricata, snort2 or snort3", *toName)
		}
		to = d
	}
	dialect, ok := sigparse.ParseDialect(*dialectName)
	if !ok {
		return errorf(env, "fmt", exitUsage, "unknown --dialect %q: want auto, snort2, suricata or snort3", *dialectName)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	files, err := ruleFiles(fs.Args())
	if err != nil {
		return errorf(env, "fmt", exitUsage, "%v", err)
	}
	if *write {
		for _, f := range files {
			if f == "-" {
				return errorf(env, "fmt", exitUsage, "-w cannot write to stdin")
			}
		}
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	code := exitOK
	for _, name := range files {
		if ctx.Err() != nil {
			return errorf(env, "fmt", exitUsage, "interrupted")
		}
		src, err := readRuleFile(env, name)
		if err != nil {
			out.Flush()
			return errorf(env, "fmt", exitUsage, "%v", err)
		}
		f, errs := sigparse.ParseFile(name, src, sigparse.Options{Dialect: dialect})
		enabledErrs := false
		for _, e := range errs {
			if !e.InDisabled {
				enabledErrs = true
			}
		}
		if enabledErrs {
			// Like gofmt: a file that does not parse is not rewritten.
			out.Flush()
			printErrors(env.Stderr, errs)
			code = exitFindings
			continue
		}
		res, err := sigparse.FormatFile(f, sigparse.FormatOptions{To: to})
		if err != nil {
			out.Flush()
			fmt.Fprintf(env.Stderr, "%v\n", err)
			code = exitFindings
			continue
		}
		changed := !bytes.Equal(src, res)
		switch {
		case *list:
			if changed {
				fmt.Fprintln(out, name)
				code = exitFindings
			}
		case *write:
			if changed {
				if err := writeFileKeepMode(name, res); err != nil {
					out.Flush()
					return errorf(env, "fmt", exitUsage, "%v", err)
				}
			}
		case *diff:
			if changed {
				writeUnifiedDiff(out, name, splitLines(string(src)), splitLines(string(res)))
			}
		default:
			out.Write(res)
		}
	}
	return code
}

// writeFileKeepMode replaces name's contents, keeping its permissions.
func writeFileKeepMode(name string, data []byte) error {
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	return os.WriteFile(name, data, st.Mode().Perm())
}

// splitLines splits s after each newline; the last line may lack one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// editOp is one line of an edit script: ' ' kept, '-' deleted, '+' added.
type editOp struct {
	kind byte
	line string
	a, b int // line index in the old and new text at this point
}

// lineDiff returns an edit script from a to b with Myers' O(ND)
// algorithm; fmt changes few lines of a long file, so D is small.
func lineDiff(a, b []string) []editOp {
	n, m := len(a), len(b)
	maxD := n + m
	v := make([]int, 2*maxD+3)
	// trace[d] keeps v[-d-1..d+1] as it was before step d: memory grows
	// with D squared, so past maxTrace the script falls back to replacing
	// the whole changed middle.
	var trace [][]int
	off := maxD + 1
	var d int
outer:
	for d = 0; d <= maxD; d++ {
		if d > maxTrace {
			return coarseDiff(a, b)
		}
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				break outer
			}
		}
	}
	// Walk back through the trace to recover the script.
	var ops []editOp
	x, y := n, m
	for ; d > 0; d-- {
		vp := trace[d]
		at := func(k int) int { return vp[k+d+1] }
		k := x - y
		var pk int
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			ops = append(ops, editOp{' ', a[x], x, y})
		}
		if x == px {
			y--
			ops = append(ops, editOp{'+', b[y], x, y})
		} else {
			x--
			ops = append(ops, editOp{'-', a[x], x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		ops = append(ops, editOp{' ', a[x], x, y})
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}

const maxTrace = 3000

// coarseDiff keeps the common prefix and suffix and replaces the rest.
func coarseDiff(a, b []string) []editOp {
	var ops []editOp
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		ops = append(ops, editOp{' ', a[p], p, p})
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for i := p; i < len(a)-s; i++ {
		ops = append(ops, editOp{'-', a[i], i, p})
	}
	for j := p; j < len(b)-s; j++ {
		ops = append(ops, editOp{'+', b[j], len(a) - s, j})
	}
	for i := 0; i < s; i++ {
		ops = append(ops, editOp{' ', a[len(a)-s+i], len(a) - s + i, len(b) - s + i})
	}
	return ops
}

// writeUnifiedDiff prints a unified diff with three lines of context.
func writeUnifiedDiff(w io.Writer, name string, a, b []string) {
	ops := lineDiff(a, b)
	fmt.Fprintf(w, "--- %s.orig\n+++ %s\n", name, name)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from ctx lines before the change to ctx lines after the
		// last change that is within 2*ctx of the previous one.
		start := max(0, i-ctx)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j
			} else if j-end > 2*ctx {
				break
			}
		}
		stop := min(len(ops), end+ctx+1)
		var aStart, bStart, aLen, bLen int
		aStart, bStart = ops[start].a, ops[start].b
		for _, op := range ops[start:stop] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, op := range ops[start:stop] {
			fmt.Fprintf(w, "%c%s", op.kind, op.line)
			if !strings.HasSuffix(op.line, "\n") {
				fmt.Fprintf(w, "\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
