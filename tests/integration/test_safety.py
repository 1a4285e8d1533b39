# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""heaptrace must never harm its target and never leave anything behind."""
import http.client
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from conftest import (HEAPTRACE, TOOLCHAINS, assert_nothing_left, finish, read_json,
                      spawn, target)


def expected_work(n):
    return sum(k + len(str(k * 7)) for k in range(n))


class Load:
    """A bounded loopback load: one client, requests until stopped (at most
    `limit`), every answer checked."""

    def __init__(self, port, limit=20000):
        self.port, self.limit = port, limit
        self.ok = self.bad = 0
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        rnd = random.Random(1)
        while not self.stop.is_set() and self.ok + self.bad < self.limit:
            n = rnd.randrange(1, 3000)
            try:
                conn.request("GET", f"/work?n={n}")
                body = conn.getresponse().read().decode()
                if int(body) == expected_work(n):
                    self.ok += 1
                else:
                    self.bad += 1
            except Exception as e:  # a refused or broken connection is a failure
                self.bad += 1
                self.errors.append(repr(e))
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def finish(self):
        self.stop.set()
        self.thread.join(30)


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_attach_detach_50_times_under_load(tc):
    svc = spawn([target(f"{tc}-httpsvc.stripped")])
    port = int(svc.out.wait_for("listening").split(":")[-1])
    load = Load(port)
    rnd = random.Random(42)
    try:
        for i in range(50):
            h = spawn([HEAPTRACE, "-q", "-p", str(svc.pid)])
            h.out.wait_for("tracing pid")
            time.sleep(rnd.uniform(0, 0.15))
            if rnd.random() < 0.3:
                h.kill()  # SIGKILL at a random moment
                h.wait()
            else:
                h.send_signal(signal.SIGINT)
                assert finish(h) == 0, h.err.text()
            assert svc.poll() is None, f"the service died after {i + 1} attaches"
        time.sleep(0.3)
    finally:
        load.finish()
    assert load.bad == 0, load.errors[:3]
    assert load.ok > 100
    assert svc.poll() is None
    assert_nothing_left()
    svc.kill()
    svc.wait()


def test_target_exec_mid_trace(tmp_path):
    out = tmp_path / "r.json"
    t = spawn([target("gocur-gcload.stripped"), "-wait", "-rounds", "3", "-exec", "/usr/bin/sleep"])
    t.out.wait_for("ready")
    # sleep with no argument exits at once with an error: exec, then exit
    h = spawn([HEAPTRACE, "-q", "-i", "50ms", "-p", str(t.pid), "--json", str(out)])
    h.out.wait_for("tracing pid")
    t.stdin.write("go\n")
    t.stdin.flush()
    finish(t)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    assert r["stop_reason"] in ("the target executed another program", "the target exited")
    assert r["gc"]["cycles"] >= 3
    assert_nothing_left()


def test_target_exec_into_long_program_detected(tmp_path):
    out = tmp_path / "r.json"
    script = tmp_path / "sleeper"
    script.write_text("#!/bin/sh\nexec sleep 5\n")
    script.chmod(0o755)
    t = spawn([target("gocur-gcload.stripped"), "-wait", "-rounds", "2", "-exec", str(script)])
    t.out.wait_for("ready")
    h = spawn([HEAPTRACE, "-q", "-i", "50ms", "-p", str(t.pid), "--json", str(out)])
    h.out.wait_for("tracing pid")
    t.stdin.write("go\n")
    t.stdin.flush()
    assert finish(h, timeout=10) == 0, h.err.text()
    assert read_json(out)["stop_reason"] == "the target executed another program"
    assert_nothing_left()
    t.kill()
    t.wait()


