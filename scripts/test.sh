#!/usr/bin/env bash
# Runs every check and test sigtool has: the README's test command and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
"$(go env GOPATH)/bin/staticcheck" ./...

echo "== go test"
go test -count=1 -timeout 30m ./...

echo "== go test -race (packages with concurrency)"
go test -count=1 -race -timeout 20m ./sigparse/... ./rulesets/... ./matcher/... ./pcaps/... ./web/...

echo "== fuzz (bounded)"
bash scripts/fuzz.sh "${FUZZTIME:-5000x}"
