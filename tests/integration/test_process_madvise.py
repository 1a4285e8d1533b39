# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""process_madvise(2) on the process itself (golang/go#80389 proposes it for
the scavenger on Linux 6.13+), seen by the syscall-level madvise methods
beside madvise: counted per advice, with the bytes the kernel advised."""
import signal

import pytest

from conftest import HEAPTRACE, finish, read_json, spawn
from test_runtime_state import MIB, gcstate  # noqa: F401 (the fixture)


@pytest.mark.parametrize("method", ["tracepoint", "raw_tracepoint"])
def test_process_madvise_counted_with_madvise(method, gcstate, tmp_path):  # noqa: F811
    g = gcstate("gocur-gcstate")
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "-q", "-p", str(g.pid), "--json", str(out)], env={"HEAPTRACE_MADVISE": method,
                                                                             "PATH": "/usr/sbin:/usr/bin"})
    h.out.wait_for("tracing pid")
    g.command("pmadvise 8", f"pmadvise {8 * MIB}")
    g.command("pmadvise 4", f"pmadvise {4 * MIB}")
    h.send_signal(signal.SIGINT)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    assert r["madvise_probe"] == method
    assert r["release"]["process_madvise_calls"] == 2
    dontneed = [m for m in r["release"]["madvise"] if m["advice"] == "DONTNEED"]
    assert dontneed and dontneed[0]["bytes"] >= 12 * MIB and dontneed[0]["calls"] >= 2
    assert "of which 2 calls of process_madvise(2)" in h.out.text()
