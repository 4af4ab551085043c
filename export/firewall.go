package export

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// Firewall is the part of github.com/coreos/go-iptables that sigtool uses.
// *iptables.IPTables satisfies it; tests use the in-memory fake in
// export/fwtest. Rules are rulespecs as go-iptables takes them: the
// arguments after "-A CHAIN", one string per argument, unquoted.
type Firewall interface {
	ChainExists(table, chain string) (bool, error)
	NewChain(table, chain string) error
	ClearAndDeleteChain(table, chain string) error
	RenameChain(table, oldChain, newChain string) error
	Append(table, chain string, rulespec ...string) error
	Insert(table, chain string, pos int, rulespec ...string) error
	Exists(table, chain string, rulespec ...string) (bool, error)
	Delete(table, chain string, rulespec ...string) error
	// List returns the chain in iptables -S form: "-N CHAIN" (or
	// "-P CHAIN POLICY" for a built-in chain) then one "-A CHAIN ..." per rule.
	List(table, chain string) ([]string, error)
	// ListWithCounters is List with "-c PACKETS BYTES" in each rule.
	ListWithCounters(table, chain string) ([]string, error)
}

var _ Firewall = (*iptables.IPTables)(nil)

// NewIPTables returns the real IPv4 firewall. It fails with an explanation
// when the iptables binary is missing.
func NewIPTables() (Firewall, error) {
	ipt, err := iptables.New()
	if err != nil {
		return nil, explain(err)
	}
	return ipt, nil
}

// explain turns go-iptables' errors about a missing binary or missing
// privileges into a message that says what to do.
func explain(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("iptables not found: install iptables (apt-get install iptables): %w", err)
	}
	msg := strings.TrimSpace(err.Error())
	switch {
	case strings.Contains(msg, "Permission denied"), strings.Contains(msg, "you must be root"),
		strings.Contains(msg, "Operation not permitted"):
		return fmt.Errorf("iptables needs root (CAP_NET_ADMIN): run sigtool as root or use --dry-run: %s", msg)
	case strings.Contains(msg, "executable file not found"):
		return fmt.Errorf("iptables not found: install iptables (apt-get install iptables): %w", err)
	}
	return err
}

// builtinChains lists the hooks of each table sigtool may jump from.
var builtinChains = map[string][]string{
	"filter": {"INPUT", "FORWARD", "OUTPUT"},
	"mangle": {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":    {"PREROUTING", "OUTPUT"},
}

// maxChainName is the kernel's limit (XT_EXTENSION_MAXNAMELEN minus the NUL).
const maxChainName = 28

// newSuffix names the chain an apply builds before swapping it in.
const newSuffix = "-new"

// ChainOptions says where sigtool's rules live. The zero value is chain
// SIGTOOL in table filter, jumped to from INPUT, FORWARD and OUTPUT.
type ChainOptions struct {
	Table string   // "filter" when empty
	Chain string   // "SIGTOOL" when empty
	Hooks []string // built-in chains that jump to Chain; all of Table's when empty
}

// DefaultChain is the chain sigtool creates when none is named.
const DefaultChain = "SIGTOOL"

func (o ChainOptions) normalize() (ChainOptions, error) {
	if o.Table == "" {
		o.Table = "filter"
	}
	if o.Chain == "" {
		o.Chain = DefaultChain
	}
	hooks, ok := builtinChains[o.Table]
	if !ok {
		return o, fmt.Errorf("table %q: sigtool uses filter, mangle or raw", o.Table)
	}
	if len(o.Hooks) == 0 {
		o.Hooks = hooks
	}
	seen := map[string]bool{}
	var hs []string
	for _, h := range o.Hooks {
		h = strings.ToUpper(strings.TrimSpace(h))
		if !slices.Contains(hooks, h) {
			return o, fmt.Errorf("hook %q: table %s has %s", h, o.Table, strings.Join(hooks, ", "))
		}
		if !seen[h] {
			seen[h] = true
			hs = append(hs, h)
		}
	}
	o.Hooks = hs
	if err := checkChainName(o.Chain); err != nil {
		return o, err
	}
	return o, nil
}

func checkChainName(name string) error {
	if len(name)+len(newSuffix) > maxChainName {
		return fmt.Errorf("chain name %q: at most %d characters (sigtool also needs %q)", name, maxChainName-len(newSuffix), name+newSuffix)
	}
	for _, b := range []byte(name) {
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return fmt.Errorf("chain name %q: use letters, digits, '_' and '-'", name)
		}
	}
	for _, tables := range builtinChains {
		if slices.Contains(tables, strings.ToUpper(name)) {
			return fmt.Errorf("chain name %q is a built-in chain; sigtool only manages its own chain", name)
		}
	}
	switch strings.ToUpper(name) {
	case "ACCEPT", "DROP", "REJECT", "RETURN", "LOG", "QUEUE":
		return fmt.Errorf("chain name %q is a target", name)
	}
	return nil
}

