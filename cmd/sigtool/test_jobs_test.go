package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// TestTestJobs: --jobs changes how a run is spread over goroutines, never
// its output: one capture whose flows go to several workers, and several
// captures at once.
func TestTestJobs(t *testing.T) {
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	for i := range 12 {
		_, err := c.AddConversation(pcapgen.Conversation{
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 1, byte(100 + i)}), uint16(49200+i)),
			Server: netip.MustParseAddrPort("198.51.100.23:80"),
			Exchanges: []pcapgen.Exchange{{
				Request:  []byte(fmt.Sprintf("GET /imagedump/image.php?id=%d HTTP/1.1\r\nHost: 198.51.100.23\r\n\r\n", i)),
				Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
		})
		require.NoError(t, err)
	}
	many := filepath.Join(t.TempDir(), "many.pcap")
	require.NoError(t, c.WriteFile(many))
	rules := testdataDir + "/kryptik.rules"

	for _, pcaps := range [][]string{{many}, {testdataDir, many}} {
		var want string
		for _, jobs := range []string{"1", "2", "3", "8"} {
			args := append([]string{"test", "--rules", rules, "--format", "eve", "--jobs", jobs}, pcaps...)
			code, stdout, stderr := runCmd(t, "", args...)
			require.Equal(t, exitOK, code, stderr)
			if jobs == "1" {
				want = stdout
				assert.GreaterOrEqual(t, strings.Count(stdout, "\n"), 12)
				continue
			}
			assert.Equal(t, want, stdout, "--jobs %s over %v", jobs, pcaps)
		}
	}

	code, _, stderr := runCmd(t, "", "test", "--rules", rules, "--jobs", "0", many)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--jobs 0: want at least 1")
}
