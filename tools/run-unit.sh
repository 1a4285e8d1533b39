#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs the unit test binaries against the Go programs in TARGETS.
set -u
export HT_TARGETS=${1:?usage: run-unit.sh TARGETS TEST...}
shift
export HT_GO=${HT_GO:-/usr/local/go/bin/go} # its addr2line is an oracle for pclntab lines
rc=0
for t in "$@"; do
	"$t" || rc=1
done
exit $rc
