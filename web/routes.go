package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes builds the gin engine. Every route the server answers is here.
func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.Use(s.logRequests, gin.Recovery(), securityHeaders)
	r.MaxMultipartMemory = 8 << 20 // larger uploads spill to a temp file

	// Pages.
	r.GET("/", s.draftPage)
	r.GET("/test", s.testPage)
	r.POST("/test", s.testSubmit)
	r.GET("/rules", s.rulesPage)
	r.POST("/export/:name", s.exportSubmit)

	// JSON API.
	api := r.Group("/api")
	api.POST("/lint", s.apiLint)
	api.POST("/format", s.apiFormat)
	api.POST("/parse", s.apiParse)
	api.POST("/test", s.apiTest)
	api.GET("/rules", s.apiRules)
	api.GET("/pcaps", s.apiPcaps)

	// Embedded static files only; templates are not reachable.
	r.GET("/static/*filepath", s.serveStatic)
	r.GET("/favicon.ico", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	r.NoRoute(func(c *gin.Context) {
		if isAPI(c) {
			c.JSON(http.StatusNotFound, gin.H{"error": "no such endpoint"})
			return
		}
		s.renderError(c, http.StatusNotFound, "There is no page at this address.", nil)
	})
	return r
}
