package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

// pageNames are the templates under templates/ that render a whole page
// inside layout.html.
var pageNames = []string{"draft", "test", "rules", "error"}

// parsePages parses every page once, each with its own copy of the layout
// so that their "content" blocks do not collide.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(assets, "templates/"+name+".html"); err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// page is what every template gets; Data holds the page's own fields.
type page struct {
	Title string
	Page  string
	CSRF  string
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		fmt.Fprintf(s.opts.Log, "sigtool serve: rendering %s: %v\n", name, err)
		c.String(http.StatusInternalServerError, "internal error rendering the page")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

type errorPage struct {
	page
	Message string
	Errors  []string
}

// renderError shows a message (and optional details) as an HTML page.
func (s *Server) renderError(c *gin.Context, status int, msg string, details []string) {
	s.render(c, status, "error", errorPage{page: page{Title: http.StatusText(status), Page: "error"}, Message: msg, Errors: details})
}
