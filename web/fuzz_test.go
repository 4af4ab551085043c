package web

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDraftAPI feeds arbitrary rule text to the endpoints the draft page
// calls on every keystroke. Any text must get an answer, never a panic
// (gin's recovery would turn one into a 500) and never a 5xx.
func FuzzDraftAPI(f *testing.F) {
	for _, s := range []string{
		kryptikRule, kryptikDraft, "", "alert", "alert tcp any any -> any any (",
		`alert http any any -> any any (msg:"a"; content:"|00 01|"; http.uri; pcre:"/x/Ui"; byte_test:4,>,1,0,relative; sid:1;)`,
		"alert tcp any any -> any any (msg:\"\\\"\"; content:!\"x\",nocase; sid:2;)\n# alert udp any any -> any 53 (sid:3;)",
	} {
		f.Add(s)
	}
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // JSON bodies are UTF-8; json.Marshal would rewrite the text
		}
		c := &client{t: t, h: h}
		for _, req := range []struct{ path, field string }{{"/api/lint", "rules"}, {"/api/format", "rules"}, {"/api/parse", "rule"}} {
			w := c.postJSON(req.path, `{"`+req.field+`":`+jsonString(text)+`}`)
			if w.Code >= http.StatusInternalServerError || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %q: %d %s", req.path, text, w.Code, w.Body.String())
			}
		}
	})
}
