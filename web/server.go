package web

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// The whole embed FS holds template sources too, so only its static
// subtree is ever handed to the file server.
//
//go:embed templates static
var assets embed.FS

// Defaults for the zero Options.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultMaxUpload  = 100 << 20
	DefaultMaxRuns    = 2
	DefaultRunTimeout = 2 * time.Minute
)

// Options configure a Server. The zero value serves on loopback with no
// rulesets and no corpus pcaps; only uploads can be tested then.
type Options struct {
	// Addr is the listen address; "" means DefaultAddr (loopback).
	Addr string
	// Rules are rule files or directories (recursive over *.rules) shown on
	// the rules page and searched by GET /api/rules.
	Rules []string
	// PcapDirs are folders whose pcap/pcapng files (recursive) can be
	// chosen by name on the test page. Clients never send a path.
	PcapDirs []string
	// MaxUpload bounds an uploaded capture in bytes; 0 means DefaultMaxUpload.
	MaxUpload int64
	// MaxRuns bounds concurrent test runs; 0 means DefaultMaxRuns. Runs
	// beyond it wait until RunTimeout and then get 503.
	MaxRuns int
	// RunTimeout bounds one test run; 0 means DefaultRunTimeout.
	RunTimeout time.Duration
	// Exporters add download formats beside the plain .rules file (the
	// export package's ET bundle and firewall rules).
	Exporters []Exporter
	// Log receives one line per request and server errors; nil discards.
	Log io.Writer
}

// Server is the web UI and JSON API. It is safe for concurrent use; all of
// its state is fixed by New except the run semaphore.
type Server struct {
	opts    Options
	engine  *gin.Engine
	pages   map[string]*template.Template
	static  fs.FS
	corpus  *corpusIndex
	rules   *ruleIndex
	runs    chan struct{}
	csrfKey []byte
	cop     *http.CrossOriginProtection
	vocab   vocabulary
}

// New loads the configured rulesets and indexes the pcap folders, parses
// the templates once and builds the gin engine.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = DefaultMaxUpload
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = DefaultMaxRuns
	}
	if opts.RunTimeout <= 0 {
		opts.RunTimeout = DefaultRunTimeout
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	for _, e := range opts.Exporters {
		if !validExporterName(e.Name) || e.Name == "rules" || e.Write == nil {
			return nil, fmt.Errorf("web: exporter %q: name must be [a-z0-9-]+, not \"rules\", and Write must be set", e.Name)
		}
	}
	s := &Server{opts: opts, runs: make(chan struct{}, opts.MaxRuns)}
	var err error
	if s.static, err = fs.Sub(assets, "static"); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.csrfKey = make([]byte, 32)
	rand.Read(s.csrfKey)
	s.cop = http.NewCrossOriginProtection()
	if s.corpus, err = indexPcaps(opts.PcapDirs); err != nil {
		return nil, err
	}
	if s.rules, err = loadRules(opts.Rules); err != nil {
		return nil, err
	}
	s.vocab = newVocabulary()
	s.engine = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler: gin behind the host check and
// Go's cross-origin (CSRF) protection for every non-safe method.
func (s *Server) Handler() http.Handler {
	return s.hostCheck(s.cop.Handler(s.engine))
}

// HTTPServer returns an http.Server for Addr with timeouts suited to
// 100 MB uploads on a slow link but no slow-loris header trickle.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Addr:              s.opts.Addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      s.opts.RunTimeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer()
	hs.BaseContext = func(net.Listener) context.Context { return ctx }
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}

// Addr is the configured listen address.
func (s *Server) Addr() string { return s.opts.Addr }

// Corpus lists the pcap names a client may choose from.
func (s *Server) Corpus() []string {
	names := make([]string, len(s.corpus.list))
	for i, p := range s.corpus.list {
		names[i] = p.Name
	}
	return names
}

// RuleCount is the number of rules loaded for the rules page.
func (s *Server) RuleCount() int { return len(s.rules.entries) }
