package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/report"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/sigparse/lint"
)

// apiLint is POST /api/lint {"rules": "..."}: the document `sigtool lint
// --format json` prints.
func (s *Server) apiLint(c *gin.Context) {
	var req struct {
		Rules string `json:"rules"`
		// Style is "" (Suricata's checks only, as sigtool lint) or "et"
		// (sigtool lint --style et), which the draft page asks for.
		Style string `json:"style"`
	}
	if !readJSON(c, &req) {
		return
	}
	style := lint.Style(req.Style)
	if style != lint.StyleNone && style != lint.StyleET {
		c.JSON(http.StatusBadRequest, gin.H{"error": fmt.Sprintf("unknown lint style %q (want \"\" or \"et\")", req.Style)})
		return
	}
	f, _ := parseDraft(req.Rules) // parse errors are in f.Errors, which lint reports
	res := lint.Check([]*sigparse.File{f}, lint.Options{Style: style})
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		c.JSON(http.StatusInternalServerError, gin.H{"error": err.Error()})
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf.Bytes())
}

// eveRecord is one alert as the EVE JSON line report writes.
func eveRecord(a *matcher.Alert) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := report.WriteEVE(&buf, a); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
}
