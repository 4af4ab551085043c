package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/export"
	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

const kryptikRules = "testdata/export/kryptik.rules"

func TestExportFirewallGolden(t *testing.T) {
	code, out, errOut := runCmd(t, "", "export", "--format", "iptables", kryptikRules)
	assert.Equal(t, exitOK, code)
	golden.Check(t, "testdata/export/kryptik.iptables", []byte(out))
	golden.Check(t, "testdata/export/kryptik.iptables.stderr", []byte(errOut))

	code, out, errOut = runCmd(t, "", "export", "--format", "nftables", "--target", "reject", "--hook", "FORWARD", "testdata/export/anchored.rules")
	assert.Equal(t, exitOK, code)
	golden.Check(t, "testdata/export/anchored.nft", []byte(out))
	golden.Check(t, "testdata/export/anchored.nft.stderr", []byte(errOut))
}

func TestExportJSON(t *testing.T) {
	code, out, errOut := runCmd(t, "", "export", "--format", "nftables", "--json", kryptikRules, "testdata/export/anchored.rules")
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, errOut)
	var doc export.JSONDocument
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, export.NFTables, doc.Format)
	assert.Equal(t, map[export.Verdict]int{export.Exact: 1, export.Approximated: 1, export.NotTranslatable: 1}, doc.Summary)
	require.Len(t, doc.Results, 3)
	assert.Equal(t, 1000001, doc.Results[0].SID)
	assert.Equal(t, export.NotTranslatable, doc.Results[0].Verdict)
	assert.Contains(t, doc.Ruleset, "table inet sigtool {")
}

func TestExportToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fw.rules")
	code, stdout, stderr := runCmd(t, "", "export", "--format", "iptables", "-o", out, kryptikRules)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), "*filter\n:SIGTOOL - [0:0]\n")
	assert.Contains(t, stdout, "1 signature: 0 exact, 1 approximated, 0 not translatable")
	assert.Empty(t, stderr)
}

func TestExportRules(t *testing.T) {
	code, out, errOut := runCmd(t, "", "export", "--format", "rules", "testdata/export/messy.rules")
	assert.Equal(t, exitOK, code, errOut)
	assert.Equal(t, `alert tcp any any -> any 80 (msg:"messy"; flow:established,to_server; content:"x"; sid:1000003; rev:1;)`+"\n", out)
}

func TestExportErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"export", kryptikRules}, exitUsage, "sigtool export: --format is required: iptables, nftables, rules or et\n"},
		{[]string{"export", "--format", "pf", kryptikRules}, exitUsage, "sigtool export: unknown format \"pf\": want iptables, nftables, rules or et\n"},
		{[]string{"export", "--format", "iptables"}, exitUsage, "sigtool export: no rule files given\n"},
		{[]string{"export", "--format", "iptables", "--target", "ACCEPT", kryptikRules}, exitUsage, "sigtool export: target \"ACCEPT\": want DROP, REJECT or LOG\n"},
		{[]string{"export", "--format", "iptables", "--var", "HOME_NET", kryptikRules}, exitUsage, "sigtool export: variable override \"HOME_NET\": want NAME=VALUE\n"},
		{[]string{"export", "--format", "iptables", "testdata/export/missing.rules"}, exitUsage, "sigtool export: stat testdata/export/missing.rules: no such file or directory\n"},
		{[]string{"export", "--format", "et", kryptikRules}, exitUsage, "sigtool export: --format et needs -o BUNDLE.tar.gz or BUNDLE.zip\n"},
		{[]string{"export", "--format", "et", "-o", "x.rar", kryptikRules}, exitUsage, "sigtool export: -o x.rar: the bundle is a .tar.gz, .tgz or .zip\n"},
		{[]string{"export", "--format", "et", "-o", "x.zip", kryptikRules}, exitUsage, "sigtool export: --format et needs --pcap with the true-positive capture\n"},
	} {
		code, out, errOut := runCmd(t, "", tc.args...)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.Empty(t, out, "%q", tc.args)
		assert.Equal(t, tc.stderr, errOut, "%q", tc.args)
	}
}

// A file with a bad rule: the error is shown with its caret, the good
// rules are still translated, and the exit code says so.
func TestExportParseError(t *testing.T) {
	code, out, errOut := runCmd(t, "", "export", "--format", "iptables", "testdata/export/bad.rules")
	assert.Equal(t, exitFindings, code)
	assert.Contains(t, out, "1:1000002")
	golden.Check(t, "testdata/export/bad.iptables.stderr", []byte(errOut))
}

