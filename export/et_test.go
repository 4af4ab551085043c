package export

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/internal/golden"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
	"github.com/sigtool/sigtool/sigparse"
)

const kryptik = `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1;)`

// writeHTTP writes a pcap of one HTTP exchange from a HOME_NET client to
// an external server.
func writeHTTP(t *testing.T, path, uri string) {
	t.Helper()
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	_, err = c.AddConversation(pcapgen.Conversation{
		Client: netip.MustParseAddrPort("192.168.1.105:49160"),
		Server: netip.MustParseAddrPort("198.51.100.23:80"),
		Exchanges: []pcapgen.Exchange{{
			Request:  []byte("GET " + uri + " HTTP/1.1\r\nHost: evil.example\r\nUser-Agent: Mozilla/4.0\r\n\r\n"),
			Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		}},
	})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, c.WriteFile(path))
}

func rulesOf(t *testing.T, text string) []*sigparse.Rule {
	t.Helper()
	f, errs := sigparse.ParseFile("local.rules", []byte(text), sigparse.Options{})
	require.Empty(t, errs)
	return f.Rules
}

var bundleDate = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

func TestPrepareET(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{kryptik, `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE Win32/Kryptik.ABUD Checkin"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:1000001; rev:1; metadata:former_category TROJAN, created_at 2024_04_01, updated_at 2024_04_01;)`},
		// created_at is kept, updated_at replaced, rev added, other keys kept in order.
		{`alert tcp any any -> any any (msg:"ET INFO x"; metadata:created_at 2019_01_02, updated_at 2020_01_01, deployment Perimeter; content:"x"; sid:2000001;)`,
			`alert tcp any any -> any any (msg:"ET INFO x"; content:"x"; sid:2000001; rev:1; metadata:created_at 2019_01_02, deployment Perimeter, updated_at 2024_04_01;)`},
	} {
		text, rules, changes, err := PrepareET(rulesOf(t, tc.in), bundleDate)
		require.NoError(t, err)
		assert.Equal(t, tc.out+"\n", text)
		require.Len(t, rules, 1)
		assert.NotEmpty(t, changes)
		// Idempotent: preparing the result again changes only the date.
		again, _, _, err := PrepareET(rules, bundleDate)
		require.NoError(t, err)
		assert.Equal(t, text, again)
	}
}

func TestBundle(t *testing.T) {
	dir := t.TempDir()
	tp := filepath.Join(dir, "checkin.pcap")
	writeHTTP(t, tp, "/imagedump/image.php")
	benign := filepath.Join(dir, "benign")
	writeHTTP(t, filepath.Join(benign, "a", "index.pcap"), "/index.html")
	writeHTTP(t, filepath.Join(benign, "b.pcap"), "/images/logo.png")
	require.NoError(t, os.WriteFile(filepath.Join(benign, "notes.txt"), []byte("not a capture"), 0o644))

	b, err := BuildBundle(context.Background(), rulesOf(t, kryptik), BundleOptions{Date: bundleDate, Version: "test", Pcaps: []string{tp}, Benign: benign})
	require.NoError(t, err)
	assert.Empty(t, b.Problems())
	assert.Equal(t, map[int]int{1000001: 1}, b.TruePositives[0].Alerts)
	assert.Equal(t, 2, b.Benign.Pcaps)
	assert.Equal(t, map[int]int{}, b.Benign.Alerts)
	assert.Equal(t, 0, b.Lint.Summary.Errors+b.Lint.Summary.Warnings, "%v", b.Lint.Diagnostics)

	md := bytes.ReplaceAll([]byte(b.Markdown()), []byte(benign), []byte("BENIGN"))
	golden.Check(t, "testdata/et/report.md", md)

	for _, name := range []string{"bundle.tar.gz", "bundle.zip"} {
		var buf bytes.Buffer
		require.NoError(t, b.WriteArchive(&buf, name))
		files := readArchive(t, name, buf.Bytes())
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		assert.Equal(t, []string{
			"sigtool-et-1000001/pcaps/checkin.pcap",
			"sigtool-et-1000001/report.json",
			"sigtool-et-1000001/report.md",
			"sigtool-et-1000001/signature.rules",
		}, names)
		pcap, _ := os.ReadFile(tp)
		assert.Equal(t, pcap, files["sigtool-et-1000001/pcaps/checkin.pcap"])
		assert.Equal(t, b.Rules, string(files["sigtool-et-1000001/signature.rules"]))
		var again bytes.Buffer
		require.NoError(t, b.WriteArchive(&again, name))
		assert.Equal(t, buf.Bytes(), again.Bytes(), "same input, same archive")
	}
	assert.Error(t, b.WriteArchive(io.Discard, "bundle.rar"))
}

func TestBundleProblems(t *testing.T) {
	dir := t.TempDir()
	tp := filepath.Join(dir, "tp.pcap")
	writeHTTP(t, tp, "/index.html")
	benign := filepath.Join(dir, "benign")
	writeHTTP(t, filepath.Join(benign, "x.pcap"), "/imagedump/image.php")
	rules := `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE check-in"; flow:established,to_server; content:"/imagedump/image.php"; http_uri; classtype:trojan-activity; sid:5; rev:2;)`
	b, err := BuildBundle(context.Background(), rulesOf(t, rules), BundleOptions{Date: bundleDate, Pcaps: []string{tp}, Benign: benign})
	require.NoError(t, err)
	p := b.Problems()
	require.Len(t, p, 3, "%q", p)
	assert.Contains(t, p[0], "sid 5 is outside the ET ranges")
	assert.Equal(t, "sid 5 did not fire on the true-positive captures", p[1])
	assert.Equal(t, "sid 5 fired 1 times on benign captures", p[2])
	assert.Equal(t, []*PcapRun{b.Benign.Fired[0]}, b.Benign.Fired)
	assert.Equal(t, "x.pcap", b.Benign.Fired[0].Name)

	_, err = BuildBundle(context.Background(), rulesOf(t, rules), BundleOptions{})
	assert.EqualError(t, err, "an ET bundle needs at least one true-positive pcap")
}

func readArchive(t *testing.T, name string, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if filepath.Ext(name) == ".zip" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			out[f.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		return out
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		out[h.Name], _ = io.ReadAll(tr)
	}
	return out
}
