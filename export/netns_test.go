package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-iptables/iptables"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/sigparse"
)

// These tests use the real iptables, nft and iproute2 inside network
// namespaces they create and always delete, so the host's tables are
// never touched. They skip when not root or when a tool is missing.

func needNetns(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create network namespaces")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s not installed (scripts/setup.sh installs it)", tool)
		}
	}
}

var nsCounter atomic.Int32

// newNetns creates a network namespace with loopback up and deletes it
// when the test ends, whatever happens.
func newNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("sigtool-t%d-%d", os.Getpid(), nsCounter.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	inNS(t, name, "ip", "link", "set", "lo", "up")
	return name
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

func inNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// nsIPTables returns the real go-iptables implementation running iptables
// inside ns, through a one-line wrapper script given as its binary path.
func nsIPTables(t *testing.T, ns string) Firewall {
	t.Helper()
	ipt, err := exec.LookPath("iptables")
	require.NoError(t, err)
	wrapper := filepath.Join(t.TempDir(), "iptables")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", ns, ipt)
	require.NoError(t, os.WriteFile(wrapper, []byte(script), 0o755))
	fw, err := iptables.New(iptables.Path(wrapper))
	require.NoError(t, err)
	return fw
}

// TestLoadGolden loads every golden translation into the real tools.
func TestLoadGolden(t *testing.T) {
	needNetns(t, "iptables-restore", "nft")
	ns := newNetns(t)
	files, _ := filepath.Glob("testdata/translate/*.iptables")
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for i := 0; i < 2; i++ { // loading twice replaces, as the file says
			cmd := exec.Command("ip", "netns", "exec", ns, "iptables-restore", "--noflush")
			cmd.Stdin = bytes.NewReader(src)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s: %s", f, out)
		}
		chain := lines(inNS(t, ns, "iptables", "-S", "SIGTOOL"))
		var specs []string
		for _, l := range lines(string(src)) {
			if strings.HasPrefix(l, "-A SIGTOOL ") {
				specs = append(specs, l)
			}
		}
		assert.Equal(t, expanded(specs), len(chain)-1, "%s: every rule loaded once", f)
	}
	nfts, _ := filepath.Glob("testdata/translate/*.nft")
	require.NotEmpty(t, nfts)
	for _, f := range nfts {
		for i := 0; i < 2; i++ {
			inNS(t, ns, "nft", "-f", f)
		}
		listed := inNS(t, ns, "nft", "list", "table", "inet", "sigtool")
		src, _ := os.ReadFile(f)
		assert.Equal(t, strings.Count(string(src), "comment \""), strings.Count(listed, "comment \""), "%s: every rule loaded once", f)
	}
}

