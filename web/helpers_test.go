package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	// gin's debug mode prints its route table for every test server.
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// kryptikRule is the README's example rule as an analyst would finish it.
const kryptikRule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)`

// kryptikRequest is the check-in the rule is written for.
const kryptikRequest = "GET /imagedump/image.php?id=4a6f&v=2 HTTP/1.1\r\n" +
	"Host: update.example-cdn.net\r\n" +
	"User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)\r\n" +
	"Accept: */*\r\n\r\n"

const kryptikResponse = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG"

// writeKryptikPcap generates the check-in capture (a whole TCP
// conversation from 192.168.1.23 to 203.0.113.7:80) into dir.
func writeKryptikPcap(t testing.TB, dir string) string {
	t.Helper()
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(pcapgen.Conversation{
		Client:    netip.MustParseAddrPort("192.168.1.23:49233"),
		Server:    netip.MustParseAddrPort("203.0.113.7:80"),
		Exchanges: []pcapgen.Exchange{{Request: []byte(kryptikRequest), Response: []byte(kryptikResponse)}},
	})
	require.NoError(t, err)
	path := filepath.Join(dir, "kryptik-checkin.pcap")
	require.NoError(t, c.WriteFile(path))
	return path
}

// writeBenignPcap generates an ordinary page fetch the rule must not match.
func writeBenignPcap(t testing.TB, dir string) string {
	t.Helper()
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(pcapgen.Conversation{
		Client: netip.MustParseAddrPort("192.168.1.23:49234"),
		Server: netip.MustParseAddrPort("198.51.100.9:80"),
		Exchanges: []pcapgen.Exchange{{
			Request:  []byte("GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		}},
	})
	require.NoError(t, err)
	path := filepath.Join(dir, "benign.pcap")
	require.NoError(t, c.WriteFile(path))
	return path
}

// testServer builds a Server over a temp corpus folder "corpus" holding the
// Kryptik and benign captures.
func testServer(t testing.TB, mod func(*Options)) (*Server, http.Handler) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	require.NoError(t, os.Mkdir(dir, 0o755))
	writeKryptikPcap(t, dir)
	writeBenignPcap(t, dir)
	opts := Options{PcapDirs: []string{dir}}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	require.NoError(t, err)
	return s, s.Handler()
}

// client keeps cookies across httptest requests, as a browser would.
type client struct {
	t       testing.TB
	h       http.Handler
	cookies []*http.Cookie
}

func (c *client) do(req *http.Request) *httptest.ResponseRecorder {
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	c.cookies = append(c.cookies, w.Result().Cookies()...)
	return w
}

func (c *client) get(target string) *httptest.ResponseRecorder {
	return c.do(httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+target, nil))
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token loads the draft page and returns its form's CSRF token.
func (c *client) token() string {
	w := c.get("/")
	require.Equal(c.t, http.StatusOK, w.Code)
	m := csrfRE.FindStringSubmatch(w.Body.String())
	require.NotNil(c.t, m, "draft page has no csrf_token field")
	return m[1]
}

// multipartBody builds a form body; files maps field name to file name and
// content.
func multipartBody(t testing.TB, fields map[string]string, files map[string][2]string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	for k, f := range files {
		w, err := mw.CreateFormFile(k, f[0])
		require.NoError(t, err)
		_, err = io.WriteString(w, f[1])
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func (c *client) postForm(target string, fields map[string]string, files map[string][2]string) *httptest.ResponseRecorder {
	body, ctype := multipartBody(c.t, fields, files)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+target, body)
	req.Header.Set("Content-Type", ctype)
	return c.do(req)
}

func (c *client) postJSON(target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
