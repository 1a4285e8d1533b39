# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Bad input: each case gets one clear line and the documented exit status
(1 at run time, 2 for bad usage), and nothing is left attached."""
import os
import subprocess
import time

import pytest

from conftest import HEAPTRACE, as_nobody, assert_nothing_left, target


def run(*args, **kw):
    return subprocess.run([HEAPTRACE, *args], capture_output=True, text=True, timeout=60, **kw)


def free_pid():
    pid = 4_000_000
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


@pytest.mark.parametrize("args,message", [
    ([], "give one of -p PID, -- PROG ARGS..., or --all"),
    (["-p", "abc"], "invalid PID 'abc'"),
    (["-p", "0"], "invalid PID '0'"),
    (["-p", "1", "-d", "abc"], "invalid duration 'abc'"),
    (["-p", "1", "-d", "-5s"], "invalid duration '-5s'"),
    (["-p", "1", "-i", "0"], "invalid interval '0'"),
    (["-p", "1", "extra"], "unexpected argument 'extra'"),
    (["--list-probes"], "--list-probes takes one FILE or -p PID"),
    (["--no-such-option"], "unrecognized option"),
    (["-p", "1", "--"], "nothing to run after '--'"),
    (["-p", "1", "--max-overhead", "0"], "invalid --max-overhead '0'"),
    (["-p", "1", "--max-overhead", "150%"], "invalid --max-overhead '150%'"),
    (["-p", "1", "--max-overhead", "x"], "invalid --max-overhead 'x'"),
])
def test_bad_usage_exits_2(args, message):
    p = run(*args)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr


def test_missing_pid():
    pid = free_pid()
    p = run("-p", str(pid))
    assert p.returncode == 1
    assert p.stderr.strip() == f"heaptrace: no process with pid {pid}"


def test_non_go_process():
    s = subprocess.Popen(["sleep", "30"])
    try:
        p = run("-p", str(s.pid))
        assert p.returncode == 1
        assert f"pid {s.pid} (/usr/bin/sleep) is not a Go program (/usr/bin/sleep has no .gopclntab)" in p.stderr
    finally:
        s.kill()
        s.wait()
    assert_nothing_left()


def test_script_is_not_go(tmp_path):
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    p = run("--list-probes", str(script))
    assert p.returncode == 1
    assert "it is a script, not a compiled Go program" in p.stderr


def test_kernel_thread():
    p = run("-p", "2")  # kthreadd
    assert p.returncode == 1
    assert "pid 2 is a kernel thread" in p.stderr


def test_zombie():
    z = subprocess.Popen(["true"])
    time.sleep(0.3)  # exited, not reaped: a zombie
    p = run("-p", str(z.pid))
    z.wait()
    assert p.returncode == 1
    assert f"pid {z.pid} is a zombie" in p.stderr


def test_program_not_found():
    p = run("--", "/nonexistent/prog")
    assert p.returncode == 1
    assert "cannot run /nonexistent/prog: No such file or directory" in p.stderr


def test_launched_non_go_program_is_killed_not_run():
    p = run("--", "/usr/bin/touch", "/tmp/heaptrace-should-not-exist")
    assert p.returncode == 1
    assert "is not a Go program" in p.stderr
    assert not os.path.exists("/tmp/heaptrace-should-not-exist"), "the child never ran"


@pytest.mark.parametrize("caps,missing", [
    ((), ["CAP_BPF (to load the BPF programs and maps)", "CAP_PERFMON (to attach uprobes and tracepoints)",
          "CAP_SYS_PTRACE (to read other users' processes"]),
    (("bpf", "perfmon"), ["CAP_SYS_PTRACE"]),
    (("bpf", "sys_ptrace"), ["CAP_PERFMON"]),
])
def test_missing_capabilities_are_named(caps, missing):
    t = subprocess.Popen([target("gocur-gcload"), "-rounds", "1000", "-pause", "50ms"])
    try:
        p = subprocess.run([*as_nobody(*caps), HEAPTRACE, "-p", str(t.pid)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 1, p.stderr
        line = p.stderr.strip()
        assert line.startswith("heaptrace: missing ") and line.count("\n") == 0, line
        for m in missing:
            assert m in line
        for c in {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE"} - {m.split()[0] for m in missing}:
            assert f"{c} (to " not in line, f"{c} is held, not missing"
        assert "give it CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE" in line
    finally:
        t.kill()
        t.wait()
    assert_nothing_left()


def test_no_btf():
    # A kernel without BTF, as heaptrace sees it: an empty /sys/kernel/btf
    # in a mount namespace of its own.
    t = subprocess.Popen([target("gocur-gcload"), "-rounds", "1000", "-pause", "50ms"])
    try:
        p = subprocess.run(["unshare", "--mount", "sh", "-c",
                            f"mount -t tmpfs none /sys/kernel/btf && exec {HEAPTRACE} -p {t.pid}"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1, p.stderr
        assert "no kernel BTF at /sys/kernel/btf/vmlinux" in p.stderr
        assert t.poll() is None
    finally:
        t.kill()
        t.wait()
    assert_nothing_left()


def test_unwritable_json_path():
    p = run("-p", "1", "--json", "/nonexistent/dir/out.json")
    assert p.returncode == 1
    assert "cannot write the JSON report to /nonexistent/dir/out.json" in p.stderr


def test_json_never_follows_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    p = run("--list-probes", "--json", str(link), target("gocur-gcload"))
    assert p.returncode == 1
    assert victim.read_text() == "keep"


def test_other_architecture_can_be_planned_not_run():
    p = run("--list-probes", target("gocur-gcload-arm64.stripped"))
    assert p.returncode == 0, p.stderr
    assert "arm64" in p.stdout
    p = run("--", target("gocur-gcload-arm64"))
    assert p.returncode == 1
    assert "is a program for arm64, which this host cannot run" in p.stderr


def forge_go_version(src, dst, minor):
    """A copy of program src whose .go.buildinfo says Go 1.minor (the version
    string edited in place: Go 1.18+ keeps it, length-prefixed, right after
    the 32-byte header)."""
    data = bytearray(open(src, "rb").read())
    at = data.index(b"\xff Go buildinf:") + 32
    n = data[at]
    old = data[at + 1:at + 1 + n].decode()
    _, _, rest = old.partition(".")[2].partition(".")
    new = f"go1.{minor}.{rest}" if rest else f"go1.{minor}"
    assert len(new) == n, f"cannot forge {old} as {new}"
    data[at + 1:at + 1 + n] = new.encode()
    with open(dst, "wb") as f:
        f.write(data)
    os.chmod(dst, 0o755)
    return new


def test_newer_go_is_traced_without_the_layout(tmp_path):
    """A Go newer than the tables: the probes of the newest release, and a
    message naming the version and what needs the layout it lacks."""
    from conftest import TOOLCHAINS, go_minor
    newest = max(TOOLCHAINS, key=go_minor)
    prog, out = tmp_path / "newer", tmp_path / "r.json"
    version = forge_go_version(target(f"{newest}-gcload.stripped"), prog, go_minor(newest) + 1)
    p = run("-i", "10s", "--json", str(out), "--", str(prog), "-rounds", "5")
    assert p.returncode == 0, p.stderr
    minor = go_minor(newest) + 1
    want = (f"no runtime layout for go1.{minor} (heaptrace's layout table ends at Go 1.{minor - 1}), "
            "so the runtime's page accounting is not shown either")
    assert f"maps      no heap walk: {want}" in p.stdout + p.stderr, p.stdout + p.stderr
    with open(out) as f:
        import json
        r = json.load(f)
    assert r["target"]["go_version"] == version
    assert r["maps_summary"]["available"] is False and r["maps_summary"]["why_not"] == want
    assert r["gc"]["cycles"] >= 5
    assert next(x for x in r["probes"] if x["symbol"] == "runtime/debug.freeOSMemory")["hits"] == 1
    assert_nothing_left()


def test_older_go_is_refused_naming_it(tmp_path):
    from conftest import TOOLCHAINS, go_minor
    oldest = min(TOOLCHAINS, key=go_minor)
    prog = tmp_path / "older"
    version = forge_go_version(target(f"{oldest}-gcload.stripped"), prog, go_minor(oldest) - 1)
    p = run("--", str(prog))
    assert p.returncode == 1
    assert f"was built by {version}: heaptrace has no probe or layout table for Go before 1.{go_minor(oldest)}" \
        in p.stderr, p.stderr


def test_corrupted_pclntab(tmp_path):
    import shutil
    src = target("gocur-gcload")
    bad = tmp_path / "bad"
    shutil.copy(src, bad)
    out = subprocess.check_output(["readelf", "-SW", str(bad)], text=True)
    line = next(l for l in out.splitlines() if ".gopclntab" in l)
    off = int(line.split(".gopclntab")[1].split()[2], 16)
    with open(bad, "r+b") as f:
        f.seek(off + 8)
        f.write(b"\xff" * 8)  # nfunc
    p = run("--list-probes", str(bad))
    assert p.returncode == 1
    assert "pclntab function count" in p.stderr