// TestRealApply applies, replaces, reads back and removes sigtool's chain
// with go-iptables in a namespace that also holds someone else's rules.
func TestRealApply(t *testing.T) {
	needNetns(t, "iptables")
	ns := newNetns(t)
	inNS(t, ns, "iptables", "-N", "OTHER")
	inNS(t, ns, "iptables", "-A", "OTHER", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	inNS(t, ns, "iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT")
	inNS(t, ns, "iptables", "-A", "FORWARD", "-j", "OTHER")
	before := inNS(t, ns, "iptables", "-S")

	rules := parseFile(t, "testdata/translate/mixed.rules")
	tr, err := Translate(rules, IPTables, Options{})
	require.NoError(t, err)
	fw := nsIPTables(t, ns)
	require.NoError(t, Apply(fw, ChainOptions{}, tr.IPTablesRules()))
	// Apply the same rules to the fake: the real tables must read back
	// the same number of rules in each chain and the same jumps.
	mem := NewMemory()
	require.NoError(t, mem.Append("filter", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT"))
	require.NoError(t, Apply(mem, ChainOptions{}, tr.IPTablesRules()))

	after := inNS(t, ns, "iptables", "-S")
	assert.Equal(t, lines(before), without(lines(after), "SIGTOOL"), "other chains untouched")
	in := lines(inNS(t, ns, "iptables", "-S", "INPUT"))
	assert.Equal(t, "-A INPUT -j SIGTOOL", in[1], "the jump comes first")
	for _, h := range []string{"FORWARD", "OUTPUT"} {
		assert.Contains(t, lines(inNS(t, ns, "iptables", "-S", h)), "-A "+h+" -j SIGTOOL")
	}
	real := lines(inNS(t, ns, "iptables", "-S", "SIGTOOL"))
	fake, err := mem.List("filter", "SIGTOOL")
	require.NoError(t, err)
	assert.Equal(t, expanded(fake[1:]), len(real)-1)
	assert.Contains(t, strings.Join(real, "\n"), `-m string --string "/imagedump/image.php" --algo bm -m comment --comment "1:1000001 ET TROJAN Win32/Kryptik.ABUD Checkin" -j DROP`)

	st, err := Status(fw, ChainOptions{})
	require.NoError(t, err)
	assert.True(t, st.Exists)
	assert.Equal(t, []string{"INPUT", "FORWARD", "OUTPUT"}, st.Hooks)
	assert.Len(t, st.Rules, len(real)-1)
	assert.Equal(t, RuleStatus{Rule: real[1]}, st.Rules[0])

	// Replace with other rules, from INPUT only.
	r, err := sigparse.ParseRule(`alert udp any any -> any 53 (msg:"dns"; content:"evil"; sid:5; rev:1;)`, sigparse.Options{})
	require.NoError(t, err)
	tr2, err := Translate([]*sigparse.Rule{r}, IPTables, Options{Chain: ChainOptions{Hooks: []string{"INPUT"}}})
	require.NoError(t, err)
	require.NoError(t, Apply(fw, ChainOptions{Hooks: []string{"INPUT"}}, tr2.IPTablesRules()))
	after = inNS(t, ns, "iptables", "-S")
	assert.Equal(t, lines(before), without(lines(after), "SIGTOOL"))
	assert.Equal(t, []string{
		"-N SIGTOOL",
		"-A INPUT -j SIGTOOL",
		`-A SIGTOOL -p udp -m udp --dport 53 -m string --string "evil" --algo bm --from 28 -m comment --comment "1:5 dns" -j LOG --log-prefix "sigtool 1:5 "`,
		`-A SIGTOOL -p udp -m udp --dport 53 -m string --string "evil" --algo bm --from 28 -m comment --comment "1:5 dns" -j DROP`,
	}, without(lines(after), "ACCEPT", "OTHER"))

	require.NoError(t, Remove(fw, ChainOptions{}))
	assert.Equal(t, before, inNS(t, ns, "iptables", "-S"))
	require.NoError(t, Remove(fw, ChainOptions{}))
}

// expanded counts the rules iptables makes of "-A CHAIN ..." lines: it
// expands "-s a,b" and "-d c,d" into one rule per address pair.
func expanded(specs []string) int {
	n := 0
	for _, l := range specs {
		k := 1
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "-s" || f[i] == "-d" {
				k *= 1 + strings.Count(f[i+1], ",")
			}
		}
		n += k
	}
	return n
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// TestHelperHTTP is not a test: the end-to-end test runs the test binary
// inside a namespace with SIGTOOL_HELPER set, as an HTTP server or client.
func TestHelperHTTP(t *testing.T) {
	switch os.Getenv("SIGTOOL_HELPER") {
	case "server":
		// Serves until the parent kills it.
		http.Serve(mustListen(os.Getenv("SIGTOOL_ADDR")), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok "+r.URL.Path)
		}))
	case "client":
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get(os.Getenv("SIGTOOL_URL"))
		if err != nil {
			fmt.Println("RESULT error")
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("RESULT %d %s\n", resp.StatusCode, body)
	default:
		t.Skip("helper process for TestEndToEnd")
	}
}

func mustListen(addr string) net.Listener {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	return l
}

// TestEndToEnd joins two namespaces with a veth pair, serves HTTP in one,
// applies the Kryptik rule with the firewall in the server's namespace and
// checks from the other that the check-in is dropped while a benign
// request goes through. The client (192.168.77.2) is in HOME_NET and the
// server (198.51.100.1) in EXTERNAL_NET, as in the rule.
func TestEndToEnd(t *testing.T) {
	needNetns(t, "iptables", "nft")
	cli, srv := newNetns(t), newNetns(t)
	veth := fmt.Sprintf("stv%d", os.Getpid()%100000)
	run(t, "ip", "link", "add", veth+"a", "netns", cli, "type", "veth", "peer", "name", veth+"b", "netns", srv)
	inNS(t, cli, "ip", "addr", "add", "192.168.77.2/24", "dev", veth+"a")
	inNS(t, cli, "ip", "link", "set", veth+"a", "up")
	inNS(t, cli, "ip", "route", "add", "198.51.100.0/24", "dev", veth+"a")
	inNS(t, srv, "ip", "addr", "add", "198.51.100.1/24", "dev", veth+"b")
	inNS(t, srv, "ip", "link", "set", veth+"b", "up")
	inNS(t, srv, "ip", "route", "add", "192.168.77.0/24", "dev", veth+"b")

	self, err := os.Executable()
	require.NoError(t, err)
	server := exec.Command("ip", "netns", "exec", srv, self, "-test.run=^TestHelperHTTP$")
	server.Env = append(os.Environ(), "SIGTOOL_HELPER=server", "SIGTOOL_ADDR=198.51.100.1:8080")
	server.Stderr = os.Stderr
	require.NoError(t, server.Start())
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })

	get := func(path string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "ip", "netns", "exec", cli, self, "-test.run=^TestHelperHTTP$")
		c.Env = append(os.Environ(), "SIGTOOL_HELPER=client", "SIGTOOL_URL=http://198.51.100.1:8080"+path)
		out, _ := c.Output()
		for _, l := range lines(string(out)) {
			if strings.HasPrefix(l, "RESULT ") {
				return strings.TrimPrefix(l, "RESULT ")
			}
		}
		return "no result: " + string(out)
	}
	// Wait (bounded) for the server to listen.
	deadline := time.Now().Add(5 * time.Second)
	for get("/") != "200 ok /" {
		require.True(t, time.Now().Before(deadline), "the HTTP server in %s did not come up", srv)
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "200 ok /imagedump/image.php", get("/imagedump/image.php"), "no firewall yet")

	t.Run("iptables", func(t *testing.T) {
		rules := parseFile(t, "testdata/translate/kryptik.rules")
		tr, err := Translate(rules, IPTables, Options{})
		require.NoError(t, err)
		fw := nsIPTables(t, srv)
		require.NoError(t, Apply(fw, ChainOptions{}, tr.IPTablesRules()))
		assert.Equal(t, "error", get("/imagedump/image.php"), "the check-in is dropped")
		assert.Equal(t, "200 ok /index.html", get("/index.html"), "a benign request goes through")
		st, err := Status(fw, ChainOptions{})
		require.NoError(t, err)
		assert.True(t, slices.ContainsFunc(st.Rules, func(r RuleStatus) bool {
			return strings.HasSuffix(r.Rule, "-j DROP") && r.Packets > 0
		}), "a DROP rule counted packets: %v", st.Rules)
		require.NoError(t, Remove(fw, ChainOptions{}))
		assert.Equal(t, "200 ok /imagedump/image.php", get("/imagedump/image.php"), "removed")
	})

	t.Run("nftables", func(t *testing.T) {
		// nft matches only contents with a fixed position: the request
		// line starts the payload of the request's first segment.
		r, err := sigparse.ParseRule(`alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"check-in request line"; flow:established,to_server; content:"GET /imagedump/image.php"; startswith; sid:1000002; rev:1;)`, sigparse.Options{})
		require.NoError(t, err)
		tr, err := Translate([]*sigparse.Rule{r}, NFTables, Options{})
		require.NoError(t, err)
		require.Equal(t, Approximated, tr.Results[0].Verdict, "%q", tr.Results[0].Notes)
		file := filepath.Join(t.TempDir(), "sigtool.nft")
		var b bytes.Buffer
		require.NoError(t, tr.WriteNFT(&b, "test"))
		require.NoError(t, os.WriteFile(file, b.Bytes(), 0o644))
		inNS(t, srv, "nft", "-f", file)
		assert.Equal(t, "error", get("/imagedump/image.php"), "the check-in is dropped")
		assert.Equal(t, "200 ok /imagedump/other.php", get("/imagedump/other.php"), "a benign request goes through")
		inNS(t, srv, "nft", "delete", "table", "inet", "sigtool")
		assert.Equal(t, "200 ok /imagedump/image.php", get("/imagedump/image.php"), "removed")
	})
}
