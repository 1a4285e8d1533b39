# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The runtime's own state read from outside (issue 25), against what the
gcstate fixture says of itself (debug.ReadGCStats, runtime/metrics, its GOGC
and GOMEMLIMIT, the C memory it holds): after 300 collections, with GOGC
150, a GOMEMLIMIT, 48 MiB of C malloc and parked goroutines; with and
without probes; under a cgroup memory limit made here; in host mode."""
import json
import os
import signal
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import (EXPERIMENTS, HEAPTRACE, TOOLCHAINS, finish, go_minor, read_json, spawn, target, wait_for)

MIB = 1 << 20
GOMEMLIMIT = 400 * MIB
C_MALLOC = 48 * MIB


class GcState:
    """A running gcstate: 300 collections done, then idle; truth() is what
    the runtime says of itself now."""

    def __init__(self, name, tmp_path, env=None, args=(), preexec_fn=None):
        self.path = str(tmp_path / "truth.json")
        e = dict(os.environ, GOGC="150", GOMEMLIMIT=f"{GOMEMLIMIT // MIB}MiB")
        e.update(env or {})
        for k in [k for k, v in e.items() if v is None]:
            del e[k]
        self.p = subprocess.Popen([target(name), "-truth", self.path, *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=e, preexec_fn=preexec_fn)
        assert self.p.stdout.readline().strip() == "ready"
        self.pid = self.p.pid

    def command(self, cmd, reply):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline().strip()
        assert line == reply, (cmd, line)

    def truth(self):
        self.command("truth", "truth")
        return read_json(self.path)

    def close(self):
        self.p.kill()
        self.p.wait()


@pytest.fixture
def gcstate(tmp_path):
    started = []

    def start(name, **kw):
        g = GcState(name, tmp_path, **kw)
        started.append(g)
        return g
    yield start
    for g in started:
        g.close()


def within(got, want, frac, what):
    assert got is not None, f"{what}: null"
    assert abs(got - want) <= frac * want, f"{what}: {got} vs the runtime's {want} (more than {frac:.0%} off)"


def check_since_start(r, t):
    """gc.since_start and the settings against debug.ReadGCStats and the
    runtime's own view, read right after heaptrace's last reading."""
    since = r["gc"]["since_start"]
    assert since["cycles"] == t["num_gc"] >= 300
    assert since["pause_total_ns"] == t["pause_total_ns"]
    assert since["recent_pauses_ns"] == t["pauses_ns"], "the 256 recent pauses, newest first, as ReadGCStats"
    assert len(since["recent_pauses_ns"]) == 256
    assert r["gc"]["gogc"] == t["gogc"] == 150
    assert r["gc"]["gomemlimit_bytes"] == t["gomemlimit"] == GOMEMLIMIT
    assert r["memory"]["limits"]["gomemlimit_bytes"] == GOMEMLIMIT
    within(r["gc"]["heap_goal_bytes"], t["metrics"]["/gc/heap/goal:bytes"], 0.02, "heap goal")
    assert 0 <= r["gc"]["cpu_fraction"] <= 1


def check_classes(r, t):
    m, c = t["metrics"], r["memory"]["classes"]
    for cls, name in (("heap_objects", "heap/objects"), ("heap_released", "heap/released"),
                      ("heap_stacks", "heap/stacks"), ("total", "total")):
        want = m[f"/memory/classes/{name}:bytes"]
        if cls == "heap_released" and want < 4 * MIB:
            # a few pages come and go with the background scavenger
            assert abs(c[cls] - want) <= 1 * MIB, (cls, c[cls], want)
        else:
            within(c[cls], want, 0.10, f"memory.classes.{cls}")
    assert sum(v for k, v in c.items() if k != "total") == c["total"], "the classes add up to the total"
    assert m["/memory/classes/heap/stacks:bytes"] >= 200 * 8192, "200 parked goroutines"


def check_not_go(r, t):
    assert t["c_malloc_bytes"] == C_MALLOC
    within(r["memory"]["not_go_bytes"], C_MALLOC, 0.25, "memory.not_go_bytes (the C malloc)")
    mem = r["memory"]
    assert mem["go_bytes"] + mem["executable_bytes"] + mem["not_go_bytes"] <= mem["rss_bytes"] + MIB


def bpf_fds(pid):
    """heaptrace's BPF objects and perf events (uprobes), by its open files."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if "bpf" in link or "perf_event" in link:
            found.append(link)
    return found


