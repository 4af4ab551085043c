package lint

import (
	"testing"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/stretchr/testify/require"
)

func classesFor(t *testing.T, src string) *rulesets.Classifications {
	t.Helper()
	c, err := rulesets.ParseClassifications("classification.config", []byte(src))
	require.NoError(t, err)
	return c
}
