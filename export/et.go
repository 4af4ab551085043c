package export

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/sigparse/lint"
)

// etRetired are msg categories ET folded into others; ET keeps the old
// one as "former_category" metadata (as lint --style et expects).
var etRetired = map[string]string{"TROJAN": "MALWARE"}

// etDate is how ET writes dates in metadata.
const etDateLayout = "2006_01_02"

// PrepareET rewrites rules in ET's submission style: canonical text, rev
// set (1 when missing), metadata created_at (kept when present) and
// updated_at set to date, a retired msg category replaced with its
// successor and recorded as former_category. It returns the rule file
// text, the parsed result, and one line per change made.
func PrepareET(rules []*sigparse.Rule, date time.Time) (string, []*sigparse.Rule, []string, error) {
	var b strings.Builder
	var changes []string
	day := date.UTC().Format(etDateLayout)
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		sid := r.SID()
		note := func(format string, args ...any) {
			changes = append(changes, fmt.Sprintf("sid %d: ", sid)+fmt.Sprintf(format, args...))
		}
		var opts []*sigparse.Option
		var md []sigparse.MetaEntry
		haveRev := false
		for _, o := range r.Options {
			switch o.Name {
			case "metadata":
				if v, ok := o.Value.(*sigparse.Metadata); ok {
					md = append(md, v.Entries...)
					continue
				}
			case "rev":
				haveRev = true
			case "msg":
				f := strings.Fields(r.Msg())
				if len(f) >= 2 && f[0] == "ET" && etRetired[f[1]] != "" {
					c := *o
					c.Arg = strings.Replace(o.Arg, "ET "+f[1]+" ", "ET "+etRetired[f[1]]+" ", 1)
					opts = append(opts, &c)
					md = append(md, sigparse.MetaEntry{Key: "former_category", Value: f[1]})
					note("msg category %s is retired: now %s, with metadata former_category %s", f[1], etRetired[f[1]], f[1])
					continue
				}
			}
			opts = append(opts, o)
		}
		if !haveRev {
			opts = append(opts, &sigparse.Option{Name: "rev", Arg: "1", HasArg: true})
			note("rev:1 added")
		}
		md, ch := setMeta(md, day)
		for _, c := range ch {
			note("%s", c)
		}
		var parts []string
		for _, e := range md {
			parts = append(parts, strings.TrimSpace(e.Key+" "+e.Value))
		}
		opts = append(opts, &sigparse.Option{Name: "metadata", Arg: strings.Join(parts, ", "), HasArg: true})
		nr := *r
		nr.Options = opts
		text, err := sigparse.Format(&nr, sigparse.FormatOptions{})
		if err != nil {
			return "", nil, nil, fmt.Errorf("sid %d: %w", sid, err)
		}
		b.WriteString(text + "\n")
	}
	f, errs := sigparse.ParseFile("signature.rules", []byte(b.String()), sigparse.Options{})
	if len(errs) > 0 {
		return "", nil, nil, fmt.Errorf("the ET rule does not parse: %w", errs)
	}
	return b.String(), f.Rules, changes, nil
}

// setMeta sets updated_at to day and created_at to day when missing,
// keeping the other entries in order.
func setMeta(md []sigparse.MetaEntry, day string) ([]sigparse.MetaEntry, []string) {
	var changes []string
	var out []sigparse.MetaEntry
	created := false
	for _, e := range md {
		switch e.Key {
		case "updated_at":
			continue
		case "created_at":
			if created {
				continue
			}
			created = true
		}
		out = append(out, e)
	}
	if !created {
		out = append(out, sigparse.MetaEntry{Key: "created_at", Value: day})
		changes = append(changes, "metadata created_at "+day+" added")
	}
	out = append(out, sigparse.MetaEntry{Key: "updated_at", Value: day})
	changes = append(changes, "metadata updated_at set to "+day)
	return out, changes
}

// BundleOptions configure BuildBundle.
type BundleOptions struct {
	// Date is written as created_at/updated_at; the zero value means now.
	Date time.Time
	// Version is sigtool's version, recorded in the report.
	Version string
	// Pcaps are the true-positive captures, included in the bundle.
	Pcaps []string
	// Benign is a directory searched recursively for captures the rules
	// should stay quiet on; "" skips the false-positive run.
	Benign string
	// Matcher configures detection (variables and the like).
	Matcher matcher.Config
}

// PcapRun is what the rules did on one capture.
type PcapRun struct {
	Name    string      `json:"name"` // path in the bundle (true positives) or relative to the benign folder
	SHA256  string      `json:"sha256"`
	Packets int         `json:"packets"`
	Alerts  map[int]int `json:"alerts"` // sid → alerts
	Error   string      `json:"error,omitempty"`
	path    string
}

// Bundle is an ET submission: the rule, its evidence and the report.
type Bundle struct {
	Version string   `json:"sigtool_version"`
	Date    string   `json:"date"`
	Rules   string   `json:"rules"`
	SIDs    []int    `json:"sids"`
	Changes []string `json:"changes"`
	// Lint is "lint --style et" over the prepared rules.
	Lint          *lint.Result           `json:"lint"`
	NotEvaluated  []matcher.NotEvaluated `json:"not_evaluated"`
	TruePositives []*PcapRun             `json:"true_positives"`
	Benign        *BenignRun             `json:"benign,omitempty"`
}

