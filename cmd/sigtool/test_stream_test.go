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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
