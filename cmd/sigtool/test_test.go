package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

const testdataDir = "testdata/test"

// testCaptures are the captures under testdata/test: the demo's two, and
// the check-in without its handshake.
func testCaptures(t *testing.T) map[string][]byte {
	caps, err := demoCaptures()
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, c := range caps {
		out[c.name] = c.data
	}
	mid, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = mid.AddConversation(pcapgen.Conversation{
		Client:      netip.MustParseAddrPort("192.168.1.105:49203"),
		Server:      netip.MustParseAddrPort("198.51.100.23:80"),
		Exchanges:   []pcapgen.Exchange{{Request: []byte("GET /imagedump/image.php?id=4F2A9C1E77B3 HTTP/1.1\r\nHost: 198.51.100.23\r\n\r\n"), Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
		NoHandshake: true,
	})
	require.NoError(t, err)
	out["midstream/checkin-midstream.pcap"] = mid.Bytes()
	return out
}

// TestTestdataCaptures keeps the checked-in captures equal to what the
// generators write, so they cannot drift from the code that documents them.
func TestTestdataCaptures(t *testing.T) {
	for name, data := range testCaptures(t) {
		golden.Check(t, filepath.Join(testdataDir, name), data)
	}
}

func TestTestFormats(t *testing.T) {
	for _, format := range []string{"eve", "fast", "summary"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir, "--format", format)
			assert.Equal(t, exitOK, code, stderr)
			assert.Empty(t, stderr)
			golden.Check(t, filepath.Join(testdataDir, "kryptik."+format+".golden"), []byte(stdout))
		})
	}
}

