package export

import (
	"fmt"
	"slices"
	"strings"
)

// Memory is an in-memory Firewall that follows iptables' rules for what
// fails (a chain that exists, a jump to a chain that does not, deleting a
// chain still referenced or not empty, a rule that is not there) and
// records every change as the iptables command that would make it.
// --dry-run applies to a Memory seeded from the real tables and prints
// Log; unit tests use it as the fake behind Firewall.
// A Memory is not safe for concurrent use.
type Memory struct {
	tables map[string]*memTable
	// Log holds one "iptables -t TABLE ..." line per change, in order.
	Log []string
	// Fail, when set, is called before each change with its iptables
	// arguments; a non-nil error is returned instead of making the change.
	Fail func(args []string) error
}

type memTable struct {
	order  []string
	chains map[string]*memChain
}

type memChain struct {
	policy string // "" for a user chain
	rules  [][]string
}

var _ Firewall = (*Memory)(nil)

// NewMemory returns tables filter, mangle and raw with their built-in
// chains empty and policy ACCEPT.
func NewMemory() *Memory {
	m := &Memory{tables: map[string]*memTable{}}
	for t, hooks := range builtinChains {
		mt := &memTable{chains: map[string]*memChain{}}
		for _, h := range hooks {
			mt.order = append(mt.order, h)
			mt.chains[h] = &memChain{policy: "ACCEPT"}
		}
		m.tables[t] = mt
	}
	return m
}

// MemError is the error a Memory returns; it carries iptables' message.
type MemError struct {
	Args []string
	Msg  string
}

func (e *MemError) Error() string {
	return fmt.Sprintf("iptables %s: %s", strings.Join(e.Args, " "), e.Msg)
}

func (m *Memory) table(name string) (*memTable, error) {
	t, ok := m.tables[name]
	if !ok {
		return nil, &MemError{[]string{"-t", name}, "can't initialize iptables table `" + name + "': Table does not exist"}
	}
	return t, nil
}

func (m *Memory) chain(table, chain string, args []string) (*memChain, error) {
	t, err := m.table(table)
	if err != nil {
		return nil, err
	}
	c, ok := t.chains[chain]
	if !ok {
		return nil, &MemError{args, "No chain/target/match by that name."}
	}
	return c, nil
}

// change runs Fail and records the command.
func (m *Memory) change(args []string) error {
	if m.Fail != nil {
		if err := m.Fail(args); err != nil {
			return err
		}
	}
	m.Log = append(m.Log, "iptables "+shellJoin(args))
	return nil
}

// references counts the rules in table that jump to chain.
func (t *memTable) references(chain string) int {
	n := 0
	for _, c := range t.chains {
		for _, r := range c.rules {
			if target(r) == chain {
				n++
			}
		}
	}
	return n
}

// target returns the argument of -j or -g in rulespec.
func target(r []string) string {
	for i := 0; i+1 < len(r); i++ {
		if r[i] == "-j" || r[i] == "--jump" || r[i] == "-g" || r[i] == "--goto" {
			return r[i+1]
		}
	}
	return ""
}

var standardTargets = []string{"ACCEPT", "DROP", "RETURN", "QUEUE", "LOG", "REJECT", "NFLOG", "MARK", "CONNMARK", "NOTRACK", "CT"}

func (m *Memory) checkTarget(t *memTable, args, r []string) error {
	tg := target(r)
	if tg == "" || slices.Contains(standardTargets, tg) {
		return nil
	}
	if _, ok := t.chains[tg]; !ok {
		return &MemError{args, "Couldn't load target `" + tg + "':No such file or directory"}
	}
	return nil
}

func (m *Memory) ChainExists(table, chain string) (bool, error) {
	t, err := m.table(table)
	if err != nil {
		return false, err
	}
	_, ok := t.chains[chain]
	return ok, nil
}

func (m *Memory) NewChain(table, chain string) error {
	args := []string{"-t", table, "-N", chain}
	t, err := m.table(table)
	if err != nil {
		return err
	}
	if _, ok := t.chains[chain]; ok {
		return &MemError{args, "Chain already exists."}
	}
	if err := m.change(args); err != nil {
		return err
	}
	t.order = append(t.order, chain)
	t.chains[chain] = &memChain{}
	return nil
}

func (m *Memory) ClearAndDeleteChain(table, chain string) error {
	t, err := m.table(table)
	if err != nil {
		return err
	}
	c, ok := t.chains[chain]
	if !ok {
		return nil // go-iptables: deleting a missing chain is fine
	}
	if c.policy != "" {
		return &MemError{[]string{"-t", table, "-X", chain}, "Can't delete built-in chain"}
	}
	if err := m.change([]string{"-t", table, "-F", chain}); err != nil {
		return err
	}
	c.rules = nil
	args := []string{"-t", table, "-X", chain}
	if t.references(chain) > 0 {
		return &MemError{args, "Too many links."}
	}
	if err := m.change(args); err != nil {
		return err
	}
	delete(t.chains, chain)
	t.order = slices.DeleteFunc(t.order, func(s string) bool { return s == chain })
	return nil
}

func (m *Memory) RenameChain(table, oldChain, newChain string) error {
	args := []string{"-t", table, "-E", oldChain, newChain}
	c, err := m.chain(table, oldChain, args)
	if err != nil {
		return err
	}
	t := m.tables[table]
	if c.policy != "" {
		return &MemError{args, "Can't rename built-in chain"}
	}
	if _, ok := t.chains[newChain]; ok {
		return &MemError{args, "File exists."}
	}
	if err := m.change(args); err != nil {
		return err
	}
	delete(t.chains, oldChain)
	t.chains[newChain] = c
	for i, n := range t.order {
		if n == oldChain {
			t.order[i] = newChain
		}
	}
	// Jumps refer to the chain itself, not its name.
	for _, ch := range t.chains {
		for _, r := range ch.rules {
			for i := 0; i+1 < len(r); i++ {
				if (r[i] == "-j" || r[i] == "-g") && r[i+1] == oldChain {
					r[i+1] = newChain
				}
			}
		}
	}
	return nil
}

