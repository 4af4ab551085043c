package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sigtool/sigtool/sigparse"
	"github.com/sigtool/sigtool/sigparse/lint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPILint(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tests := []struct {
		name, rules, style string
		codes              []string
	}{
		{"clean", kryptikRule, "", nil},
		{"analyst draft", kryptikDraft, "", []string{"reference-malformed", "sid-invalid"}},
		{"et style", kryptikRule, "et", []string{"et-metadata-missing", "et-msg-prefix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"rules": tt.rules, "style": tt.style})
			w := c.postJSON("/api/lint", string(body))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())

			// The same document as `sigtool lint --format json` on a file
			// holding the text.
			f, _ := sigparse.ParseFile("draft.rules", []byte(tt.rules), sigparse.Options{})
			var want bytes.Buffer
			require.NoError(t, lint.Check([]*sigparse.File{f}, lint.Options{Style: lint.Style(tt.style)}).WriteJSON(&want))
			assert.JSONEq(t, want.String(), w.Body.String())

			var doc struct {
				Summary     map[string]int
				Diagnostics []struct {
					Code   string
					Line   int
					Column int
				}
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
			var codes []string
			for _, d := range doc.Diagnostics {
				codes = append(codes, d.Code)
				if d.Code == "sid-invalid" {
					assert.Equal(t, [2]int{1, 209}, [2]int{d.Line, d.Column})
				}
			}
			assert.ElementsMatch(t, tt.codes, codes)
		})
	}
	w := c.postJSON("/api/lint", `{"rules":"","style":"snort"}`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
}

func TestAPIFormatAndParse(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}

	w := c.postJSON("/api/format", `{"rules":`+jsonString(kryptikRule)+`}`)
	require.Equal(t, http.StatusOK, w.Code)
	var fmtDoc struct{ Text, Error string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &fmtDoc))
	assert.Empty(t, fmtDoc.Error)
	r, err := sigparse.ParseRule(kryptikRule, sigparse.Options{})
	require.NoError(t, err)
	want, err := sigparse.Format(r, sigparse.FormatOptions{})
	require.NoError(t, err)
	assert.Equal(t, want+"\n", fmtDoc.Text)

	w = c.postJSON("/api/format", `{"rules":`+jsonString(kryptikDraft)+`}`)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &fmtDoc))
	assert.Contains(t, fmtDoc.Error, "draft.rules:1:209")

	// A rule with every form field, and options the form keeps as text.
	full := `alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"ET MALWARE Test \"quoted\""; flow:established,to_server; ` +
		`http.method; content:"POST"; http.uri; content:"/gate.php"; startswith; content:!"|3f|debug"; nocase; distance:0; within:20; ` +
		`pcre:"/id=[0-9a-f]{8}/U"; http.user_agent; content:"Bot"; fast_pattern; threshold:type limit,track by_src,count 1,seconds 60; ` +
		`reference:url,example.com/a; reference:md5,0123456789abcdef0123456789abcdef; classtype:trojan-activity; sid:1000009; rev:3; ` +
		`metadata:attack_target Client_Endpoint, created_at 2024_04_01, tag Bot;)`
	w = c.postJSON("/api/parse", `{"rule":`+jsonString(full)+`}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var doc struct {
		Rule   ruleForm
		Errors []string
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Empty(t, doc.Errors)
	f := doc.Rule
	assert.Equal(t, "$HTTP_PORTS", f.DstPort)
	assert.Equal(t, "MALWARE", f.Category)
	assert.Equal(t, `Test "quoted"`, f.Msg)
	assert.Equal(t, [2]string{"established", "to_server"}, [2]string{f.FlowState, f.FlowDir})
	assert.Equal(t, []formItem{
		{Kind: "content", Buffer: "http.method", Value: "POST"},
		{Kind: "content", Buffer: "http.uri", Value: "/gate.php", Startswith: true},
		{Kind: "content", Buffer: "http.uri", Value: "|3f|debug", Negate: true, Nocase: true, Distance: "0", Within: "20"},
		{Kind: "pcre", Buffer: "http.uri", Value: "/id=[0-9a-f]{8}/"},
		{Kind: "content", Buffer: "http.user_agent", Value: "Bot", Fast: true},
	}, f.Items)
	assert.Equal(t, [2]string{"url", "example.com/a"}, [2]string{f.RefScheme, f.Ref})
	assert.Equal(t, "trojan-activity", f.Classtype)
	assert.Equal(t, [2]string{"1000009", "3"}, [2]string{f.SID, f.Rev})
	assert.Equal(t, map[string]any{"attack_target": "Client_Endpoint", "created_at": "2024_04_01"}, f.Metadata)
	assert.Equal(t, "threshold:type limit,track by_src,count 1,seconds 60; reference:md5,0123456789abcdef0123456789abcdef; metadata:tag Bot;", f.Other)

	// A bad option value still loads, with its error beside.
	w = c.postJSON("/api/parse", `{"rule":`+jsonString(kryptikDraft)+`}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Equal(t, "x", doc.Rule.SID)
	assert.NotEmpty(t, doc.Errors)
}

