package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/report"
	"github.com/sigtool/sigtool/rulesets"
	"github.com/sigtool/sigtool/sigparse"
)

const testDescription = `
Test runs rules over captures as Suricata 7 would with its default
configuration, and writes the alerts as EVE JSON (one record per line),
fast.log lines or a human summary (the default when stderr is a terminal).

--rules and --pcap take files or directories (searched recursively for
*.rules, and for *.pcap, *.pcapng, *.cap and their .gz forms); both may be
repeated, and captures may also be given as arguments. "-" reads rules or
one capture from standard input. Rules that do not
parse are reported on stderr and the rest still run. Rules using keywords
the matcher does not evaluate are listed, with the keyword, on stderr (eve,
fast) or in the summary; they never alert.

--expect checks the run against a file of expected counts,
{alerts: {SID: N}, alerts_min: {SID: N}} in YAML or JSON, or against a
suricata-verify test.yaml (its alert filters). The engine settings a
test.yaml or corpus expected.json names (-k none, --set ...) are used
unless given on the command line, and a test.yaml's pcap and the
rules.rules beside it are used when --pcap or --rules is absent.

Exit status: 0 when every capture was read and every expectation met, 1
when an expectation failed or a rule did not parse, 2 on bad usage or
input that cannot be read.`

// testSettings are the engine settings of a run, from --set, -k and an
// expectation file.
type testSettings struct {
	cfg matcher.Config
	// set records which settings the command line gave, so an
	// expectation file's do not override them.
	set map[string]bool
}

// apply sets one "--set key=value" or "-k mode" setting; origin names where
// it came from in errors.
func (s *testSettings) apply(key, value string) error {
	b := func() (bool, error) {
		switch strings.ToLower(value) {
		case "true", "yes", "1", "on":
			return true, nil
		case "false", "no", "0", "off":
			return false, nil
		}
		return false, fmt.Errorf("--set %s=%s: want true or false", key, value)
	}
	var err error
	switch key {
	case "stream.midstream":
		s.cfg.Midstream, err = b()
	case "stream.inline":
		s.cfg.Inline, err = b()
	case "packet-alert-max":
		n, perr := strconv.Atoi(value)
		if perr != nil || n <= 0 {
			return fmt.Errorf("--set packet-alert-max=%s: want a positive integer", value)
		}
		s.cfg.PacketAlertMax = n
	case "-k":
		switch value {
		case "none":
			s.cfg.NoChecksum = true
		case "all", "auto":
			s.cfg.NoChecksum = false
		default:
			return fmt.Errorf("-k %s: want none, all or auto", value)
		}
	default:
		return fmt.Errorf("--set %s: unknown setting (known: stream.midstream, stream.inline, packet-alert-max)", key)
	}
	return err
}

// applyExpect takes the settings an expectation file was recorded with,
// except those the command line set.
func (s *testSettings) applyExpect(env *Env, e *report.Expect) error {
	for _, st := range e.Settings {
		var key, value string
		if v, ok := strings.CutPrefix(st, "-k "); ok {
			key, value = "-k", v
		} else if v, ok := strings.CutPrefix(st, "--set "); ok {
			key, value, _ = strings.Cut(v, "=")
		} else {
			continue
		}
		if s.set[key] {
			continue
		}
		if key != "-k" && key != "stream.midstream" && key != "stream.inline" && key != "packet-alert-max" {
			// Suricata settings sigtool has no equivalent for.
			fmt.Fprintf(env.Stderr, "sigtool test: %s: ignoring setting %q\n", e.Name, st)
			continue
		}
		if err := s.apply(key, value); err != nil {
			return fmt.Errorf("%s: %v", e.Name, err)
		}
		fmt.Fprintf(env.Stderr, "sigtool test: using %s from %s\n", st, e.Name)
	}
	return nil
}