func TestTestEVEIsSuricataShaped(t *testing.T) {
	code, stdout, _ := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir+"/kryptik-checkin.pcap")
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 1)
	var ev struct {
		EventType string `json:"event_type"`
		PcapCnt   int    `json:"pcap_cnt"`
		SrcIP     string `json:"src_ip"`
		DestPort  int    `json:"dest_port"`
		AppProto  string `json:"app_proto"`
		Alert     struct {
			SignatureID int    `json:"signature_id"`
			Category    string `json:"category"`
			Severity    int    `json:"severity"`
		} `json:"alert"`
		HTTP struct {
			URL    string `json:"url"`
			Status int    `json:"status"`
		} `json:"http"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
	assert.Equal(t, "alert", ev.EventType)
	assert.Equal(t, 1000001, ev.Alert.SignatureID)
	assert.Equal(t, "A Network Trojan was detected", ev.Alert.Category)
	assert.Equal(t, 1, ev.Alert.Severity)
	assert.Equal(t, "192.168.1.105", ev.SrcIP)
	assert.Equal(t, 80, ev.DestPort)
	assert.Equal(t, "http", ev.AppProto)
	assert.True(t, strings.HasPrefix(ev.HTTP.URL, "/imagedump/image.php?"), ev.HTTP.URL)
}

func TestTestDefaultFormat(t *testing.T) {
	_, stdout, _ := runOnTerminal(t, "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir)
	assert.True(t, strings.HasPrefix(stdout, "3 captures, "), "summary on a terminal: %s", stdout)
	_, stdout, _ = runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir)
	assert.True(t, strings.HasPrefix(stdout, `{"timestamp":`), "eve otherwise: %s", stdout)
	// Captures may also be given as arguments.
	_, stdout2, _ := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", testdataDir+"/kryptik-checkin.pcap", testdataDir+"/benign.pcap")
	assert.Equal(t, stdout, stdout2)
}

func TestTestOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fast.log")
	code, stdout, stderr := runOnTerminal(t, "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir, "--format", "fast", "-o", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(testdataDir, "kryptik.fast.golden"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// TestTestMixedRules: a rule that does not parse is reported with its
// caret and the rest still run (exit 1); a rule the matcher cannot
// evaluate is named with its keyword, on stderr for eve and in the summary.
func TestTestMixedRules(t *testing.T) {
	for _, format := range []string{"eve", "summary"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", "test", "--rules", testdataDir+"/mixed.rules", "--pcap", testdataDir, "--format", format)
			assert.Equal(t, exitFindings, code)
			assert.Contains(t, stderr, "testdata/test/mixed.rules:3:")
			assert.Contains(t, stderr, "^")
			if format == "eve" {
				assert.Contains(t, stderr, "sid 3 not evaluated")
				assert.Contains(t, stderr, "dns.query")
			} else {
				assert.Contains(t, stdout, "not evaluated")
				assert.Contains(t, stdout, "dns.query")
			}
			assert.Contains(t, stdout, "1000001")
			golden.Check(t, filepath.Join(testdataDir, "mixed."+format+".golden"), []byte(stdout+"--- stderr\n"+stderr))
		})
	}
}

func TestTestExpect(t *testing.T) {
	tests := []struct {
		file string
		code int
	}{
		{"expect-pass.yaml", exitOK},
		{"expect-fail.json", exitFindings},
		{"expect-verify.yaml", exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir, "--expect", filepath.Join(testdataDir, tt.file))
			assert.Equal(t, tt.code, code, stderr)
			golden.Check(t, filepath.Join(testdataDir, strings.TrimSuffix(tt.file, filepath.Ext(tt.file))+".stderr.golden"), []byte(stderr))
		})
	}
}

// TestTestExpectSettings: a test.yaml's args apply unless the command line
// sets the same thing. Without midstream pickup flow:established never
// holds on a capture without a handshake, as in Suricata.
func TestTestExpectSettings(t *testing.T) {
	expect := filepath.Join(testdataDir, "midstream", "test.yaml")
	code, stdout, stderr := runCmd(t, "", "test", "--format", "eve", "--expect", expect)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "using --set stream.midstream=true from")
	assert.Equal(t, 1, strings.Count(stdout, `"signature_id":1000001`))

	code, stdout, stderr = runCmd(t, "", "test", "--format", "eve", "--set", "stream.midstream=false", "--expect", expect)
	assert.Equal(t, exitFindings, code, stderr)
	assert.NotContains(t, stderr, "using --set")
	assert.Contains(t, stderr, "check 1 (alert.signature_id=1000001): want 1 matching alert(s), got 0")
	assert.Empty(t, stdout)
}

func TestTestVars(t *testing.T) {
	// The infected host is outside a HOME_NET of 10.0.0.0/8: no alert.
	for _, args := range [][]string{
		{"--var", "HOME_NET=[10.0.0.0/8]"},
		{"--vars", testdataDir + "/home10.yaml"},
	} {
		full := append([]string{"test", "--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--format", "eve"}, args...)
		code, stdout, stderr := runCmd(t, "", full...)
		assert.Equal(t, exitOK, code, stderr)
		assert.Empty(t, stdout, "%v", args)
	}
	code, _, stderr := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", testdataDir, "--var", "HOME_NET")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "NAME=VALUE")
}

func TestTestBadInput(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(filepath.Join(testdataDir, "kryptik-checkin.pcap"))
	require.NoError(t, err)
	// Cut inside the ninth packet: the alert on packet 7 must survive.
	truncated := filepath.Join(dir, "truncated.pcap")
	require.NoError(t, os.WriteFile(truncated, full[:len(full)-100], 0o644))
	notPcap := filepath.Join(dir, "notes.pcap")
	require.NoError(t, os.WriteFile(notPcap, []byte("this is not a capture\n"), 0o644))

	code, stdout, stderr := runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", truncated)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "truncated.pcap")
	assert.Contains(t, stderr, "packet")
	assert.Equal(t, 1, strings.Count(stdout, `"signature_id":1000001`), "alerts before the damage are still written")

	code, _, stderr = runCmd(t, "", "test", "--rules", testdataDir+"/kryptik.rules", "--pcap", notPcap)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "notes.pcap")

	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", filepath.Join(dir, "missing.pcap")}, "missing.pcap"},
		{[]string{"--rules", filepath.Join(dir, "missing.rules"), "--pcap", testdataDir}, "missing.rules"},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", dir + "/empty"}, "empty"},
		{[]string{"--rules", testdataDir + "/kryptik.rules"}, "need --rules and --pcap"},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--format", "xml"}, `--format "xml"`},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--set", "stream.bogus=1"}, "unknown setting"},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--set", "packet-alert-max=x"}, "positive integer"},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "-k", "some"}, "want none"},
		{[]string{"--rules", testdataDir + "/kryptik.rules", "--pcap", testdataDir, "--expect", testdataDir + "/kryptik.rules"}, "kryptik.rules"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	for _, tt := range tests {
		code, _, stderr := runCmd(t, "", append([]string{"test"}, tt.args...)...)
		assert.Equal(t, exitUsage, code, "%v", tt.args)
		assert.Contains(t, stderr, tt.msg, "%v", tt.args)
	}
}

// TestTestSuricataVerifyCase runs a suricata-verify case from ../shared with
// nothing but --expect: the pcap and rules.rules come from the case folder
// and -k none --set stream.inline=true from its test.yaml, whose check
// names the packet the alert must be on.
func TestTestSuricataVerifyCase(t *testing.T) {
	dir := sharedtest.Path(t, "corpus", "suricata-verify", "detect-http-uri__DetectEngineHttpRawUriTest01")
	code, stdout, stderr := runCmd(t, "", "test", "--format", "fast", "--expect", filepath.Join(dir, "test.yaml"))
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "using -k none from")
	assert.Contains(t, stderr, "using --set stream.inline=true from")
	assert.Contains(t, stderr, "all expectations met")
	assert.Equal(t, 1, strings.Count(stdout, "[1:1:0] http raw uri test"), stdout)

	// The corpus expected.json works as an expectation file too.
	code, _, stderr = runCmd(t, "", "test", "--format", "eve", "--rules", filepath.Join(dir, "rules.rules"), "--expect", filepath.Join(dir, "expected.json"))
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "all expectations met")
}

func TestTestStdin(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join(testdataDir, "kryptik.rules"))
	require.NoError(t, err)
	pcap, err := os.ReadFile(filepath.Join(testdataDir, "kryptik-checkin.pcap"))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(testdataDir, "kryptik.fast.golden"))
	require.NoError(t, err)
	for _, tt := range []struct {
		stdin []byte
		args  []string
	}{
		{rules, []string{"--rules", "-", "--pcap", testdataDir + "/kryptik-checkin.pcap"}},
		{pcap, []string{"--rules", testdataDir + "/kryptik.rules", "--pcap", "-"}},
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: bytes.NewReader(tt.stdin), Stdout: &stdout, Stderr: &stderr}
		code := run(context.Background(), env, append([]string{"test", "--format", "fast"}, tt.args...))
		assert.Equal(t, exitOK, code, stderr.String())
		assert.Equal(t, string(want), stdout.String(), "%v", tt.args)
	}
	code, _, stderr := runCmd(t, "", "test", "--rules", "-", "--pcap", "-")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "only one of --rules and --pcap")
}