type eveAlert struct {
	EventType string `json:"event_type"`
	PcapCnt   int    `json:"pcap_cnt"`
	SrcIP     string `json:"src_ip"`
	DestPort  int    `json:"dest_port"`
	Alert     struct {
		SignatureID int    `json:"signature_id"`
		Signature   string `json:"signature"`
	} `json:"alert"`
	HTTP struct {
		URL      string `json:"url"`
		Hostname string `json:"hostname"`
	} `json:"http"`
}

type testDoc struct {
	Alerts       []eveAlert
	Counts       map[string]int
	NotEvaluated []map[string]any `json:"not_evaluated"`
	Errors       []string
	Stats        map[string]int
}

func TestAPITest(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	decode := func(w *httptest.ResponseRecorder) testDoc {
		t.Helper()
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var d testDoc
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
		return d
	}
	unsupported := `alert tcp any any -> any any (msg:"needs lua"; lua:check.lua; sid:2000001; rev:1;)`

	// By corpus name, JSON.
	d := decode(c.postJSON("/api/test", `{"rules":`+jsonString(kryptikRule+"\n"+unsupported)+`,"pcap":"corpus/kryptik-checkin.pcap"}`))
	require.Len(t, d.Alerts, 1)
	a := d.Alerts[0]
	assert.Equal(t, "alert", a.EventType)
	assert.Equal(t, 1000001, a.Alert.SignatureID)
	assert.Equal(t, "192.168.1.23", a.SrcIP)
	assert.Equal(t, 80, a.DestPort)
	assert.Equal(t, "/imagedump/image.php?id=4a6f&v=2", a.HTTP.URL)
	assert.Equal(t, "update.example-cdn.net", a.HTTP.Hostname)
	assert.Equal(t, map[string]int{"1000001": 1}, d.Counts)
	require.Len(t, d.NotEvaluated, 1)
	assert.EqualValues(t, 2000001, d.NotEvaluated[0]["sid"])
	assert.Contains(t, d.NotEvaluated[0]["keywords"], "lua")

	// The benign capture: no alert.
	d = decode(c.postJSON("/api/test", `{"rules":`+jsonString(kryptikRule)+`,"pcap":"corpus/benign.pcap"}`))
	assert.Empty(t, d.Alerts)
	assert.Empty(t, d.Counts)
	assert.Positive(t, d.Stats["packets"])

	// Uploaded, multipart, with no CSRF token (the API is for scripts;
	// cross-origin browsers are stopped by CrossOriginProtection).
	var pcap bytes.Buffer
	dir := t.TempDir()
	raw := mustRead(t, writeKryptikPcap(t, dir))
	pcap.Write(raw)
	d = decode(c.postForm("/api/test", map[string]string{"rules": kryptikRule}, map[string][2]string{"upload": {"checkin.pcap", pcap.String()}}))
	assert.Len(t, d.Alerts, 1)
	d = decode(c.postForm("/api/test", nil, map[string][2]string{"rules": {"local.rules", kryptikRule + "\n"}, "upload": {"checkin.pcap.gz", gzipped(pcap.String())}}))
	assert.Len(t, d.Alerts, 1, "gzip upload")

	// A truncated capture: the alerts before the damage stand, the error
	// names the packet.
	d = decode(c.postForm("/api/test", map[string]string{"rules": kryptikRule}, map[string][2]string{"upload": {"cut.pcap", string(raw[:len(raw)-30])}}))
	assert.Len(t, d.Alerts, 1)
	require.NotEmpty(t, d.Errors)
	assert.Contains(t, d.Errors[0], "cut.pcap")

	// The page says so too, under its own heading.
	tok := c.token()
	w := c.postForm("/test", map[string]string{"rules": kryptikRule, csrfField: tok}, map[string][2]string{"upload": {"cut.pcap", string(raw[:len(raw)-30])}})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Regexp(t, `id="capture-error">[^<]*cut.pcap`, w.Body.String())
	assert.Contains(t, w.Body.String(), `<strong id="alert-count">1</strong>`)
}

