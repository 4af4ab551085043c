package iponly

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// fromSigparse turns a parsed header address into an Addr, expanding
// variables with vars by re-parsing the expanded text in a throwaway rule.
func fromSigparse(tb testing.TB, vars map[string]string, a *sigparse.Addr) *Addr {
	tb.Helper()
	if a == nil {
		return nil
	}
	if a.Var != "" {
		text, err := rulesets.Expand(vars, "$"+a.Var)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := sigparse.ParseRule("alert ip "+text+" any -> any any (sid:1;)", sigparse.Options{})
		if err != nil {
			tb.Fatalf("expanding $%s: %v", a.Var, err)
		}
		out := fromSigparse(tb, vars, r.Src)
		if a.Negated {
			out = &Addr{Neg: true, IsList: true, List: []*Addr{out}}
		}
		return out
	}
	out := &Addr{Neg: a.Negated, Any: a.Any, Prefix: a.Prefix, IsList: a.IsList}
	for _, it := range a.List {
		out.List = append(out.List, fromSigparse(tb, vars, it))
	}
	return out
}

// collect gathers every prefix of an expression, to draw test addresses
// from the lists themselves.
func collect(a *Addr, out []netip.Prefix) []netip.Prefix {
	if a == nil {
		return out
	}
	if a.Prefix.IsValid() {
		out = append(out, a.Prefix)
	}
	for _, it := range a.List {
		out = collect(it, out)
	}
	return out
}

// TestETOpenIPLists builds the table from every content-less rule of ET
// Open's IP-list files and checks lookups against the direct semantics,
// with addresses taken from the lists (hits, their neighbours) and from
// HOME_NET and elsewhere.
func TestETOpenIPLists(t *testing.T) {
	if testing.Short() {
		t.Skip("loads ET Open's IP-list files")
	}
	dir := sharedtest.Path(t, "rulesets", "et-open-2024-04")
	var paths []string
	for _, f := range []string{"tor.rules", "ciarmy.rules", "compromised.rules", "drop.rules", "dshield.rules", "botcc.rules"} {
		paths = append(paths, dir+"/"+f)
	}
	l, err := rulesets.Load(paths, sigparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vars := rulesets.DefaultVars()
	var rules []Rule
	var prefixes []netip.Prefix
	for i, r := range l.Enabled() {
		if r.Bidirectional {
			continue
		}
		rl := Rule{Index: i, Src: fromSigparse(t, vars, r.Src), Dst: fromSigparse(t, vars, r.Dst)}
		rules = append(rules, rl)
		prefixes = collect(rl.Src, prefixes)
		prefixes = collect(rl.Dst, prefixes)
	}
	if len(rules) < 500 || len(prefixes) < 10000 {
		t.Fatalf("only %d rules and %d prefixes: the IP-list files did not load as expected", len(rules), len(prefixes))
	}
	tab := New(rules)
	var s Scratch
	r := rand.New(rand.NewPCG(6, 6))
	pick := func() netip.Addr {
		switch r.IntN(4) {
		case 0:
			return netip.AddrFrom4([4]byte{192, 168, byte(r.IntN(256)), byte(r.IntN(256))})
		case 1:
			return netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		default:
			a := prefixes[r.IntN(len(prefixes))].Addr()
			switch r.IntN(3) {
			case 0:
				return a.Prev()
			case 1:
				return a.Next()
			}
			return a
		}
	}
	hits := 0
	for range 3000 {
		src, dst := pick(), pick()
		got := tab.Lookup(&s, src, dst)
		var want []int32
		for _, rl := range rules {
			if matchRef(rl.Src, src) && matchRef(rl.Dst, dst) {
				want = append(want, int32(rl.Index))
			}
		}
		hits += len(want)
		if len(got) != len(want) {
			t.Fatalf("Lookup(%v, %v) = %v, want %v", src, dst, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("Lookup(%v, %v) = %v, want %v", src, dst, got, want)
			}
		}
	}
	t.Logf("%d rules, %d prefixes, %d rule hits over 3000 lookups", len(rules), len(prefixes), hits)
	if hits == 0 {
		t.Error("no lookup hit any rule: the test proves nothing")
	}
}
