package main

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sigtool/sigtool/matcher"
	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// eofReader is a capture on standard input that remembers when it was
// read to the end.
type eofReader struct {
	r   io.Reader
	mu  *sync.Mutex
	eof *bool
}

func (e eofReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err == io.EOF {
		e.mu.Lock()
		*e.eof = true
		e.mu.Unlock()
	}
	return n, err
}

// arrivalWriter is standard output: it counts the bytes written before the
// capture was read to the end.
type arrivalWriter struct {
	buf    bytes.Buffer
	mu     *sync.Mutex
	eof    *bool
	before int
}

func (w *arrivalWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	if !*w.eof {
		w.before += len(b)
	}
	w.mu.Unlock()
	return w.buf.Write(b)
}

// TestTestStreamsAlerts: the capture being written streams its alerts out
// as the scan finds them instead of holding them until it ends, so memory
// does not grow with a long capture's alerts. The capture is 32 MiB with
// alerts all along; the reader runs at most a few MiB ahead of the
// alerts (1 MiB reads, ~10 MiB of sharded batches and merge lag with
// --jobs 2), so most of the output has to be out before the capture's
// last byte is read. Holding a capture's alerts writes nothing until then.
func TestTestStreamsAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("32 MiB capture")
	}
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	body := bytes.Repeat([]byte("x"), 128<<10)
	const convs = 256
	for i := range convs {
		_, err := c.AddConversation(pcapgen.Conversation{
			Client:      netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(1 + i/200), byte(1 + i%200)}), uint16(40000+i)),
			Server:      netip.MustParseAddrPort("198.51.100.23:80"),
			SegmentSize: 8000,
			Exchanges: []pcapgen.Exchange{{
				Request:  []byte(fmt.Sprintf("GET /imagedump/image.php?id=%d HTTP/1.1\r\nHost: 198.51.100.23\r\n\r\n", i)),
				Response: append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body))), body...)}},
		})
		require.NoError(t, err)
	}
	capture := c.Bytes()
	require.Greater(t, len(capture), 32<<20)
	other := filepath.Join(t.TempDir(), "other.pcap")
	require.NoError(t, c.WriteFile(other))
	rules := testdataDir + "/kryptik.rules"

	for _, tc := range []struct {
		jobs   string
		format string
		pcaps  []string
	}{
		{"1", "eve", []string{"-"}},
		{"2", "eve", []string{"-"}},
		{"1", "fast", []string{"-"}},
		{"2", "fast", []string{"-"}},
		// Two captures at once: the first still streams.
		{"2", "eve", []string{"-", other}},
	} {
		var mu sync.Mutex
		eof := false
		out := &arrivalWriter{mu: &mu, eof: &eof}
		var stderr bytes.Buffer
		env := &Env{Stdin: eofReader{r: bytes.NewReader(capture), mu: &mu, eof: &eof}, Stdout: out, Stderr: &stderr}
		args := append([]string{"test", "--rules", rules, "--format", tc.format, "--jobs", tc.jobs}, tc.pcaps...)
		code := run(t.Context(), env, args)
		require.Equal(t, exitOK, code, stderr.String())
		n := strings.Count(out.buf.String(), "\n")
		require.Equal(t, convs*len(tc.pcaps), n, "alerts with %v", args)
		// The first capture's output is half of the whole with two.
		first := out.buf.Len() / len(tc.pcaps)
		assert.Greater(t, out.before, first/2, "%v: %d of the first capture's %d output bytes written before its end was read", args, out.before, first)
	}
}

// gatedReader blocks its reads until open is closed.
type gatedReader struct {
	r    io.Reader
	open chan struct{}
}

func (g gatedReader) Read(b []byte) (int, error) {
	<-g.open
	return g.r.Read(b)
}

// TestScanAllHoldsAtMost: a capture scanned while an earlier one is still
// running holds at most maxHeldAlerts alerts, then waits for its turn;
// the output keeps input order.
func TestScanAllHoldsAtMost(t *testing.T) {
	defer func(n int) { maxHeldAlerts = n }(maxHeldAlerts)
	maxHeldAlerts = 3
	c, err := pcapgen.New(pcapgen.Options{})
	require.NoError(t, err)
	for i := range 12 {
		_, err := c.AddConversation(pcapgen.Conversation{
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 1, byte(100 + i)}), uint16(49200+i)),
			Server: netip.MustParseAddrPort("198.51.100.23:80"),
			Exchanges: []pcapgen.Exchange{{
				Request:  []byte(fmt.Sprintf("GET /imagedump/image.php?id=%d HTTP/1.1\r\nHost: 198.51.100.23\r\n\r\n", i)),
				Response: []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
		})
		require.NoError(t, err)
	}
	many := filepath.Join(t.TempDir(), "many.pcap")
	require.NoError(t, c.WriteFile(many))
	loaded, err := loadTestRules(&Env{}, []string{testdataDir + "/kryptik.rules"})
	require.NoError(t, err)
	engine, err := matcher.Compile(loaded.Enabled(), matcher.Config{})
	require.NoError(t, err)

	var got []string
	out := &orderedOutput{
		begin: func(r *scanResult) { got = append(got, "begin "+r.path) },
		alert: func(a *matcher.Alert) { got = append(got, a.SrcIP.String()) },
		end:   func(r *scanResult) { got = append(got, "end "+r.path) },
	}
	gate := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The first capture, on stdin, waits for the gate; the second
		// runs meanwhile.
		scanAll(t.Context(), engine, []string{"-", many}, 2, gatedReader{bytes.NewReader(c.Bytes()), gate}, newByteProgress(io.Discard, false, 0), out)
	}()
	held := func() (int, bool) {
		out.mu.Lock()
		defer out.mu.Unlock()
		if out.results == nil {
			return 0, false
		}
		r := out.results[1]
		return len(r.alerts), r.finished
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if n, fin := held(); n >= 3 || fin {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // time enough to scan the rest
	n, fin := held()
	assert.Equal(t, 3, n, "alerts held by the second capture")
	assert.False(t, fin, "second capture scanned while the first is held up")
	close(gate)
	<-done

	want := []string{"begin -"}
	for i := range 12 {
		want = append(want, fmt.Sprintf("192.168.1.%d", 100+i))
	}
	want = append(want, "end -", "begin "+many)
	want = append(want, want[1:13]...)
	want = append(want, "end "+many)
	assert.Equal(t, want, got)
}
