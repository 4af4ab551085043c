package web

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	updateScreenshot = flag.Bool("update-screenshot", false, "write the draft page's screenshot to ../docs/screenshot-draft.png")
	shotsDir         = flag.String("shots", "", "write screenshots of the draft and results pages to this folder, to look at")
)

// shot saves a full-page PNG screenshot to path.
func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	var png []byte
	require.NoError(t, chromedp.Do(ctx, into(&png, chromedp.FullScreenshot(100))))
	require.NoError(t, os.WriteFile(path, png, 0o644))
}

const chromiumPath = "/usr/bin/chromium"

// startServer runs s on a free loopback port until the test ends and
// returns its base URL.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// newBrowser starts Debian's Chromium headless with a fresh profile and
// the background services off (they would flood a closed network).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping: %s is absent (scripts/setup.sh installs Debian's chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	// The first call starts the browser, which lives as long as that
	// call's context: no timeout on it, only on what follows.
	require.NoError(t, chromedp.Do(bctx), "starting chromium")
	ctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// waitJS polls a JavaScript expression until it is truthy. It evaluates
// from Go rather than with chromedp.Poll so that a navigation in between
// (which destroys the page's JavaScript context) means "not yet", not an
// error.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	expr = "(() => { try { return !!(" + expr + ") } catch (e) { return false } })()"
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("waiting for %s: timeout (last error: %v)", expr, err)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// clearField empties an input or textarea the way a user selecting all and
// deleting would, input event included.
func clearField(id string) chromedp.Action[chromedp.Void] {
	return ignore(chromedp.Evaluate[bool](`(() => { const e = document.getElementById("` + id + `"); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return true })()`))
}

// ignore drops an action's value so it can go in a chromedp.Do list.
func ignore[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// into stores an action's value in *dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// The analyst's draft from the README, with the mistakes lint must catch.
const kryptikDraft = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; reference:url,; classtype:trojan-activity; sid:x; rev:1;)`

// TestBrowserDraftTestExport is the analyst's path through the UI in real
// Chromium: type the draft, see lint point at sid:x, fix it in the form,
// run it on the Kryptik capture, see the URI match highlighted, download
// the .rules file.
func TestBrowserDraftTestExport(t *testing.T) {
	ctx := newBrowser(t)
	s, _ := testServer(t, nil)
	base := startServer(t, s)
	downloads := t.TempDir()

	var diags, errorsText, ruleText string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		waitJS(`document.body.dataset.linted`),
		clearField("rule"),
		chromedp.SendKeys(chromedp.ID("#rule"), kryptikDraft),
		waitJS(`[...document.querySelectorAll("#diagnostics li.error")].some(li => li.textContent.includes("1:209"))`),
		into(&diags, chromedp.Text(chromedp.ID("#diagnostics"))),
	))
	t.Logf("diagnostics for the draft:\n%s", diags)
	assert.Contains(t, diags, "sid")
	assert.Contains(t, diags, "reference")

	// Fix it through the form: load the text, give the rule its sid and a
	// reference.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("#load")),
		waitJS(`document.getElementById("f-sid").value === "x"`),
		clearField("f-sid"),
		chromedp.SendKeys(chromedp.ID("#f-sid"), "1000001"),
		chromedp.SendKeys(chromedp.ID("#f-ref"), "example.com/kryptik-abud"),
		waitJS(`document.getElementById("rule").value.includes("sid:1000001;")`),
		waitJS(`document.querySelector("#diagnostics li") && !document.querySelector("#diagnostics li.error") && document.getElementById("preview").textContent.includes("sid:1000001")`),
		into(&errorsText, chromedp.Text(chromedp.ID("#diagnostics"))),
		into(&ruleText, chromedp.Value(chromedp.ID("#rule"))),
	))
	t.Logf("rule after the fix: %s\ndiagnostics: %s", ruleText, errorsText)
	assert.Contains(t, ruleText, `msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"`)
	assert.Contains(t, ruleText, `content:"/imagedump/image.php"`)
	assert.Contains(t, ruleText, "reference:url,example.com/kryptik-abud")

	if *updateScreenshot {
		shot(t, ctx, filepath.Join("..", "docs", "screenshot-draft.png"))
	}
	if *shotsDir != "" {
		shot(t, ctx, filepath.Join(*shotsDir, "draft.png"))
	}

	// Run it on the Kryptik capture.
	var count, marked, bufName string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("#pcap"), "corpus/kryptik-checkin.pcap"),
		chromedp.Click(chromedp.ID("#run-test")),
		chromedp.WaitVisible(chromedp.ID("#results")),
		into(&count, chromedp.Text(chromedp.ID("#alert-count"))),
		into(&marked, chromedp.Text(chromedp.CSS(".alert .buffer mark"))),
		into(&bufName, chromedp.Text(chromedp.CSS(".alert .buffer-name"))),
	))
	if *shotsDir != "" {
		shot(t, ctx, filepath.Join(*shotsDir, "results.png"))
	}
	var bars int
	require.NoError(t, chromedp.Do(ctx, into(&bars, chromedp.Evaluate[int](`document.querySelectorAll("#timeline rect.bar").length + document.querySelectorAll("#ports rect.bar").length`))))
	assert.Equal(t, 2, bars, "one bar in each chart")
	assert.Equal(t, "1", count)
	assert.Equal(t, "/imagedump/image.php", marked)
	assert.Equal(t, "http.uri", bufName)

	// Export the .rules file from the results page and check its bytes.
	done := make(chan string, 1)
	require.NoError(t, chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	}))
	events := true
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("#export-rules")),
	))
	var guid string
	select {
	case guid = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no download finished within 20 s")
	}
	got, err := os.ReadFile(filepath.Join(downloads, guid))
	require.NoError(t, err)
	want, err := canonicalText(ruleText)
	require.NoError(t, err)
	assert.Equal(t, want, string(got))
	assert.True(t, strings.HasSuffix(string(got), "sid:1000001; rev:1;)\n") || strings.Contains(string(got), "sid:1000001;"), string(got))
}

