#!/usr/bin/env bash
# Installs what the tests need beyond Go: Debian's Chromium (web UI tests),
# iptables, nftables and iproute2 (firewall tests in network namespaces), and
# staticcheck. Idempotent: does nothing for what is already there.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "setup: installing ${need[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	else
		echo "setup: missing ${need[*]} (not root or no apt-get); tests that need them will skip" >&2
	fi
fi

gobin="$(go env GOPATH)/bin"
if ! [ -x "$gobin/staticcheck" ]; then
	echo "setup: installing staticcheck" >&2
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2 >/dev/null 2>&1 ||
		go install honnef.co/go/tools/cmd/staticcheck@latest
fi
