#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Installs everything heaptrace needs to build, test and demo, from Debian's
# packages and the Go module proxy. Safe to run again.
set -euo pipefail

# Go releases the tests build their targets with, from the module proxy:
# every tools/toolchains entry that names a release rather than a go binary
# (Debian's Go 1.19 and the current Go in /usr/local/go are the others).
root=$(cd "$(dirname "$0")/.." && pwd)
GO_EXTRA_TOOLCHAINS=${GO_EXTRA_TOOLCHAINS:-$(awk '!/^#/ && NF >= 2 && $2 !~ /^\// { print $2 }' "$root/tools/toolchains")}

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root (it installs Debian packages)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	clang llvm make pkg-config \
	libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev \
	libcapstone-dev libjansson-dev libcmocka-dev libclang-rt-14-dev \
	libmicrohttpd-dev protobuf-c-compiler libprotobuf-c-dev prometheus python3-prometheus-client \
	libcap-dev libseccomp-dev libgnutls28-dev libyaml-dev libcrypt-dev \
	openssl python3-yaml systemd \
	docker.io curl tmux strace \
	golang-1.19-go hugo bpftrace linux-perf binutils file util-linux procps python3-pytest \
	build-essential dpkg-dev debhelper lintian scdoc man-db bash-completion zsh >/dev/null

go_bin=$(command -v go || echo /usr/local/go/bin/go)
if [ ! -x "$go_bin" ]; then
	echo "setup: no current Go found (expected /usr/local/go/bin/go)" >&2
	exit 1
fi
# Fetch the extra toolchains once, so that tests and CI build offline afterwards.
for tc in $GO_EXTRA_TOOLCHAINS; do
	GOTOOLCHAIN=$tc GOFLAGS=-mod=mod "$go_bin" version >/dev/null
done
echo "setup: done"
