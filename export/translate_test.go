package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/sigparse"
)

func parseFile(t *testing.T, path string) []*sigparse.Rule {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	f, errs := sigparse.ParseFile(filepath.Base(path), src, sigparse.Options{})
	require.Empty(t, errs)
	return f.Rules
}

// TestTranslateGolden pins both translations and their verdict tables.
// TestLoadGolden (firewall_netns_test.go) loads the same files into the
// real iptables-restore and nft, so the golden files are known to load.
func TestTranslateGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/translate/*.rules")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		base := strings.TrimSuffix(filepath.Base(in), ".rules")
		rules := parseFile(t, in)
		for _, f := range []Format{IPTables, NFTables} {
			t.Run(base+"/"+string(f), func(t *testing.T) {
				tr, err := Translate(rules, f, Options{})
				require.NoError(t, err)
				var out, table bytes.Buffer
				require.NoError(t, tr.WriteRuleset(&out, "test"))
				require.NoError(t, tr.WriteVerdicts(&table))
				ext := map[Format]string{IPTables: ".iptables", NFTables: ".nft"}[f]
				golden.Check(t, "testdata/translate/"+base+ext, out.Bytes())
				golden.Check(t, "testdata/translate/"+base+ext+".verdicts", table.Bytes())
			})
		}
	}
}

func translateOne(t *testing.T, rule string, f Format, opts Options) *Result {
	t.Helper()
	r, err := sigparse.ParseRule(rule, sigparse.Options{})
	require.NoError(t, err)
	tr, err := Translate([]*sigparse.Rule{r}, f, opts)
	require.NoError(t, err)
	require.Len(t, tr.Results, 1)
	return tr.Results[0]
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		f          Format
		verdict    Verdict
		note       string // a substring of one note
	}{
		{"header only", `alert tcp 1.2.3.4 any -> any 80 (msg:"x"; sid:1;)`, IPTables, Exact, ""},
		{"udp payload with offset", `alert udp any any -> any 53 (msg:"x"; content:"ab"; offset:3; depth:2; sid:1;)`, IPTables, Exact, ""},
		{"tcp payload", `alert tcp any any -> any 80 (msg:"x"; content:"ab"; sid:1;)`, IPTables, Approximated, "reassembled stream"},
		{"http buffer", `alert http any any -> any any (msg:"x"; http.uri; content:"/a"; sid:1;)`, IPTables, Approximated, "raw packet match"},
		{"distance", `alert udp any any -> any any (msg:"x"; content:"a"; content:"b"; distance:1; sid:1;)`, IPTables, Approximated, "distance/within dropped"},
		{"pcre", `alert udp any any -> any any (msg:"x"; pcre:"/a/"; sid:1;)`, IPTables, NotTranslatable, "pcre"},
		{"flowbits isset", `alert udp any any -> any any (msg:"x"; flowbits:isset,a; sid:1;)`, IPTables, NotTranslatable, "flowbits:isset"},
		{"flowbits noalert", `alert udp any any -> any any (msg:"x"; flowbits:set,a; flowbits:noalert; sid:1;)`, NFTables, NotTranslatable, "noalert"},
		{"flowbits set", `alert udp any any -> any any (msg:"x"; flowbits:set,a; sid:1;)`, IPTables, Exact, "flowbits:set dropped"},
		{"unknown keyword", `alert udp any any -> any any (msg:"x"; frobnicate:1; sid:1;)`, IPTables, NotTranslatable, "frobnicate"},
		{"negated relative", `alert udp any any -> any any (msg:"x"; content:"a"; content:!"b"; distance:0; sid:1;)`, IPTables, Approximated, "negated content with the above dropped"},
		{"bidirectional", `alert udp 1.2.3.4 any <> any 53 (msg:"x"; sid:1;)`, IPTables, Exact, ""},
		{"nft unanchored", `alert udp any any -> any any (msg:"x"; content:"a"; sid:1;)`, NFTables, NotTranslatable, "no string match"},
		{"nft anchored", `alert udp any any -> any any (msg:"x"; content:"abc"; offset:2; depth:3; sid:1;)`, NFTables, Exact, ""},
		{"nft v6", `alert udp any any -> ::1 any (msg:"x"; sid:1;)`, NFTables, Exact, ""},
		{"iptables v6", `alert udp any any -> ::1 any (msg:"x"; sid:1;)`, IPTables, NotTranslatable, "IPv6"},
		{"bad var", `alert udp $NOPE any -> any any (msg:"x"; sid:1;)`, IPTables, NotTranslatable, "undefined variable $NOPE"},
		{"huge offset nft", `alert udp any any -> any any (msg:"x"; content:"abc"; offset:70000; depth:3; sid:1;)`, NFTables, NotTranslatable, "beyond the largest IP packet"},
		{"many contents", `alert udp any any -> any any (msg:"x"; ` + strings.Repeat(`content:"abc"; `, 17) + `sid:1;)`, IPTables, Approximated, "only the 16 longest of 17 contents"},
		{"long content", `alert udp any any -> any any (msg:"x"; content:"` + strings.Repeat("a", 130) + `"; sid:1;)`, IPTables, Approximated, "128 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := translateOne(t, tc.rule, tc.f, Options{})
			assert.Equal(t, tc.verdict, res.Verdict, "notes: %q", res.Notes)
			if tc.note != "" {
				assert.Contains(t, strings.Join(res.Notes, "\n"), tc.note)
			} else {
				assert.Empty(t, res.Notes)
			}
			if tc.verdict == NotTranslatable {
				assert.Empty(t, res.Rules)
			} else {
				assert.NotEmpty(t, res.Rules)
			}
		})
	}
}

func TestTranslateTargets(t *testing.T) {
	rule := `alert tcp any any -> any 80 (msg:"x"; sid:7; rev:1;)`
	for _, tc := range []struct {
		target string
		want   [][]string
	}{
		{"", [][]string{
			{"-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "1:7 x", "-j", "LOG", "--log-prefix", "sigtool 1:7 "},
			{"-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "1:7 x", "-j", "DROP"},
		}},
		{"reject", [][]string{
			{"-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "1:7 x", "-j", "LOG", "--log-prefix", "sigtool 1:7 "},
			{"-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "1:7 x", "-j", "REJECT", "--reject-with", "tcp-reset"},
		}},
		{"LOG", [][]string{
			{"-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "1:7 x", "-j", "LOG", "--log-prefix", "sigtool 1:7 "},
		}},
	} {
		res := translateOne(t, rule, IPTables, Options{Target: tc.target})
		assert.Equal(t, tc.want, res.Rules, tc.target)
	}
	_, err := Translate(nil, IPTables, Options{Target: "ACCEPT"})
	assert.EqualError(t, err, `target "ACCEPT": want DROP, REJECT or LOG`)
	_, err = Translate(nil, IPTables, Options{Target: "REJECT", Chain: ChainOptions{Table: "mangle"}})
	assert.EqualError(t, err, "target REJECT: iptables allows REJECT only in table filter, not mangle")
	res := translateOne(t, `reject tcp any any -> any 80 (msg:"x"; sid:7;)`, IPTables, Options{Chain: ChainOptions{Table: "raw"}})
	assert.Equal(t, NotTranslatable, res.Verdict)
	res = translateOne(t, `alert udp any any -> any 53 (msg:"x"; flow:to_server; sid:7;)`, NFTables, Options{Chain: ChainOptions{Table: "raw"}})
	assert.Equal(t, []string{"flow: table raw runs before connection tracking, so conntrack matches never hold there"}, res.Notes)
	_, err = Translate(nil, "pf", Options{})
	assert.EqualError(t, err, `format "pf": want iptables or nftables`)
}

func TestTranslateVars(t *testing.T) {
	rule := `alert tcp $HOME_NET any -> any $HTTP_PORTS (msg:"x"; sid:7; rev:1;)`
	res := translateOne(t, rule, IPTables, Options{Vars: map[string]string{"HOME_NET": "10.1.2.0/24", "HTTP_PORTS": "[80,8080]"}})
	require.Equal(t, Exact, res.Verdict)
	assert.Equal(t, []string{"-s", "10.1.2.0/24", "-p", "tcp", "-m", "multiport", "--dports", "80,8080",
		"-m", "comment", "--comment", "1:7 x", "-j", "DROP"}, res.Rules[1])
}

func TestHexString(t *testing.T) {
	assert.Equal(t, "|0d 0a|User-Agent|3a 20|evil", hexString([]byte("\r\nUser-Agent: evil")))
	assert.Equal(t, `|22|a|7c|`, hexString([]byte(`"a|`)))
	assert.True(t, printable([]byte("/imagedump/image.php")))
	assert.False(t, printable([]byte(`a"b`)))
}

func TestComment(t *testing.T) {
	assert.Equal(t, `1:5 say 'hi'/x?`, comment(1, 5, "say \"hi\"\\x\x01", 255))
	assert.Equal(t, "1:5 abc", comment(1, 5, "abcdef", 7))
	assert.Len(t, logPrefix(1, 2147483647), 21)
}
