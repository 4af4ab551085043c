// Package bench holds sigtool's throughput benchmarks: loading and
// compiling the shared rule sets (ET Open, Snort 2 community) and scanning
// a generated mixed capture (package bench/mix) with them. The generator
// command is bench/gen; scripts/bench.sh runs the whole benchmark and
// BENCHMARKS.md records its results. The benchmarks skip when ../shared is
// absent.
package bench