func cmdTest(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "test", "--rules PATH... --pcap PATH... [flags]", testDescription)
	var rulePaths, pcapPaths, varFlags, setFlags multiFlag
	fs.Var(&rulePaths, "rules", "rule file or directory (repeatable)")
	fs.Var(&pcapPaths, "pcap", "capture file or directory (repeatable)")
	fs.Var(&varFlags, "var", "set a rule variable, NAME=VALUE (repeatable)")
	varsFile := fs.String("vars", "", "read address and port variables from this suricata.yaml")
	fs.Var(&setFlags, "set", "engine setting: stream.midstream=true, stream.inline=true, packet-alert-max=N (repeatable)")
	checksum := fs.String("k", "", "checksum checks: none turns them off (as suricata -k none)")
	format := fs.String("format", "", "output: eve, fast or summary (default summary on a terminal, eve otherwise)")
	expectFile := fs.String("expect", "", "check the run against expected alert counts or a suricata-verify test.yaml")
	outFile := fs.String("o", "", "write the output to this file instead of stdout")
	verbose := fs.Bool("v", false, "list every rule not evaluated (a long list is otherwise grouped by keyword)")
	profile := fs.Int("profile", 0, "rule profiling: print the N costliest rules (checks, matches, alerts, time) to stderr after the run; 0 is off")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "scan with N workers (by default one per core, GOMAXPROCS): captures in parallel and a capture's flows spread over workers; the output is the same for every N")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	pcapPaths = append(pcapPaths, fs.Args()...)
	if *profile < 0 {
		return errorf(env, "test", exitUsage, "--profile %d: want a number of rules, 0 for off", *profile)
	}
	if *jobs < 1 {
		return errorf(env, "test", exitUsage, "--jobs %d: want at least 1", *jobs)
	}

	switch *format {
	case "":
		*format = "eve"
		if *outFile == "" && env.terminal() && !redirected(env.Stdout) {
			*format = "summary"
		}
	case "eve", "fast", "summary":
	default:
		return errorf(env, "test", exitUsage, "--format %q: want eve, fast or summary", *format)
	}

	st := testSettings{set: map[string]bool{}}
	for _, s := range setFlags {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return errorf(env, "test", exitUsage, "--set %q: want KEY=VALUE", s)
		}
		k = strings.TrimSpace(k)
		if err := st.apply(k, strings.TrimSpace(v)); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		st.set[k] = true
	}
	if *checksum != "" {
		if err := st.apply("-k", *checksum); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		st.set["-k"] = true
	}

	var expect *report.Expect
	if *expectFile != "" {
		var err error
		if expect, err = report.LoadExpect(*expectFile); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		if err := st.applyExpect(env, expect); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		// suricata-verify checks may look at the ether and packet
		// fields, which need the alerting frames.
		st.cfg.Frames = expect.Verify
		for _, s := range expect.Skipped {
			fmt.Fprintf(env.Stderr, "sigtool test: %s: skipping %s\n", expect.Name, s)
		}
		dir := filepath.Dir(*expectFile)
		if len(pcapPaths) == 0 {
			if p := casePcap(expect, dir); p != "" {
				pcapPaths = append(pcapPaths, p)
			}
		}
		if len(rulePaths) == 0 {
			if p := filepath.Join(dir, "rules.rules"); testFileExists(p) {
				rulePaths = append(rulePaths, p)
			}
		}
	}
	if len(rulePaths) == 0 || len(pcapPaths) == 0 {
		fs.Usage()
		return errorf(env, "test", exitUsage, "need --rules and --pcap")
	}

	// Variables: Suricata's defaults, then a suricata.yaml, then --var.
	vars := map[string]string{}
	if *varsFile != "" {
		src, err := os.ReadFile(*varsFile)
		if err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		if vars, err = rulesets.ReadSuricataVars(*varsFile, src); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
	}
	if err := rulesets.ApplyOverrides(vars, varFlags); err != nil {
		return errorf(env, "test", exitUsage, "%v", err)
	}
	if len(vars) > 0 {
		st.cfg.Vars = vars
	}

	if slices.Contains(rulePaths, "-") && slices.Contains(pcapPaths, "-") {
		return errorf(env, "test", exitUsage, "only one of --rules and --pcap can read standard input")
	}
	// Loading builds a large heap that stays live (ET Open: about 200 MB
	// of rules and engine); collecting while it grows frees little, so
	// the collector runs less often until the engine is built (ET Open:
	// ~8 % less CPU, +13 MB peak RSS). A GOGC above that, or off, is kept.
	hugeHeap()
	gcPercent := debug.SetGCPercent(400)
	if gcPercent < 0 || gcPercent > 400 {
		debug.SetGCPercent(gcPercent)
	}
	restoreGC := sync.OnceFunc(func() { debug.SetGCPercent(gcPercent) })
	defer restoreGC()
	loaded, err := loadTestRules(env, rulePaths)
	if err != nil {
		return errorf(env, "test", exitUsage, "%v", err)
	}
	for _, e := range loaded.Errors {
		fmt.Fprintf(env.Stderr, "%v\n%s", e, sigparse.Caret(e))
	}
	rules := loaded.Enabled()
	if len(rules) == 0 {
		return errorf(env, "test", exitUsage, "no enabled rules in %s", strings.Join(rulePaths, ", "))
	}
	st.cfg.Profile = *profile > 0
	engine, err := matcher.Compile(rules, st.cfg)
	restoreGC()
	if err != nil {
		return errorf(env, "test", exitUsage, "%v", err)
	}

	pcaps, err := findCaptures(pcapPaths)
	if err != nil {
		return errorf(env, "test", exitUsage, "%v", err)
	}

	var out io.Writer = env.Stdout
	var outF *os.File
	if *outFile != "" {
		if outF, err = os.Create(*outFile); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
		defer outF.Close()
		out = outF
	}
	bw := bufio.NewWriter(out)

	sum := &report.Summary{Rules: engine.Rules(), NotEvaluated: engine.NotEvaluated(), ParseErrors: len(loaded.Errors)}
	sum.Verbose = *verbose
	if ne := sum.NotEvaluated; *format != "summary" && len(ne) > 0 {
		if *verbose || len(ne) <= report.NotEvaluatedListMax {
			for _, n := range ne {
				fmt.Fprintf(env.Stderr, "sigtool test: sid %d not evaluated: %s\n", n.SID, report.NotEvaluatedReason(n))
			}
		} else {
			fmt.Fprintf(env.Stderr, "sigtool test: %d of %d rules not evaluated (they can never alert):\n", len(ne), len(ne)+engine.Rules())
			report.WriteNotEvaluated(env.Stderr, ne, false, "  ")
		}
	}
	eveOpts := report.NewEVEOptions(rules)
	if expect != nil {
		expect.EVE = eveOpts
	}
	// --expect needs every alert only for a suricata-verify file's
	// filters (which look at the EVE records); counts do otherwise.
	var kept []*matcher.Alert
	keepAlerts := expect != nil && len(expect.Filters) > 0
	counts := map[int]int{}
	var buf []byte
	inputErr := false
	var total int64
	for _, p := range pcaps {
		if fi, err := os.Stat(p); err == nil && p != "-" {
			total += fi.Size()
		}
	}
	bar := newByteProgress(env.Stderr, env.terminal(), total)
	var costs []ruleCost
	// The callbacks run on the scanning goroutines, one at a time and in
	// capture order (orderedOutput).
	ord := &orderedOutput{
		begin: func(r *scanResult) { sum.Begin(r.path) },
		alert: func(a *matcher.Alert) {
			switch *format {
			case "summary":
				// Only the summary needs the per-rule counts and the set
				// of alerting flows, which grows with the capture.
				sum.Alert(a)
			case "eve":
				buf = eveOpts.Append(buf[:0], a)
				bw.Write(buf)
			case "fast":
				buf = report.AppendFast(buf[:0], a)
				bw.Write(buf)
			}
			if keepAlerts {
				kept = append(kept, a)
			} else {
				counts[a.SID]++
			}
		},
		end: func(r *scanResult) {
			sum.End(r.path, r.stats, r.err)
			if r.err != nil {
				inputErr = true
				bar.Clear()
				fmt.Fprintf(env.Stderr, "sigtool test: %v\n", r.err)
			}
			costs = addCosts(costs, r.stats.Profile)
		},
	}
	scanAll(ctx, engine, pcaps, *jobs, env.Stdin, bar, ord)
	bar.Finish()
	if *profile > 0 {
		if err := writeProfile(env.Stderr, costs, *profile); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
	}
	if *format == "summary" {
		sum.Write(bw)
	}
	if err := bw.Flush(); err != nil {
		return errorf(env, "test", exitUsage, "writing output: %v", err)
	}
	if outF != nil {
		if err := outF.Close(); err != nil {
			return errorf(env, "test", exitUsage, "%v", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return errorf(env, "test", exitUsage, "%v", err)
	}

	code := exitOK
	// Not loaded.Errors: nothing after NewEVEOptions refers to the parsed
	// rules, so the collector frees them during the scan instead of
	// marking them in every cycle (ET Open: ~115 MB of pointers).
	if sum.ParseErrors > 0 {
		code = exitFindings
	}
	if expect != nil {
		ms := expect.CheckCounts(counts)
		if keepAlerts {
			ms = expect.Check(kept)
		}
		if len(ms) > 0 {
			report.WriteMismatches(env.Stderr, expect.Name, ms)
			code = exitFindings
		} else {
			fmt.Fprintf(env.Stderr, "sigtool test: %s: all expectations met\n", expect.Name)
		}
	}
	if inputErr {
		code = exitUsage
	}
	return code
}

// loadTestRules loads rule files and directories; "-" reads a rule file from
// standard input.
func loadTestRules(env *Env, paths []string) (*rulesets.Loaded, error) {
	var files []string
	stdin := false
	for _, p := range paths {
		if p == "-" {
			stdin = true
		} else {
			files = append(files, p)
		}
	}
	loaded := &rulesets.Loaded{}
	if len(files) > 0 {
		l, err := rulesets.Load(files, sigparse.Options{})
		if err != nil {
			return nil, err
		}
		loaded = l
	}
	if stdin {
		l, err := rulesets.LoadReader("<stdin>", env.Stdin, sigparse.Options{})
		if err != nil {
			return nil, err
		}
		loaded.Files = append(loaded.Files, l.Files...)
		loaded.Errors = append(loaded.Errors, l.Errors...)
	}
	return loaded, nil
}

// redirected reports whether w is a file that is not a terminal, as when
// stdout is redirected: "sigtool test ... > alerts.json" then gets EVE even
// though stderr is a terminal.
func redirected(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && !term.IsTerminal(int(f.Fd()))
}

// scanResult is one capture's scan.
type scanResult struct {
	idx   int // in input order
	path  string
	stats matcher.Stats
	err   error
	// Alerts that came while an earlier capture was still being written,
	// and whether the scan is over; both guarded by orderedOutput.mu.
	alerts   []*matcher.Alert
	finished bool
}

// orderedOutput puts the alerts of captures scanned concurrently in input
// order as they come: the capture next in that order writes its alerts
// straight through, a later one holds them only until every capture
// before it has ended, and at most maxHeldAlerts of them: then its scan
// waits for its turn. So a long capture's alerts are never held in
// memory, nor are a single capture's whatever --jobs. The callbacks are
// called under mu: begin when a capture's turn comes, alert for each of
// its alerts, end once it has been scanned.
type orderedOutput struct {
	begin func(r *scanResult)
	alert func(a *matcher.Alert)
	end   func(r *scanResult)

	mu      sync.Mutex
	turn    sync.Cond // signalled when next moves
	results []*scanResult
	next    int // the capture being written
}

// maxHeldAlerts bounds the alerts a capture holds while an earlier one is
// being written (a few hundred bytes each), so memory does not grow with
// the captures' sizes whatever their order.
var maxHeldAlerts = 1 << 16

// emit hands over one alert of r.
func (o *orderedOutput) emit(r *scanResult, a *matcher.Alert) {
	o.mu.Lock()
	for r.idx != o.next && len(r.alerts) >= maxHeldAlerts {
		o.turn.Wait()
	}
	if r.idx == o.next {
		o.alert(a)
	} else {
		r.alerts = append(r.alerts, a)
	}
	o.mu.Unlock()
}

// finish marks r scanned and ends the captures whose turn has come.
func (o *orderedOutput) finish(r *scanResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r.finished = true
	for o.next < len(o.results) && o.results[o.next].finished {
		o.end(o.results[o.next])
		o.next++
		o.start()
		o.turn.Broadcast()
	}
}

// start begins the capture whose turn it is, writing what it has held.
func (o *orderedOutput) start() {
	if o.next == len(o.results) {
		return
	}
	r := o.results[o.next]
	o.begin(r)
	for _, a := range r.alerts {
		o.alert(a)
	}
	r.alerts = nil
}

// scanAll scans the captures with jobs goroutines and writes their results
// through out in input order, so that output does not depend on
// scheduling: up to jobs captures at a time, and when there are fewer
// captures than jobs, each capture's flows spread over jobs/len(paths)
// workers (ScanParallel, whose output is Scan's). It returns when every
// capture has ended. The bytes read, packets and alerts advance bar.
func scanAll(ctx context.Context, engine *matcher.Engine, paths []string, jobs int, stdin io.Reader, bar *byteProgress, out *orderedOutput) {
	results := make([]*scanResult, len(paths))
	queue := make(chan *scanResult, len(paths))
	for i, p := range paths {
		results[i] = &scanResult{idx: i, path: p}
		queue <- results[i]
	}
	close(queue)
	out.turn.L = &out.mu
	out.mu.Lock()
	out.results = results
	out.start()
	out.mu.Unlock()
	workers := min(jobs, len(paths))
	shards := max(jobs/len(paths), 1)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range queue {
				r.stats, r.err = scanOne(ctx, engine, r, shards, stdin, bar, out)
				bar.Packets(r.stats.Packets)
				out.finish(r)
			}
		}()
	}
	wg.Wait()
}

