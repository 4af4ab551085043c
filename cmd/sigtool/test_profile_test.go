package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTestProfile: --profile N prints the rule profile (the matcher's
// counters summed over the captures) to stderr after the run; the alert
// output is unchanged; a negative N is a usage error.
func TestTestProfile(t *testing.T) {
	args := []string{"test", "--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--format", "fast"}
	code, plain, stderr := runCmd(t, "", args...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "rule profile")

	code, out, stderr := runCmd(t, "", append(args, "--profile", "5")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, plain, out)
	assert.Contains(t, stderr, "rule profile: 1 costliest of 1 rules")
	// One alert in the three captures: checks >= 1, matches 1, alerts 1.
	var row string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "1000001") {
			row = l
		}
	}
	f := strings.Fields(row)
	require.GreaterOrEqual(t, len(f), 6, "profile row: %q", row)
	assert.NotEqual(t, "0", f[3], "checks")
	assert.Equal(t, "1", f[4], "matches")
	assert.Equal(t, "1", f[5], "alerts")

	code, _, stderr = runCmd(t, "", append(args, "--profile", "-1")...)
	assert.Equal(t, exitUsage, code, stderr)
}