// canonicalText is what /export/rules should send for text.
func canonicalText(text string) (string, error) {
	f, errs := parseDraft(text)
	if len(errs) > 0 {
		return "", errors.New(errs[0].Error())
	}
	return canonical(f.Rules)
}

func TestBrowserRulesPage(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "local.rules"), []byte(kryptikRule+"\n"), 0o644))
	s, _ := testServer(t, func(o *Options) { o.Rules = []string{dir} })
	base := startServer(t, s)
	var summary, loaded string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/rules"),
		chromedp.SendKeys(chromedp.ID("#q"), "imagedump\n"),
		// The empty query lists every rule too: wait for the new page.
		waitJS(`location.search.includes("q=imagedump") && document.getElementById("rules-summary").textContent.includes("match")`),
		chromedp.WaitVisible(chromedp.CSS("#rule-list li")),
		into(&summary, chromedp.Text(chromedp.ID("#rules-summary"))),
		chromedp.Click(chromedp.CSS("#rule-list a")),
		chromedp.WaitReady(chromedp.ID("#load")),
		waitJS(`document.getElementById("load-status").textContent.startsWith("Loaded")`),
		into(&loaded, chromedp.Value(chromedp.ID("#f-msg"))),
	))
	assert.Contains(t, summary, "1 match")
	assert.Equal(t, "Win32/Kryptik.ABUD Checkin", loaded)
}

// Loading a rule into the form and editing one field keeps what the pickers
// do not list (a classtype, a metadata value, a buffer) and the options the
// form has no field for.
func TestBrowserLoadRoundTrip(t *testing.T) {
	ctx := newBrowser(t)
	s, _ := testServer(t, nil)
	base := startServer(t, s)
	rule := `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE Test Beacon"; flow:established,to_server; ` +
		`http.method; content:"POST"; http.uri; content:"/gate.php"; nocase; http.connection; content:"close"; ` +
		`threshold:type limit,track by_src,count 1,seconds 60; classtype:made-up-class; sid:1000003; rev:1; ` +
		`metadata:attack_target Toaster, deployment Perimeter, created_at 2024_04_01;)`
	var text string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		waitJS(`document.body.dataset.linted`),
		chromedp.SetValue(chromedp.ID("#rule"), rule),
		chromedp.Click(chromedp.ID("#load")),
		waitJS(`document.getElementById("f-sid").value === "1000003"`),
		clearField("f-rev"),
		chromedp.SendKeys(chromedp.ID("#f-rev"), "2"),
		waitJS(`document.getElementById("rule").value.includes("rev:2;")`),
		into(&text, chromedp.Value(chromedp.ID("#rule"))),
	))
	for _, want := range []string{
		`http.method; content:"POST"; http.uri; content:"/gate.php"; nocase; http.connection; content:"close";`,
		"threshold:type limit,track by_src,count 1,seconds 60;",
		"classtype:made-up-class;",
		"metadata:attack_target Toaster, deployment Perimeter, created_at 2024_04_01;",
		"sid:1000003; rev:2;",
	} {
		assert.Contains(t, text, want)
	}
}