// BenignRun is the false-positive run over a folder of captures.
type BenignRun struct {
	Dir     string      `json:"dir"`
	Pcaps   int         `json:"pcaps"`
	Packets int         `json:"packets"`
	Alerts  map[int]int `json:"alerts"` // sid → alerts over all benign captures
	// Fired lists the benign captures with at least one alert.
	Fired []*PcapRun `json:"fired"`
}

// Problems lists what keeps the bundle from being a clean submission:
// lint findings, a rule that did not fire on the true positives, a
// false positive, a rule the engine cannot evaluate, an unreadable pcap.
func (b *Bundle) Problems() []string {
	var p []string
	for _, d := range b.Lint.Diagnostics {
		if d.Severity >= lint.Warning {
			p = append(p, fmt.Sprintf("lint %s: %s:%d:%d: %s", d.Severity, d.File, d.Line, d.Column, d.Message))
		}
	}
	for _, ne := range b.NotEvaluated {
		p = append(p, fmt.Sprintf("sid %d is not evaluated by sigtool: %s", ne.SID, ne.Reason))
	}
	for _, sid := range b.SIDs {
		n := 0
		for _, r := range b.TruePositives {
			n += r.Alerts[sid]
		}
		if n == 0 {
			p = append(p, fmt.Sprintf("sid %d did not fire on the true-positive captures", sid))
		}
		if b.Benign != nil && b.Benign.Alerts[sid] > 0 {
			p = append(p, fmt.Sprintf("sid %d fired %d times on benign captures", sid, b.Benign.Alerts[sid]))
		}
	}
	for _, r := range b.TruePositives {
		if r.Error != "" {
			p = append(p, r.Name+": "+r.Error)
		}
	}
	return p
}

