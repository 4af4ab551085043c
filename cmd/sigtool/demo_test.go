package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
)

// TestDemo checks the README's run command: exactly one alert, sid 1000001,
// on the check-in, and nothing on the benign capture.
func TestDemo(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "demo")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)
	var events []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "{") {
			events = append(events, l)
		}
	}
	require.Len(t, events, 1, stdout)
	var ev struct {
		EventType string `json:"event_type"`
		SrcIP     string `json:"src_ip"`
		Alert     struct {
			SignatureID int    `json:"signature_id"`
			Signature   string `json:"signature"`
		} `json:"alert"`
	}
	require.NoError(t, json.Unmarshal([]byte(events[0]), &ev))
	assert.Equal(t, "alert", ev.EventType)
	assert.Equal(t, 1000001, ev.Alert.SignatureID)
	assert.Equal(t, "ET TROJAN Win32/Kryptik.ABUD Checkin", ev.Alert.Signature)
	assert.True(t, strings.HasPrefix(ev.SrcIP, "192.168."))
	assert.Contains(t, stdout, "benign.pcap: ordinary browsing with near misses (44 packets, 4 flows, 5 HTTP transactions):\n  no alerts\n")
	assert.Contains(t, stdout, "Result: 1 alert on the check-in, no false positive on the benign capture.")
	golden.Check(t, "testdata/demo.golden", []byte(stdout))
}

// TestDemoWrite saves the demo's files and runs sigtool test on them, as
// the help text suggests.
func TestDemoWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, _, stderr := runCmd(t, "", "demo", "--write", dir)
	require.Equal(t, exitOK, code, stderr)
	for _, name := range []string{"kryptik.rules", "kryptik-checkin.pcap", "benign.pcap"} {
		_, err := os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err)
	}
	code, stdout, stderr := runCmd(t, "", "test", "--rules", filepath.Join(dir, "kryptik.rules"), "--pcap", dir, "--format", "fast")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stdout, "[1:1000001:1]"), stdout)
}
