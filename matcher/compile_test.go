package matcher

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// engineShape is what compile decides that must not depend on how many
// goroutines compiled the rules: evaluation order, address set and
// flowbit numbering, rules not evaluated and why.
func engineShape(e *Engine) string {
	var b strings.Builder
	for _, r := range e.rules {
		fmt.Fprintf(&b, "%d:%d idx=%d tx=%d src=%d dst=%d act=%v chk=%v ipo=%v pf=%v/%v\n",
			r.gid, r.sid, r.idx, r.txIdx, r.srcSet, r.dstSet, r.fbActions, r.fbChecks, r.ipOnly, r.pfPay, r.pfTx)
	}
	fmt.Fprintf(&b, "addrSets=%d mixed=%v flowbits=%v\n", len(e.addrSets), e.mixed, e.flowbitNames)
	fmt.Fprintf(&b, "notEval=%+v\n", e.notEval)
	return b.String()
}

// TestCompileParallelDeterministic compiles the shared rule sets on one
// and on several goroutines and requires the same engine.
func TestCompileParallelDeterministic(t *testing.T) {
	for _, dir := range []string{"et-open-2024-04", "snort2-community"} {
		t.Run(dir, func(t *testing.T) {
			l, err := rulesets.Load([]string{sharedtest.Path(t, "rulesets", dir)}, sigparse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rules := l.Enabled()
			shape := func(procs int) string {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				e, err := compile(rules, Config{})
				if err != nil {
					t.Fatal(err)
				}
				return engineShape(e)
			}
			one := shape(1)
			for _, n := range []int{2, 5} {
				if got := shape(n); got != one {
					t.Errorf("GOMAXPROCS %d: engine differs from GOMAXPROCS 1", n)
				}
			}
		})
	}
}

// TestCompileOrderDependentParts pins what finishRule does in input order:
// flowbit numbers by first use, a header error dropping the option
// findings, a bad pcre still reported at compile, and identical pcre
// keywords sharing one program.
func TestCompileOrderDependentParts(t *testing.T) {
	src := `alert tcp any any -> any any (msg:"a"; flowbits:isset,b; flowbits:set,a; sid:1;)
alert tcp $NOPE any -> any any (msg:"bad var"; foo_kw; sid:2;)
alert foo any any -> any $NOPE_PORT (msg:"bad port"; foo_kw; sid:3;)
alert tcp any any -> any any (msg:"bad pcre"; pcre:"/ab(c/"; sid:4;)
alert tcp any any -> any any (msg:"p1"; content:"x"; pcre:"/ab+c/i"; flowbits:set,c|a; sid:5;)
alert tcp any any -> any any (msg:"p2"; content:"y"; pcre:"/ab+c/i"; sid:6;)
`
	f, errs := sigparse.ParseFile("t.rules", []byte(src), sigparse.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, procs := range []int{1, 3} {
		t.Run(fmt.Sprint(procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			e, err := compile(f.Rules, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"b": 0, "a": 1, "c": 2}; !reflect.DeepEqual(e.flowbitNames, want) {
				t.Errorf("flowbit numbers %v, want %v", e.flowbitNames, want)
			}
			var reasons []string
			for _, ne := range e.notEval {
				reasons = append(reasons, fmt.Sprintf("%d %v %s", ne.SID, ne.Keywords, ne.Reason))
			}
			want := []string{
				"2 [] undefined address variable $NOPE",
				`3 [protocol:foo] protocol "foo" is not evaluated (only ip, tcp, udp, icmp, http); undefined port variable $NOPE_PORT`,
				"4 [pcre] " + mustPCREErr(t, "ab(c"),
			}
			if !reflect.DeepEqual(reasons, want) {
				t.Errorf("not evaluated:\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
			}
			var progs []*pcreProg
			for _, r := range e.rules {
				for _, o := range r.payload {
					if o.kind == opPCRE {
						progs = append(progs, o.re)
					}
				}
			}
			if len(progs) != 2 || progs[0] != progs[1] {
				t.Errorf("pcre programs %v: want one shared by sid 5 and 6", progs)
			}
		})
	}
}

func mustPCREErr(t *testing.T, pattern string) string {
	t.Helper()
	_, err := compilePCRE(pattern, "", false)
	if err == nil {
		t.Fatalf("pcre %q compiles; the test needs a bad one", pattern)
	}
	return err.Error()
}
