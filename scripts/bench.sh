#!/usr/bin/env bash
# Throughput benchmark (issue 6; results go to BENCHMARKS.md).
#
#   scripts/bench.sh [SIZE]         SIZE of the generated mix, default 1GB
#
# Builds sigtool, generates a deterministic mixed capture of SIZE (one file:
# two cores share it by flow, sigtool test --jobs) in a temporary directory
# that is removed afterwards, then for each shared rule set (ET Open 2024-04,
# Snort 2 community) measures:
#   - rule load + compile time (sigtool test over an empty capture),
#   - the scan with 1 core (GOMAXPROCS=1 --jobs 1) and 2 cores (GOMAXPROCS=2
#     --jobs 2, the capture's flows hashed to two workers): wall time, CPU
#     time (user+sys), peak RSS (/usr/bin/time -v), MB/s and Mbit/s of wall
#     time and per core (capture bytes / CPU seconds, load time subtracted).
# Environment: SEED (default 1), SETS (default "et-open-2024-04
# snort2-community"), SHARED (default ../shared), KEEP=1 keeps the temp dir,
# MIX (default "synthetic"): the captures to measure, one table each:
#   synthetic  the generated mix (bench/mix, go run ./bench/gen -seed SEED)
#   benign     the shared benign corpus replayed to SIZE, each round with its
#              own HOME_NET addresses (bench/replay, go run ./bench/gen
#              -replay SHARED/corpus/benign): the capture issue 6 compares
#              with Snort 3 + Hyperscan (community rules, one thread, about
#              79 MB/s). MIX="synthetic benign" runs both tables (it about
#              doubles the run time); MIX=benign scripts/bench.sh 1GB only
#              the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1GB}"
seed="${SEED:-1}"
shared="${SHARED:-../shared}"
sets="${SETS:-et-open-2024-04 snort2-community}"
mixes="${MIX:-synthetic}"
for m in $mixes; do
	case "$m" in
	synthetic) ;;
	benign)
		if [ ! -d "$shared/corpus/benign" ]; then
			echo "bench: $shared/corpus/benign not found (set SHARED)" >&2
			exit 2
		fi
		;;
	*)
		echo "bench: MIX: unknown capture $m (want synthetic and/or benign)" >&2
		exit 2
		;;
	esac
done
if [ ! -x /usr/bin/time ]; then
	echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
	exit 2
fi
for s in $sets; do
	if [ ! -d "$shared/rulesets/$s" ]; then
		echo "bench: $shared/rulesets/$s not found (set SHARED)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigtool-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then
	trap 'rm -rf "$tmp"' EXIT
fi
go build -o "$tmp/sigtool" ./cmd/sigtool
# An empty capture (pcap header only, Ethernet): the run then only loads
# and compiles the rules.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00' >"$tmp/empty.pcap"

# measure LABEL GOMAXPROCS ARGS...: runs sigtool test under /usr/bin/time -v
# and prints "wall cpu rss_kb alerts".
measure() {
	local procs=$1
	shift
	GOMAXPROCS=$procs /usr/bin/time -v -o "$tmp/time.txt" "$tmp/sigtool" test --jobs "$procs" --format fast -o "$tmp/alerts.fast" "$@" 2>"$tmp/stderr.txt" || {
		rc=$?
		# Exit 1 means rule parse errors or findings; anything else is a failure.
		if [ "$rc" != 1 ]; then
			cat "$tmp/stderr.txt" >&2
			exit "$rc"
		fi
	}
	awk -v alerts="$(wc -l <"$tmp/alerts.fast")" '
		/User time/ {u=$NF} /System time/ {s=$NF} /Maximum resident/ {r=$NF}
		/Elapsed \(wall clock\)/ {n=split($NF,a,":"); w=0; for(i=1;i<=n;i++) w=w*60+a[i]}
		END {printf "%.2f %.2f %d %d\n", w, u+s, r, alerts}' "$tmp/time.txt"
}

echo "# sigtool benchmark $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $mixes; do
	rm -rf "$tmp/mix"
	mkdir -p "$tmp/mix"
	if [ "$m" = benign ]; then
		go run ./bench/gen -replay "$shared/corpus/benign" -size "$size" -o "$tmp/mix/benign.pcap" 2>&1 | sed 's/^/bench: /' >&2
		desc="benign corpus ($shared/corpus/benign) replayed"
	else
		go run ./bench/gen -size "$size" -seed "$seed" -o "$tmp/mix/mix.pcap" 2>&1 | sed 's/^/bench: /' >&2
		desc="seed $seed"
	fi
	bytes=$(cat "$tmp"/mix/*.pcap | wc -c)
	echo "# capture: $size requested, $bytes bytes in one file, $desc"
	printf '%-18s %5s %9s %10s %9s %8s %9s %9s %9s %9s %8s %s\n' ruleset cores load_s load_cpu_s wall_s cpu_s MB/s_wall MB/s_core Mb/s_core rss_MiB alerts same_alerts
	for s in $sets; do
		for p in 1 2; do
			read -r lw lc _ _ < <(measure "$p" --rules "$shared/rulesets/$s" "$tmp/empty.pcap")
			read -r w c r a < <(measure "$p" --rules "$shared/rulesets/$s" "$tmp/mix")
			# The 2-core run must write the same alerts, in the same order.
			same=-
			if [ "$p" = 1 ]; then
				mv "$tmp/alerts.fast" "$tmp/alerts-1core.fast"
			elif cmp -s "$tmp/alerts.fast" "$tmp/alerts-1core.fast"; then
				same=yes
			else
				same=NO
			fi
			awk -v s="$s" -v p="$p" -v lw="$lw" -v lc="$lc" -v w="$w" -v c="$c" -v r="$r" -v a="$a" -v b="$bytes" -v same="$same" 'BEGIN {
				sw = w - lw; sc = c - lc; if (sw < 0.01) sw = 0.01; if (sc < 0.01) sc = 0.01
				printf "%-18s %5d %9.2f %10.2f %9.2f %8.2f %9.1f %9.1f %9.1f %9.0f %8d %s\n", s, p, lw, lc, w, c, b/1e6/sw, b/1e6/sc, b*8/1e6/sc, r/1024, a, same
			}'
		done
	done
	if [ "$m" = benign ]; then
		echo "# reference (issue 6): Snort 3 + Hyperscan, snort2-community rules, one thread, 1 GB benign-corpus mix: about 79 MB/s"
	fi
done
echo "# load_s, load_cpu_s: wall and CPU time of sigtool test over an empty capture (rule load + compile) with the same cores"
echo "# same_alerts: the 2-core run wrote byte-identical fast.log output to the 1-core run"
echo "# MB/s_wall: capture bytes / (wall - load_s); MB/s_core and Mb/s_core: bytes / (CPU - load CPU)"