func TestTestPageResults(t *testing.T) {
	_, h := testServer(t, nil)
	c := &client{t: t, h: h}
	tok := c.token()
	w := c.postForm("/test", map[string]string{"rules": kryptikRule, "pcap": "corpus/kryptik-checkin.pcap", csrfField: tok}, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	body := w.Body.String()
	assert.Contains(t, body, `<strong id="alert-count">1</strong>`)
	assert.Contains(t, body, "<mark>/imagedump/image.php</mark>")
	assert.Contains(t, body, `<svg class="chart" id="timeline"`)
	assert.Contains(t, body, `<svg class="chart" id="ports"`)
	assert.Contains(t, body, "80/tcp")
	assert.Contains(t, body, "<option selected>corpus/kryptik-checkin.pcap</option>")
	assert.Contains(t, body, "GET /imagedump/image.php?id=4a6f&amp;v=2 HTTP/1.1")

	// The link back to the draft carries the rule, query-escaped, and the
	// draft page puts it in its text box.
	m := regexp.MustCompile(`id="edit-in-draft" href="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m)
	link := html.UnescapeString(m[1])
	assert.NotContains(t, link, " ")
	draft := c.get(link).Body.String()
	assert.Contains(t, draft, html.EscapeString(kryptikRule)+"</textarea>")
}

func TestRunLimit(t *testing.T) {
	s, h := testServer(t, func(o *Options) { o.MaxRuns = 1; o.RunTimeout = 300 * time.Millisecond })
	c := &client{t: t, h: h}
	s.runs <- struct{}{} // another run holds the only slot
	start := time.Now()
	w := c.postJSON("/api/test", `{"rules":`+jsonString(kryptikRule)+`,"pcap":"corpus/benign.pcap"}`)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "busy")
	assert.Less(t, time.Since(start), 5*time.Second)
	<-s.runs
	w = c.postJSON("/api/test", `{"rules":`+jsonString(kryptikRule)+`,"pcap":"corpus/benign.pcap"}`)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

func TestExport(t *testing.T) {
	var got, gotPcaps []string
	_, h := testServer(t, func(o *Options) {
		o.Exporters = []Exporter{{Name: "sids", Label: "SIDs", Filename: "sids.txt", Write: func(_ context.Context, w2 io.Writer, rules []*sigparse.Rule, pcaps []string) error {
			gotPcaps = append(gotPcaps, pcaps...)
			for _, r := range rules {
				got = append(got, r.Msg())
				fmt.Fprintln(w2, r.SID())
			}
			return nil
		}}}
	})
	c := &client{t: t, h: h}
	tok := c.token()
	tests := []struct {
		name, target, rules string
		status              int
		disposition, body   string
	}{
		{"rules", "/export/rules", "  " + kryptikRule + "  \n", http.StatusOK, `attachment; filename="1000001.rules"`, ""},
		{"two rules", "/export/rules", kryptikRule + "\n" + strings.Replace(kryptikRule, "1000001", "1000002", 1), http.StatusOK, `attachment; filename="local.rules"`, ""},
		{"errors", "/export/rules", kryptikDraft, http.StatusUnprocessableEntity, "", "sid must be a positive integer"},
		{"empty", "/export/rules", "", http.StatusUnprocessableEntity, "", "no rule"},
		{"hook", "/export/sids", kryptikRule, http.StatusOK, `attachment; filename="sids.txt"`, "1000001\n"},
		{"unknown", "/export/pdf", kryptikRule, http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := c.postForm(tt.target, map[string]string{"rules": tt.rules, "pcap": "corpus/kryptik-checkin.pcap", csrfField: tok}, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Equal(t, tt.disposition, w.Header().Get("Content-Disposition"))
			assert.Contains(t, w.Body.String(), tt.body)
			if tt.name == "rules" {
				want, err := canonicalText(tt.rules)
				require.NoError(t, err)
				assert.Equal(t, want, w.Body.String())
			}
		})
	}
	assert.Equal(t, []string{"ET TROJAN Win32/Kryptik.ABUD Checkin"}, got)
	// The hook gets the chosen corpus capture as a server path.
	require.Len(t, gotPcaps, 1)
	assert.Equal(t, "kryptik-checkin.pcap", filepath.Base(gotPcaps[0]))

	// Or an upload, as a temporary file under its base name, gone after.
	gotPcaps = nil
	raw := mustRead(t, writeKryptikPcap(t, t.TempDir()))
	var seen []byte
	_, h = testServer(t, func(o *Options) {
		o.Exporters = []Exporter{{Name: "copy", Write: func(_ context.Context, w io.Writer, _ []*sigparse.Rule, pcaps []string) error {
			gotPcaps = pcaps
			var err error
			seen, err = os.ReadFile(pcaps[0])
			return err
		}}}
	})
	c = &client{t: t, h: h}
	tok = c.token()
	w := c.postForm("/export/copy", map[string]string{"rules": kryptikRule, csrfField: tok}, map[string][2]string{"upload": {`C:\\evil\\..\\checkin.pcap`, string(raw)}})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, gotPcaps, 1)
	assert.Equal(t, "checkin.pcap", filepath.Base(gotPcaps[0]))
	assert.Equal(t, raw, seen)
	_, err := os.Stat(gotPcaps[0])
	assert.True(t, os.IsNotExist(err), "temporary upload removed")
	w = c.postForm("/export/copy", map[string]string{"rules": kryptikRule, csrfField: tok}, map[string][2]string{"upload": {"x.pcap", "not a capture"}})
	assert.Equal(t, http.StatusUnsupportedMediaType, w.Code)
}
