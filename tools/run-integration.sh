#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs the integration tests (root: they load BPF and attach to Go programs).
set -u
HT_TARGETS=$(cd "${1:?usage: run-integration.sh TARGETS}" && pwd) || exit 1
export HT_TARGETS
cd "$(dirname "$0")/../tests/integration" || exit 1
# Debian's python3 and pytest (tools/setup.sh), whatever python3 PATH finds first.
# Test files or directories among the arguments are what runs; else all.
all=.
for a in "${@:2}"; do
	[ -e "${a%%::*}" ] && all=
done
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "${@:2}" $all
