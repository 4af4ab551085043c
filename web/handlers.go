package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/sigparse"
)

func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	fmt.Fprintf(s.opts.Log, "%s %s %s %d %s\n", start.UTC().Format(time.RFC3339), c.Request.Method, c.Request.URL.Path, c.Writer.Status(), time.Since(start).Round(time.Millisecond))
}

// serveStatic serves one embedded static file; directories are not listed.
func (s *Server) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("filepath")), "/")
	st, err := fs.Stat(s.static, name)
	if err != nil || !st.Mode().IsRegular() {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.FileFromFS(name, http.FS(s.static))
}

type draftData struct {
	page
	Vocab     vocabulary
	Rule      string
	Corpus    []string
	Exporters []Exporter
}

// maxRuleLink bounds rule text carried in a link back to the draft page.
const maxRuleLink = 8 << 10

// draftPage is the rule form. ?sid=N[&gid=G] opens a loaded rule in it,
// ?rule=TEXT the given text (the test page links back with it).
func (s *Server) draftPage(c *gin.Context) {
	d := draftData{page: page{Title: "Draft a rule", Page: "draft", CSRF: s.csrfToken(c)}, Vocab: s.vocab, Corpus: s.Corpus(), Exporters: s.opts.Exporters}
	if r := c.Query("rule"); r != "" && len(r) <= maxRuleLink {
		d.Rule = r
	}
	if q := c.Query("sid"); q != "" {
		sid, err1 := strconv.Atoi(q)
		gid, err2 := strconv.Atoi(c.DefaultQuery("gid", "1"))
		e, ok := s.rules.bySID(gid, sid)
		if err1 != nil || err2 != nil || !ok {
			s.renderError(c, http.StatusNotFound, fmt.Sprintf("No loaded rule has sid %q.", q), nil)
			return
		}
		d.Rule = e.Text
	}
	s.render(c, http.StatusOK, "draft", d)
}

type rulesData struct {
	page
	Query string
	Total int
	Files int
	Hits  []ruleEntry
	More  bool
}

func (s *Server) rulesPage(c *gin.Context) {
	q := c.Query("q")
	hits, more := s.rules.search(q)
	s.render(c, http.StatusOK, "rules", rulesData{page: page{Title: "Rules", Page: "rules"}, Query: q, Total: len(s.rules.entries), Files: s.rules.files, Hits: hits, More: more})
}

func (s *Server) apiRules(c *gin.Context) {
	hits, more := s.rules.search(c.Query("q"))
	if hits == nil {
		hits = []ruleEntry{}
	}
	c.JSON(http.StatusOK, gin.H{"total": len(s.rules.entries), "rules": hits, "truncated": more})
}

func (s *Server) apiPcaps(c *gin.Context) {
	type item struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	out := []item{}
	for _, p := range s.corpus.list {
		out = append(out, item{p.Name, p.Size})
	}
	c.JSON(http.StatusOK, gin.H{"pcaps": out})
}

// maxRulesText bounds the rules text of API and form requests that carry
// no capture.
const maxRulesText = 4 << 20

// readJSON decodes a bounded JSON body into v, answering 400 or 413 itself.
func readJSON(c *gin.Context, v any) bool {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxRulesText)
	if err := c.ShouldBindJSON(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": fmt.Sprintf("request body over %d bytes", mbe.Limit)})
		} else {
			c.JSON(http.StatusBadRequest, gin.H{"error": "body must be JSON: " + err.Error()})
		}
		return false
	}
	return true
}

type rulesRequest struct {
	Rules string `json:"rules"`
}

// apiFormat answers {"text": canonical rules} or {"error", "errors"}.
func (s *Server) apiFormat(c *gin.Context) {
	var req rulesRequest
	if !readJSON(c, &req) {
		return
	}
	f, errs := parseDraft(req.Rules)
	if len(errs) > 0 {
		c.JSON(http.StatusOK, gin.H{"error": errs[0].Error(), "errors": errorStrings(errs)})
		return
	}
	text, err := canonical(f.Rules)
	if err != nil {
		c.JSON(http.StatusOK, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"text": text})
}

// apiParse reads one rule into the draft form's fields. A rule with a bad
// option value still loads (the parser keeps it), with the errors beside.
func (s *Server) apiParse(c *gin.Context) {
	var req struct {
		Rule string `json:"rule"`
	}
	if !readJSON(c, &req) {
		return
	}
	f, errs := parseDraft(req.Rule)
	var rules []*sigparse.Rule
	if f != nil {
		rules = f.Rules
	}
	if len(rules) != 1 {
		msg := fmt.Sprintf("expected one rule, found %d", len(rules))
		if len(errs) > 0 {
			msg = errs[0].Error()
		}
		c.JSON(http.StatusUnprocessableEntity, gin.H{"error": msg, "errors": errorStrings(errs)})
		return
	}
	form, warnings := toForm(rules[0], s.vocab)
	c.JSON(http.StatusOK, gin.H{"rule": form, "errors": errorStrings(errs), "warnings": nonNil(warnings)})
}

// canonical prints rules in canonical form, one per line.
func canonical(rules []*sigparse.Rule) (string, error) {
	var b strings.Builder
	for _, r := range rules {
		t, err := sigparse.Format(r, sigparse.FormatOptions{})
		if err != nil {
			return "", err
		}
		if r.Disabled && !strings.HasPrefix(t, "#") {
			b.WriteString("# ")
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func errorStrings(errs sigparse.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseDraft parses rules text sent by a client; errors name "draft.rules".
func parseDraft(text string) (*sigparse.File, sigparse.ErrorList) {
	return sigparse.ParseFile("draft.rules", []byte(text), sigparse.Options{})
}
