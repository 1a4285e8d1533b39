#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Builds the Go test programs in tests/targets with every toolchain in
# tools/toolchains, each unstripped and stripped, plus cgo, PIE and arm64
# builds. Writes OUT/<name> and OUT/<name>.stripped, OUT/manifest (one name a
# line) and OUT/toolchains (NAME MINOR INTEGRATION, what the tests iterate over).
set -euo pipefail
out=${1:?usage: build-targets.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

GO_CUR=${GO_CUR:-/usr/local/go/bin/go} # builds the module-proxy releases
[ -x "$GO_CUR" ] || { echo "build-targets: $GO_CUR not found: run tools/setup.sh" >&2; exit 1; }

manifest=$out/manifest.new
toolchains=$out/toolchains.new
: >"$manifest"
: >"$toolchains"

# build NAME PACKAGE GO-BINARY [VAR=VALUE...] [-- BUILD-FLAGS...]
build() {
	local name=$1 pkg=$2 gobin=$3; shift 3
	local envs=() flags=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	flags=("$@")
	local bin=$out/$name
	# Rebuild only when a source is newer than the binary.
	if [ ! -e "$bin" ] || [ -n "$(find "$root/tests/targets" -newer "$bin" -name '*.go' | head -1)" ]; then
		(cd "$root/tests/targets" && env GOFLAGS= "${envs[@]}" "$gobin" build "${flags[@]}" -o "$bin" "$pkg")
		# GNU strip, as Debian's packages are stripped; llvm-strip 14
		# mangles Go 1.19's section names. arm64 needs a cross-aware strip.
		case $name in
		*arm64*) llvm-strip -o "$bin.stripped" "$bin" ;;
		*) strip -o "$bin.stripped" "$bin" ;;
		esac
	fi
	echo "$name" >>"$manifest"
}

# Per toolchain: the go binary and GOTOOLCHAIN that build with it, and its
# experiment's settings.
declare -A GOBIN GOTC
names=()
while read -r name go integration extra; do
	case $name in ''|'#'*) continue ;; esac
	if [ "${go#/}" != "$go" ]; then
		[ -x "$go" ] || { echo "build-targets: $go ($name) not found: run tools/setup.sh" >&2; exit 1; }
		GOBIN[$name]=$go GOTC[$name]=local
		ver=$(GOTOOLCHAIN=local "$go" env GOVERSION)
	else
		GOBIN[$name]=$GO_CUR GOTC[$name]=$go
		ver=$go
	fi
	minor=$(echo "$ver" | sed -nE 's/^go1\.([0-9]+).*/\1/p')
	[ -n "$minor" ] || { echo "build-targets: cannot tell the Go version of $name ($go: $ver)" >&2; exit 1; }
	names+=("$name")
	echo "$name $minor $integration" >>"$toolchains"
	# shellcheck disable=SC2206
	exp=(${extra%%#*}) # GOEXPERIMENT=... for an experiment's builds
	# What the unit tests read of every toolchain (DWARF, symbols, plans),
	# and what the integration tests run.
	build "$name-gcload" ./gcload "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=0 "${exp[@]}"
	build "$name-mapleak" ./mapleak "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=0 "${exp[@]}"
	build "$name-holders" ./holders "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=0 "${exp[@]}"
	build "$name-oomgrow" ./oomgrow "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=0 "${exp[@]}"
	if [ "$integration" = yes ]; then
		build "$name-httpsvc" ./httpsvc "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=0
	fi
	# the runtime's own state: cgo, so that C's malloc holds memory that is not Go's
	if [ "$integration" != no ]; then
		build "$name-gcstate" ./gcstate "${GOBIN[$name]}" GOTOOLCHAIN="${GOTC[$name]}" CGO_ENABLED=1 "${exp[@]}"
	fi
done <"$root/tools/toolchains"

# with NAME: the go binary and GOTOOLCHAIN of a listed toolchain.
with() {
	[ -n "${GOBIN[$1]:-}" ] || { echo "build-targets: toolchain $1 is not in tools/toolchains" >&2; exit 1; }
	echo "${GOBIN[$1]} GOTOOLCHAIN=${GOTC[$1]}"
}
# Variants: PIE, cgo (C code before runtime.text) and arm64 (planning only).
# shellcheck disable=SC2046
{
	build gocur-gcload-pie ./gcload $(with gocur) CGO_ENABLED=0 -- -buildmode=pie
	build go122-gcload-pie ./gcload $(with go122) CGO_ENABLED=0 -- -buildmode=pie
	build gocur-cgoload ./cgoload $(with gocur) CGO_ENABLED=1
	build go119-cgoload ./cgoload $(with go119) CGO_ENABLED=1
	build gocur-mapleak-pie ./mapleak $(with gocur) CGO_ENABLED=0 -- -buildmode=pie
	build gocur-gcload-arm64 ./gcload $(with gocur) CGO_ENABLED=0 GOARCH=arm64
	build go122-gcload-arm64 ./gcload $(with go122) CGO_ENABLED=0 GOARCH=arm64
}
# The unit tests' oracles, all reading Go's DWARF: struct layouts
# (dwarflayout), inlined frames (inlframes), map types (maptypes).
for tool in dwarflayout inlframes maptypes; do
	if [ ! -e "$out/$tool" ] || [ "$root/tests/tools/$tool/main.go" -nt "$out/$tool" ]; then
		(cd "$root/tests/tools/$tool" && env GOFLAGS= GOTOOLCHAIN=local "$GO_CUR" build -o "$out/$tool" .)
	fi
done
mv "$manifest" "$out/manifest"
mv "$toolchains" "$out/toolchains"
