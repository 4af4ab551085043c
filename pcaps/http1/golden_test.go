package http1

import (
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/golden"
)

// TestGolden pins every buffer of every parser case (TestParser asserts
// the interesting ones by hand; this catches any other change). Review the
// diff before accepting it with -update.
func TestGolden(t *testing.T) {
	var sb strings.Builder
	for _, tc := range parserCases {
		sb.WriteString("== " + tc.name + "\n")
		sb.WriteString(snapshot(parse(tc.req, tc.resp)))
	}
	golden.Check(t, "testdata/parser.golden", []byte(sb.String()))
}
