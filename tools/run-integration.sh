#!/usr/bin/env bash
# Runs the integration tests (root: they load BPF and attach to Go programs).
set -u
HT_TARGETS=$(cd "${1:?usage: run-integration.sh TARGETS}" && pwd) || exit 1
export HT_TARGETS
cd "$(dirname "$0")/../tests/integration" || exit 1
exec python3 -m pytest -q -p no:cacheprovider "${@:2}" .