func TestExportET(t *testing.T) {
	dir := t.TempDir()
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(pcapgen.Conversation{
		Client: netip.MustParseAddrPort("192.168.1.105:49160"),
		Server: netip.MustParseAddrPort("198.51.100.23:80"),
		Exchanges: []pcapgen.Exchange{{
			Request:  []byte("GET /imagedump/image.php HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		}},
	})
	require.NoError(t, err)
	tp := filepath.Join(dir, "tp.pcap")
	require.NoError(t, c.WriteFile(tp))
	out := filepath.Join(dir, "bundle.zip")
	code, stdout, stderr := runCmd(t, "", "export", "--format", "et", "--rules", kryptikRules, "--pcap", tp, "--date", "2024-04-01", "-o", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "wrote "+out+": sid [1000001]; pcaps/tp.pcap: 1 alert\n", stdout)
	assert.Empty(t, stderr)
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(500))

	// The same rule on a capture without the check-in is not a clean bundle.
	c2, _ := pcapgen.New(pcapgen.Options{})
	c2.AddConversation(pcapgen.Conversation{
		Client:    netip.MustParseAddrPort("192.168.1.105:49160"),
		Server:    netip.MustParseAddrPort("198.51.100.23:80"),
		Exchanges: []pcapgen.Exchange{{Request: []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")}},
	})
	require.NoError(t, c2.WriteFile(tp))
	code, _, stderr = runCmd(t, "", "export", "--format", "et", "--rules", kryptikRules, "--pcap", tp, "-o", out)
	assert.Equal(t, exitFindings, code)
	assert.Equal(t, "sigtool export: sid 1000001 did not fire on the true-positive captures\n", stderr)
}

// withFirewall puts fw behind newFirewall for the test.
func withFirewall(t *testing.T, fw export.Firewall, err error) {
	old := newFirewall
	newFirewall = func() (export.Firewall, error) { return fw, err }
	t.Cleanup(func() { newFirewall = old })
}

func TestIptablesFake(t *testing.T) {
	mem := export.NewMemory()
	withFirewall(t, mem, nil)
	code, out, errOut := runCmd(t, "", "iptables", "apply", "--hook", "INPUT,OUTPUT", kryptikRules, "testdata/export/anchored.rules")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "applied 6 iptables rules from 3 signatures to chain SIGTOOL in table filter, jumped to from INPUT, OUTPUT\n", out)
	assert.Contains(t, errOut, "3 signatures: 1 exact, 2 approximated, 0 not translatable\n")

	code, out, _ = runCmd(t, "", "iptables", "status")
	assert.Equal(t, exitOK, code)
	golden.Check(t, "testdata/export/status.txt", []byte(out))

	code, out, _ = runCmd(t, "", "iptables", "status", "--json")
	assert.Equal(t, exitOK, code)
	var st export.ChainStatus
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	assert.Len(t, st.Rules, 6)

	code, out, _ = runCmd(t, "", "iptables", "remove")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "removed chain SIGTOOL from table filter\n", out)
	assert.Equal(t, []string{"-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"}, mem.Dump("filter"))

	code, out, _ = runCmd(t, "", "iptables", "status")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "chain SIGTOOL: not present in table filter\n", out)
}

func TestIptablesDryRun(t *testing.T) {
	withFirewall(t, nil, errors.New("iptables not found: install iptables (apt-get install iptables)"))
	code, out, errOut := runCmd(t, "", "iptables", "apply", "--dry-run", "--chain", "IDS", "--hook", "FORWARD", "testdata/export/anchored.rules")
	require.Equal(t, exitOK, code, errOut)
	golden.Check(t, "testdata/export/dry-run.txt", []byte(out))
	assert.True(t, strings.HasPrefix(errOut, "sigtool iptables apply: iptables not found: install iptables (apt-get install iptables); the dry run starts from empty tables\n"), errOut)

	code, out, _ = runCmd(t, "", "iptables", "remove", "--dry-run")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out, "nothing to remove from empty tables")
}

