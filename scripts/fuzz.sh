#!/usr/bin/env bash
# Runs every fuzz target in the module for a bounded number of executions
# each (default 5000x). A count, not a duration: with a duration Go 1.26's
# fuzz coordinator can report "context deadline exceeded" as a failure when
# -fuzztime expires under CPU load, with no failing input (golang/go#75804,
# fixed in Go 1.27). A real crasher still fails the run and is written to
# testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-5000x}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "fuzz $pkg $target ($fuzztime)"
		if ! out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1); then
			echo "$out" >&2
			exit 1
		fi
	done
done
