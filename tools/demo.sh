#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The demo: build a small Go program that churns its heap and maps, show
# where heaptrace would probe it, then trace it from its first instruction.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/build/demo
mkdir -p "$demo"
(cd "$root/tests/targets" && GOTOOLCHAIN=local CGO_ENABLED=0 /usr/local/go/bin/go build -o "$demo/gcload" ./gcload)
strip -o "$demo/gcload.stripped" "$demo/gcload"
echo "== heaptrace --list-probes (a stripped Go binary: functions from .gopclntab)"
"$root/heaptrace" --list-probes "$demo/gcload.stripped"
echo
echo "== heaptrace -- gcload (live view every second; the report at exit)"
"$root/heaptrace" -i 1s -- "$demo/gcload.stripped" -rounds 40 -pause 100ms
