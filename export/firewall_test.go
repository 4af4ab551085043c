package export

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// foreign adds rules and a chain that belong to someone else, which no
// sigtool operation may change.
func foreign(t *testing.T, m *Memory) {
	t.Helper()
	require.NoError(t, m.NewChain("filter", "DOCKER"))
	require.NoError(t, m.Append("filter", "DOCKER", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"))
	require.NoError(t, m.Append("filter", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT"))
	require.NoError(t, m.Append("filter", "FORWARD", "-j", "DOCKER"))
	m.Log = nil
}

func without(lines []string, chains ...string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		mine := false
		for _, c := range chains {
			if slices.Contains(f, c) {
				mine = true
			}
		}
		if !mine {
			out = append(out, l)
		}
	}
	return out
}

var (
	rulesA = [][]string{
		{"-p", "tcp", "-m", "string", "--string", "/imagedump/image.php", "--algo", "bm", "-j", "LOG", "--log-prefix", "sigtool 1:1 "},
		{"-p", "tcp", "-m", "string", "--string", "/imagedump/image.php", "--algo", "bm", "-j", "DROP"},
	}
	rulesB = [][]string{
		{"-p", "udp", "--dport", "53", "-j", "DROP"},
	}
)

func TestApplyEmpty(t *testing.T) {
	m := NewMemory()
	require.NoError(t, Apply(m, ChainOptions{}, rulesA))
	assert.Equal(t, []string{
		"-P INPUT ACCEPT",
		"-P FORWARD ACCEPT",
		"-P OUTPUT ACCEPT",
		"-N SIGTOOL",
		"-A INPUT -j SIGTOOL",
		"-A FORWARD -j SIGTOOL",
		"-A OUTPUT -j SIGTOOL",
		`-A SIGTOOL -p tcp -m string --string /imagedump/image.php --algo bm -j LOG --log-prefix "sigtool 1:1 "`,
		"-A SIGTOOL -p tcp -m string --string /imagedump/image.php --algo bm -j DROP",
	}, m.Dump("filter"))
	assert.Equal(t, []string{
		"iptables -t filter -N SIGTOOL-new",
		`iptables -t filter -A SIGTOOL-new -p tcp -m string --string /imagedump/image.php --algo bm -j LOG --log-prefix "sigtool 1:1 "`,
		"iptables -t filter -A SIGTOOL-new -p tcp -m string --string /imagedump/image.php --algo bm -j DROP",
		"iptables -t filter -I INPUT 1 -j SIGTOOL-new",
		"iptables -t filter -I FORWARD 1 -j SIGTOOL-new",
		"iptables -t filter -I OUTPUT 1 -j SIGTOOL-new",
		"iptables -t filter -E SIGTOOL-new SIGTOOL",
	}, m.Log)
}

func TestApplyKeepsOthersAndReplaces(t *testing.T) {
	m := NewMemory()
	foreign(t, m)
	before := m.Dump("filter")
	require.NoError(t, Apply(m, ChainOptions{}, rulesA))
	require.NoError(t, Apply(m, ChainOptions{Hooks: []string{"input"}}, rulesB))
	got := m.Dump("filter")
	assert.Equal(t, before, without(got, "SIGTOOL"), "only sigtool's chain and jumps may change")
	assert.Equal(t, []string{
		"-N SIGTOOL",
		"-A INPUT -j SIGTOOL",
		"-A SIGTOOL -p udp --dport 53 -j DROP",
	}, without(got, "ACCEPT", "DOCKER"), "one jump, from INPUT only, to the new rules")
	// The jump goes first so that an ACCEPT earlier in the hook cannot
	// hide traffic from the signatures.
	in, err := m.List("filter", "INPUT")
	require.NoError(t, err)
	assert.Equal(t, "-A INPUT -j SIGTOOL", in[1])

	require.NoError(t, Remove(m, ChainOptions{}))
	assert.Equal(t, before, m.Dump("filter"))
	require.NoError(t, Remove(m, ChainOptions{}), "removing twice is fine")
}

// TestApplyAlwaysComplete checks, after every single change Apply makes,
// that each hook jumps to a chain holding either the complete old rules or
// the complete new ones.
func TestApplyAlwaysComplete(t *testing.T) {
	m := NewMemory()
	require.NoError(t, Apply(m, ChainOptions{}, rulesA))
	complete := func() error {
		for _, h := range builtinChains["filter"] {
			lines, _ := m.List("filter", h)
			ok := false
			for _, l := range lines {
				f := strings.Fields(l)
				if len(f) != 4 || f[2] != "-j" {
					continue
				}
				c := m.tables["filter"].chains[f[3]]
				if c != nil && (equalRules(c.rules, rulesA) || equalRules(c.rules, rulesB)) {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("%s jumps to no complete chain: %v", h, m.Dump("filter"))
			}
		}
		return nil
	}
	steps := 0
	m.Fail = func([]string) error {
		steps++
		// Fail runs before the change; check the state the previous change left.
		if err := complete(); err != nil {
			t.Error(err)
		}
		return nil
	}
	require.NoError(t, Apply(m, ChainOptions{}, rulesB))
	require.NoError(t, complete())
	assert.Greater(t, steps, 5)
}

func equalRules(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func TestApplyFailureLeavesOldChain(t *testing.T) {
	m := NewMemory()
	foreign(t, m)
	require.NoError(t, Apply(m, ChainOptions{}, rulesA))
	before := m.Dump("filter")
	for _, failOn := range []string{"-A SIGTOOL-new", "-I OUTPUT"} {
		t.Run(failOn, func(t *testing.T) {
			m.Fail = func(args []string) error {
				if strings.Contains(strings.Join(args, " "), failOn) {
					return errors.New("boom")
				}
				return nil
			}
			err := Apply(m, ChainOptions{}, rulesB)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "boom")
			assert.Contains(t, err.Error(), "chain SIGTOOL left unchanged")
			m.Fail = nil
			assert.Equal(t, before, m.Dump("filter"))
		})
	}
}

func TestApplyCleansLeftover(t *testing.T) {
	m := NewMemory()
	require.NoError(t, Apply(m, ChainOptions{}, rulesA))
	// An apply killed after its jumps were inserted.
	require.NoError(t, m.NewChain("filter", "SIGTOOL-new"))
	require.NoError(t, m.Insert("filter", "INPUT", 1, "-j", "SIGTOOL-new"))
	st, err := Status(m, ChainOptions{})
	require.NoError(t, err)
	assert.True(t, st.Leftover)

	require.NoError(t, Apply(m, ChainOptions{}, rulesB))
	assert.Equal(t, []string{
		"-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT",
		"-N SIGTOOL",
		"-A INPUT -j SIGTOOL", "-A FORWARD -j SIGTOOL", "-A OUTPUT -j SIGTOOL",
		"-A SIGTOOL -p udp --dport 53 -j DROP",
	}, m.Dump("filter"))
}

func TestStatus(t *testing.T) {
	m := NewMemory()
	st, err := Status(m, ChainOptions{})
	require.NoError(t, err)
	assert.Equal(t, &ChainStatus{Table: "filter", Chain: "SIGTOOL", Hooks: []string{}, Rules: []RuleStatus{}}, st)

	require.NoError(t, Apply(m, ChainOptions{Chain: "IDS", Hooks: []string{"FORWARD", "OUTPUT"}}, rulesB))
	st, err = Status(m, ChainOptions{Chain: "IDS"})
	require.NoError(t, err)
	assert.Equal(t, &ChainStatus{Table: "filter", Chain: "IDS", Exists: true,
		Hooks: []string{"FORWARD", "OUTPUT"},
		Rules: []RuleStatus{{Rule: "-A IDS -p udp --dport 53 -j DROP"}}}, st)
}

func TestChainOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		opts ChainOptions
		want string
	}{
		{ChainOptions{Table: "nat"}, `table "nat": sigtool uses filter, mangle or raw`},
		{ChainOptions{Hooks: []string{"PREROUTING"}}, `hook "PREROUTING": table filter has INPUT, FORWARD, OUTPUT`},
		{ChainOptions{Chain: "INPUT"}, `chain name "INPUT" is a built-in chain; sigtool only manages its own chain`},
		{ChainOptions{Chain: "DROP"}, `chain name "DROP" is a target`},
		{ChainOptions{Chain: "a b"}, `chain name "a b": use letters, digits, '_' and '-'`},
		{ChainOptions{Chain: strings.Repeat("X", 25)}, `chain name "XXXXXXXXXXXXXXXXXXXXXXXXX": at most 24 characters (sigtool also needs "XXXXXXXXXXXXXXXXXXXXXXXXX-new")`},
	} {
		m := NewMemory()
		err := Apply(m, tc.opts, rulesB)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.Empty(t, m.Log)
	}
}

func TestExplain(t *testing.T) {
	assert.Contains(t, explain(errors.New("running [/usr/sbin/iptables -t filter -N X]: exit status 4: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)")).Error(),
		"iptables needs root (CAP_NET_ADMIN)")
	assert.Contains(t, explain(errors.New(`exec: "iptables": executable file not found in $PATH`)).Error(), "iptables not found: install iptables")
}

func TestSeed(t *testing.T) {
	real := NewMemory()
	foreign(t, real)
	require.NoError(t, Apply(real, ChainOptions{}, rulesA))
	want := real.Dump("filter")

	dry := NewMemory()
	require.NoError(t, dry.Seed(real, ChainOptions{}))
	require.NoError(t, Apply(dry, ChainOptions{Hooks: []string{"INPUT"}}, rulesB))
	assert.Equal(t, "iptables -t filter -N SIGTOOL-new", dry.Log[0])
	assert.Contains(t, dry.Log, "iptables -t filter -D FORWARD -j SIGTOOL", "the dry run sees the real jumps")
	assert.Equal(t, want, real.Dump("filter"), "seeding only reads")
}

func TestParseCounters(t *testing.T) {
	assert.Equal(t, RuleStatus{Packets: 3, Bytes: 180, Rule: `-A SIGTOOL -s 10.0.0.1/32 -m comment --comment "1:6 pass -c 1 2" -j RETURN`},
		parseCounters(`-A SIGTOOL -s 10.0.0.1/32 -m comment --comment "1:6 pass -c 1 2" -c 3 180 -j RETURN`))
	assert.Equal(t, RuleStatus{Packets: 7, Bytes: 9, Rule: "-A SIGTOOL -p udp -j DROP"}, parseCounters("-A SIGTOOL -c 7 9 -p udp -j DROP"))
	assert.Equal(t, RuleStatus{Rule: "-A SIGTOOL -j DROP"}, parseCounters("-A SIGTOOL -j DROP"))
}