def test_target_in_other_pid_and_mount_namespace(tmp_path):
    # The binary exists only inside the target's mount namespace (a private
    # tmpfs): heaptrace must reach it through /proc/PID/exe.
    src = target("gocur-gcload.stripped")
    inner = ("mount -t tmpfs none /mnt && cp %s /mnt/nsgo && exec /mnt/nsgo -rounds 100000 -pause 20ms" % src)
    ns = subprocess.Popen(["unshare", "--pid", "--mount", "--fork", "--mount-proc", "sh", "-c", inner])
    try:
        pid = None
        for _ in range(100):
            for p in os.listdir("/proc"):
                if p.isdigit():
                    try:
                        if os.readlink(f"/proc/{p}/exe") == "/mnt/nsgo":
                            pid = int(p)
                    except OSError:
                        pass
            if pid:
                break
            time.sleep(0.05)
        assert pid, "the namespaced target did not start"
        assert not os.path.exists("/mnt/nsgo")
        out = tmp_path / "r.json"
        p = subprocess.run([HEAPTRACE, "-q", "-p", str(pid), "-d", "1500ms", "--json", str(out)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        r = read_json(out)
        assert r["target"]["exe"] == "/mnt/nsgo"
        assert r["gc"]["cycles"] > 0
    finally:
        ns.kill()
        ns.wait()
        subprocess.run(["pkill", "-f", "/mnt/nsgo"])
    assert_nothing_left()


def test_no_tracefs_mounted_is_handled(tmp_path):
    subprocess.run(["umount", "/sys/kernel/tracing"], capture_output=True)
    assert not os.path.exists("/sys/kernel/tracing/events")
    out = tmp_path / "r.json"
    env = dict(os.environ, HEAPTRACE_MADVISE="tracepoint")
    p = subprocess.run([HEAPTRACE, "-v", "-q", "--json", str(out), "--", target("gocur-gcload.stripped"),
                        "-rounds", "5"], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert "mounted tracefs at /sys/kernel/tracing" in p.stderr
    assert read_json(out)["madvise_probe"] == "tracepoint"


def test_default_madvise_probe_costs_no_other_process(tmp_path):
    # No kprobes on this kernel: the runtime's own madvise wrapper is probed,
    # in the target only, rather than the syscall tracepoints every process
    # would go through.
    out = tmp_path / "r.json"
    p = subprocess.run([HEAPTRACE, "-q", "--json", str(out), "--", target("gocur-gcload.stripped"),
                        "-rounds", "5"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = read_json(out)
    assert r["madvise_probe"] in ("kprobe", "uprobe")
    assert r["madvise_probe_host_wide"] is False
    assert "every syscall of every process" not in p.stderr


@pytest.mark.parametrize("tc", TOOLCHAINS)
@pytest.mark.parametrize("method", ["uprobe", "tracepoint", "raw_tracepoint"])
def test_each_madvise_method_sees_the_release(method, tc, tmp_path):
    out, metrics = tmp_path / "r.json", tmp_path / "m.json"
    env = dict(os.environ, HEAPTRACE_MADVISE=method)
    p = subprocess.run([HEAPTRACE, "-q", "--json", str(out), "--", target(f"{tc}-gcload.stripped"),
                        "-rounds", "5", "-metrics", str(metrics)], capture_output=True, text=True, timeout=60,
                       env=env)
    assert p.returncode == 0, p.stderr
    r, m = read_json(out), read_json(metrics)
    assert r["madvise_probe"] == method
    freed = m["end"]["freeosmemory_released_bytes"] - m["start"]["freeosmemory_released_bytes"]
    released = sum(a["bytes"] for a in r["release"]["madvise"] if a["kind"] == "release")
    assert freed > 0 and released >= freed, "madvise covers what FreeOSMemory released"
    assert all(a["kind"] == ("release" if a["advice"] in ("DONTNEED", "FREE") else "hint")
               for a in r["release"]["madvise"])
    # The syscall tracepoints slow every process's syscalls: said out loud.
    host_wide = method != "uprobe"
    assert r["madvise_probe_host_wide"] is host_wide
    assert ("every syscall of every process on this host" in p.stderr) == host_wide


def test_no_madvise_method_is_a_clear_error():
    env = dict(os.environ, HEAPTRACE_MADVISE="none")
    p = subprocess.run([HEAPTRACE, "-q", "--", target("gocur-gcload.stripped"), "-rounds", "1"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 1
    assert "cannot probe madvise" in p.stderr
    assert_nothing_left()


def test_lost_events_are_counted_and_shown(tmp_path):
    out, metrics = tmp_path / "r.json", tmp_path / "m.json"
    p = subprocess.run([HEAPTRACE, "-q", "--ringbuf-kb", "4", "--json", str(out), "--",
                        target("gocur-gcload.stripped"), "-rounds", "30", "-metrics", str(metrics)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = read_json(out)
    assert r["lost_events"] > 0, "a 4 KiB buffer must overflow"
    assert f"WARNING: {r['lost_events']} event records were lost" in p.stderr
    assert r["ringbuf_kb"] == 4 and "run with --ringbuf-kb 16 or more" in p.stderr
    # Aggregates live in BPF: the counts stay exact when records are lost.
    assert r["gc"]["cycles"] == read_json(metrics)["end"]["gc_cycles"]
