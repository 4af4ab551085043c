package mix

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigtool/sigtool/pcaps/pcapgen"
)

// Stats describes a written capture.
type Stats struct {
	Bytes   int64 // file size, pcap headers included
	Packets int
	Flows   int // sessions (a DNS query and its answer count as one)
}

// Flows reports how many sessions g has made.
func (g *Generator) Flows() int { return g.flows }

// Write writes a classic pcap (Ethernet) of sessions from a generator
// seeded with seed to w, stopping after the session batch that brings it to
// at least size bytes.
func Write(ctx context.Context, w io.Writer, seed uint64, size int64) (Stats, error) {
	return WriteWith(ctx, w, seed, size, Options{})
}

// WriteWith is Write with options.
func WriteWith(ctx context.Context, w io.Writer, seed uint64, size int64, opts Options) (Stats, error) {
	g := New(seed)
	g.opts = opts
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	pw := pcapgo.NewWriter(cw)
	var st Stats
	if err := pw.WriteFileHeader(262144, pcapgen.Ethernet.LinkType()); err != nil {
		return st, err
	}
	start := pcapgen.DefaultStart
	for cw.n < size {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		// A batch of sessions goes through one in-memory Capture, which
		// is then streamed out.
		c, err := pcapgen.New(pcapgen.Options{Start: start})
		if err != nil {
			return st, err
		}
		for c.Len() < 500 {
			if err := g.Session(c); err != nil {
				return st, err
			}
		}
		for _, p := range c.Packets() {
			ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
			if err := pw.WritePacket(ci, p.Data); err != nil {
				return st, fmt.Errorf("mix: packet %d: %w", st.Packets+1, err)
			}
			st.Packets++
		}
		start = c.Now()
	}
	err := bw.Flush()
	st.Bytes, st.Flows = cw.n, g.flows
	return st, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
