#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Builds the Go test programs in tests/targets with every toolchain heaptrace
# supports, each unstripped and stripped, plus a cgo, a PIE and an arm64 build.
# Writes OUT/<name> and OUT/<name>.stripped, and OUT/manifest (one name a line).
set -euo pipefail
out=${1:?usage: build-targets.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

GO_CUR=${GO_CUR:-/usr/local/go/bin/go}
GO_119=${GO_119:-/usr/lib/go-1.19/bin/go}
GO_MID=${GO_MID:-go1.22.12} # a 1.21-1.23 release, from the module proxy
for g in "$GO_CUR" "$GO_119"; do
	[ -x "$g" ] || { echo "build-targets: $g not found: run tools/setup.sh" >&2; exit 1; }
done

manifest=$out/manifest.new
: >"$manifest"

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

build go119-gcload ./gcload "$GO_119" GOTOOLCHAIN=local CGO_ENABLED=0
build go122-gcload ./gcload "$GO_CUR" GOTOOLCHAIN=$GO_MID CGO_ENABLED=0
build gocur-gcload ./gcload "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0
build gocur-gcload-pie ./gcload "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0 -- -buildmode=pie
build go122-gcload-pie ./gcload "$GO_CUR" GOTOOLCHAIN=$GO_MID CGO_ENABLED=0 -- -buildmode=pie
build gocur-cgoload ./cgoload "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=1
build go119-cgoload ./cgoload "$GO_119" GOTOOLCHAIN=local CGO_ENABLED=1
build go119-httpsvc ./httpsvc "$GO_119" GOTOOLCHAIN=local CGO_ENABLED=0
build go122-httpsvc ./httpsvc "$GO_CUR" GOTOOLCHAIN=$GO_MID CGO_ENABLED=0
build gocur-httpsvc ./httpsvc "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0
build go119-mapleak ./mapleak "$GO_119" GOTOOLCHAIN=local CGO_ENABLED=0
build go122-mapleak ./mapleak "$GO_CUR" GOTOOLCHAIN=$GO_MID CGO_ENABLED=0
build gocur-mapleak ./mapleak "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0
build gocur-mapleak-pie ./mapleak "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0 -- -buildmode=pie
build gocur-gcload-arm64 ./gcload "$GO_CUR" GOTOOLCHAIN=local CGO_ENABLED=0 GOARCH=arm64
build go122-gcload-arm64 ./gcload "$GO_CUR" GOTOOLCHAIN=$GO_MID CGO_ENABLED=0 GOARCH=arm64
# The unit tests' oracles, all reading Go's DWARF: struct layouts
# (dwarflayout), inlined frames (inlframes), map types (maptypes).
for tool in dwarflayout inlframes maptypes; do
	if [ ! -e "$out/$tool" ] || [ "$root/tests/tools/$tool/main.go" -nt "$out/$tool" ]; then
		(cd "$root/tests/tools/$tool" && env GOFLAGS= GOTOOLCHAIN=local "$GO_CUR" build -o "$out/$tool" .)
	fi
done
mv "$manifest" "$out/manifest"
