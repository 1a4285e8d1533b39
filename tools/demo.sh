#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The demo: a small Go server-like program fills maps held the ways servers
# hold them (a struct field behind a global pointer, a slice element, another
# map's value, a goroutine's variable) and empties them with delete before
# heaptrace comes; heaptrace attaches to it, as in an incident, and its first
# screen shows the maps that keep their tables, who holds each, and what to do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/build/demo
mkdir -p "$demo"
(cd "$root/tests/targets" && GOTOOLCHAIN=local CGO_ENABLED=0 /usr/local/go/bin/go build -o "$demo/holders" ./holders)
rm -f "$demo/truth.json"
"$demo/holders" -truth "$demo/truth.json" -wait 60s >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -e "$demo/truth.json" ] && break; sleep 0.1; done
echo "== a Go program (pid $pid) filled its maps and deleted nearly every entry; heaptrace attaches now"
"$root/heaptrace" -i 2s -d 5s -p "$pid"
