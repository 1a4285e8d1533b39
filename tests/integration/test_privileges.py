# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Least privilege (priv/caps.h): heaptrace traces as uid 65534 with CAP_BPF,
CAP_PERFMON and CAP_SYS_PTRACE alone, a root-owned process included; once
attached, the tracer keeps those three on every thread and nothing in its
bounding, inheritable or ambient sets, with no_new_privs; its helper
process keeps nothing; a program it launches inherits none of them."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import (AS_TRACER, HEAPTRACE, TRACE_CAPS, assert_nothing_left, finish, proc_status, spawn, target,
                      wait_file, wait_for)


def run_json(args, timeout=120):
    """heaptrace ARGS --json - : the report from stdout (the text report goes to stderr)."""
    p = subprocess.run([*args, "-q", "--json", "-"], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def leaky_and_healthy(report, truth):
    by_holder = {m["held_by"]: m for m in report["maps"]}
    assert "main.leaky" in by_holder, sorted(by_holder, key=str)
    leaky, healthy = by_holder["main.leaky"], by_holder["main.healthy"]
    assert leaky["live"] == truth["leaky_live"]
    assert healthy["live"] == truth["healthy_live"]
    full = truth["leaky_full_bytes"]
    assert abs(leaky["table_bytes"] - full) <= 0.25 * full
    assert leaky["verdict"] == "retained"


@pytest.mark.parametrize("tc", ["go119", "gocur"])
def test_three_capabilities_read_a_root_process(tc, mapleak):
    m = mapleak(f"{tc}-mapleak")
    assert os.stat(f"/proc/{m.pid}").st_uid == 0, "the target is root's"
    r, err = run_json([*AS_TRACER, HEAPTRACE, "-p", str(m.pid), "-d", "2s"])
    leaky_and_healthy(r, m.truth)
    assert r["gc"]["cycles"] is not None and r["probes"], err
    assert_nothing_left()


@pytest.fixture
def world_dir():
    """A directory uid 65534 may read and write (pytest's are root's, 0700)."""
    d = tempfile.mkdtemp(prefix="heaptrace-priv-", dir="/tmp")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_three_capabilities_trace_host_mode(world_dir):
    exe = os.path.join(world_dir, "htfixture-priv-mapleak")
    shutil.copy(target("gocur-mapleak"), exe)
    truth = os.path.join(world_dir, "truth.json")
    leak = subprocess.Popen([exe, "-truth", truth, "-wait", "120s"])
    try:
        t = wait_file(truth)
        r, err = run_json([*AS_TRACER, HEAPTRACE, "--all", "--exe", "*/htfixture-priv-*", "-d", "5s"])
        procs = [p for p in r["processes"] if p["target"]["pid"] == leak.pid]
        assert len(procs) == 1, err
        leaky_and_healthy(procs[0], t)
    finally:
        leak.kill()
        leak.wait()
    assert_nothing_left()


SHOWCAPS = """#!/bin/sh
grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' /proc/self/status
echo "HOME:	$HOME"
"""


def launched_status(world_dir, prefix, *opts):
    """What a program launched with -- runs as: gcload execs a script that
    prints its own /proc/self/status."""
    script = os.path.join(world_dir, "showcaps.sh")
    with open(script, "w") as f:
        f.write(SHOWCAPS)
    os.chmod(script, 0o755)
    p = subprocess.run([*prefix, HEAPTRACE, "-q", *opts, "--", target("gocur-gcload"), "-rounds", "1",
                        "-exec", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return dict(l.split(":\t", 1) for l in p.stdout.splitlines() if ":\t" in l)


def test_launched_program_inherits_no_capability(world_dir):
    s = launched_status(world_dir, AS_TRACER)
    assert s["Uid"].split()[0] == "65534"
    for f in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(s[f], 16) == 0, f"{f} {s[f]}: the program got heaptrace's capabilities"


def test_user_runs_the_program_as_that_user(world_dir):
    s = launched_status(world_dir, [], "--user", "nobody")
    assert s["Uid"].split() == ["65534"] * 4 and s["Gid"].split()[0] == "65534"
    assert int(s["CapEff"], 16) == 0 and int(s["CapPrm"], 16) == 0
    assert s["HOME"] == "/nonexistent", "nobody's HOME, as sudo -u sets it"
    # without --user, root's program runs as root, as under sudo
    s = launched_status(world_dir, [])
    assert s["Uid"].split()[0] == "0"


def test_user_without_setuid_is_refused():
    p = subprocess.run([*AS_TRACER, HEAPTRACE, "-q", "--user", "root", "--", target("gocur-gcload")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "--user needs CAP_SETUID and CAP_SETGID" in p.stderr


def stat_fields(pid):
    """/proc/PID/stat after the command: field 3 (state) is [0]."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def link_closers_of(pid):
    """The link closer heaptrace pid forked (fd_closer.c): a process named
    ht-link-closer in pid's session, started after it (a double fork leaves
    no parent link; other heaptraces on the machine have their own)."""
    mine = stat_fields(pid)
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == pid:
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != "ht-link-closer":
                    continue
            st = stat_fields(int(d))
        except OSError:
            continue
        if st[3] == mine[3] and int(st[19]) >= int(mine[19]):  # session, start time
            out.append(int(d))
    return out


def test_tracer_drops_every_other_capability_after_attaching(mapleak, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    h = spawn([HEAPTRACE, "-q", "-d", "20s", "-p", str(m.pid), "--json", str(tmp_path / "r.json")])
    h.out.wait_for("heaptrace: tracing pid")
    wait_for(lambda: proc_status(h.pid)["NoNewPrivs"] == "1", timeout=15, what="the tracer's drop")
    for tid in os.listdir(f"/proc/{h.pid}/task"):
        s = proc_status(h.pid, tid)
        assert int(s["CapEff"], 16) == TRACE_CAPS, f"thread {tid}: CapEff {s['CapEff']}"
        assert int(s["CapPrm"], 16) == TRACE_CAPS and int(s["CapBnd"], 16) == TRACE_CAPS, s
        assert int(s["CapInh"], 16) == 0 and int(s["CapAmb"], 16) == 0, s
        assert s["NoNewPrivs"] == "1"
    helpers = link_closers_of(h.pid)
    assert helpers, "the link closer"
    for p in helpers:
        s = proc_status(p)
        assert s["Uid"].split() == ["65534"] * 4, s
        assert int(s["CapEff"], 16) == 0 and int(s["CapPrm"], 16) == 0 and int(s["CapBnd"], 16) == 0, s
        assert s["NoNewPrivs"] == "1"
    # still tracing, with what it kept: a heap walk's figures in the report
    h.send_signal(2)
    assert finish(h) == 0, h.err.text()
    r = json.load(open(tmp_path / "r.json"))
    assert r["maps"][0]["live"] == m.truth["leaky_live"]
    assert_nothing_left()
