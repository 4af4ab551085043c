package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs sigtool with args as main does, reading stdin from the given
// text and capturing stdout and stderr (not a terminal); it returns the
// exit code, stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runEnv(&Env{Stdin: strings.NewReader(stdin)}, args)
}

// runOnTerminal is runCmd with no input and stderr taken for a terminal,
// for what sigtool shows only there (progress bars).
func runOnTerminal(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runEnv(&Env{Stdin: strings.NewReader(""), IsTerminal: func() bool { return true }}, args)
}

func runEnv(env *Env, args []string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	env.Stdout, env.Stderr = &stdout, &stderr
	code := run(context.Background(), env, args)
	return code, stdout.String(), stderr.String()
}