# every toolchain with its symbols; stripped (the globals found by decoding
# the code that uses them) the current Go, Go 1.19, and a Go 1.27 experiment
STRIPPED = [tc for tc in ("gocur", "go119", "go127split") if tc in TOOLCHAINS + EXPERIMENTS]


@pytest.mark.parametrize("tc,stripped", [(tc, False) for tc in TOOLCHAINS + EXPERIMENTS] +
                         [(tc, True) for tc in STRIPPED])
def test_attached_reads_history_settings_and_classes(tc, stripped, gcstate, tmp_path):
    g = gcstate(f"{tc}-gcstate" + (".stripped" if stripped else ""))
    out = tmp_path / "r.json"
    h = subprocess.run([HEAPTRACE, "-q", "-d", "1s", "-p", str(g.pid), "--json", str(out)], capture_output=True,
                       text=True, timeout=120)
    assert h.returncode == 0, h.stderr
    t = g.truth()
    r = read_json(out)
    check_since_start(r, t)
    check_classes(r, t)
    check_not_go(r, t)
    found = r["runtime_state"]
    assert found["available"]
    assert found["memstats_found_by"] == found["gccontroller_found_by"] == ("decoded" if stripped else "symbol")
    assert r["gc"]["source"] == "probes"
    # the text report: the history line and where RSS goes, in one block
    assert "collections since start" in h.stdout and "RSS " in h.stdout and "not Go" in h.stdout
    assert "GOGC 150, GOMEMLIMIT 400.0 MiB" in h.stdout


@pytest.mark.parametrize("tc", TOOLCHAINS + EXPERIMENTS)
def test_no_probes_counts_the_window_with_nothing_attached(tc, gcstate, tmp_path):
    g = gcstate(f"{tc}-gcstate")
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "-q", "--no-probes", "-i", "200ms", "-p", str(g.pid), "--json", str(out)])
    h.out.wait_for("tracing pid")
    time.sleep(0.5)  # a reading or two before the window's collections
    assert bpf_fds(h.pid) == [], "--no-probes loads and attaches nothing"
    before = g.truth()
    g.command("gc 60", "gc done")
    time.sleep(0.5)
    after = g.truth()
    assert bpf_fds(h.pid) == []
    h.send_signal(signal.SIGINT)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    cycles = after["num_gc"] - before["num_gc"]
    assert cycles == 60
    assert r["gc"]["source"] == "runtime_memory"
    assert r["gc"]["cycles"] == r["gc"]["window"]["cycles"] == cycles, "the window's collections, exactly"
    pauses = after["pause_total_ns"] - before["pause_total_ns"]
    within(r["gc"]["window"]["pause_total_ns"], pauses, 0.01, "the window's pauses")
    within(r["gc"]["stw"]["sum_ns"], pauses, 0.01, "the window's pauses, one by one")
    assert r["gc"]["stw"]["count"] == cycles and r["gc"]["window"]["pauses_missed"] == 0
    assert r["probes"] == [] and r["madvise_probe"] == "none"
    # the rest is read from memory as with probes
    check_since_start(r, after)
    check_classes(r, after)
    check_not_go(r, after)


