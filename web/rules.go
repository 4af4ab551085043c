package web

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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

// loadRules reads rule files and directories (recursive over *.rules).
// Rules with errors are counted but not listed: the rules page browses
// rulesets, lint reports on them.
func loadRules(paths []string) (*ruleIndex, error) {
	ix := &ruleIndex{}
	for _, p := range paths {
		files, err := ruleFiles(p)
		if err != nil {
			return nil, fmt.Errorf("web: rules: %w", err)
		}
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("web: rules: %w", err)
			}
			f, errs := sigparse.ParseFile(name, src, sigparse.Options{})
			ix.files++
			ix.errors += len(errs)
			if f == nil {
				continue
			}
			for _, r := range f.Rules {
				if r.Option("sid") == nil {
					continue
				}
				e := ruleEntry{SID: r.SID(), GID: r.GID(), Rev: r.Rev(), Msg: r.Msg(), File: name,
					Line: f.Position(r.Pos).Line, Disabled: r.Disabled, Text: r.Raw}
				e.msgLower = strings.ToLower(e.Msg)
				for _, c := range r.Contents() {
					e.contents = append(e.contents, string(bytes.ToLower(c.Pattern)))
				}
				ix.entries = append(ix.entries, e)
			}
		}
	}
	return ix, nil
}

// ruleFiles lists path itself when it is a file, or the *.rules files
// under it in lexical order when it is a directory.
func ruleFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".rules") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
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
