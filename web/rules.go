package web

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

// ruleEntry is one loaded rule as the rules page shows and searches it.
type ruleEntry struct {
	SID      int    `json:"sid"`
	GID      int    `json:"gid"`
	Rev      int    `json:"rev"`
	Msg      string `json:"msg"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Disabled bool   `json:"disabled"`
	Text     string `json:"rule"`

	msgLower string
	contents []string // content patterns, lower-cased
}

// ruleIndex is the rulesets loaded at start, read-only afterwards.
type ruleIndex struct {
	entries []ruleEntry
	files   int
	errors  int // rules that failed to parse (they are not listed)
}

// loadRules reads rule files and directories with rulesets.Load (the
// loader every subcommand uses). Rules with parse errors are counted but not
// listed: the rules page browses rulesets, lint reports on them. File names
// are shown as given on the command line, joined with the path inside a
// directory.
func loadRules(paths []string) (*ruleIndex, error) {
	ix := &ruleIndex{}
	if len(paths) == 0 {
		return ix, nil
	}
	l, err := rulesets.Load(paths, sigparse.Options{})
	if err != nil {
		return nil, fmt.Errorf("web: rules: %w", err)
	}
	ix.files = len(l.Files)
	ix.errors = len(l.Errors)
	for _, f := range l.Files {
		for _, r := range f.Rules {
			if r.Option("sid") == nil {
				continue
			}
			e := ruleEntry{SID: r.SID(), GID: r.GID(), Rev: r.Rev(), Msg: r.Msg(), File: f.Name,
				Line: f.Position(r.Pos).Line, Disabled: r.Disabled, Text: r.Raw}
			e.msgLower = strings.ToLower(e.Msg)
			for _, c := range r.Contents() {
				e.contents = append(e.contents, string(bytes.ToLower(c.Pattern)))
			}
			ix.entries = append(ix.entries, e)
		}
	}
	return ix, nil
}

const maxRuleHits = 200

// search finds rules by sid (a number), by every word of q in the msg, or
// by q inside a content pattern; all case-insensitive. An empty q lists
// the first rules. more reports that hits were cut at maxRuleHits.
func (ix *ruleIndex) search(q string) (hits []ruleEntry, more bool) {
	q = strings.TrimSpace(q)
	ql := strings.ToLower(q)
	words := strings.Fields(ql)
	sid, sidErr := strconv.Atoi(q)
	for _, e := range ix.entries {
		if q != "" && !(sidErr == nil && e.SID == sid) && !containsAll(e.msgLower, words) && !anyContains(e.contents, ql) {
			continue
		}
		if len(hits) == maxRuleHits {
			return hits, true
		}
		hits = append(hits, e)
	}
	return hits, false
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return len(words) > 0
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// bySID returns the loaded rule with gid:sid.
func (ix *ruleIndex) bySID(gid, sid int) (ruleEntry, bool) {
	for _, e := range ix.entries {
		if e.SID == sid && e.GID == gid {
			return e, true
		}
	}
	return ruleEntry{}, false
}