def test_no_probes_says_when_the_history_was_overrun(gcstate, tmp_path):
    """More than 256 collections between two readings: counted exactly, the
    pauses the ring no longer held counted as missed, and said."""
    g = gcstate("gocur-gcstate")
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "--no-probes", "-i", "60s", "-p", str(g.pid), "--json", str(out)])
    h.out.wait_for("tracing pid")
    before = g.truth()
    g.command("gc 400", "gc done")
    after = g.truth()
    h.send_signal(signal.SIGINT)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    assert r["gc"]["cycles"] == after["num_gc"] - before["num_gc"] == 400
    assert r["gc"]["window"]["pause_total_ns"] == after["pause_total_ns"] - before["pause_total_ns"]
    assert r["gc"]["window"]["pauses_missed"] == 400 - 256
    assert r["gc"]["stw"]["count"] == 256
    assert "144 collections' pauses were overwritten" in h.out.text()


def test_live_view_shows_the_block(gcstate):
    g = gcstate("gocur-gcstate")
    p = subprocess.run([HEAPTRACE, "-i", "100ms", "-d", "1s", "-p", str(g.pid)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    block = p.stdout.split("interval figures, then totals")[2].split("\n\n")[0]
    for want in ("runtime   GOGC 150", "collections since start", "RSS ", "limits    cgroup"):
        assert want in block, block
    assert max(len(l) for l in block.splitlines()) <= 80
    assert len(block.splitlines()) <= 24


def test_metrics_have_classes_settings_and_not_go(gcstate, tmp_path):
    g = gcstate("gocur-gcstate")
    prom = tmp_path / "h.prom"
    p = subprocess.run([HEAPTRACE, "-q", "-d", "1s", "-i", "200ms", "-p", str(g.pid), "--textfile", str(prom)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    t = g.truth()
    text = prom.read_text()
    assert subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True).returncode == 0
    got = {}
    for fam in parse_text(text):
        for s in fam.samples:
            got[(s.name, s.labels.get("class"))] = s.value
    assert got[("heaptrace_gc_gogc", None)] == 150
    assert got[("heaptrace_gc_gomemlimit_bytes", None)] == GOMEMLIMIT
    within(got[("heaptrace_gc_heap_goal_bytes", None)], t["metrics"]["/gc/heap/goal:bytes"], 0.02, "goal")
    within(got[("heaptrace_go_memory_classes_bytes", "total")], t["metrics"]["/memory/classes/total:bytes"], 0.1,
           "total")
    within(got[("heaptrace_memory_not_go_bytes", None)], C_MALLOC, 0.25, "not Go")
    assert got[("heaptrace_gc_runtime_cycles_total", None)] == t["num_gc"]


def memory_cgroups():
    """The cgroup memory controllers this host has: v1 here; v2 where the
    unified hierarchy has the memory controller."""
    found = []
    if os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        found.append(("v1", "/sys/fs/cgroup/memory", "memory.limit_in_bytes"))
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        try:
            with open(os.path.join(root, "cgroup.controllers")) as f:
                if "memory" in f.read().split():
                    found.append(("v2", root, "memory.max"))
                    break
        except OSError:
            pass
    return found


class MemoryCgroup:
    def __init__(self, root, limit_file, limit):
        self.dir = os.path.join(root, f"heaptrace-test-{os.getpid()}-{time.monotonic_ns()}")
        os.mkdir(self.dir)
        if limit_file == "memory.max":
            # a v2 child needs the controller enabled in its parent
            with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
                f.write("+memory")
        with open(os.path.join(self.dir, limit_file), "w") as f:
            f.write(str(limit))

    def enter(self):
        with open(os.path.join(self.dir, "cgroup.procs"), "w") as f:
            f.write("0")

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.dir)
                return
            except OSError:
                time.sleep(0.1)


@pytest.mark.parametrize("cg", memory_cgroups(), ids=lambda c: c[0])
@pytest.mark.parametrize("tc", ["gocur", "go119"])
def test_cgroup_limit_and_gomemlimit_advice(tc, cg, gcstate, tmp_path):
    version, root, limit_file = cg
    group = MemoryCgroup(root, limit_file, 512 * MIB)
    try:
        for gomemlimit in (None, "400MiB"):
            g = gcstate(f"{tc}-gcstate", env={"GOMEMLIMIT": gomemlimit}, preexec_fn=group.enter)
            out = tmp_path / "r.json"
            h = subprocess.run([HEAPTRACE, "-q", "-d", "1s", "-p", str(g.pid), "--json", str(out)],
                               capture_output=True, text=True, timeout=60)
            assert h.returncode == 0, h.stderr
            r = read_json(out)
            g.close()
            limits = r["memory"]["limits"]
            assert limits["cgroup_bytes"] == 512 * MIB
            assert limits["cgroup_file"].startswith(group.dir)
            advice = [a for a in r["advice"] if a["kind"] == "gomemlimit"]
            if gomemlimit is None:
                assert limits["gomemlimit_bytes"] is None
                assert len(advice) == 1, r["advice"]
                assert 64 * MIB <= advice[0]["value"] <= 512 * MIB
                assert f"GOMEMLIMIT={advice[0]['value'] // MIB}MiB" in advice[0]["text"]
                assert "GOMEMLIMIT=" in h.stdout and "advice" in h.stdout
            else:
                assert limits["gomemlimit_bytes"] == GOMEMLIMIT
                assert advice == [], advice
    finally:
        group.remove()


def test_host_mode_has_the_same_fields(gcstate, tmp_path):
    g = gcstate("gocur-gcstate")
    out = tmp_path / "r.json"
    p = subprocess.run([HEAPTRACE, "--all", "-q", "-d", "3s", "--exe", target("gocur-gcstate"), "--json", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    t = g.truth()
    procs = [x for x in read_json(out)["processes"] if x["target"]["pid"] == g.pid]
    assert len(procs) == 1
    r = procs[0]
    check_since_start(r, t)
    check_classes(r, t)
    assert r["memory"]["not_go_bytes"] is not None and isinstance(r["advice"], list)
    # no cgroup limit here: null, never 0
    assert r["memory"]["limits"]["cgroup_bytes"] is None


def test_host_mode_no_probes(gcstate, tmp_path):
    g = gcstate("go119-gcstate")
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "--all", "--no-probes", "-q", "--exe", target("go119-gcstate"), "--json", str(out)])
    wait_for(lambda: "heaptrace: following every Go process" in h.out.text(), 30, "host mode started")
    assert bpf_fds(h.pid) == []
    time.sleep(1.5)
    h.send_signal(signal.SIGTERM)
    assert finish(h) == 0, h.err.text()
    rep = read_json(out)
    assert rep["discovery"]["method"] == "/proc scans"
    r = [x for x in rep["processes"] if x["target"]["pid"] == g.pid][0]
    check_since_start(r, g.truth())


@pytest.mark.parametrize("tc", ["gocur", "go119"])
def test_released_but_resident_advice(tc, gcstate, tmp_path):
    """GODEBUG=madvdontneed=0: the runtime releases with MADV_FREE, and on a
    host with memory to spare the pages stay resident (LazyFree): said, with
    the setting that makes RSS show the release."""
    g = gcstate(f"{tc}-gcstate", env={"GODEBUG": "madvdontneed=0"})
    g.command("release 96", "released")
    out = tmp_path / "r.json"
    h = subprocess.run([HEAPTRACE, "-q", "--no-probes", "-d", "500ms", "-p", str(g.pid), "--json", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert h.returncode == 0, h.stderr
    r = read_json(out)
    mem = r["memory"]
    assert mem["lazyfree_bytes"] >= 64 * MIB
    assert 64 * MIB <= mem["released_lazyfree_bytes"] <= mem["classes"]["heap_released"]
    advice = [a for a in r["advice"] if a["kind"] == "madvdontneed"]
    assert len(advice) == 1 and advice[0]["value"] == mem["released_lazyfree_bytes"]
    assert "GODEBUG=madvdontneed=1" in advice[0]["text"] and "GODEBUG=madvdontneed=1" in h.stdout
    # the released pages still resident are Go's, not counted as not Go's
    within(mem["not_go_bytes"], C_MALLOC, 0.25, "memory.not_go_bytes (the C malloc)")
