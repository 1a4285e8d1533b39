#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Real third-party Go servers for `make bench` (tools/bench_real.py):
#  - current releases built from the Go module proxy with the newest Go, unstripped,
#    into build/real/: etcd (server v3.6), etcd's load generator `benchmark`, caddy;
#  - Debian's Go 1.19 builds from apt when missing: etcd-server, etcd-client,
#    apache2-utils (ab), caddy.
#
# usage: tools/build-real-servers.sh [NAME...]   NAME in: etcd benchmark caddy (default all)
#
# Idempotent: a binary whose stamp (build/real/NAME.stamp: module@version and toolchain)
# matches is not rebuilt; change a version below (or delete the binary) to rebuild.
# Each server gets a throwaway main module build/real/src/NAME whose tools.go imports
# the package: `go install pkg@version` refuses etcd's modules (they carry replace
# directives), a main module of our own does not. Logs: build/real/logs/NAME.log.
# Build times on the 2-core VM: etcd ~4 min, caddy ~7 min (less with a warm Go cache).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/real
mkdir -p "$out/src" "$out/logs"

TOOLCHAIN=${REAL_GOTOOLCHAIN:-go1.27.3}   # go1.27.3 or newer: the newest Go release
GO=${GO:-/usr/local/go/bin/go}
ETCD_VER=v3.6.16        # newest v3.6.x of go.etcd.io/etcd/server/v3
ETCD_BENCH_VER=v3.6.8   # newest go.etcd.io/etcd/v3 (the root module holds tools/benchmark)
CADDY_VER=v2.11.9       # newest github.com/caddyserver/caddy/v2

log() { echo "build-real-servers: $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
	missing=()
	for pkg in etcd-server etcd-client apache2-utils caddy; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing Debian packages: ${missing[*]}"
		# Debian's packages start no service here (no systemd); if one did, stop it.
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$out/logs/apt.log" 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$out/logs/apt.log" 2>&1; }
	fi
fi
[ -x "$GO" ] || { log "no Go at $GO (set GO=...)"; exit 1; }

export GOTOOLCHAIN=$TOOLCHAIN GOFLAGS=-mod=mod CGO_ENABLED=0
export GOPROXY=${GOPROXY:-https://proxy.golang.org}

# wrap NAME MODULE@VERSION PACKAGE
wrap() {
	local name=$1 modver=$2 pkg=$3 dir=$out/src/$1 stamp="$2 $TOOLCHAIN"
	if [ -x "$out/$name" ] && [ "$(cat "$out/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	log "building $name ($modver with $TOOLCHAIN; log in build/real/logs/$name.log)"
	rm -rf "$dir" && mkdir -p "$dir"
	(
		cd "$dir"
		"$GO" mod init "realsvc/$name"
		printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
		"$GO" get "$modver"
		"$GO" mod tidy
		"$GO" build -trimpath -o "$out/$name.new" "$pkg"
	) >"$out/logs/$name.log" 2>&1 || { log "FAILED $name:"; tail -5 "$out/logs/$name.log" >&2; return 1; }
	mv "$out/$name.new" "$out/$name"
	echo "$stamp" >"$out/$name.stamp"
	log "ok $name: $("$GO" version "$out/$name" | cut -d' ' -f2)"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(etcd benchmark caddy)
for n in "${names[@]}"; do
	case $n in
	etcd) wrap etcd go.etcd.io/etcd/server/v3@$ETCD_VER go.etcd.io/etcd/server/v3 ;;
	benchmark) wrap benchmark go.etcd.io/etcd/v3@$ETCD_BENCH_VER go.etcd.io/etcd/v3/tools/benchmark ;;
	caddy) wrap caddy github.com/caddyserver/caddy/v2@$CADDY_VER github.com/caddyserver/caddy/v2/cmd/caddy ;;
	*) log "unknown server '$n' (etcd, benchmark, caddy)"; exit 2 ;;
	esac
done
