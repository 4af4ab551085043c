package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer lets the test read what the server goroutine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "-h"}, exitOK, "usage: sigtool serve"},
		{[]string{"serve", "--addr", "nonsense"}, exitUsage, "--addr"},
		{[]string{"serve", "extra"}, exitUsage, "unexpected argument"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--pcaps", "/nonexistent/pcaps"}, exitUsage, "pcap folder"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--rules", "/nonexistent/x.rules"}, exitUsage, "rules"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), &Env{Stdout: &stdout, Stderr: &stderr}, tt.args)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

// TestServeRuns starts the real command on a free port, uses it, and
// stops it the way Ctrl-C does.
func TestServeRuns(t *testing.T) {
	// A capture of the C2 beacon for the ET bundle's true positive.
	pcaps := filepath.Join(t.TempDir(), "tp")
	require.NoError(t, os.Mkdir(pcaps, 0o755))
	capture, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = capture.AddConversation(pcapgen.Conversation{
		Client:    netip.MustParseAddrPort("192.168.1.5:50000"),
		Server:    netip.MustParseAddrPort("203.0.113.7:4444"),
		Exchanges: []pcapgen.Exchange{{Request: []byte("beacon id=42\n"), Response: []byte("ok\n")}},
	})
	require.NoError(t, err)
	require.NoError(t, capture.WriteFile(filepath.Join(pcaps, "c2.pcap")))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &Env{Stdout: io.Discard, Stderr: &stderr}, []string{"serve", "--addr", "127.0.0.1:0", "--pcaps", pcaps})
	}()
	urlRE := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)`)
	var base string
	require.Eventually(t, func() bool {
		m := urlRE.FindStringSubmatch(stderr.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 20*time.Millisecond, "no address printed: %s", stderr.String())

	resp, err := http.Get(base)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "Draft a rule")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")

	resp, err = http.Post(base+"api/lint", "application/json", strings.NewReader(`{"rules":"alert tcp any any -> any any (msg:\"x\"; sid:x;)"}`))
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"sid-invalid"`)

	// The export package's downloads, through the draft form as a browser
	// posts it (cookie and CSRF token from the page).
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	cl := &http.Client{Jar: jar}
	resp, err = cl.Get(base)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, tok)
	rule := `alert tcp $HOME_NET any -> 203.0.113.7 4444 (msg:"ET MALWARE Test C2"; flow:established,to_server; content:"beacon"; classtype:trojan-activity; sid:1000001; rev:1;)`
	for _, tt := range []struct{ name, want string }{
		{"nftables", "table inet sigtool"},
		{"iptables", "SIGTOOL"},
		{"et", "\x1f\x8b"},
	} {
		form := url.Values{"csrf_token": {string(tok[1])}, "rules": {rule}, "pcap": {"tp/c2.pcap"}}
		resp, err := cl.PostForm(base+"export/"+tt.name, form)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tt.name, body)
		assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment", tt.name)
		if tt.name == "et" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			require.NoError(t, err, "et bundle is gzip")
			tr := tar.NewReader(zr)
			var names []string
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				names = append(names, path.Base(h.Name))
			}
			assert.Contains(t, names, "c2.pcap", "the chosen capture is the bundle's true positive: %v", names)
		} else {
			assert.Contains(t, string(body), tt.want, tt.name)
		}
	}

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	assert.NotContains(t, stderr.String(), "warning")
}

func TestServeWarnsOffLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &Env{Stdout: io.Discard, Stderr: &stderr}, []string{"serve", "--addr", "0.0.0.0:0"})
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "open http://") }, 10*time.Second, 20*time.Millisecond)
	cancel()
	assert.Equal(t, exitOK, <-done)
	assert.Contains(t, stderr.String(), "reachable from other machines")
}
