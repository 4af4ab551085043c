package sigparse

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLex checks the file lexer's invariants on any input: items come in
// source order, every logical offset maps into the file, and a line that
// is not continued is a plain slice of the source.
func FuzzLex(f *testing.F) {
	f.Add([]byte("alert tcp any any -> any any (msg:\"a\"; sid:1;)\n"))
	f.Add([]byte("# comment\n#alert tcp any any -> any any (sid:1;)\n"))
	f.Add([]byte("alert tcp any any -> any any (msg:\"a\"; \\\n  sid:1;)\r\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		items := lex(src, string(src))
		last := Pos(-1)
		for _, it := range items {
			if it.start < last || it.start < 0 || int(it.end) > len(src) {
				t.Fatalf("item %+v out of order or bounds (last %d, len %d)", it, last, len(src))
			}
			last = it.end
			for off := 0; off <= len(it.text); off++ {
				if p := it.pos(off); p < it.start || int(p) > len(src) {
					t.Fatalf("offset %d of %q maps to %d outside [%d,%d]", off, it.text, p, it.start, len(src))
				}
			}
			if len(it.segs) == 1 && it.kind != itemComment {
				p := int(it.segs[0].phys)
				if p+len(it.text) > len(src) || string(src[p:p+len(it.text)]) != it.text {
					t.Fatalf("uncontinued item text %q is not the source at %d", it.text, p)
				}
			}
		}
	})
}

// FuzzParse checks that parsing never panics, that every error has a
// position inside the file, and the round-trip property
// parse(format(parse(x))) == parse(x): formatting a file and parsing the
// result gives the same rules (as JSON), and formatting is idempotent.
func FuzzParse(f *testing.F) {
	f.Add(kryptik)
	f.Add("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"x\"; content:\"|41 42|\"; http_uri; nocase; sid:1; rev:1;)")
	f.Add("alert http (msg:\"s3\"; http_uri; content:\"/a\",nocase; service:http; sid:3;)")
	f.Add("alert dns any any -> any any (dns.query; to_lowercase; content:\"x\"; endswith; sid:2;)")
	f.Fuzz(func(t *testing.T, src string) {
		if !utf8.ValidString(src) {
			// Rules are text; invalid UTF-8 is still parsed (no panic)
			// but JSON would replace the bad bytes, so skip the property.
			ParseFile("f", []byte(src), Options{})
			return
		}
		file, errs := ParseFile("f", []byte(src), Options{})
		for _, e := range errs {
			if e.Pos.Offset < 0 || e.Pos.Offset > len(src) || e.Pos.Line < 1 || e.Pos.Column < 1 {
				t.Fatalf("error with bad position: %+v", e)
			}
			_ = Caret(e)
		}
		out, err := FormatFile(file, FormatOptions{})
		if err != nil {
			t.Fatalf("FormatFile: %v", err)
		}
		again, _ := ParseFile("f", out, Options{Dialect: file.Dialect})
		if len(again.Rules) != len(file.Rules) {
			t.Fatalf("%d rules before fmt, %d after\nin:  %q\nout: %q", len(file.Rules), len(again.Rules), src, out)
		}
		for i, r := range file.Rules {
			a, err1 := json.Marshal(r)
			b, err2 := json.Marshal(again.Rules[i])
			if err1 != nil || err2 != nil {
				t.Fatalf("marshal: %v %v", err1, err2)
			}
			if !bytes.Equal(a, b) || r.Disabled != again.Rules[i].Disabled {
				t.Fatalf("rule %d differs after fmt\nin:  %q\nout: %q\n%s\n%s", i, src, out, a, b)
			}
		}
		out2, err := FormatFile(again, FormatOptions{})
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("fmt not idempotent: %v\n%q\n%q", err, out, out2)
		}
	})
}

// FuzzConvert checks dialect conversion: whenever Format converts a rule
// without error, the result parses without error in the target dialect,
// keeps every content's and pcre's buffer and modifiers, and formatting
// it again in that dialect changes nothing.
func FuzzConvert(f *testing.F) {
	f.Add(kryptik)
	f.Add("alert tcp any any -> any any (msg:\"m\"; content:\"a\"; http_uri; nocase; content:\"b\"; http_client_body; pcre:\"/c/U\"; sid:1;)")
	f.Add("alert http any any -> any any (msg:\"m\"; file.data; content:\"MZ\"; depth:2; http.uri; pcre:\"/x/R\"; pkt_data; content:\"z\"; sid:1;)")
	f.Add("alert http (msg:\"m\"; http_header:field user-agent; content:\"curl\",nocase,fast_pattern; sid:1;)")
	f.Fuzz(func(t *testing.T, src string) {
		file, _ := ParseFile("f", []byte(src), Options{})
		for _, r := range file.Rules {
			for _, to := range []Dialect{DialectSuricata, DialectSnort2, DialectSnort3} {
				if to == r.Dialect {
					continue // no conversion: FuzzParse covers it
				}
				text, err := Format(r, FormatOptions{To: to})
				if err != nil {
					continue
				}
				if hasInvalid(r) {
					t.Fatalf("rule with an invalid option converted to %s: %q", to, text)
				}
				c, err := ParseRule(text, Options{Dialect: to})
				if err != nil {
					t.Fatalf("to %s: %v\nin:  %q\nout: %q", to, err, r.Raw, text)
				}
				want := contentSummary(r)
				if to == DialectSnort3 {
					for k := range want {
						want[k] = strings.ReplaceAll(want[k], "fast_pattern=only", "fast_pattern")
					}
				}
				if got := contentSummary(c); !slices.Equal(want, got) {
					t.Fatalf("to %s changed the contents\nin:  %q\nout: %q\n%q\n%q", to, r.Raw, text, want, got)
				}
				if again, err := Format(c, FormatOptions{}); err != nil || again != text {
					t.Fatalf("converted text not canonical in %s: %v\n%q\n%q", to, err, text, again)
				}
			}
		}
	})
}

func hasInvalid(r *Rule) bool {
	for _, o := range r.Options {
		if o.Invalid {
			return true
		}
	}
	return false
}
