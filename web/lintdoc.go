package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/report"
)

// apiLint is POST /api/lint {"rules": "..."}: the document `sigtool lint
// --format json` prints.
func (s *Server) apiLint(c *gin.Context) {
	var req rulesRequest
	if !readJSON(c, &req) {
		return
	}
	// TODO(web): answer with lint.Check's JSON document once package
	// sigparse/lint lands; until then the endpoint says it is missing.
	c.JSON(http.StatusNotImplemented, gin.H{"error": "lint is not available yet"})
}

// eveRecord is one alert as the EVE JSON line report writes.
func eveRecord(a *matcher.Alert) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := report.WriteEVE(&buf, a); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
}
