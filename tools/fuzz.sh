#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs the libFuzzer harnesses for SECONDS each, seeded with the test targets'
# binaries and pclntab sections, after replaying every saved regression input.
# A crash leaves its input in build/fuzz/crashes: copy it to
# tests/fuzz/regressions/HARNESS/ so that it is replayed from then on.
set -euo pipefail
seconds=${1:?usage: fuzz.sh SECONDS TARGETS HARNESS...}
targets=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build/fuzz
mkdir -p "$work/crashes"
for h in "$@"; do
	name=$(basename "$h")
	seeds=$work/seeds-$name corpus=$work/corpus-$name
	rm -rf "$seeds"
	mkdir -p "$seeds" "$corpus"
	if [ "$name" = fuzz_text ]; then
		# what the parsers read: this machine's own /proc files
		for f in stat maps smaps_rollup cgroup comm; do
			cat /proc/self/$f > "$seeds/$f" 2>/dev/null || true
		done
		printf '0::/system.slice/docker-%s.scope\n' "$(printf 'a%.0s' $(seq 64))" > "$seeds/cgroup-docker"
	elif [ "$name" = fuzz_runtime_state ]; then
		# the text parsers' inputs as this machine writes them, after the selector bytes
		for f in smaps:0 cgroup:1 mountinfo:2; do
			printf '\x03\x0%s' "${f#*:}" >"$seeds/${f%:*}"
			head -c 200000 "/proc/self/${f%:*}" >>"$seeds/${f%:*}" || true
		done
	fi
	for b in "$targets"/go119-gcload.stripped "$targets"/go122-gcload-pie.stripped \
		"$targets"/gocur-gcload.stripped "$targets"/gocur-cgoload.stripped; do
		case $name in
		fuzz_text | fuzz_wire) continue ;; # seeded with what they read, not programs
		fuzz_pclntab) objcopy -O binary --only-section=.gopclntab "$b" "$seeds/$(basename "$b").pclntab" 2>/dev/null ||
				objcopy -O binary --only-section=.data.rel.ro.gopclntab "$b" "$seeds/$(basename "$b").pclntab" ;;
		fuzz_runtime_state) continue ;; # its seeds are above
		*) cp "$b" "$seeds/" ;;
		esac
	done
	if [ "$name" = fuzz_wire ]; then
		# a configuration with a source and a user, and bodies
		printf '\000\001\000\000\000\002\000\000\000a\000' >"$seeds/config"
		printf '\001\024\000\000\000\004\000\000\000a 1\n' >"$seeds/bodies"
	fi
	regress=$root/tests/fuzz/regressions/$name
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
		echo "fuzz: $name: replaying $(ls "$regress" | wc -l) regression inputs"
		"$h" "$regress"/*
	fi
	echo "fuzz: $name for ${seconds}s"
	"$h" -max_total_time="$seconds" -max_len=4000000 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$name-" "$corpus" "$seeds" 2>&1 | grep -E '^(#|stat::number_of_executed_units|==|SUMMARY|Done)' | tail -4
done
