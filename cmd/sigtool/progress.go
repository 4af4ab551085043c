package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// byteProgress is the progress bar of a long "sigtool test" run: bytes read
// of all captures (with rate and time left), plus packets and alerts in its
// description. It draws on stderr only when stderr is a terminal; otherwise
// every method does nothing, so scripts and CI logs stay clean.
//
// Scans run on several goroutines (one per capture): the counters are
// atomic and the bar is redrawn from one ticker goroutine only, at most
// every 200 ms, so the scan path pays one atomic add per read or alert.
type byteProgress struct {
	bar     *progressbar.ProgressBar
	read    atomic.Int64
	packets atomic.Int64
	alerts  atomic.Int64
	stop    chan struct{}
	done    chan struct{}
}

// newByteProgress starts a bar over total bytes (the captures' sizes) when
// terminal is true; it returns an inert *byteProgress otherwise.
func newByteProgress(w io.Writer, terminal bool, total int64) *byteProgress {
	p := &byteProgress{}
	if !terminal || total <= 0 {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("scanning"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.loop()
	return p
}

func (p *byteProgress) loop() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// draw is called only from the ticker (and once from Finish), which is the
// bar's throttle: the library's own throttle would drop the Set64 that
// follows Describe's render within the same tick and freeze the bar at 0%.
func (p *byteProgress) draw() {
	p.bar.Describe(fmt.Sprintf("%d packets, %d alerts", p.packets.Load(), p.alerts.Load()))
	_ = p.bar.Set64(p.read.Load())
}

// Reader wraps r so the bytes read from it advance the bar.
func (p *byteProgress) Reader(r io.Reader) io.Reader {
	if p.bar == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

// Alert counts one alert; Packets adds n packets (from a scan's Stats when
// the matcher reports no per-packet progress).
func (p *byteProgress) Alert() {
	if p.bar != nil {
		p.alerts.Add(1)
	}
}

func (p *byteProgress) Packets(n int) {
	if p.bar != nil {
		p.packets.Add(int64(n))
	}
}

// Clear removes the bar before a message is written to stderr; the next
// tick draws it again.
func (p *byteProgress) Clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

// Finish stops the ticker and removes the bar.
func (p *byteProgress) Finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.draw()
	_ = p.bar.Finish()
}

type progressReader struct {
	r io.Reader
	p *byteProgress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.read.Add(int64(n))
	return n, err
}
