package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
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
// .rules file.
// TODO(web): add the export package's ET bundle, iptables and nftables
// writers here once it provides them.
func serveExporters() []web.Exporter { return nil }
