package matcher

import (
	"testing"

	"github.com/sigtool/sigtool/sigparse"
)

// FuzzInspect compiles arbitrary rule options and runs them over an
// arbitrary payload: compiling and inspecting must never panic, and a rule
// that compiles must give the same verdict twice (no state leaks between
// inspections).
func FuzzInspect(f *testing.F) {
	seeds := []struct{ opts, buf string }{
		{`content:"abc"; nocase; depth:10;`, "xxABCxx"},
		{`content:"a"; content:"b"; distance:0; within:1;`, "a_ab"},
		{`byte_extract:1,0,n; content:"Z"; distance:n; within:1;`, "\x02abZ"},
		{`content:"L"; byte_jump:1,0,relative,post_offset -3; isdataat:!1,relative;`, "L\x05abcdef"},
		{`pcre:"/(?P<q>a)b(?P=q)/R"; byte_test:2,>,0,0,relative,string,hex;`, "abaff"},
		{`content:!"x"; offset:3; isdataat:2; byte_test:4,&,1,0,little;`, "\x01\x00\x00\x00"},
		{`content:"a"; endswith; content:"b"; distance:-5; within:2;`, "ba"},
	}
	for _, s := range seeds {
		f.Add(s.opts, []byte(s.buf))
	}
	f.Fuzz(func(t *testing.T, opts string, buf []byte) {
		r, err := sigparse.ParseRule(`alert tcp any any -> any any (`+opts+` sid:1;)`, sigparse.Options{Dialect: sigparse.DialectSuricata})
		if err != nil || r == nil {
			return
		}
		e, err := Compile([]*sigparse.Rule{r}, Config{})
		if err != nil || len(e.rules) == 0 {
			return
		}
		var s scratch
		ops := e.rules[0].payload
		a := s.inspectList(ops, buf, 0)
		b := s.inspectList(ops, buf, 0)
		if a != b {
			t.Fatalf("%s on %q: %v then %v", opts, buf, a, b)
		}
		_ = s.inspectList(ops, buf, 1000)
	})
}
