package rulesets

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/sigparse"
)

// Filter is the parsed form of a suricata-update enable.conf or
// disable.conf: a list of rule matchers, one per line. A line is one of
//
//	2019401                 sid (gid 1)
//	1:2019401               gid:sid
//	1:2019401,2019402       several ids on one line
//	re:heartbleed           regular expression over the rule text, ignoring case
//	group:emerging-icmp     rule file name (glob, ".rules" implied)
//	metadata: deployment perimeter
//	                        a metadata entry, ignoring case
//
// with "#" comments and blank lines ignored. The regular expressions are
// Go's RE2 syntax; Python-only constructs such as look-ahead are reported
// as errors rather than silently never matching.
//
// A Filter is read-only once parsed and safe for concurrent use.
type Filter struct {
	matchers []ruleMatcher
}

type ruleMatcher interface {
	match(r *sigparse.Rule, group string) bool
}

type idMatcher struct{ ids [][2]int } // {gid, sid}

func (m idMatcher) match(r *sigparse.Rule, _ string) bool {
	sid := r.SID()
	if sid == 0 {
		return false
	}
	gid := r.GID()
	for _, id := range m.ids {
		if id[0] == gid && id[1] == sid {
			return true
		}
	}
	return false
}

type reMatcher struct{ re *regexp.Regexp }

func (m reMatcher) match(r *sigparse.Rule, _ string) bool { return m.re.MatchString(r.Raw) }

type groupMatcher struct{ pattern string }

func (m groupMatcher) match(_ *sigparse.Rule, group string) bool {
	ok, _ := path.Match(m.pattern, group)
	return ok
}

type metadataMatcher struct{ key, value string }

func (m metadataMatcher) match(r *sigparse.Rule, _ string) bool {
	for _, e := range r.Metadata() {
		if strings.EqualFold(e.Key, m.key) && strings.EqualFold(strings.TrimSpace(e.Value), m.value) {
			return true
		}
	}
	return false
}

// ParseFilter reads an enable.conf or disable.conf. Every bad line is
// reported (file:line:col) and the good ones are still used.
func ParseFilter(filename string, src []byte) (*Filter, error) {
	f := &Filter{}
	var errs errorList
	eachConfigLine(src, func(lineNo int, line string) {
		col := firstNonSpace(line)
		t := strings.TrimSpace(line)
		// A trailing "# comment" is allowed after a matcher, as in
		// suricata-update's examples.
		if i := strings.Index(t, " #"); i >= 0 && !strings.HasPrefix(t, "re:") {
			t = strings.TrimSpace(t[:i])
		}
		m, msg := parseMatcher(t)
		if msg != "" {
			errs.add(filename, lineNo, col, msg)
			return
		}
		f.matchers = append(f.matchers, m)
	})
	return f, errs.err()
}

func parseMatcher(t string) (ruleMatcher, string) {
	switch {
	case strings.HasPrefix(t, "re:"):
		expr := strings.TrimSpace(t[len("re:"):])
		if expr == "" {
			return nil, "empty regular expression after re:"
		}
		re, err := regexp.Compile("(?i)" + expr)
		if err != nil {
			return nil, fmt.Sprintf("bad regular expression %q: %v", expr, err)
		}
		return reMatcher{re}, ""
	case strings.HasPrefix(t, "group:"):
		p := strings.TrimSpace(t[len("group:"):])
		if p == "" {
			return nil, "empty pattern after group:"
		}
		if !strings.HasSuffix(p, ".rules") {
			p += ".rules"
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Sprintf("bad group pattern %q: %v", p, err)
		}
		return groupMatcher{p}, ""
	case strings.HasPrefix(t, "metadata:"):
		kv := strings.TrimSpace(t[len("metadata:"):])
		k, v, ok := strings.Cut(kv, " ")
		if !ok || strings.TrimSpace(v) == "" {
			return nil, `want "metadata: KEY VALUE"`
		}
		return metadataMatcher{k, strings.TrimSpace(v)}, ""
	}
	var ids [][2]int
	for _, item := range strings.Split(t, ",") {
		item = strings.TrimSpace(item)
		gid, sid := "1", item
		if g, s, ok := strings.Cut(item, ":"); ok {
			gid, sid = g, s
		}
		g, err1 := strconv.Atoi(gid)
		s, err2 := strconv.Atoi(sid)
		if err1 != nil || err2 != nil || g <= 0 || s <= 0 {
			return nil, fmt.Sprintf("%q is not a sid, gid:sid, re:, group: or metadata: matcher", item)
		}
		ids = append(ids, [2]int{g, s})
	}
	return idMatcher{ids}, ""
}

// Match reports whether any line of the filter matches r. The group of a
// rule is the base name of its file ("emerging-icmp.rules").
func (f *Filter) Match(r *sigparse.Rule) bool {
	if f == nil {
		return false
	}
	group := ""
	if r.File != nil {
		group = filepath.Base(r.File.Name)
	}
	for _, m := range f.matchers {
		if m.match(r, group) {
			return true
		}
	}
	return false
}

// Len reports the number of matchers (non-comment lines) in the filter.
func (f *Filter) Len() int {
	if f == nil {
		return 0
	}
	return len(f.matchers)
}

// Apply disables every rule that disable matches and then enables every
// rule that enable matches, as suricata-update does (so enable.conf wins
// over disable.conf), by setting Rule.Disabled. Either filter may be nil.
// It returns how many rules changed state each way.
func Apply(files []*sigparse.File, enable, disable *Filter) (enabled, disabled int) {
	for _, f := range files {
		for _, r := range f.Rules {
			was := r.Disabled
			if disable.Match(r) {
				r.Disabled = true
			}
			if enable.Match(r) {
				r.Disabled = false
			}
			switch {
			case was && !r.Disabled:
				enabled++
			case !was && r.Disabled:
				disabled++
			}
		}
	}
	return enabled, disabled
}
