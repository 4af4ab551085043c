package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

type testData struct {
	page
	Rules    string
	RuleLink bool // Rules is short enough to carry back to the draft page
	Pcap     string
	Corpus   []string
	Result   *testView
}

func (s *Server) testPage(c *gin.Context) {
	s.render(c, http.StatusOK, "test", testData{page: page{Title: "Test rules", Page: "test", CSRF: s.csrfToken(c)}, Corpus: s.Corpus()})
}

// testSubmit runs the form's rules over the chosen capture and shows the
// results under the same form, so the user can edit and run again.
func (s *Server) testSubmit(c *gin.Context) {
	rules, cp, err := s.readRunForm(c, true)
	if err != nil {
		s.renderHTTPError(c, err, nil)
		return
	}
	if cp.upload != nil {
		defer cp.upload.Close()
	}
	res, err := s.run(c, rules, cp)
	if err != nil {
		s.renderHTTPError(c, err, res.RuleErrors)
		return
	}
	d := testData{page: page{Title: "Test results", Page: "test", CSRF: s.csrfToken(c)}, Rules: rules, Corpus: s.Corpus(), Result: newTestView(res)}
	if cp.path != "" {
		d.Pcap = cp.name
	}
	d.RuleLink = len(rules) <= maxRuleLink
	s.render(c, http.StatusOK, "test", d)
}

func (s *Server) renderHTTPError(c *gin.Context, err error, details []string) {
	status := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	s.renderError(c, status, err.Error(), details)
}

func apiError(c *gin.Context, err error, details []string) {
	status := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	c.JSON(status, gin.H{"error": err.Error(), "errors": nonNil(details)})
}

// apiTest is POST /api/test: multipart (rules, and upload or pcap) or JSON
// {"rules", "pcap"}. It answers {"alerts": [EVE records], "counts":
// {sid: n}, "not_evaluated": [...], "errors": [...], "stats": {...}}.
func (s *Server) apiTest(c *gin.Context) {
	var (
		rules string
		cp    *capture
		err   error
	)
	if c.ContentType() == "application/json" {
		var req struct {
			Rules string `json:"rules"`
			Pcap  string `json:"pcap"`
		}
		if !readJSON(c, &req) {
			return
		}
		p, ok := s.corpus.lookup(req.Pcap)
		if !ok {
			apiError(c, errStatus(http.StatusNotFound, "no capture named %q in the configured pcap folders", req.Pcap), nil)
			return
		}
		rules, cp = req.Rules, &capture{name: p.Name, path: p.Path}
	} else if rules, cp, err = s.readRunForm(c, false); err != nil {
		apiError(c, err, nil)
		return
	}
	if cp.upload != nil {
		defer cp.upload.Close()
	}
	res, err := s.run(c, rules, cp)
	if err != nil {
		apiError(c, err, res.RuleErrors)
		return
	}
	alerts := make([]json.RawMessage, 0, len(res.Alerts))
	for _, a := range res.Alerts {
		rec, err := eveRecord(a)
		if err != nil {
			apiError(c, err, nil)
			return
		}
		alerts = append(alerts, rec)
	}
	counts := map[string]int{}
	for sid, n := range res.Stats.PerSID {
		counts[strconv.Itoa(sid)] = n
	}
	type notEvaluated struct {
		SID      int      `json:"sid"`
		GID      int      `json:"gid"`
		Msg      string   `json:"msg"`
		Keywords []string `json:"keywords"`
		Reason   string   `json:"reason"`
	}
	ne := []notEvaluated{}
	for _, n := range res.NotEvaluated {
		ne = append(ne, notEvaluated{n.SID, n.GID, n.Msg, nonNil(n.Keywords), n.Reason})
	}
	c.JSON(http.StatusOK, gin.H{
		"capture":       res.Capture,
		"alerts":        alerts,
		"truncated":     res.Truncated,
		"counts":        counts,
		"not_evaluated": ne,
		"errors":        nonNil(append(res.RuleErrors, nonEmpty(res.CaptureError)...)),
		"stats": gin.H{"packets": res.Stats.Packets, "bytes": res.Stats.Bytes, "flows": res.Stats.Flows,
			"http_transactions": res.Stats.HTTPTransactions, "alerts": res.Stats.Alerts},
	})
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