// Apply replaces sigtool's chain with one holding rules, so that traffic
// always meets either the old complete chain or the new complete one:
// it builds CHAIN-new, inserts a jump to it at the top of each hook,
// deletes the jumps to the old chain (also from hooks no longer named),
// deletes the old chain and renames CHAIN-new to CHAIN (iptables follows
// a rename in the jumps). If filling the new chain fails, the old chain is
// left as it was and the new one removed. Nothing outside sigtool's two
// chains and its jump rules is read-modified.
func Apply(fw Firewall, opts ChainOptions, rules [][]string) error {
	o, err := opts.normalize()
	if err != nil {
		return err
	}
	tmp := o.Chain + newSuffix
	// A previous apply that died half-way may have left CHAIN-new behind.
	if err := removeChain(fw, o.Table, tmp); err != nil {
		return explain(err)
	}
	if err := fw.NewChain(o.Table, tmp); err != nil {
		return explain(fmt.Errorf("creating chain %s: %w", tmp, err))
	}
	for i, r := range rules {
		if err := fw.Append(o.Table, tmp, r...); err != nil {
			if cerr := fw.ClearAndDeleteChain(o.Table, tmp); cerr != nil {
				err = errors.Join(err, cerr)
			}
			return explain(fmt.Errorf("rule %d (%s): %w; chain %s left unchanged", i+1, strings.Join(r, " "), err, o.Chain))
		}
	}
	for _, h := range o.Hooks {
		if err := fw.Insert(o.Table, h, 1, "-j", tmp); err != nil {
			// Undo the jumps already made so the old chain stays the only one.
			if rerr := removeChain(fw, o.Table, tmp); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return explain(fmt.Errorf("jumping from %s to %s: %w; chain %s left unchanged", h, tmp, err, o.Chain))
		}
	}
	if err := removeChain(fw, o.Table, o.Chain); err != nil {
		return explain(err)
	}
	if err := fw.RenameChain(o.Table, tmp, o.Chain); err != nil {
		return explain(fmt.Errorf("renaming %s to %s: %w", tmp, o.Chain, err))
	}
	return nil
}

// Remove deletes sigtool's chain (and a left-over CHAIN-new) and every jump
// to them from the table's built-in chains. Removing what is not there is
// not an error.
func Remove(fw Firewall, opts ChainOptions) error {
	o, err := opts.normalize()
	if err != nil {
		return err
	}
	for _, c := range []string{o.Chain + newSuffix, o.Chain} {
		if err := removeChain(fw, o.Table, c); err != nil {
			return explain(err)
		}
	}
	return nil
}

// removeChain deletes every "-j chain" rule from the table's built-in
// chains, then the chain itself.
func removeChain(fw Firewall, table, chain string) error {
	ok, err := fw.ChainExists(table, chain)
	if err != nil {
		return fmt.Errorf("looking for chain %s: %w", chain, err)
	}
	if !ok {
		return nil
	}
	for _, h := range builtinChains[table] {
		for {
			n, err := fw.Exists(table, h, "-j", chain)
			if err != nil {
				return fmt.Errorf("looking for the jump from %s to %s: %w", h, chain, err)
			}
			if !n {
				break
			}
			if err := fw.Delete(table, h, "-j", chain); err != nil {
				return fmt.Errorf("deleting the jump from %s to %s: %w", h, chain, err)
			}
		}
	}
	if err := fw.ClearAndDeleteChain(table, chain); err != nil {
		return fmt.Errorf("deleting chain %s: %w", chain, err)
	}
	return nil
}

// ChainStatus is what Status found.
type ChainStatus struct {
	Table  string       `json:"table"`
	Chain  string       `json:"chain"`
	Exists bool         `json:"exists"`
	Hooks  []string     `json:"hooks"` // built-in chains that jump to Chain
	Rules  []RuleStatus `json:"rules"`
	// Leftover is set when a CHAIN-new from an interrupted apply exists.
	Leftover bool `json:"leftover,omitempty"`
}

// Status reports whether sigtool's chain exists, which hooks jump to it and
// its rules with their packet counters.
func Status(fw Firewall, opts ChainOptions) (*ChainStatus, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	st := &ChainStatus{Table: o.Table, Chain: o.Chain, Hooks: []string{}, Rules: []RuleStatus{}}
	if st.Exists, err = fw.ChainExists(o.Table, o.Chain); err != nil {
		return nil, explain(err)
	}
	if st.Leftover, err = fw.ChainExists(o.Table, o.Chain+newSuffix); err != nil {
		return nil, explain(err)
	}
	if !st.Exists {
		return st, nil
	}
	for _, h := range builtinChains[o.Table] {
		ok, err := fw.Exists(o.Table, h, "-j", o.Chain)
		if err != nil {
			return nil, explain(err)
		}
		if ok {
			st.Hooks = append(st.Hooks, h)
		}
	}
	lines, err := fw.ListWithCounters(o.Table, o.Chain)
	if err != nil {
		return nil, explain(err)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "-A ") {
			st.Rules = append(st.Rules, parseCounters(l))
		}
	}
	return st, nil
}

// RuleStatus is one rule of sigtool's chain with its counters.
type RuleStatus struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// Rule is the rule in iptables -S form, counters removed.
	Rule string `json:"rule"`
}

// parseCounters takes the "-c PACKETS BYTES" out of an iptables -v -S
// line; iptables-legacy prints it after the chain name, iptables-nft
// before the target.
func parseCounters(l string) RuleStatus {
	f := strings.Fields(l)
	for i := 0; i+2 < len(f); i++ {
		if f[i] != "-c" {
			continue
		}
		p, err1 := strconv.ParseUint(f[i+1], 10, 64)
		b, err2 := strconv.ParseUint(f[i+2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		// Cut the three fields out of the original text, keeping quotes.
		idx := strings.Index(l, " -c "+f[i+1]+" "+f[i+2])
		if idx < 0 {
			break
		}
		rest := l[:idx] + l[idx+len(" -c "+f[i+1]+" "+f[i+2]):]
		return RuleStatus{Packets: p, Bytes: b, Rule: rest}
	}
	return RuleStatus{Rule: l}
}
