#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs a ThreadSanitizer build of heaptrace on a launched Go program, with
# the per-hit cost measured (its thread runs beside the trace) and the
# exports served (by the HTTP server stage, the same build in processes of its
# own: their reports come on the same stderr) and scraped; fails on any
# ThreadSanitizer report.
set -u
bin=${1:?usage: tsan.sh HEAPTRACE TARGETS}
targets=${2:?usage: tsan.sh HEAPTRACE TARGETS}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# the cache would skip the calibration thread: measure this time
rm -f /run/heaptrace/hit-cost
TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0" "$bin" -q -i 200ms --listen "127.0.0.1:$port" -- \
	"$targets/gocur-gcload.stripped" -rounds 20 -pause 50ms >/dev/null 2>"$log" &
pid=$!
for i in $(seq 1 20); do
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null && break
	sleep 0.2
done
for i in $(seq 1 5); do
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics" &
	curl -s -o /dev/null "http://127.0.0.1:$port/debug/pprof/maps" &
	sleep 0.2
done
wait $pid
rc=$?
wait
if grep -q "ThreadSanitizer" "$log"; then
	echo "tsan: ThreadSanitizer reported:" >&2
	cat "$log" >&2
	exit 1
fi
if [ $rc -ne 0 ]; then
	echo "tsan: heaptrace exited $rc:" >&2
	cat "$log" >&2
	exit 1
fi
echo "tsan: no data race reported (calibration thread, HTTP server threads, main loop)"
