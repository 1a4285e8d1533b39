# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""heaptrace attached to real Go programs of every supported toolchain."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (HEAPTRACE, TOOLCHAINS, assert_nothing_left, finish, hits,
                      map_impl, read_json, spawn, target)

ROUNDS = "10"


@pytest.mark.parametrize("tc", TOOLCHAINS)
@pytest.mark.parametrize("variant", ["", ".stripped"])
@pytest.mark.parametrize("method", ["uprobe_multi", "uprobe"])
def test_launch_counts_hits(tc, variant, method, tmp_path, expected_checksum):
    out = tmp_path / "r.json"
    name = f"{tc}-gcload{variant}"
    # uprobe_multi links (Linux 6.6+) by default; one uprobe per point is the
    # fallback for older kernels, forced here so that both stay tested.
    env = dict(os.environ, HEAPTRACE_ATTACH=method)
    p = subprocess.run([HEAPTRACE, "-q", "--json", str(out), "--", target(name), "-rounds", ROUNDS],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    # The child owns stdout; its result is the untraced one.
    assert p.stdout.strip() == expected_checksum(name, "-rounds", ROUNDS)
    r = read_json(out)
    assert r["schema"] == 1
    assert r["target"]["stripped"] == (variant == ".stripped")
    assert r["target"]["map_impl"] == map_impl(tc)
    assert r["stop_reason"] == "the target exited"
    assert r["attach_method"] == method
    # runtime.GC() each round: every cycle starts with gcStart and stops the world.
    assert hits(r, "runtime.gcStart")["hits"] >= int(ROUNDS)
    restart = hits(r, "runtime.startTheWorldWithSema")
    assert restart["hits"] >= 2 * int(ROUNDS)
    assert restart["exit_hits"] == restart["hits"], "every entry of a function returns once"
    assert hits(r, "runtime/debug.freeOSMemory")["hits"] == int(ROUNDS) // 5
    assert hits(r, "runtime.sysUnusedOS")["hits"] > 0
    assert_nothing_left()


def test_launch_from_first_instruction_keeps_stdio_and_status(tmp_path):
    # -wait reads stdin: the child must get heaptrace's stdin. Its exit status
    # comes back as heaptrace's.
    p = spawn([HEAPTRACE, "-q", "--", target("gocur-gcload.stripped"), "-wait", "-rounds", "2", "-exit", "3"])
    p.out.wait_for("ready")
    p.stdin.write("go\n")
    p.stdin.flush()
    assert finish(p) == 3, p.err.text()
    assert "checksum" in p.out.text()
    # Probes were live before the first instruction: the runtime's very
    # first heap growth, at start-up, was seen.
    assert "runtime.(*mheap).grow" in p.err.text()
    grow = [l for l in p.err.all if l.startswith("runtime.(*mheap).grow")][0].split()
    assert int(grow[2]) >= 1, grow


def test_launch_reads_no_kernel_btf():
    # The BPF programs read only kernel-ABI layouts and carry no CO-RE
    # relocation. One relocation would make libbpf read and index the
    # kernel's 5 MB BTF at every start: about 20 ms of a launch.
    p = subprocess.run([HEAPTRACE, "-v", "-q", "--", target("gocur-gcload.stripped"), "-rounds", "2"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "libbpf: loading object" in p.stderr, "-v shows libbpf's log"
    assert "CO-RE relocations" not in p.stderr
    assert "loading kernel BTF" not in p.stderr


def pipe_holders(inode):
    """The pids other than this one that hold pipe `inode` open."""
    holders = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"pipe:[{inode}]":
                    holders.add(int(pid))
            except OSError:
                pass
    return holders


def test_output_pipes_close_when_heaptrace_exits():
    # heaptrace's helper closes the probes' links after it exits (each close
    # waits for a grace period): if it kept heaptrace's stdout or stderr,
    # `heaptrace ... | tee` and $(heaptrace ...) would wait for it too.
    p = subprocess.Popen([HEAPTRACE, "-q", "--", target("gocur-gcload.stripped"), "-rounds", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pipes = [os.fstat(f.fileno()).st_ino for f in (p.stdout, p.stderr)]
    assert p.wait(timeout=60) == 0
    assert [pipe_holders(i) for i in pipes] == [set(), set()], "a process still writes to heaptrace's output"
    p.stdout.close()
    p.stderr.close()
    assert_nothing_left()


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_attach_to_running_process(tc, tmp_path, expected_checksum):
    name = f"{tc}-gcload.stripped"
    # Paused rounds: the work spans several live-view ticks.
    t = spawn([target(name), "-wait", "-rounds", ROUNDS, "-pause", "100ms"])
    t.out.wait_for("ready")
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "-p", str(t.pid), "-i", "200ms", "--json", str(out)])
    h.out.wait_for("tracing pid")
    t.stdin.write("go\n")
    t.stdin.flush()
    assert finish(t) == 0
    assert finish(h) == 0, h.err.text()
    assert t.out.all[-1].strip() == expected_checksum(name, "-rounds", ROUNDS, "-pause", "100ms")
    r = read_json(out)
    assert r["target"]["pid"] == t.pid
    assert r["stop_reason"] == "the target exited"
    assert hits(r, "runtime.gcStart")["hits"] >= int(ROUNDS)
    assert "cycles (total" in h.out.text(), "the live view shows GC cycles"
    final = h.out.text().split("\nheaptrace: pid")[-1]
    assert "cycles" in final and "(total" not in final, "the final report gives whole-run figures once"
    assert_nothing_left()


MORESTACK_DEPTHS = "600"


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_morestack_passes_are_not_counted(tc, tmp_path):
    """A call whose stack check fails passes the probed branch twice: on its
    way to morestack, then again from the entry once the stack has grown.
    gcload -morestack calls debug.FreeOSMemory from goroutines at every stack
    depth up to 600 frames, so that some calls land right at the stack bound."""
    out = tmp_path / "r.json"
    p = subprocess.run([HEAPTRACE, "-q", "--json", str(out), "--", target(f"{tc}-gcload.stripped"),
                        "-rounds", "0", "-morestack", MORESTACK_DEPTHS],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    made = [l.split()[-1] for l in p.stdout.splitlines() if l.startswith("morestack calls ")]
    assert made == [MORESTACK_DEPTHS], p.stdout
    probe = hits(read_json(out), "runtime/debug.freeOSMemory")
    assert probe["hits"] == int(made[0]), f"every call counted once: {probe}"
    assert probe["exit_hits"] == int(made[0]), probe
    assert probe["morestack_passes"] > 0, f"no call went through morestack, the test proves nothing: {probe}"
    assert_nothing_left()


def long_target():
    t = spawn([target("gocur-gcload.stripped"), "-rounds", "100000", "-pause", "20ms"])
    return t


@pytest.mark.parametrize("sig,reason", [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")])
def test_signal_detaches_and_target_lives_on(sig, reason, tmp_path):
    t = long_target()
    out = tmp_path / "r.json"
    h = spawn([HEAPTRACE, "-q", "-p", str(t.pid), "--json", str(out)])
    h.out.wait_for("tracing pid")
    time.sleep(1)
    h.send_signal(sig)
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    assert r["stop_reason"] == reason
    assert hits(r, "runtime.gcStart")["hits"] > 0
    assert_nothing_left()
    time.sleep(0.5)
    assert t.poll() is None, "the target must survive heaptrace's exit"
    t.kill()
    t.wait()


def test_duration_ends_trace():
    t = long_target()
    start = time.monotonic()
    h = spawn([HEAPTRACE, "-q", "-p", str(t.pid), "-d", "1500ms"])
    assert finish(h) == 0, h.err.text()
    assert 1.4 < time.monotonic() - start < 10
    assert "duration reached" in h.out.text()
    assert t.poll() is None
    t.kill()
    t.wait()
    assert_nothing_left()


def test_sigkill_of_heaptrace_leaves_nothing():
    t = long_target()
    h = spawn([HEAPTRACE, "-q", "-p", str(t.pid)])
    h.out.wait_for("tracing pid")
    h.kill()
    h.wait()
    assert_nothing_left()
    time.sleep(0.5)
    assert t.poll() is None, "the target must survive a killed tracer"
    t.kill()
    t.wait()


def test_hugo_building_a_site(tmp_path):
    """Debian's hugo: a real, stripped, third-party Go program."""
    site, dest, out = tmp_path / "site", tmp_path / "public", tmp_path / "r.json"
    subprocess.run([os.path.join(os.path.dirname(HEAPTRACE), "tools", "make-hugo-site.sh"), str(site), "400"],
                   check=True)
    p = subprocess.run([HEAPTRACE, "-q", "--json", str(out), "--", "/usr/bin/hugo", "--source", str(site),
                        "--destination", str(dest), "--quiet"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    pages = sum(1 for d in (dest / "posts").glob("post-*/index.html"))
    assert pages == 400, "hugo built every page under heaptrace"
    r = read_json(out)
    assert r["target"]["stripped"] is True
    assert hits(r, "runtime.gcStart")["hits"] > 0
    assert hits(r, "runtime.hashGrow")["hits"] > 0
    assert_nothing_left()
