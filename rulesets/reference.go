package rulesets

import (
	"fmt"
	"strings"
)

// ReferenceSystem is one line of reference.config: a rule's
// "reference:cve,2021-44228" is shown as URL + "2021-44228".
type ReferenceSystem struct {
	Name string
	URL  string
}

// References is a set of reference systems in file order; Lookup ignores
// case. It is read-only once built and safe for concurrent use.
type References struct {
	systems []ReferenceSystem
	byName  map[string]int
}

// NewReferences builds a set from systems; a later system with the same
// name (ignoring case) replaces an earlier one.
func NewReferences(systems []ReferenceSystem) *References {
	r := &References{byName: make(map[string]int, len(systems))}
	for _, s := range systems {
		r.add(s)
	}
	return r
}

func (r *References) add(s ReferenceSystem) {
	k := strings.ToLower(s.Name)
	if i, ok := r.byName[k]; ok {
		r.systems[i] = s
		return
	}
	r.byName[k] = len(r.systems)
	r.systems = append(r.systems, s)
}

// Lookup returns the reference system named name, ignoring case.
func (r *References) Lookup(name string) (ReferenceSystem, bool) {
	if r == nil {
		return ReferenceSystem{}, false
	}
	i, ok := r.byName[strings.ToLower(name)]
	if !ok {
		return ReferenceSystem{}, false
	}
	return r.systems[i], true
}

// All returns the systems in file order; the slice is the caller's.
func (r *References) All() []ReferenceSystem {
	if r == nil {
		return nil
	}
	return append([]ReferenceSystem(nil), r.systems...)
}

// DefaultReferences returns the reference systems of the reference.config
// Suricata 7 ships (the lines it leaves uncommented).
func DefaultReferences() *References {
	return NewReferences([]ReferenceSystem{
		{"cve", "https://cve.mitre.org/cgi-bin/cvename.cgi?name="},
		{"nessus", "https://www.tenable.com/plugins/nessus/"},
		{"url", "https://"},
		{"McAfee", "https://vil.nai.com/vil/content/v_"},
		{"bid", "https://www.securityfocus.com/bid/"},
		{"bugtraq", "https://www.securityfocus.com/bid/"},
		{"md5", "https://www.threatexpert.com/report.aspx?md5="},
		{"secunia", "https://www.secunia.com/advisories/"},
		{"arachNIDS", "https://www.whitehats.com/info/IDS"},
	})
}

// ParseReferences reads a reference.config: lines of
//
//	config reference: NAME URL
//
// with "#" comments and blank lines ignored. Every bad line is reported and
// the good ones are still returned.
func ParseReferences(filename string, src []byte) (*References, error) {
	r := NewReferences(nil)
	var errs errorList
	eachConfigLine(src, func(lineNo int, line string) {
		rest, col, ok := cutConfigPrefix(line, "reference")
		if !ok {
			errs.add(filename, lineNo, firstNonSpace(line), `want "config reference: NAME URL"`)
			return
		}
		f := strings.Fields(rest)
		if len(f) != 2 {
			errs.add(filename, lineNo, col, fmt.Sprintf("want NAME URL, got %d fields", len(f)))
			return
		}
		if !validClassName(f[0]) {
			errs.add(filename, lineNo, col, fmt.Sprintf("reference system name %q must start with a letter and hold only letters, digits, - and _", f[0]))
			return
		}
		r.add(ReferenceSystem{Name: f[0], URL: f[1]})
	})
	return r, errs.err()
}