// BuildBundle prepares the rules in ET style, lints them, and runs them
// over the true-positive captures and the benign folder.
func BuildBundle(ctx context.Context, rules []*sigparse.Rule, opts BundleOptions) (*Bundle, error) {
	if len(opts.Pcaps) == 0 {
		return nil, errors.New("an ET bundle needs at least one true-positive pcap")
	}
	date := opts.Date
	if date.IsZero() {
		date = time.Now()
	}
	text, prepared, changes, err := PrepareET(rules, date)
	if err != nil {
		return nil, err
	}
	if len(prepared) == 0 {
		return nil, errors.New("no enabled rule to export")
	}
	b := &Bundle{Version: opts.Version, Date: date.UTC().Format("2006-01-02"), Rules: text, Changes: changes}
	if b.Changes == nil {
		b.Changes = []string{}
	}
	for _, r := range prepared {
		b.SIDs = append(b.SIDs, r.SID())
	}
	f, _ := sigparse.ParseFile("signature.rules", []byte(text), sigparse.Options{})
	b.Lint = lint.Check([]*sigparse.File{f}, lint.Options{Style: lint.StyleET, Vars: opts.Matcher.Vars})

	eng, err := matcher.Compile(prepared, opts.Matcher)
	if err != nil {
		return nil, err
	}
	b.NotEvaluated = eng.NotEvaluated()
	if b.NotEvaluated == nil {
		b.NotEvaluated = []matcher.NotEvaluated{}
	}
	seen := map[string]bool{}
	for _, p := range opts.Pcaps {
		// The report names each capture as it is in the bundle.
		base := path.Base(filepath.ToSlash(p))
		name := "pcaps/" + base
		for n := 2; seen[name]; n++ {
			name = fmt.Sprintf("pcaps/%d-%s", n, base)
		}
		seen[name] = true
		run := scan(ctx, eng, p, name)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b.TruePositives = append(b.TruePositives, run)
	}
	if opts.Benign != "" {
		br := &BenignRun{Dir: opts.Benign, Alerts: map[int]int{}, Fired: []*PcapRun{}}
		err := filepath.WalkDir(opts.Benign, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !isCapture(d.Name()) {
				return nil
			}
			rel, _ := filepath.Rel(opts.Benign, p)
			run := scan(ctx, eng, p, filepath.ToSlash(rel))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			br.Pcaps++
			br.Packets += run.Packets
			for sid, n := range run.Alerts {
				br.Alerts[sid] += n
			}
			if len(run.Alerts) > 0 || run.Error != "" {
				br.Fired = append(br.Fired, run)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("benign captures: %w", err)
		}
		b.Benign = br
	}
	return b, nil
}

func isCapture(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng") || strings.HasSuffix(name, ".cap")
}

// scan runs the engine over one capture; a read error is recorded in the
// run (packets before it still count), not returned.
func scan(ctx context.Context, eng *matcher.Engine, p, name string) *PcapRun {
	run := &PcapRun{Name: name, Alerts: map[int]int{}, path: p}
	if data, err := os.ReadFile(p); err == nil {
		sum := sha256.Sum256(data)
		run.SHA256 = hex.EncodeToString(sum[:])
	}
	st, err := eng.ScanFile(ctx, p, func(a *matcher.Alert) { run.Alerts[a.SID]++ })
	run.Packets = st.Packets
	if err != nil {
		run.Error = err.Error()
	}
	return run
}

// JSON returns the report as indented JSON.
func (b *Bundle) JSON() []byte {
	out, _ := json.MarshalIndent(struct {
		*Bundle
		Problems []string `json:"problems"`
	}{b, append([]string{}, b.Problems()...)}, "", "  ")
	return append(out, '\n')
}

// Markdown returns the report an analyst attaches to a submission.
func (b *Bundle) Markdown() string {
	var s strings.Builder
	fmt.Fprintf(&s, "# Signature submission: sid %s\n\n", joinInts(b.SIDs))
	fmt.Fprintf(&s, "Generated by sigtool %s on %s.\n\n", b.Version, b.Date)
	s.WriteString("## Rule\n\n```\n" + b.Rules + "```\n\n")
	if len(b.Changes) > 0 {
		s.WriteString("Changes made for ET style:\n\n")
		for _, c := range b.Changes {
			s.WriteString("- " + c + "\n")
		}
		s.WriteString("\n")
	}
	s.WriteString("## True positives\n\n| pcap | sha256 | packets | alerts |\n|---|---|---|---|\n")
	for _, r := range b.TruePositives {
		fmt.Fprintf(&s, "| %s | `%s` | %d | %s |\n", mdEscape(r.Name), short(r.SHA256), r.Packets, alertsText(r.Alerts, b.SIDs))
	}
	s.WriteString("\n## False positives\n\n")
	if b.Benign == nil {
		s.WriteString("No benign captures were given (--benign).\n")
	} else {
		fmt.Fprintf(&s, "%d benign captures (%d packets) under `%s`: %s.\n",
			b.Benign.Pcaps, b.Benign.Packets, mdEscape(b.Benign.Dir), alertsText(b.Benign.Alerts, b.SIDs))
		if len(b.Benign.Fired) > 0 {
			s.WriteString("\n| benign pcap | alerts | error |\n|---|---|---|\n")
			for _, r := range b.Benign.Fired {
				fmt.Fprintf(&s, "| %s | %s | %s |\n", mdEscape(r.Name), alertsText(r.Alerts, b.SIDs), mdEscape(r.Error))
			}
		}
	}
	s.WriteString("\n## Checks\n\n")
	fmt.Fprintf(&s, "`sigtool lint --style et`: %d errors, %d warnings.\n", b.Lint.Summary.Errors, b.Lint.Summary.Warnings)
	if p := b.Problems(); len(p) == 0 {
		s.WriteString("\nNo problems: the rule is lint-clean, fires on every true positive and stays quiet on the benign captures.\n")
	} else {
		s.WriteString("\nProblems:\n\n")
		for _, x := range p {
			s.WriteString("- " + mdEscape(x) + "\n")
		}
	}
	return s.String()
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// alertsText prints "sid 1000001: 2 alerts" per sid, in sid order, with
// other sids (none should appear) after.
func alertsText(m map[int]int, sids []int) string {
	keys := slices.Clone(sids)
	for k := range m {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		unit := "alerts"
		if m[k] == 1 {
			unit = "alert"
		}
		parts = append(parts, fmt.Sprintf("sid %d: %d %s", k, m[k], unit))
	}
	return strings.Join(parts, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteArchive writes the bundle as a .tar.gz or a .zip (by the name's
// extension) holding DIR/signature.rules, DIR/report.md, DIR/report.json
// and DIR/pcaps/ with the true-positive captures. Entries carry the
// bundle's date so the same input gives the same archive.
func (b *Bundle) WriteArchive(w io.Writer, name string) error {
	dir := "sigtool-et-" + strings.ReplaceAll(joinInts(b.SIDs), ", ", "-")
	type entry struct {
		name string
		data []byte
	}
	entries := []entry{
		{"signature.rules", []byte(b.Rules)},
		{"report.md", []byte(b.Markdown())},
		{"report.json", b.JSON()},
	}
	for _, r := range b.TruePositives {
		data, err := os.ReadFile(r.path)
		if err != nil {
			return err
		}
		entries = append(entries, entry{r.Name, data})
	}
	mtime, err := time.Parse("2006-01-02", b.Date)
	if err != nil {
		mtime = time.Unix(0, 0)
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		zw := zip.NewWriter(w)
		for _, e := range entries {
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: dir + "/" + e.name, Method: zip.Deflate, Modified: mtime})
			if err != nil {
				return err
			}
			if _, err := fw.Write(e.data); err != nil {
				return err
			}
		}
		return zw.Close()
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		gz := gzip.NewWriter(w)
		gz.ModTime = mtime
		tw := tar.NewWriter(gz)
		for _, e := range entries {
			h := &tar.Header{Name: dir + "/" + e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if _, err := io.Copy(tw, bytes.NewReader(e.data)); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	}
	return fmt.Errorf("%s: the bundle is a .tar.gz, .tgz or .zip", name)
}
