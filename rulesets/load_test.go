package rulesets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(l *Loaded) []string {
	var ns []string
	for _, f := range l.Files {
		ns = append(ns, filepath.ToSlash(f.Name))
	}
	return ns
}

func sids(rs []*sigparse.Rule) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.SID())
	}
	return out
}

func TestLoadPaths(t *testing.T) {
	dir := filepath.Join("testdata", "rules")
	l, err := Load([]string{dir, filepath.Join(dir, "a.rules"), filepath.Join(dir, "sub", "notes.txt")}, sigparse.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"testdata/rules/a.rules",
		"testdata/rules/sub/b.rules",
		"testdata/rules/sub/notes.txt", // named explicitly, so read whatever its name
	}, names(l), "directories are walked for *.rules, hidden ones skipped, duplicates dropped")
	assert.Equal(t, []int{1, 2, 3, 0}, sids(l.Rules()), "the rule with a bad sid is kept")
	assert.Equal(t, []int{1, 3, 0}, sids(l.Enabled()))
	require.Len(t, l.Errors, 3, "bad sid, truncated rule, prose: %v", l.Errors)
	assert.Contains(t, l.Errors[0].Error(), "testdata/rules/sub/b.rules:2:")
	assert.Contains(t, l.Errors[1].Error(), "testdata/rules/sub/b.rules:3:")
	assert.Contains(t, l.Errors[2].Error(), "testdata/rules/sub/notes.txt:1:")
}

func TestLoadMissingPathKeepsOthers(t *testing.T) {
	l, err := Load([]string{"testdata/nope", "testdata/rules/a.rules"}, sigparse.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "testdata/nope")
	assert.Equal(t, []string{"testdata/rules/a.rules"}, names(l))
}

func TestLoadUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.rules")
	require.NoError(t, os.WriteFile(p, []byte("alert tcp any any -> any any (sid:1;)\n"), 0))
	_, err := Load([]string{p}, sigparse.Options{})
	assert.ErrorContains(t, err, "x.rules")
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/z.rules":        {Data: []byte(`alert tcp any any -> any any (msg:"z"; sid:26; rev:1;)` + "\n")},
		"rules/deep/a.rules":   {Data: []byte(`alert tcp any any -> any any (msg:"a"; sid:1; rev:1;)` + "\n")},
		"rules/deep/readme.md": {Data: []byte("# hi\n")},
		"other.rules":          {Data: []byte(`alert tcp any any -> any any (msg:"o"; sid:15; rev:1;)` + "\n")},
	}
	l, err := LoadFS(fsys, []string{"rules", "other.rules"}, sigparse.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"rules/deep/a.rules", "rules/z.rules", "other.rules"}, names(l))
	assert.Equal(t, []int{1, 26, 15}, sids(l.Enabled()))

	_, err = LoadFS(fsys, []string{"missing"}, sigparse.Options{})
	assert.Error(t, err)
}

func TestLoadReader(t *testing.T) {
	l, err := LoadReader("<stdin>", strings.NewReader(`alert tcp any any -> any any (msg:"s"; sid:7; rev:1;)`), sigparse.Options{})
	require.NoError(t, err)
	assert.Equal(t, []int{7}, sids(l.Enabled()))
	assert.Equal(t, "<stdin>", l.Files[0].Name)
}

// ET Open loads with every file, in a stable order, and without a parse
// error in an enabled rule.
func TestLoadETOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the ET Open load in -short mode")
	}
	dir := sharedtest.Path(t, "rulesets", "et-open-2024-04")
	l, err := Load([]string{dir}, sigparse.Options{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(l.Files), 40)
	for _, e := range l.Errors {
		if !e.InDisabled {
			t.Errorf("parse error in an enabled rule: %v", e)
		}
	}
	t.Logf("%d files, %d rules (%d enabled)", len(l.Files), len(l.Rules()), len(l.Enabled()))
}

// Filters work on parsed rules the same as on hand-built ones: group is
// the file's base name, re: sees the rule text.
func TestApplyToLoadedRules(t *testing.T) {
	l, err := Load([]string{"testdata/rules"}, sigparse.Options{})
	require.NoError(t, err)
	disable, err := ParseFilter("disable.conf", []byte("group:b\nre:msg:\"a\"\n"))
	require.NoError(t, err)
	enable, err := ParseFilter("enable.conf", []byte("2\n"))
	require.NoError(t, err)
	en, dis := Apply(l.Files, enable, disable)
	assert.Equal(t, []int{2}, sids(l.Enabled()), "sid 2 was commented out and enable.conf turns it on")
	assert.Equal(t, 1, en)
	assert.Equal(t, 3, dis)
}

// TestLoadOrderNotSize: files are parsed largest first, but the result
// keeps path order (files, rules, errors) whatever the sizes.
func TestLoadOrderNotSize(t *testing.T) {
	fsys := fstest.MapFS{}
	var want []string
	var wantSIDs []int
	for i := range 12 {
		name := fmt.Sprintf("r%02d.rules", i)
		var b strings.Builder
		for k := range 40 - 3*i {
			fmt.Fprintf(&b, "alert tcp any any -> any any (msg:\"x\"; sid:%d;)\n", 1000*i+k+1)
			wantSIDs = append(wantSIDs, 1000*i+k+1)
		}
		b.WriteString("alert tcp any any -> any any (sid:x;)\n") // kept, sid 0, and an error
		wantSIDs = append(wantSIDs, 0)
		fsys[name] = &fstest.MapFile{Data: []byte(b.String())}
		want = append(want, name)
	}
	// Blank lines make later files larger, so they are parsed first.
	for i := range 12 {
		f := fsys[fmt.Sprintf("r%02d.rules", i)]
		f.Data = append(f.Data, strings.Repeat("\n", 100*i)...)
	}
	for range 5 {
		l, err := LoadFS(fsys, []string{"."}, sigparse.Options{})
		require.NoError(t, err)
		assert.Equal(t, want, names(l))
		assert.Equal(t, wantSIDs, sids(l.Rules()))
		require.Len(t, l.Errors, 12)
		for i, e := range l.Errors {
			assert.Contains(t, e.Error(), want[i]+":")
		}
	}
}
