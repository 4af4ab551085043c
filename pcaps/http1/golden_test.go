package http1

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestGolden pins every buffer of every parser case (TestParser asserts
// the interesting ones by hand; this catches any other change). Review the
// diff before accepting it with -update.
func TestGolden(t *testing.T) {
	var sb strings.Builder
	for _, tc := range parserCases {
		sb.WriteString("== " + tc.name + "\n")
		sb.WriteString(snapshot(parse(tc.req, tc.resp)))
	}
	got := sb.String()
	path := filepath.Join("testdata", "parser.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from line %d (go test -update rewrites it):\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}
