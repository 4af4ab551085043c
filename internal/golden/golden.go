// Package golden compares test output with golden files under a package's
// testdata/ and rewrites them when the test binary runs with -update.
//
// The -update flag is registered here, once, so that every package whose
// tests import golden gets the same flag without declaring its own (two
// test files of one package each declaring it would panic at start-up).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output instead of comparing")

// Update reports whether the tests run with -update, for the few tests
// that regenerate checked-in files other than through Check.
func Update() bool { return *update }

// Check compares got with the golden file at path (relative to the package
// directory, the test's working directory: "testdata/..."). On a mismatch
// it reports an error with a line diff (text) or the first differing byte
// (binary) and goes on; with -update it rewrites the file instead.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, got) {
			return // unchanged: leave the file (and its mtime) alone
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -run '%s' -update creates it)", err, tb.Name())
	}
	if bytes.Equal(want, got) {
		return
	}
	if utf8.Valid(want) && utf8.Valid(got) {
		// assert.Equal on two strings prints a unified line diff.
		assert.Equal(tb, string(want), string(got), "%s differs; if the change is right, go test -run '%s' -update rewrites it", path, tb.Name())
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	tb.Errorf("%s differs from byte %d on (file %d bytes, got %d); if the change is right, go test -run '%s' -update rewrites it", path, i, len(want), len(got), tb.Name())
}
