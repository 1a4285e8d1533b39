# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Fleet scale (issue 23): in host mode the processes of one executable file
share its probes (one link per tier, not per process), so that a hit costs
the same beside 1 or 1,000 copies; each process is still counted apart."""
import os
import shutil
import signal
import time

from conftest import HEAPTRACE, finish, read_json, spawn, target, wait_for

COPIES = 6


def uprobe_links(pid):
    """heaptrace's own uprobe links (uprobe_multi, or one perf link each),
    from its descriptors' fdinfo."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except OSError:
            continue
        if "link_type" in info and info["link_type"].strip() in ("uprobe_multi", "perf"):
            found.append(info["link_id"].strip())
    return found


def test_copies_of_one_binary_share_one_link_per_tier(tmp_path):
    prog = tmp_path / "htfleet-gcload"
    shutil.copy(target("gocur-gcload.stripped"), prog)
    copies = [spawn([str(prog), "-wait", "-rounds", "5", "-pause", "20ms"]) for _ in range(COPIES)]
    for c in copies:
        c.out.wait_for("ready")
    out = tmp_path / "host.json"
    h = spawn([HEAPTRACE, "--all", "-q", "-i", "200ms", "--exe", str(prog), "--json", str(out)])
    h.out.wait_for("following every Go process", timeout=60)
    # cold and warm: two links for every copy together (the sampled window
    # may add a third for a second)
    links = uprobe_links(h.pid)
    assert 2 <= len(links) <= 3, links
    for c in copies:
        c.stdin.write("go\n")
        c.stdin.flush()
    for c in copies:
        assert finish(c) == 0
    time.sleep(0.5)
    h.send_signal(signal.SIGINT)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    by_pid = {p["target"]["pid"]: p for p in r["processes"]}
    for c in copies:
        p = by_pid[c.pid]
        # each copy's own collections: 5 rounds, a runtime.GC each at least
        assert p["gc"]["cycles"] >= 5, p["gc"]
        assert any(x["hits"] for x in p["probes"] if x["symbol"] == "runtime.gcStart")
    assert r["discovery"]["executables_analyzed"] == 1


def test_collections_since_start_equal_numgc_for_late_attach(tmp_path):
    """heaptrace attaches a few ms after each exec, after the first
    collections of a busy program: the count since start is the runtime's
    numgc at one reading plus what the probes counted after it, exact also
    past the last reading before the process exits (issue 23)."""
    prog = tmp_path / "htfleet-busy"
    shutil.copy(target("gocur-gcload.stripped"), prog)
    out = tmp_path / "host.json"
    h = spawn([HEAPTRACE, "--all", "-q", "--exe", str(prog), "--json", str(out)])
    h.out.wait_for("following every Go process", timeout=60)
    busy = [spawn([str(prog), "-rounds", "60", "-freeos-every", "8", "-timing"]) for _ in range(3)]
    numgc = {}
    for b in busy:
        assert finish(b) == 0
        numgc[b.pid] = int([l for l in b.err.all if l.startswith("numgc ")][0].split()[1])
    time.sleep(0.5)
    h.send_signal(signal.SIGINT)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    got = {p["target"]["pid"]: p["gc"]["since_start"]["cycles"] for p in r["processes"]}
    assert got == numgc
