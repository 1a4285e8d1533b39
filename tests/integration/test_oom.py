# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""OOM post-mortem (issue 26): a Go program (tests/targets/oomgrow) grows a
map in a memory cgroup of its own until the kernel's OOM killer ends it,
traced by -p and by --all, on Go 1.19 (bucket maps) and the current Go
(Swiss tables). The record in --postmortem-dir, the -p report and /metrics
must name the growing map and the cgroup's limit. Each cgroup is made under
the v1 memory hierarchy and removed after; each kill takes a few seconds."""
import datetime
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager

import pytest

from conftest import HEAPTRACE, finish, free_port, read_json, spawn, target, wait_for

MEMCG = "/sys/fs/cgroup/memory"
MiB = 1 << 20
LIMIT = 256 * MiB
GO = os.environ.get("HT_GO", "/usr/local/go/bin/go")
# The fixture's map: 48-byte values, grown by main.fill.
MAP_TYPE = "map[int64]main.value"
# the runtime's own maps are small: the growing map must hold most of the cgroup
MIN_TABLE = 50 * MiB


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


@contextmanager
def memcg(name, limit=LIMIT):
    """A v1 memory cgroup with `limit` and no swap, removed after (its
    processes, all the test's own, killed first)."""
    path = f"{MEMCG}/heaptrace-test-{name}-{os.getpid()}"
    os.mkdir(path)
    try:
        write(f"{path}/memory.limit_in_bytes", limit)
        if os.path.exists(f"{path}/memory.swappiness"):
            write(f"{path}/memory.swappiness", 0)
        if os.path.exists(f"{path}/memory.memsw.limit_in_bytes"):
            write(f"{path}/memory.memsw.limit_in_bytes", limit)
        yield path
    finally:
        for _ in range(100):
            with open(f"{path}/cgroup.procs") as f:
                pids = [int(p) for p in f.read().split()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"cannot remove {path}")


def in_cgroup(cg, *argv):
    """argv run in cgroup cg from its first instruction (the shell puts
    itself there, then becomes the program: the same pid)."""
    return spawn(["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$@"', "sh", *argv])


def records(d, pid, ext="json"):
    return sorted(glob.glob(os.path.join(str(d), f"heaptrace-oom-{pid}-*.{ext}")))


def check_record(r, pid, cg):
    """A record (or report) of a kill by the cgroup's limit, traced: its oom
    and its maps, the growing map first; what went wrong is in the message."""
    try:
        check_oom(r["oom"], pid, cg)
        check_growing_map_first(r)
    except AssertionError as e:
        raise AssertionError(f"{e}\nmaps_summary: {r.get('maps_summary')}\nheap: {r.get('heap')}") from e


def check_oom(o, pid, cg):
    """The `oom` object of a kill by the cgroup's limit, traced."""
    killed = datetime.datetime.strptime(o["killed_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs((datetime.datetime.utcnow() - killed).total_seconds()) < 120, o["killed_at"]
    assert o["cgroup"] == "/" + os.path.basename(cg), o
    assert o["process_cgroup"] == o["cgroup"]
    assert o["limit_bytes"] == LIMIT, o
    assert o["reason"] == "memory cgroup limit", o
    # the kernel's count at the kill, not after the victim's memory went
    assert LIMIT - 8 * MiB <= o["usage_bytes"] <= LIMIT + MiB, o
    assert o["cgroup_version"] == 1
    assert o["cgroup_oom_kills"] >= 1, o
    assert o["limit_hits"] >= 0, o  # 0 when memory.memsw was the counter that failed
    assert o["victim"]["pid"] == pid and o["victim"]["killer_pid"] == pid, o["victim"]
    assert o["traced"] is True
    assert o["sigkill_delivered"] is True and o["exited"] is True and o["died"] is True, o
    assert o["verdict_kind"] == "live_heap_growth", o["verdict"]
    assert o["verdict"].startswith("live heap growth: the Go heap had "), o["verdict"]
    assert MAP_TYPE in o["verdict"] and "main.fill" in o["verdict"], (o["verdict"], o)
    assert o["maps_sorted_by"] == "table_bytes"
    # read at the limit, moments before the kill (reads_at_limit), else at the last interval
    assert o["figures_age_ns"] is not None and o["figures_age_ns"] < 1.5e9, o
    assert isinstance(o["limitations"], list)


def check_growing_map_first(r):
    # the report's own figures are those of the kill too, not of the dying
    # process read after it (whose cgroup reads as the root's)
    assert r["memory"]["limits"]["cgroup_bytes"] == LIMIT, r["memory"]["limits"]
    m = r["maps"][0]
    assert m["type"] == MAP_TYPE, r["maps"]
    assert m["table_bytes"] >= MIN_TABLE, m
    assert m["site"] and m["site"].startswith("main.fill"), m
    assert m["grows"] > 0, m
    assert [x["table_bytes"] for x in r["maps"]] == sorted((x["table_bytes"] for x in r["maps"]), reverse=True)


def check_profile(path):
    """The map profile at the kill, as go tool pprof reads it."""
    p = subprocess.run([GO, "tool", "pprof", "-raw", path], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HOME": os.environ.get("HOME", "/root")})
    assert p.returncode == 0, p.stderr
    assert "main.fill" in p.stdout, p.stdout[-2000:]


def oom_programs():
    """The OOM watch's BPF programs still loaded."""
    progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    return [p["id"] for p in progs if p.get("name", "").startswith("ht_oom_")]


@pytest.mark.parametrize("tc", ["go119", "gocur"])
def test_pid_trace_ends_with_the_oom_kill(tc, tmp_path):
    d, out = tmp_path / "postmortem", tmp_path / "report.json"
    with memcg(f"oom-p-{tc}") as cg:
        fx = in_cgroup(cg, target(f"{tc}-oomgrow"), "-wait")
        fx.out.wait_for("ready")
        h = spawn([HEAPTRACE, "-p", str(fx.pid), "-q", "--json", str(out), "--postmortem-dir", str(d)])
        h.out.wait_for("heaptrace: heap walk", timeout=60)
        fx.stdin.write("go\n")
        fx.stdin.flush()
        assert finish(h, 60) == 0, h.err.text()
        assert fx.wait(timeout=30) == -signal.SIGKILL
    text = h.out.text()
    lines = text.strip().splitlines()
    assert lines[-1] == f"heaptrace: pid {fx.pid} was killed by the OOM killer (memory cgroup limit 256 MiB)", text
    assert f"traced for" in text and "killed by the OOM killer" in text
    r = read_json(out)
    assert r["stop_reason"] == "killed by the OOM killer"
    check_record(r, fx.pid, cg)
    # the record: the same report, written at the end of the trace, and the profile beside it
    (rec,) = records(d, fx.pid)
    assert r["oom"]["record"] == rec
    assert f"heaptrace: post-mortem record: {rec}" in text
    pm = read_json(rec)
    assert pm["schema"] == 1 and pm["target"]["pid"] == fx.pid
    assert pm["oom"]["killed_at"] == r["oom"]["killed_at"]
    check_growing_map_first(pm)
    (pb,) = records(d, fx.pid, "pb.gz")
    assert pb == rec[:-len(".json")] + ".pb.gz"
    check_profile(pb)
    assert not [f for f in os.listdir(d) if not re.fullmatch(r"heaptrace-oom-\d+-\d{8}T\d{6}\.\d{3}Z\.(json|pb\.gz)", f)]
    wait_for(lambda: not oom_programs(), 10, "the OOM watch unloaded")


def scrape(port):
    """/metrics, as a scraper sees it: a connection the server dropped is
    tried again on the next poll (the server's own tests are test_exports')."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", "/metrics")
        return c.getresponse().read().decode()
    except (http.client.HTTPException, ConnectionError):
        return ""
    finally:
        c.close()


def oom_kills(body, pid):
    """pid's heaptrace_oom_kills_total: (its other labels, its value), or None."""
    m = re.search(r'^heaptrace_oom_kills_total\{pid="%d",([^}]*)\} (\S+)$' % pid, body, re.M)
    return (m.group(1), float(m.group(2))) if m else None


def start_host(tmp_path, exe_glob, *extra):
    port, d = free_port(), tmp_path / "postmortem"
    h = spawn([HEAPTRACE, "--all", "--exe", exe_glob, "-q", "-i", "1s", "--listen", f"127.0.0.1:{port}",
               "--postmortem-dir", str(d), "--json", str(tmp_path / "host.json"), *extra])
    h.out.wait_for("following every Go process", timeout=60)
    return h, port, d


# Go 1.19 stripped, as distributions ship Go programs: the growth site from pclntab
@pytest.mark.parametrize("tc,build", [("go119", "oomgrow.stripped"), ("gocur", "oomgrow")])
def test_host_mode_records_a_kill_of_a_map_grown_from_the_start(tc, build, tmp_path):
    exe = shutil.copy(target(f"{tc}-{build}"), tmp_path / f"heaptrace-oomtest-{tc}")
    h, port, d = start_host(tmp_path, f"*/heaptrace-oomtest-{tc}")
    with memcg(f"oom-all-{tc}") as cg:
        # no wait: heaptrace attaches at the exec, and the map is followed
        # from its growth records (the heap walk is 2 s after attaching)
        fx = in_cgroup(cg, exe)
        assert fx.wait(timeout=60) == -signal.SIGKILL
        rec = wait_for(lambda: records(d, fx.pid), 10, "the post-mortem record")[0]
    pm = read_json(rec)
    assert pm["target"]["pid"] == fx.pid and pm["stop_reason"] == "killed by the OOM killer"
    check_record(pm, fx.pid, cg)
    (pb,) = records(d, fx.pid, "pb.gz")
    check_profile(pb)
    # counted on /metrics from the moment of the kill (before the record is
    # written), with the usual labels, and after the process has ended
    labels, value = oom_kills(wait_for(lambda: scrape(port), 5, "a scrape"), fx.pid)
    assert value == 1
    assert f'exe="{exe}"' in labels and 'comm="heaptrace-oomte"' in labels and 'go_version="go1.' in labels
    # from the first export after its trace ended, its kill's series alone
    wait_for(lambda: (b := scrape(port)) and f'heaptrace_gc_cycles_total{{pid="{fx.pid}"' not in b, 5,
             "the ended process's other series gone")
    assert oom_kills(wait_for(lambda: scrape(port), 5, "a scrape"), fx.pid)[1] == 1
    h.send_signal(signal.SIGTERM)
    assert finish(h) == 0, h.err.text()
    text = h.out.text()
    assert f"heaptrace: pid {fx.pid} was killed by the OOM killer (memory cgroup limit 256 MiB)" in text, text
    (p,) = [p for p in read_json(tmp_path / "host.json")["processes"] if p["target"]["pid"] == fx.pid]
    assert p["oom"]["killed_at"] == pm["oom"]["killed_at"] and not p["running"]
    wait_for(lambda: not oom_programs(), 10, "the OOM watch unloaded")


def test_host_mode_records_a_kill_it_was_not_tracing(tmp_path):
    """A Go process heaptrace follows but does not trace (over --max-procs):
    its kill is recorded with what is known, and counted."""
    exe = shutil.copy(target("gocur-oomgrow"), tmp_path / "heaptrace-oomtest-untraced")
    idle = spawn([exe, "-wait"])  # traced: the one --max-procs allows
    idle.out.wait_for("ready")
    h, port, d = start_host(tmp_path, "*/heaptrace-oomtest-untraced", "--max-procs", "1")
    with memcg("oom-untraced") as cg:
        fx = in_cgroup(cg, exe)
        assert fx.wait(timeout=60) == -signal.SIGKILL
        rec = wait_for(lambda: records(d, fx.pid), 10, "the post-mortem record")[0]
    pm = read_json(rec)
    o = pm["oom"]
    assert o["traced"] is False and o["limit_bytes"] == LIMIT and o["reason"] == "memory cgroup limit"
    assert o["verdict_kind"] == "unknown" and pm["maps"] == []
    assert any("had not attached" in x for x in o["limitations"]), o["limitations"]
    assert o["died"] is None, "not followed without a trace: null, not a guess"
    assert not records(d, fx.pid, "pb.gz"), "no profile without a trace"
    assert oom_kills(wait_for(lambda: scrape(port), 5, "a scrape"), fx.pid)[1] == 1
    assert wait_for(lambda: oom_kills(scrape(port), idle.pid), 5, "the traced process's series")[1] == 0
    h.send_signal(signal.SIGTERM)
    assert finish(h) == 0, h.err.text()
    assert f"heaptrace: pid {fx.pid} was killed by the OOM killer (memory cgroup limit 256 MiB)" in h.out.text()


def test_postmortem_dir_options(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    p = subprocess.run([HEAPTRACE, "--postmortem-dir", str(tmp_path), "--", "/bin/true"], capture_output=True,
                       text=True)
    assert p.returncode == 2 and "--postmortem-dir follows -p PID or --all" in p.stderr, p.stderr
    p = subprocess.run([HEAPTRACE, "-p", str(os.getpid()), "--no-probes", "--postmortem-dir", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "not with --no-probes" in p.stderr, p.stderr
    p = subprocess.run([HEAPTRACE, "--all", "--postmortem-dir", str(afile)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and f"--postmortem-dir {afile}: not a directory" in p.stderr, p.stderr
