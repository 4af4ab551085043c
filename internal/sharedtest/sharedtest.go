// Package sharedtest finds the project's shared data (../shared beside the
// checkout: real corpora and rulesets) for tests and benchmarks, and skips
// them with a clear message when it is absent.
package sharedtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the absolute path of the shared folder, or "" when there is
// none. SIGTOOL_SHARED overrides the default of ../shared beside the module.
func Root() string {
	if d := os.Getenv("SIGTOOL_SHARED"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// file is <module>/internal/sharedtest/sharedtest.go.
	module := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(module), "shared")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return ""
	}
	return d
}

// Path returns Root joined with elem, skipping tb when the shared folder or
// that path within it is missing.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		tb.Skip("skipping: ../shared (corpora and rulesets beside the checkout) is absent; set SIGTOOL_SHARED to use another folder")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("skipping: %s is absent from the shared folder", filepath.Join(elem...))
	}
	return p
}
