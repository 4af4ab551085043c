package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/sigparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPagesAndStatic(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/", http.StatusOK, `id="rule"`},
		{"/test", http.StatusOK, `<option>corpus/kryptik-checkin.pcap</option>`},
		{"/rules", http.StatusOK, "0 rules loaded"},
		{"/static/app.css", http.StatusOK, "--accent"},
		{"/static/draft.js", http.StatusOK, "use strict"},
		// Only the static subtree is served: no listing, no templates.
		{"/static/", http.StatusNotFound, ""},
		{"/static/../templates/layout.html", http.StatusNotFound, ""},
		{"/static/templates/layout.html", http.StatusNotFound, ""},
		{"/templates/layout.html", http.StatusNotFound, ""},
		{"/api/nope", http.StatusNotFound, `"error"`},
		{"/?sid=99", http.StatusNotFound, "No loaded rule"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := c.get(tt.path)
			assert.Equal(t, tt.status, w.Code)
			assert.Contains(t, w.Body.String(), tt.want)
			csp := w.Header().Get("Content-Security-Policy")
			assert.Contains(t, csp, "script-src 'self'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
		})
	}
}

// No page may carry inline script: the CSP would block it, and its absence
// is what makes the CSP safe.
func TestNoInlineScript(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	for _, p := range []string{"/", "/test", "/rules"} {
		body := c.get(p).Body.String()
		for _, s := range strings.Split(body, "<script")[1:] {
			assert.Contains(t, s[:strings.Index(s, ">")], `src="/static/`, "page %s", p)
		}
		assert.NotContains(t, body, " onclick=", p)
		assert.NotContains(t, body, " style=", p)
	}
}

func TestHostCheck(t *testing.T) {
	tests := []struct {
		addr, host string
		status     int
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", http.StatusOK},
		{"127.0.0.1:8080", "localhost:8080", http.StatusOK},
		{"127.0.0.1:8080", "[::1]:8080", http.StatusOK},
		{"127.0.0.1:8080", "evil.example:8080", http.StatusMisdirectedRequest},
		{"127.0.0.1:8080", "127.0.0.1.nip.io", http.StatusMisdirectedRequest},
		// Bound to every interface on purpose: any Host is accepted.
		{"0.0.0.0:8080", "sensor.example:8080", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.addr+" "+tt.host, func(t *testing.T) {
			_, h := testServer(t, func(o *Options) { o.Addr = tt.addr })
			req := httptest.NewRequest(http.MethodGet, "/rules", nil)
			req.Host = tt.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			assert.Equal(t, tt.status, w.Code)
		})
	}
}

