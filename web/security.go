package web

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows nothing inline: scripts and styles come
// only from /static, so a msg that slipped past escaping still cannot run.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Next()
}

// hostCheck rejects requests whose Host is not a loopback name while the
// server listens on loopback: a page on another site could otherwise rebind
// its DNS name to 127.0.0.1 and read the API as same-origin.
func (s *Server) hostCheck(next http.Handler) http.Handler {
	host, _, err := net.SplitHostPort(s.opts.Addr)
	if err != nil || !isLoopbackName(host) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Host
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		h = strings.Trim(h, "[]")
		if !isLoopbackName(h) {
			http.Error(w, "sigtool serve: requests must name a loopback host (localhost, 127.0.0.1 or [::1])", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackName(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// CSRF for HTML form posts is a double-submit token: a random cookie set
// with the page, and in the form its HMAC under a per-process key, so a
// cookie planted by a sibling origin is useless without the key. JSON API
// calls rely on http.CrossOriginProtection instead (which also guards the
// forms), so scripts such as curl need no token.
const (
	csrfCookie = "sigtool_csrf"
	csrfField  = "csrf_token"
)

// csrfToken returns the form token for this client, setting its cookie
// when the client has none yet.
func (s *Server) csrfToken(c *gin.Context) string {
	v, err := c.Cookie(csrfCookie)
	if err != nil || len(v) < 16 {
		b := make([]byte, 24)
		rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	return s.csrfMAC(v)
}

func (s *Server) csrfMAC(cookie string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the form's token matches the client's cookie.
func (s *Server) checkCSRF(c *gin.Context) bool {
	v, err := c.Cookie(csrfCookie)
	if err != nil || v == "" {
		return false
	}
	got := c.PostForm(csrfField)
	return hmac.Equal([]byte(got), []byte(s.csrfMAC(v)))
}

var errNotPcap = errors.New("not a pcap or pcapng capture (bad magic number)")

// checkPcapMagic looks at the start of a capture: pcap (either byte order,
// micro- or nanosecond), pcapng, or either of them gzip-compressed, which
// the pcaps package reads as well.
func checkPcapMagic(head []byte) error {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return errNotPcap
		}
		inner := make([]byte, 4)
		if _, err := io.ReadFull(zr, inner); err != nil {
			return errNotPcap
		}
		head = inner
	}
	if len(head) < 4 {
		return errNotPcap
	}
	switch string(head[:4]) {
	case "\xa1\xb2\xc3\xd4", "\xd4\xc3\xb2\xa1", "\xa1\xb2\x3c\x4d", "\x4d\x3c\xb2\xa1", "\x0a\x0d\x0d\x0a":
		return nil
	}
	return errNotPcap
}
