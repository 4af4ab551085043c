package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/sigtool/sigtool/report"
	"github.com/sigtool/sigtool/sigparse"
)

const demoDescription = `
Demo runs the README's example rule, a Kryptik check-in signature, on two
captures it generates in memory: the malware's check-in from an infected
host, and a benign capture of ordinary web browsing that includes near
misses (a similar path, the check-in path in a Referer header and in a
page body). It prints the alert as EVE JSON and a summary, and exits 0
when the rule fires exactly once on the check-in and never on the benign
traffic. Nothing but the sigtool binary is needed.

--write DIR also saves the rule and both captures, to try with
sigtool test --rules DIR/kryptik.rules --pcap DIR.`

// demoRule is the analyst's rule from the README.
const demoRule = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)`

const demoSID = 1000001

// demoCapture is one generated capture of the demo.
type demoCapture struct {
	name, about string
	data        []byte
	// wantAlerts is what the rule must raise on it.
	wantAlerts int
}

func cmdDemo(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "demo", "[--write DIR]", demoDescription)
	writeDir := fs.String("write", "", "also save the rule and the generated captures in this directory")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(env, "demo", exitUsage, "unexpected argument %q", fs.Arg(0))
	}
	rule, err := sigparse.ParseRule(demoRule, sigparse.Options{})
	if err != nil {
		return errorf(env, "demo", exitUsage, "embedded rule: %v", err)
	}
	engine, err := matcher.Compile([]*sigparse.Rule{rule}, matcher.Config{})
	if err != nil {
		return errorf(env, "demo", exitUsage, "%v", err)
	}
	if ne := engine.NotEvaluated(); len(ne) > 0 {
		return errorf(env, "demo", exitFindings, "the example rule is not evaluated: %s", report.NotEvaluatedReason(ne[0]))
	}
	caps, err := demoCaptures()
	if err != nil {
		return errorf(env, "demo", exitUsage, "generating captures: %v", err)
	}
	if *writeDir != "" {
		if err := writeDemo(*writeDir, caps); err != nil {
			return errorf(env, "demo", exitUsage, "%v", err)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Rule (Suricata 7 semantics, default HOME_NET/EXTERNAL_NET):\n  %s\n", demoRule)
	sum := &report.Summary{Rules: engine.Rules()}
	ok := true
	var verdicts []string
	for _, c := range caps {
		var alerts []*matcher.Alert
		sum.Begin(c.name)
		stats, err := engine.Scan(ctx, bytes.NewReader(c.data), c.name, func(a *matcher.Alert) {
			alerts = append(alerts, a)
			sum.Alert(a)
		})
		sum.End(c.name, stats, err)
		if err != nil {
			return errorf(env, "demo", exitUsage, "%v", err)
		}
		fmt.Fprintf(&b, "\n%s: %s (%s, %s, %s):\n", c.name, c.about,
			demoCountOf(stats.Packets, "packet"), demoCountOf(stats.Flows, "flow"), demoCountOf(stats.HTTPTransactions, "HTTP transaction"))
		for _, a := range alerts {
			b.Write(report.AppendEVE(nil, a))
		}
		if len(alerts) == 0 {
			b.WriteString("  no alerts\n")
		}
		got := 0
		for _, a := range alerts {
			if a.SID == demoSID {
				got++
			}
		}
		if got != c.wantAlerts || len(alerts) != got {
			ok = false
			verdicts = append(verdicts, fmt.Sprintf("%s: want %d alert(s), got %d", c.name, c.wantAlerts, len(alerts)))
		}
	}
	b.WriteString("\nSummary:\n")
	var sb strings.Builder
	sum.Write(&sb)
	for _, l := range strings.Split(strings.TrimRight(sb.String(), "\n"), "\n") {
		if l != "" {
			b.WriteString("  ")
		}
		b.WriteString(l + "\n")
	}
	if ok {
		b.WriteString("\nResult: 1 alert on the check-in, no false positive on the benign capture.\n")
	} else {
		b.WriteString("\nResult: NOT as expected:\n  " + strings.Join(verdicts, "\n  ") + "\n")
	}
	fmt.Fprint(env.Stdout, b.String())
	if !ok {
		return exitFindings
	}
	return exitOK
}

// demoCaptures generates the check-in and the benign capture. The output
// is the same on every run (pcapgen is deterministic).
func demoCaptures() ([]demoCapture, error) {
	infected := netip.MustParseAddr("192.168.1.105")
	c2 := netip.MustParseAddrPort("198.51.100.23:80")

	// The check-in: a WinHTTP GET with the bot's id and build in the
	// query, to a bare IP, answered by a small image-typed blob.
	checkin, err := pcapgen.New(pcapgen.Options{})
	if err != nil {
		return nil, err
	}
	_, err = checkin.AddConversation(pcapgen.Conversation{
		Client: netip.AddrPortFrom(infected, 49203),
		Server: c2,
		Exchanges: []pcapgen.Exchange{{
			Request: []byte("GET /imagedump/image.php?id=4F2A9C1E77B3&ver=2.1.7&os=6.1.7601&av=0 HTTP/1.1\r\n" +
				"Accept: */*\r\n" +
				"User-Agent: Mozilla/4.0 (compatible; Win32; WinHttp.WinHttpRequest.5)\r\n" +
				"Host: 198.51.100.23\r\n" +
				"Connection: Keep-Alive\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\n" +
				"Server: nginx\r\n" +
				"Content-Type: image/jpeg\r\n" +
				"Content-Length: 16\r\n\r\n" +
				"\x8b\x1f\x3a\x00\x5c\x91\x02\x7e\x44\x10\xfe\x09\x61\x00\x33\x12"),
		}},
	})
	if err != nil {
		return nil, err
	}

	// Benign browsing from another host, with near misses the rule must
	// not fire on.
	benign, err := pcapgen.New(pcapgen.Options{})
	if err != nil {
		return nil, err
	}
	browser := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"
	get := func(host, path, extra string) []byte {
		return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + browser +
			"\r\nAccept: text/html,image/avif,image/webp,*/*\r\nAccept-Language: en-US,en;q=0.9\r\n" + extra + "\r\n")
	}
	ok := func(ctype, body string) []byte {
		return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", ctype, len(body), body))
	}
	host := netip.MustParseAddr("192.168.1.42")
	page := `<html><body><h1>Photo gallery</h1><p>Old links like /imagedump/image.php now redirect here.</p><img src="/gallery/image.php?id=3"></body></html>`
	convs := []pcapgen.Conversation{
		{
			Client: netip.AddrPortFrom(host, 50110), Server: netip.MustParseAddrPort("203.0.113.80:80"),
			Exchanges: []pcapgen.Exchange{
				{Request: get("photos.example", "/gallery/", ""), Response: ok("text/html", page)},
				// Similar path, different directory.
				{Request: get("photos.example", "/gallery/image.php?id=3", "Referer: http://photos.example/gallery/\r\n"), Response: ok("image/png", "\x89PNG\r\n\x1a\n")},
			},
		},
		{
			// The check-in path only in a Referer header, not in the URI.
			Client: netip.AddrPortFrom(host, 50112), Server: netip.MustParseAddrPort("203.0.113.81:80"),
			Exchanges: []pcapgen.Exchange{
				{Request: get("static.example", "/css/site.css", "Referer: http://photos.example/imagedump/image.php\r\n"), Response: ok("text/css", "body{margin:0}")},
			},
		},
		{
			// A local server in $HOME_NET hosting that path: wrong direction
			// for $HOME_NET -> $EXTERNAL_NET.
			Client: netip.AddrPortFrom(host, 50114), Server: netip.MustParseAddrPort("192.168.1.10:8080"),
			Exchanges: []pcapgen.Exchange{
				{Request: get("intranet.local:8080", "/imagedump/image.php?thumb=1", ""), Response: ok("image/png", "\x89PNG\r\n\x1a\n")},
			},
		},
		{
			Client: netip.AddrPortFrom(host, 50116), Server: netip.MustParseAddrPort("198.51.100.200:80"),
			Exchanges: []pcapgen.Exchange{
				{Request: []byte("POST /api/search HTTP/1.1\r\nHost: search.example\r\nUser-Agent: " + browser + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 28\r\n\r\nq=imagedump+image.php+kitten"),
					Response: ok("application/json", `{"results":[]}`)},
			},
		},
	}
	for _, cv := range convs {
		if _, err := benign.AddConversation(cv); err != nil {
			return nil, err
		}
		benign.Advance(200 * time.Millisecond)
	}
	return []demoCapture{
		{name: "kryptik-checkin.pcap", about: "the check-in from an infected host", data: checkin.Bytes(), wantAlerts: 1},
		{name: "benign.pcap", about: "ordinary browsing with near misses", data: benign.Bytes(), wantAlerts: 0},
	}, nil
}

func writeDemo(dir string, caps []demoCapture) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kryptik.rules"), []byte(demoRule+"\n"), 0o644); err != nil {
		return err
	}
	for _, c := range caps {
		if err := os.WriteFile(filepath.Join(dir, c.name), c.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func demoCountOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
