package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestByteProgressSilentWithoutTerminal(t *testing.T) {
	var stderr bytes.Buffer
	p := newByteProgress(&stderr, false, 1000)
	n, err := io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 1000))))
	if err != nil || n != 1000 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	p.Alert()
	p.Packets(3)
	p.Clear()
	p.Finish()
	if stderr.Len() != 0 {
		t.Errorf("wrote %q to a non-terminal stderr", stderr.String())
	}
}

// syncBuffer lets the bar's ticker goroutine and the test share a buffer.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.buf.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.buf.String()
}

func TestByteProgressDrawsOnTerminal(t *testing.T) {
	out := &syncBuffer{mu: make(chan struct{}, 1)}
	p := newByteProgress(out, true, 1<<20)
	if _, err := io.Copy(io.Discard, p.Reader(bytes.NewReader(make([]byte, 512<<10)))); err != nil {
		t.Fatal(err)
	}
	p.Alert()
	p.Alert()
	p.Packets(7)
	time.Sleep(450 * time.Millisecond) // at least one tick
	got := out.String()
	for _, want := range []string{"7 packets, 2 alerts", "50%", "MB/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("bar output lacks %q:\n%q", want, got)
		}
	}
	p.Finish()
}

func TestWriteProfile(t *testing.T) {
	costs := []ruleCost{
		{SID: 1, GID: 1, Msg: "cheap", Checks: 10, Matches: 1, Alerts: 1, Time: 10 * time.Microsecond},
		{SID: 2, GID: 1, Msg: "costly", Checks: 1000, Time: 3 * time.Millisecond},
		{SID: 3, GID: 1, Msg: "middle", Checks: 50, Matches: 50, Alerts: 40, Time: 990 * time.Microsecond},
	}
	var b bytes.Buffer
	if err := writeProfile(&b, costs, 2); err != nil {
		t.Fatal(err)
	}
	want := `rule profile: 2 costliest of 3 rules (4ms in rule evaluation, 1060 checks)
  rank  sid  gid  checks  matches  alerts   time     %  avg/check msg
     1    2    1    1000        0       0    3ms  75.0        3µs costly
     2    3    1      50       50      40  990µs  24.8     19.8µs middle
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := writeProfile(&b, nil, 5); err != nil || !strings.Contains(b.String(), "no rule was evaluated") {
		t.Errorf("empty profile: %q, %v", b.String(), err)
	}
	if got := costliest(costs, 0); len(got) != 3 || got[0].SID != 2 || got[2].SID != 1 || costs[0].SID != 1 {
		t.Errorf("costliest(all) = %+v (input must stay unsorted)", got)
	}
}