func (m *Memory) Append(table, chain string, rulespec ...string) error {
	args := append([]string{"-t", table, "-A", chain}, rulespec...)
	c, err := m.chain(table, chain, args)
	if err != nil {
		return err
	}
	if err := m.checkTarget(m.tables[table], args, rulespec); err != nil {
		return err
	}
	if err := m.change(args); err != nil {
		return err
	}
	c.rules = append(c.rules, slices.Clone(rulespec))
	return nil
}

func (m *Memory) Insert(table, chain string, pos int, rulespec ...string) error {
	args := append([]string{"-t", table, "-I", chain, fmt.Sprint(pos)}, rulespec...)
	c, err := m.chain(table, chain, args)
	if err != nil {
		return err
	}
	if pos < 1 || pos > len(c.rules)+1 {
		return &MemError{args, "Index of insertion too big."}
	}
	if err := m.checkTarget(m.tables[table], args, rulespec); err != nil {
		return err
	}
	if err := m.change(args); err != nil {
		return err
	}
	c.rules = slices.Insert(c.rules, pos-1, slices.Clone(rulespec))
	return nil
}

func (m *Memory) find(c *memChain, rulespec []string) int {
	return slices.IndexFunc(c.rules, func(r []string) bool { return slices.Equal(r, rulespec) })
}

func (m *Memory) Exists(table, chain string, rulespec ...string) (bool, error) {
	c, err := m.chain(table, chain, append([]string{"-t", table, "-C", chain}, rulespec...))
	if err != nil {
		return false, err
	}
	return m.find(c, rulespec) >= 0, nil
}

func (m *Memory) Delete(table, chain string, rulespec ...string) error {
	args := append([]string{"-t", table, "-D", chain}, rulespec...)
	c, err := m.chain(table, chain, args)
	if err != nil {
		return err
	}
	i := m.find(c, rulespec)
	if i < 0 {
		return &MemError{args, "Bad rule (does a matching rule exist in that chain?)."}
	}
	if err := m.change(args); err != nil {
		return err
	}
	c.rules = slices.Delete(c.rules, i, i+1)
	return nil
}

func (m *Memory) List(table, chain string) ([]string, error) {
	return m.list(table, chain, false)
}

func (m *Memory) ListWithCounters(table, chain string) ([]string, error) {
	return m.list(table, chain, true)
}

func (m *Memory) list(table, chain string, counters bool) ([]string, error) {
	c, err := m.chain(table, chain, []string{"-t", table, "-S", chain})
	if err != nil {
		return nil, err
	}
	var out []string
	if c.policy != "" {
		out = append(out, "-P "+chain+" "+c.policy)
	} else {
		out = append(out, "-N "+chain)
	}
	for _, r := range c.rules {
		l := "-A " + chain
		if counters {
			l += " -c 0 0"
		}
		out = append(out, l+" "+shellJoin(r))
	}
	return out, nil
}

// Dump returns the table in iptables -S form: policies, user chains, then
// each chain's rules, as iptables prints them.
func (m *Memory) Dump(table string) []string {
	t, ok := m.tables[table]
	if !ok {
		return nil
	}
	var out []string
	for _, n := range t.order {
		if c := t.chains[n]; c.policy != "" {
			out = append(out, "-P "+n+" "+c.policy)
		}
	}
	for _, n := range t.order {
		if t.chains[n].policy == "" {
			out = append(out, "-N "+n)
		}
	}
	for _, n := range t.order {
		for _, r := range t.chains[n].rules {
			out = append(out, "-A "+n+" "+shellJoin(r))
		}
	}
	return out
}

// Seed copies into m what Apply and Remove read from real: the jumps to
// sigtool's chains in the table's built-in chains and the two chains
// themselves, so that a dry run starts from the real state. Other rules
// are copied as opaque placeholders to keep insert positions right.
func (m *Memory) Seed(real Firewall, opts ChainOptions) error {
	o, err := opts.normalize()
	if err != nil {
		return err
	}
	t := m.tables[o.Table]
	ours := []string{o.Chain, o.Chain + newSuffix}
	for _, c := range ours {
		ok, err := real.ChainExists(o.Table, c)
		if err != nil {
			return explain(err)
		}
		if ok {
			t.order = append(t.order, c)
			t.chains[c] = &memChain{}
		}
	}
	for _, c := range append(slices.Clone(builtinChains[o.Table]), ours...) {
		mc, ok := t.chains[c]
		if !ok {
			continue
		}
		lines, err := real.List(o.Table, c)
		if err != nil {
			return explain(err)
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != "-A" {
				continue
			}
			spec := f[2:]
			if tg := target(spec); tg != "" && !slices.Contains(ours, tg) && !slices.Contains(standardTargets, tg) {
				// A jump to someone else's chain: keep it, minus the target
				// check, as an opaque rule.
				spec = []string{"#", strings.Join(f[2:], " ")}
			}
			mc.rules = append(mc.rules, spec)
		}
	}
	return nil
}

// shellJoin quotes arguments the way iptables -S prints them, which is
// also how a shell reads them back.
func shellJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteArg(a))
	}
	return b.String()
}

func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\|;&$`*?<>()[]{}#") {
		return a
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(a) + `"`
}
