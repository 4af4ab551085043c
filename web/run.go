package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/sigparse"
)

// maxAlertsKept bounds the alerts one run returns; counts stay exact.
const maxAlertsKept = 5000

// runResult is one test run: rules over one capture.
type runResult struct {
	Capture      string
	Alerts       []*matcher.Alert
	Truncated    bool
	Stats        matcher.Stats
	NotEvaluated []matcher.NotEvaluated
	RuleErrors   []string
	CaptureError string // the capture is damaged after some packets
	Elapsed      time.Duration
	rules        []*sigparse.Rule
}

// httpError is an error with the status a handler should answer.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errStatus(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// capture is where a run reads its pcap from: a corpus entry or an upload.
type capture struct {
	name   string
	path   string         // corpus file, or
	upload multipart.File // an uploaded file (closed by the caller)
	head   []byte         // upload bytes already read for the magic check
}

// readRunForm parses a multipart (or urlencoded) run request within the
// upload limit and resolves its capture. checkToken enforces the CSRF
// token of HTML forms. The caller closes the returned capture's upload.
func (s *Server) readRunForm(c *gin.Context, checkToken bool) (rules string, cp *capture, err error) {
	// The limit counts the whole body: the capture plus the rules text and
	// multipart framing.
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxUpload+maxRulesText)
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, errStatus(http.StatusRequestEntityTooLarge, "upload over the limit of %d bytes", s.opts.MaxUpload)
		}
		return "", nil, errStatus(http.StatusBadRequest, "reading the form: %v", err)
	}
	if checkToken && !s.checkCSRF(c) {
		return "", nil, errStatus(http.StatusForbidden, "the form's CSRF token is missing or stale; reload the page and try again")
	}
	rules = c.PostForm("rules")
	if fh, err := c.FormFile("rules"); err == nil && rules == "" {
		// curl -F rules=@local.rules sends the rules as a file part.
		if rules, err = readPart(fh, maxRulesText); err != nil {
			return "", nil, err
		}
	}
	if len(rules) > maxRulesText {
		return "", nil, errStatus(http.StatusRequestEntityTooLarge, "rules text over %d bytes", maxRulesText)
	}
	if fh, err := c.FormFile("upload"); err == nil && fh.Size > 0 {
		if fh.Size > s.opts.MaxUpload {
			return "", nil, errStatus(http.StatusRequestEntityTooLarge, "upload over the limit of %d bytes", s.opts.MaxUpload)
		}
		f, err := fh.Open()
		if err != nil {
			return "", nil, errStatus(http.StatusBadRequest, "reading the upload: %v", err)
		}
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		if err := checkPcapMagic(head); err != nil {
			f.Close()
			return "", nil, errStatus(http.StatusUnsupportedMediaType, "%s: %v", uploadName(fh.Filename), err)
		}
		return rules, &capture{name: uploadName(fh.Filename), upload: f, head: head}, nil
	}
	name := c.PostForm("pcap")
	if name == "" {
		return "", nil, errStatus(http.StatusBadRequest, "choose a capture from the list or upload one")
	}
	p, ok := s.corpus.lookup(name)
	if !ok {
		return "", nil, errStatus(http.StatusNotFound, "no capture named %q in the configured pcap folders", name)
	}
	return rules, &capture{name: p.Name, path: p.Path}, nil
}

// readPart reads a small file part whole, up to limit bytes.
func readPart(fh *multipart.FileHeader, limit int64) (string, error) {
	if fh.Size > limit {
		return "", errStatus(http.StatusRequestEntityTooLarge, "%s: over %d bytes", uploadName(fh.Filename), limit)
	}
	f, err := fh.Open()
	if err != nil {
		return "", errStatus(http.StatusBadRequest, "reading %s: %v", uploadName(fh.Filename), err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", errStatus(http.StatusBadRequest, "reading %s: %v", uploadName(fh.Filename), err)
	}
	return string(b), nil
}

// uploadName keeps only the base name the browser sent, for messages.
func uploadName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' || name[i] == '\\' {
			name = name[i+1:]
			break
		}
	}
	if name == "" {
		return "upload"
	}
	return name
}

// run parses the rules, compiles them and scans the capture, holding one
// of the MaxRuns slots while it scans.
func (s *Server) run(c *gin.Context, rulesText string, cp *capture) (*runResult, error) {
	f, errs := parseDraft(rulesText)
	res := &runResult{Capture: cp.name, RuleErrors: errorStrings(errs)}
	if f != nil {
		for _, r := range f.Rules {
			if !r.Disabled {
				res.rules = append(res.rules, r)
			}
		}
	}
	if len(res.rules) == 0 {
		if len(errs) > 0 {
			return res, errStatus(http.StatusUnprocessableEntity, "no rule to test: %s", errs[0].Error())
		}
		return res, errStatus(http.StatusUnprocessableEntity, "no rule to test: the rules text is empty")
	}
	eng, err := matcher.Compile(res.rules, matcher.Config{})
	if err != nil {
		return res, errStatus(http.StatusUnprocessableEntity, "compiling the rules: %v", err)
	}
	res.NotEvaluated = eng.NotEvaluated()

	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RunTimeout)
	defer cancel()
	select {
	case s.runs <- struct{}{}:
		defer func() { <-s.runs }()
	case <-ctx.Done():
		return res, errStatus(http.StatusServiceUnavailable, "busy: %d test runs are in progress; try again shortly", cap(s.runs))
	}
	emit := func(a *matcher.Alert) {
		if len(res.Alerts) < maxAlertsKept {
			res.Alerts = append(res.Alerts, a)
		} else {
			res.Truncated = true
		}
	}
	start := time.Now()
	if cp.upload != nil {
		r := io.MultiReader(bytes.NewReader(cp.head), cp.upload)
		res.Stats, err = eng.Scan(ctx, bufio.NewReaderSize(r, 64<<10), cp.name, emit)
	} else {
		res.Stats, err = eng.ScanFile(ctx, cp.path, emit)
	}
	res.Elapsed = time.Since(start)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, errStatus(http.StatusGatewayTimeout, "the run took longer than %s and was stopped", s.opts.RunTimeout)
	case errors.Is(err, os.ErrNotExist):
		return res, errStatus(http.StatusNotFound, "capture %s is gone from its folder", cp.name)
	default:
		// A damaged capture: the alerts before the damage stand, and the
		// error (which names the packet) is shown beside them.
		res.CaptureError = err.Error()
	}
	return res, nil
}

// counts lists alerts per sid in sid order, with the rule's msg.
func (res *runResult) counts() []countRow {
	msgs := map[int]string{}
	for _, r := range res.rules {
		if _, ok := msgs[r.SID()]; !ok {
			msgs[r.SID()] = r.Msg()
		}
	}
	rows := make([]countRow, 0, len(res.Stats.PerSID))
	for sid, n := range res.Stats.PerSID {
		rows = append(rows, countRow{SID: sid, N: n, Msg: msgs[sid]})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].SID < rows[j].SID })
	return rows
}

type countRow struct {
	SID int
	N   int
	Msg string
}