// scanOne scans one capture ("-": stdin) with shards workers, handing its
// alerts to out.
func scanOne(ctx context.Context, engine *matcher.Engine, r *scanResult, shards int, stdin io.Reader, bar *byteProgress, out *orderedOutput) (matcher.Stats, error) {
	if err := ctx.Err(); err != nil {
		return matcher.Stats{}, err
	}
	emit := func(a *matcher.Alert) {
		bar.Alert()
		out.emit(r, a)
	}
	if r.path == "-" {
		return engine.ScanParallel(ctx, bar.Reader(stdin), "<stdin>", shards, emit)
	}
	f, err := os.Open(r.path)
	if err != nil {
		return matcher.Stats{}, err
	}
	defer f.Close()
	return engine.ScanParallel(ctx, bar.Reader(f), r.path, shards, emit)
}

// addCosts adds one capture's rule profile to the run's, rule by rule (the
// profiles of one engine share its rule order).
func addCosts(costs []ruleCost, prof []matcher.RuleProfile) []ruleCost {
	if costs == nil && len(prof) > 0 {
		costs = make([]ruleCost, len(prof))
		for i, p := range prof {
			costs[i] = ruleCost{SID: p.SID, GID: p.GID, Rev: p.Rev, Msg: p.Msg}
		}
	}
	for i, p := range prof {
		c := &costs[i]
		c.Checks += p.Checks
		c.Matches += p.Matches
		c.Alerts += p.Alerts
		c.Time += p.Time
	}
	return costs
}

// captureExts are the names picked up from directories.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz"}

func isCaptureFile(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range captureExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// findCaptures expands directories into the capture files under them, in
// lexical order; files named explicitly are kept whatever their name.
func findCaptures(paths []string) ([]string, error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	add := func(p string) {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		if p == "-" {
			add(p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if d.IsDir() && name != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && isCaptureFile(d.Name()) {
				found = append(found, name)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		if len(found) == 0 {
			errs = append(errs, fmt.Errorf("%s: no capture files (%s) in directory", p, strings.Join(captureExts, ", ")))
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, errors.Join(errs...)
}

// casePcap finds the capture of a suricata-verify case: the test.yaml's
// pcap: path when it exists, else the only capture file beside it.
func casePcap(e *report.Expect, dir string) string {
	if e.Pcap != "" && testFileExists(e.Pcap) {
		return e.Pcap
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var found []string
	for _, en := range entries {
		if !en.IsDir() && isCaptureFile(en.Name()) {
			found = append(found, filepath.Join(dir, en.Name()))
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

func testFileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
