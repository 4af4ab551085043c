package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigtool/sigtool/internal/sharedtest"
	"github.com/sigtool/sigtool/pcaps"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "1GB", want: 1 << 30},
		{in: "200mb", want: 200 << 20},
		{in: "64KiB", want: 64 << 10},
		{in: "1.5M", want: 3 << 19},
		{in: "1000", want: 1000},
		{in: "", bad: true},
		{in: "-1MB", bad: true},
		{in: "lots", bad: true},
	} {
		got, err := parseSize(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// countHandler counts what pcaps sees in the generated capture.
type countHandler struct{ flows map[uint64]bool }

func (h *countHandler) HandlePacket(p *pcaps.Packet) {
	if p.Flow != nil {
		h.flows[p.Flow.ID] = true
	}
}

// TestGenerate checks that the output is deterministic, about the size
// asked for, and a capture pcaps reads without error, with HTTP
// transactions and many flows.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	out := filepath.Join(dir, "mix.pcap")
	for _, name := range []string{"a", "b"} {
		if code := run(context.Background(), []string{"-size", "2MB", "-files", "2", "-seed", "7", "-o", filepath.Join(dir, name+".pcap")}, &stderr); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr.String())
		}
	}
	for _, i := range []string{"-1", "-2"} {
		a, err := os.ReadFile(filepath.Join(dir, "a"+i+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "b"+i+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("file %s differs between two runs with the same seed", i)
		}
		if len(a) < 1<<20 {
			t.Errorf("file %s: %d bytes, want at least 1 MiB", i, len(a))
		}
	}
	if code := run(context.Background(), []string{"-size", "1MB", "-o", out}, &stderr); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := &countHandler{flows: map[uint64]bool{}}
	st, err := pcaps.Process(context.Background(), f, out, pcaps.Config{}, h)
	if err != nil {
		t.Fatalf("pcaps: %v", err)
	}
	if st.HTTPTransactions < 5 || len(h.flows) < 20 {
		t.Errorf("got %d HTTP transactions and %d flows, want a mix with at least 5 and 20", st.HTTPTransactions, len(h.flows))
	}
}

// TestAckEvery: -ackevery 2 adds the receivers' ACKs to the same sessions:
// more packets, the same HTTP transactions (at this seed and size the
// same sessions fit).
func TestAckEvery(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	stats := map[string]pcaps.Stats{}
	for _, a := range []string{"0", "2"} {
		out := filepath.Join(dir, "ack"+a+".pcap")
		if code := run(context.Background(), []string{"-size", "1MB", "-ackevery", a, "-o", out}, &stderr); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr.String())
		}
		st, err := pcaps.ProcessFile(context.Background(), out, pcaps.Config{}, pcaps.HandlerFunc(func(*pcaps.Packet) {}))
		if err != nil {
			t.Fatal(err)
		}
		stats[a] = st
	}
	if stats["2"].Packets <= stats["0"].Packets || stats["2"].HTTPTransactions != stats["0"].HTTPTransactions {
		t.Errorf("-ackevery 2: %d packets, %d HTTP transactions; default: %d, %d", stats["2"].Packets, stats["2"].HTTPTransactions, stats["0"].Packets, stats["0"].HTTPTransactions)
	}
	if code := run(context.Background(), []string{"-ackevery", "-1"}, &stderr); code != 2 {
		t.Errorf("-ackevery -1: exit %d, want 2", code)
	}
}

// TestReplay: -replay with -files 2 writes two captures whose rounds are
// numbered across the files, so their flows have different HOME_NET
// addresses; the same arguments give the same bytes.
func TestReplay(t *testing.T) {
	corpus := sharedtest.Path(t, "corpus", "benign")
	dir := t.TempDir()
	var stderr bytes.Buffer
	for _, name := range []string{"a", "b"} {
		if code := run(context.Background(), []string{"-replay", corpus, "-size", "6MB", "-files", "2", "-o", filepath.Join(dir, name+".pcap")}, &stderr); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr.String())
		}
	}
	addrs := map[string]map[netip.Addr]bool{}
	for _, i := range []string{"-1", "-2"} {
		a, err := os.ReadFile(filepath.Join(dir, "a"+i+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "b"+i+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("file %s differs between two runs with the same arguments", i)
		}
		if len(a) < 3<<20 {
			t.Errorf("file %s: %d bytes, want at least 3 MiB", i, len(a))
		}
		addrs[i] = map[netip.Addr]bool{}
		_, err = pcaps.Process(context.Background(), bytes.NewReader(a), i, pcaps.Config{}, pcaps.HandlerFunc(func(p *pcaps.Packet) {
			if p.SrcIP.IsPrivate() {
				addrs[i][p.SrcIP] = true
			}
		}))
		if err != nil {
			t.Fatalf("pcaps: %v", err)
		}
	}
	for a := range addrs["-1"] {
		if addrs["-2"][a] {
			t.Errorf("%v is in both files", a)
		}
	}
	if len(addrs["-1"]) == 0 {
		t.Error("no HOME_NET source address in the first file")
	}
}
