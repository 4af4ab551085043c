package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/export"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/web"
)

// cmdServe runs the drafting web UI and JSON API until interrupted.
func cmdServe(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "serve", "[--addr 127.0.0.1:8080] [--rules PATH]... [--pcaps DIR]...", `
Serve the web UI for drafting, linting and testing rules, and its JSON API
(POST /api/lint, POST /api/test, GET /api/rules). Everything it serves is
embedded in the binary, so it works offline.

It listens on loopback unless --addr names another address. Captures can
be uploaded (up to --max-upload bytes) or chosen by name from the --pcaps
folders; --rules files and folders are browsable on the rules page.`)
	addr := fs.String("addr", web.DefaultAddr, "listen address (host:port); port 0 picks a free one")
	var rules, pcaps multiFlag
	fs.Var(&rules, "rules", "rule file or folder to browse (repeatable; folders are read recursively for *.rules)")
	fs.Var(&pcaps, "pcaps", "folder of captures offered on the test page (repeatable, recursive)")
	maxUpload := fs.Int64("max-upload", web.DefaultMaxUpload, "largest capture upload in bytes")
	maxRuns := fs.Int("max-runs", web.DefaultMaxRuns, "test runs allowed at the same time")
	runTimeout := fs.Duration("run-timeout", web.DefaultRunTimeout, "longest a single test run may take")
	verbose := fs.Bool("v", false, "log each request to stderr")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(env, "serve", exitUsage, "unexpected argument %q (rules and pcaps go in --rules and --pcaps)", fs.Arg(0))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return errorf(env, "serve", exitUsage, "--addr %q: %v", *addr, err)
	}

	// gin's debug mode prints route tables to stdout; the CLI keeps its
	// streams for its own messages.
	gin.SetMode(gin.ReleaseMode)
	opts := web.Options{
		Addr: *addr, Rules: rules, PcapDirs: pcaps,
		MaxUpload: *maxUpload, MaxRuns: *maxRuns, RunTimeout: *runTimeout,
		Exporters: serveExporters(),
	}
	if *verbose {
		opts.Log = env.Stderr
	}
	srv, err := web.New(opts)
	if err != nil {
		return errorf(env, "serve", exitUsage, "%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return errorf(env, "serve", exitUsage, "%v", err)
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(env.Stderr, "sigtool serve: warning: listening on %s, reachable from other machines; the UI has no authentication\n", *addr)
	}
	fmt.Fprintf(env.Stderr, "sigtool serve: %d rules, %d captures; open http://%s/\n", srv.RuleCount(), len(srv.Corpus()), ln.Addr())
	start := time.Now()
	if err := srv.Serve(ctx, ln); err != nil {
		return errorf(env, "serve", exitUsage, "%v", err)
	}
	fmt.Fprintf(env.Stderr, "sigtool serve: stopped after %s\n", time.Since(start).Round(time.Second))
	return exitOK
}

// serveExporters lists the downloads the draft page offers beside the
// .rules file, all from package export with its defaults (Suricata's
// variables, DROP after LOG, chain SIGTOOL), as sigtool export writes them.
func serveExporters() []web.Exporter {
	translate := func(f export.Format, write func(*export.Translation, io.Writer) error) func(context.Context, io.Writer, []*sigparse.Rule, []string) error {
		return func(_ context.Context, w io.Writer, rules []*sigparse.Rule, _ []string) error {
			t, err := export.Translate(rules, f, export.Options{})
			if err != nil {
				return err
			}
			return write(t, w)
		}
	}
	return []web.Exporter{
		{
			Name: "et", Label: "ET submission bundle (.tar.gz)", Filename: "et-submission.tar.gz", ContentType: "application/gzip",
			// The bundle carries the capture chosen or uploaded on the
			// form as its true positive.
			Write: func(ctx context.Context, w io.Writer, rules []*sigparse.Rule, pcaps []string) error {
				if len(pcaps) == 0 {
					return errors.New("an ET bundle needs the true-positive capture: choose it in the Capture list or upload it, then export again")
				}
				b, err := export.BuildBundle(ctx, rules, export.BundleOptions{Version: sigtoolVersion(), Pcaps: pcaps})
				if err != nil {
					return err
				}
				return b.WriteArchive(w, "et-submission.tar.gz")
			},
		},
		{
			Name: "iptables", Label: "iptables-restore", Filename: "sigtool.iptables", ContentType: "text/plain; charset=utf-8",
			Write: translate(export.IPTables, func(t *export.Translation, w io.Writer) error { return t.WriteIPTablesRestore(w, sigtoolVersion()) }),
		},
		{
			Name: "nftables", Label: "nftables", Filename: "sigtool.nft", ContentType: "text/plain; charset=utf-8",
			Write: translate(export.NFTables, func(t *export.Translation, w io.Writer) error { return t.WriteNFT(w, sigtoolVersion()) }),
		},
	}
}
