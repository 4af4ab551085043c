// Command gen writes a deterministic, realistic mixed capture for sigtool's
// throughput benchmark:
//
//	go run ./bench/gen -size 1GB -o mix.pcap [-seed 1] [-files N]
//
// The traffic (package bench/mix) is many HOME_NET clients talking to many
// public servers: HTTP/1.1 keep-alive conversations with varied methods,
// URIs, headers and bodies, TLS-looking sessions, other TCP, DNS and other
// UDP.
//
// The same seed and size always give the same bytes. With -files N the
// traffic is cut into N captures of about size/N each (mix-1.pcap, ...),
// so a run with two cores has two captures to scan in parallel.
//
// With -replay DIR the capture is instead the real captures under DIR
// (the shared benign corpus) written again and again, each round with its
// own HOME_NET addresses and timestamps (package bench/replay), for
// comparisons with other engines on the same traffic:
//
//	go run ./bench/gen -replay ../shared/corpus/benign -size 1GB -o benign.pcap
//
// -seed and -ackevery do not apply to it; -files N writes the rounds into
// N files of about size/N each (rounds are numbered across the files).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sigtool/sigtool/bench/mix"
	"github.com/sigtool/sigtool/bench/replay"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizeFlag := fs.String("size", "100MB", "approximate total capture size (B, KB, MB, GB; powers of 1024)")
	out := fs.String("o", "mix.pcap", "output file; with -files N, N files named after it (mix-1.pcap, ...)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and size give the same bytes")
	files := fs.Int("files", 1, "number of captures to cut the traffic into")
	replayDir := fs.String("replay", "", "replay the captures under this directory (the benign corpus) instead of generating traffic")
	ackEvery := fs.Int("ackevery", 0, "receivers ACK every N segments (2: delayed ACKs, as real hosts); 0: once per message, the default mix")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "gen: -size: %v\n", err)
		return 2
	}
	if *ackEvery < 0 {
		fmt.Fprintf(stderr, "gen: -ackevery %d: want 0 or more\n", *ackEvery)
		return 2
	}
	if *files < 1 || *files > 64 {
		fmt.Fprintf(stderr, "gen: -files %d: want 1 to 64\n", *files)
		return 2
	}
	names := outputNames(*out, *files)
	if *replayDir != "" {
		return runReplay(ctx, *replayDir, names, size, stderr)
	}
	for i, name := range names {
		// Each file gets its own stream of the seed so files are
		// independent and the split does not change their content.
		st, err := writeFile(ctx, name, *seed+uint64(i)*0x9e3779b97f4a7c15, size/int64(*files), mix.Options{AckEvery: *ackEvery})
		if err != nil {
			fmt.Fprintf(stderr, "gen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "gen: %s: %d bytes, %d packets, %d flows\n", name, st.Bytes, st.Packets, st.Flows)
	}
	return 0
}

// outputNames returns the n file names for -o out.
func outputNames(out string, n int) []string {
	if n == 1 {
		return []string{out}
	}
	ext := filepath.Ext(out)
	base := strings.TrimSuffix(out, ext)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d%s", base, i+1, ext)
	}
	return names
}

// parseSize reads "1GB", "500MB", "64KiB", "1000" (bytes).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q: want a positive size such as 1GB or 200MB", s)
	}
	return int64(v * float64(mult)), nil
}

// writeFile writes a capture of about size bytes to name.
func writeFile(ctx context.Context, name string, seed uint64, size int64, opts mix.Options) (mix.Stats, error) {
	f, err := os.Create(name)
	if err != nil {
		return mix.Stats{}, err
	}
	st, err := mix.WriteWith(ctx, f, seed, size, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("%s: %w", name, err)
	}
	return st, nil
}

// runReplay writes the -replay captures.
func runReplay(ctx context.Context, dir string, names []string, size int64, stderr io.Writer) int {
	c, err := replay.Load(dir)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	for _, s := range c.Skipped {
		fmt.Fprintf(stderr, "gen: %s\n", s)
	}
	fmt.Fprintf(stderr, "gen: %s: %d captures, %d bytes per round\n", dir, len(c.Captures), c.Bytes())
	round := 0
	for _, name := range names {
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintf(stderr, "gen: %v\n", err)
			return 1
		}
		st, err := replay.Write(ctx, f, c, size/int64(len(names)), round)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "gen: %s: %v\n", name, err)
			return 1
		}
		round += st.Rounds
		fmt.Fprintf(stderr, "gen: %s: %d bytes, %d packets, %d rounds\n", name, st.Bytes, st.Packets, st.Rounds)
	}
	return 0
}
