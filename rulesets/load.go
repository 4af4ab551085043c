package rulesets

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/sigtool/sigtool/sigparse"
)

// Loaded is the result of loading rule files: every file that could be read,
// parsed, in a stable order (arguments in the order given; a directory's
// *.rules files in lexical order of their paths), and the parse errors of
// all of them.
type Loaded struct {
	Files []*sigparse.File
	// Errors holds every file's parse errors, file by file in the order of
	// Files. A file with errors is still in Files with the rules that
	// parsed (and rules with a bad option value, the option marked invalid).
	Errors sigparse.ErrorList
}

// Rules returns the rules of every file in order, disabled ones included.
func (l *Loaded) Rules() []*sigparse.Rule {
	var rs []*sigparse.Rule
	for _, f := range l.Files {
		rs = append(rs, f.Rules...)
	}
	return rs
}

// Enabled returns the rules of every file that are not disabled.
func (l *Loaded) Enabled() []*sigparse.Rule {
	var rs []*sigparse.Rule
	for _, f := range l.Files {
		for _, r := range f.Rules {
			if !r.Disabled {
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// IsRuleFile reports whether name is picked up from a directory: it ends in
// ".rules". Files named explicitly are loaded whatever their name.
func IsRuleFile(name string) bool { return strings.HasSuffix(name, ".rules") }

// Load reads and parses the named files and directories. A directory is
// walked recursively for *.rules files (hidden directories, whose names
// start with ".", are skipped); a file is read whatever its name. File names
// in the result are the paths as given joined with the path inside a
// directory, so diagnostics point where the user looks.
//
// A path that cannot be read does not stop the others: Load returns what it
// could load together with an error naming each failure. Parse errors are
// not Go errors here; they are in Loaded.Errors.
func Load(paths []string, opts sigparse.Options) (*Loaded, error) {
	names, errs := ruleFiles(paths, os.Stat, filepath.WalkDir)
	l, readErrs := parseAll(dedupe(names, filepath.Clean), os.ReadFile, os.Stat, opts)
	return l, errors.Join(append(errs, readErrs...)...)
}

// LoadFS is Load over an fs.FS: roots are slash-separated paths valid for
// fsys ("." for all of it).
func LoadFS(fsys fs.FS, roots []string, opts sigparse.Options) (*Loaded, error) {
	stat := func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) }
	walk := func(root string, fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, root, fn) }
	names, errs := ruleFiles(roots, stat, walk)
	read := func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) }
	l, readErrs := parseAll(dedupe(names, path.Clean), read, stat, opts)
	return l, errors.Join(append(errs, readErrs...)...)
}

// ruleFiles lists what Load and LoadFS read: each root that is a file, and
// the *.rules files under each root that is a directory (hidden
// directories below a root skipped), with stat and walk from os or an
// fs.FS. Errors are collected, not fatal: an unreadable root or
// subdirectory is reported and the rest still listed.
func ruleFiles(roots []string, stat func(string) (fs.FileInfo, error), walk func(string, fs.WalkDirFunc) error) ([]string, []error) {
	var names []string
	var errs []error
	for _, root := range roots {
		st, err := stat(root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			names = append(names, root)
			continue
		}
		err = walk(root, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if name != root && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if IsRuleFile(d.Name()) {
				names = append(names, name)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return names, errs
}

// LoadReader parses one rule file read from r (standard input, an upload)
// under the given name.
func LoadReader(name string, r io.Reader, opts sigparse.Options) (*Loaded, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return &Loaded{}, fmt.Errorf("%s: %w", name, err)
	}
	f, perrs := sigparse.ParseFile(name, src, opts)
	return &Loaded{Files: []*sigparse.File{f}, Errors: perrs}, nil
}

// dedupe drops repeated names (a file given both on its own and inside a
// directory), keeping the first.
func dedupe(names []string, clean func(string) string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0]
	for _, n := range names {
		c := clean(n)
		if seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, n)
	}
	return out
}

// parseAll reads and parses names on up to GOMAXPROCS goroutines; the
// result keeps the order of names whatever the scheduling. Files are
// handed out largest first (by stat), so that a big file does not start
// last and leave the other goroutines idle (ET Open's largest file is a
// sixth of the set and sorts near the end).
func parseAll(names []string, read func(string) ([]byte, error), stat func(string) (fs.FileInfo, error), opts sigparse.Options) (*Loaded, []error) {
	type result struct {
		f    *sigparse.File
		perr sigparse.ErrorList
		err  error
	}
	results := make([]result, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				src, err := read(names[i])
				if err != nil {
					results[i].err = err
					continue
				}
				results[i].f, results[i].perr = sigparse.ParseFile(names[i], src, opts)
			}
		}()
	}
	size := make([]int64, len(names))
	for i, n := range names {
		if st, err := stat(n); err == nil {
			size[i] = st.Size()
		}
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()

	l := &Loaded{}
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if r.f != nil {
			l.Files = append(l.Files, r.f)
		}
		l.Errors = append(l.Errors, r.perr...)
	}
	return l, errs
}