func TestIptablesErrors(t *testing.T) {
	withFirewall(t, nil, errors.New("iptables needs root (CAP_NET_ADMIN): run sigtool as root or use --dry-run"))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"iptables", "apply", kryptikRules}, exitUsage, "sigtool iptables apply: iptables needs root (CAP_NET_ADMIN): run sigtool as root or use --dry-run\n"},
		{[]string{"iptables", "status"}, exitUsage, "sigtool iptables status: iptables needs root (CAP_NET_ADMIN): run sigtool as root or use --dry-run\n"},
		{[]string{"iptables", "flush"}, exitUsage, "sigtool iptables: unknown action \"flush\": want apply, remove or status\n"},
		{[]string{"iptables", "apply"}, exitUsage, "sigtool iptables apply: no rule files given\n"},
		{[]string{"iptables", "remove", "x"}, exitUsage, "sigtool iptables remove: takes no arguments, got [\"x\"]\n"},
		{[]string{"iptables", "apply", "--dry-run", "--table", "nat", kryptikRules}, exitUsage, ""},
	} {
		code, out, errOut := runCmd(t, "", tc.args...)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.Empty(t, out, "%q", tc.args)
		if tc.stderr != "" {
			assert.Equal(t, tc.stderr, errOut, "%q", tc.args)
		} else {
			assert.Contains(t, errOut, `table "nat": sigtool uses filter, mangle or raw`)
		}
	}
	// A file with errors is never applied.
	mem := export.NewMemory()
	withFirewall(t, mem, nil)
	code, _, errOut := runCmd(t, "", "iptables", "apply", "testdata/export/bad.rules")
	assert.Equal(t, exitFindings, code)
	assert.Contains(t, errOut, "sigtool iptables apply: not applying rules from files with errors\n")
	assert.Empty(t, mem.Log)
}

// TestIptablesHelper is not a test: TestIptablesNetns runs the test
// binary inside a network namespace with SIGTOOL_IPT_ARGS set, so that
// "sigtool iptables" drives the real iptables there.
func TestIptablesHelper(t *testing.T) {
	args := os.Getenv("SIGTOOL_IPT_ARGS")
	if args == "" {
		t.Skip("helper process for TestIptablesNetns")
	}
	code, out, errOut := runCmd(t, "", strings.Split(args, "\x1f")...)
	os.Stdout.WriteString("CODE " + string(rune('0'+code)) + "\n" + out + "STDERR\n" + errOut)
}

// TestIptablesNetns runs apply, status and remove with the real
// go-iptables inside a namespace it creates (never on the host's tables).
func TestIptablesNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create a network namespace")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s not installed (scripts/setup.sh installs it)", tool)
		}
	}
	ns := fmt.Sprintf("sigtool-cli%d", os.Getpid())
	require.NoError(t, exec.Command("ip", "netns", "add", ns).Run())
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", ns).Run() })
	self, err := os.Executable()
	require.NoError(t, err)
	sigtool := func(args ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "ip", "netns", "exec", ns, self, "-test.run=^TestIptablesHelper$")
		c.Env = append(os.Environ(), "SIGTOOL_IPT_ARGS="+strings.Join(args, "\x1f"))
		out, err := c.Output()
		require.NoError(t, err)
		code, rest, _ := strings.Cut(string(out), "\n")
		stdout, stderr, _ := strings.Cut(rest, "STDERR\n")
		if i := strings.LastIndex(stderr, "PASS\n"); i >= 0 {
			stderr = stderr[:i]
		}
		return code + "\n" + stdout, stderr
	}
	ipt := func(args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "iptables"}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	ipt("-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")

	out, errOut := sigtool("iptables", "apply", "--hook", "INPUT,OUTPUT", "--target", "REJECT", "testdata/export/anchored.rules")
	assert.Equal(t, "CODE 0\napplied 12 iptables rules from 2 signatures to chain SIGTOOL in table filter, jumped to from INPUT, OUTPUT\n", out, errOut)
	assert.Equal(t, "-P INPUT ACCEPT\n-A INPUT -j SIGTOOL\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n", ipt("-S", "INPUT"))
	assert.Contains(t, ipt("-S", "SIGTOOL"), `-A SIGTOOL -s 192.168.0.0/16 -p udp -m udp --dport 53 -m string --hex-string "|beef|" --algo bm --from 28 --to 30 -m comment --comment "1:1000010 DNS transaction id 0xbeef" -j REJECT --reject-with icmp-port-unreachable`)

	out, _ = sigtool("iptables", "status")
	assert.True(t, strings.HasPrefix(out, "CODE 0\nchain SIGTOOL in table filter: 12 rules, jumped to from INPUT, OUTPUT\n"), out)

	out, _ = sigtool("iptables", "remove")
	assert.Equal(t, "CODE 0\nremoved chain SIGTOOL from table filter\n", out)
	assert.Equal(t, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n", ipt("-S"))
}