func TestCSRF(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tok := c.token()
	fresh := &client{t: t, h: h} // never loaded a page: no cookie
	other := &client{t: t, h: h}
	otherTok := other.token()

	fields := func(tok string) map[string]string {
		f := map[string]string{"rules": kryptikRule, "pcap": "corpus/benign.pcap"}
		if tok != "" {
			f[csrfField] = tok
		}
		return f
	}
	tests := []struct {
		name   string
		c      *client
		target string
		fields map[string]string
		status int
	}{
		{"test without token", c, "/test", fields(""), http.StatusForbidden},
		{"test with a wrong token", c, "/test", fields("AAAA" + tok[4:]), http.StatusForbidden},
		{"test with another client's token", c, "/test", fields(otherTok), http.StatusForbidden},
		{"test without cookie", fresh, "/test", fields(tok), http.StatusForbidden},
		{"export without token", c, "/export/rules", fields(""), http.StatusForbidden},
		{"export with token", c, "/export/rules", fields(tok), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.c.postForm(tt.target, tt.fields, nil)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
		})
	}

	// Cross-origin browser requests are refused on every non-safe route,
	// the JSON API included.
	for _, target := range []string{"/api/lint", "/api/test", "/api/parse", "/test", "/export/rules"} {
		t.Run("cross-site "+target, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+target, strings.NewReader(`{"rules":""}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			assert.Equal(t, http.StatusForbidden, w.Code)
		})
	}
}

// pcapHeader is a little-endian microsecond pcap global header for
// Ethernet, enough for the magic check.
var pcapHeader = "\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + strings.Repeat("\x00", 8) + "\x00\x00\x04\x00\x01\x00\x00\x00"

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

func TestUploadChecks(t *testing.T) {
	_, h := testServer(t, func(o *Options) { o.MaxUpload = 64 << 10 })
	c := &client{t: t, h: h}
	tok := c.token()
	tests := []struct {
		name   string
		file   string
		status int
		want   string
	}{
		{"not a pcap", "GET / HTTP/1.1\r\n\r\n", http.StatusUnsupportedMediaType, "bad magic"},
		{"empty-ish", "\xd4\xc3", http.StatusUnsupportedMediaType, "bad magic"},
		{"gzip of text", gzipped("hello world"), http.StatusUnsupportedMediaType, "bad magic"},
		{"over the limit", pcapHeader + strings.Repeat("\x00", 70<<10), http.StatusRequestEntityTooLarge, "limit"},
		{"pcap header only", pcapHeader, http.StatusOK, "Results for"},
		{"gzipped pcap", gzipped(pcapHeader), http.StatusOK, "Results for"},
		{"pcapng magic", "\x0a\x0d\x0d\x0a" + strings.Repeat("\x00", 24), http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := c.postForm("/test", map[string]string{"rules": kryptikRule, csrfField: tok}, map[string][2]string{"upload": {"x.pcap", tt.file}})
			if tt.status == http.StatusOK && w.Code != http.StatusOK {
				// A header-only capture may be refused by the reader, but
				// never for its magic or size.
				assert.NotEqual(t, http.StatusUnsupportedMediaType, w.Code, w.Body.String())
				assert.NotEqual(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
				return
			}
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.want)
		})
	}
}

func TestCorpusNamesOnly(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tok := c.token()
	for _, name := range []string{
		"../../../../etc/passwd", "/etc/passwd", "corpus/../../etc/passwd",
		"corpus/../corpus/benign.pcap", "corpus\\benign.pcap", "benign.pcap", "corpus/benign.pcap\x00",
	} {
		t.Run(name, func(t *testing.T) {
			w := c.postForm("/test", map[string]string{"rules": kryptikRule, "pcap": name, csrfField: tok}, nil)
			assert.Equal(t, http.StatusNotFound, w.Code)
			w = c.postJSON("/api/test", `{"rules":"`+strings.ReplaceAll(kryptikRule, `"`, `\"`)+`","pcap":`+jsonString(name)+`}`)
			assert.Equal(t, http.StatusNotFound, w.Code)
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestIndexPcaps(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a", "pcaps")
	b := filepath.Join(root, "b", "pcaps")
	for _, d := range []string{filepath.Join(a, "sub"), b} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for _, f := range []string{filepath.Join(a, "x.pcap"), filepath.Join(a, "sub", "y.pcapng.gz"), filepath.Join(a, "notes.txt"), filepath.Join(b, "x.pcap")} {
		require.NoError(t, os.WriteFile(f, []byte(pcapHeader), 0o644))
	}
	ix, err := indexPcaps([]string{a, b})
	require.NoError(t, err)
	var names []string
	for _, p := range ix.list {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"pcaps-2/x.pcap", "pcaps/sub/y.pcapng.gz", "pcaps/x.pcap"}, names)
	_, err = indexPcaps([]string{filepath.Join(root, "missing")})
	assert.Error(t, err)
}

func TestEscaping(t *testing.T) {
	dir := t.TempDir()
	evil := `alert http any any -> any any (msg:"<script>alert(1)</script> & \"x\""; content:"<img src=x onerror=alert(2)>"; sid:7; rev:1;)`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "evil.rules"), []byte(evil+"\n"), 0o644))
	_, h := testServer(t, func(o *Options) { o.Rules = []string{dir} })
	c := &client{t: t, h: h}
	for _, p := range []string{"/rules", "/rules?q=script", "/rules?q=%3Cimg", "/?sid=7"} {
		t.Run(p, func(t *testing.T) {
			w := c.get(p)
			require.Equal(t, http.StatusOK, w.Code)
			body := w.Body.String()
			assert.NotContains(t, body, "<script>alert")
			assert.NotContains(t, body, "<img src=x")
			assert.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		})
	}
	// The query itself is echoed into the search box escaped.
	body := c.get("/rules?q=%22%3E%3Cscript%3Ealert(3)%3C/script%3E").Body.String()
	assert.NotContains(t, body, "<script>alert(3)")

	// The test page shows rule parse errors, which quote the rule text.
	tok := c.token()
	w := c.postForm("/test", map[string]string{"rules": `alert http any any -> any any (msg:"<script>alert(4)</script>"; sid:<b>x</b>;)`, "pcap": "corpus/benign.pcap", csrfField: tok}, nil)
	assert.NotContains(t, w.Body.String(), "<script>alert(4)")
	assert.NotContains(t, w.Body.String(), "<b>x</b>")
}

func TestRulesSearch(t *testing.T) {
	dir := t.TempDir()
	src := kryptikRule + "\n" +
		`alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE Other Beacon"; flow:established,to_server; http.uri; content:"/gate.PHP"; sid:1000002; rev:1;)` + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "local.rules"), []byte(src), 0o644))
	_, h := testServer(t, func(o *Options) { o.Rules = []string{dir} })
	c := &client{t: t, h: h}
	tests := []struct {
		q    string
		sids []int
	}{
		{"", []int{1000001, 1000002}},
		{"1000002", []int{1000002}},
		{"kryptik checkin", []int{1000001}},
		{"KRYPTIK", []int{1000001}},
		{"gate.php", []int{1000002}},
		{"imagedump", []int{1000001}},
		{"nothing-like-this", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			w := c.get("/api/rules?q=" + url.QueryEscape(tt.q))
			require.Equal(t, http.StatusOK, w.Code)
			var doc struct {
				Total int
				Rules []struct {
					SID  int    `json:"sid"`
					File string `json:"file"`
				}
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
			assert.Equal(t, 2, doc.Total)
			var sids []int
			for _, r := range doc.Rules {
				sids = append(sids, r.SID)
			}
			assert.Equal(t, tt.sids, sids)
		})
	}
}

func TestAPIErrors(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tests := []struct {
		target, body string
		status       int
	}{
		{"/api/lint", `not json`, http.StatusBadRequest},
		{"/api/format", `{"rules": 5}`, http.StatusBadRequest},
		{"/api/parse", `{"rule": ""}`, http.StatusUnprocessableEntity},
		{"/api/test", `{"rules": "", "pcap": "corpus/benign.pcap"}`, http.StatusUnprocessableEntity},
		{"/api/lint", `{"rules": "` + strings.Repeat("a", maxRulesText) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+tt.body[:min(len(tt.body), 20)], func(t *testing.T) {
			w := c.postJSON(tt.target, tt.body)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			var doc map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
			assert.NotEmpty(t, doc["error"])
		})
	}
}

// The rules page over the real ET Open ruleset: every rule is listed and a
// search by msg, content and sid finds the expected ones.
func TestRulesETOpen(t *testing.T) {
	dir := sharedtest.Path(t, "rulesets", "et-open-2024-04")
	start := time.Now()
	_, h := testServer(t, func(o *Options) { o.Rules = []string{dir} })
	t.Logf("loaded ET Open in %s", time.Since(start).Round(time.Millisecond))
	c := &client{t: t, h: h}
	var doc struct {
		Total int
		Rules []struct {
			SID int
			Msg string
		}
		Truncated bool
	}
	w := c.get("/api/rules?q=" + url.QueryEscape("kryptik"))
	require.Equal(t, http.StatusOK, w.Code)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Greater(t, doc.Total, 30000)
	require.NotEmpty(t, doc.Rules)
	for _, r := range doc.Rules {
		if !strings.Contains(strings.ToLower(r.Msg), "kryptik") {
			// Found by content instead: it must hold the word.
			w := c.get("/api/rules?q=" + strconv.Itoa(r.SID))
			assert.Contains(t, strings.ToLower(w.Body.String()), "kryptik")
		}
	}
	sid := doc.Rules[0].SID
	w = c.get("/api/rules?q=" + strconv.Itoa(sid))
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.NotEmpty(t, doc.Rules)
	assert.Equal(t, sid, doc.Rules[0].SID)
	// A broad query is cut at maxRuleHits and says so.
	w = c.get("/api/rules?q=ET")
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Len(t, doc.Rules, maxRuleHits)
	assert.True(t, doc.Truncated)
}

func TestHTTPServerTimeouts(t *testing.T) {
	s, _ := testServer(t, func(o *Options) { o.RunTimeout = time.Minute })
	hs := s.HTTPServer()
	assert.Equal(t, DefaultAddr, hs.Addr, "loopback unless told otherwise")
	assert.Positive(t, hs.ReadHeaderTimeout)
	assert.Positive(t, hs.ReadTimeout)
	assert.Greater(t, hs.WriteTimeout, time.Minute, "a run may take RunTimeout before the page is written")
	assert.Positive(t, hs.IdleTimeout)
}

func TestNewRejectsBadExporters(t *testing.T) {
	for _, e := range []Exporter{{Name: "rules", Write: func(context.Context, io.Writer, []*sigparse.Rule, []string) error { return nil }}, {Name: "Bad Name"}, {Name: "nowrite"}} {
		_, err := New(Options{Exporters: []Exporter{e}})
		assert.Error(t, err, e.Name)
	}
}
