# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Hostile targets and local users (issue 21): heaptrace --all runs as root
beside every user's programs, and each attack here failed before the fix:

- a process that executes another program while heaptrace opens its
  executable (the open held back with strace) got that program's probe plan
  cached under the first program's name, and root's next run of the first
  program died of misplaced uprobes;
- thousands of distinct executables, and containers of one image (each on
  an overlay of its own), grew heaptrace's executable cache without bound;
- an executable truncated after its process ended made heaptrace die of
  SIGBUS when it named code addresses for the final report.
"""
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import HEAPTRACE, finish, read_json, spawn, target, wait_for
from test_host import docker_image, ensure_dockerd

NOBODY = pwd.getpwnam("nobody")


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)


@pytest.fixture
def shared_dir():
    """A directory nobody may write in (pytest's tmp_path is root's alone)."""
    made = []

    def make(name):
        d = tempfile.mkdtemp(prefix=f"ht-{name}-", dir="/tmp")
        os.chmod(d, 0o777)
        made.append(d)
        return pathlib.Path(d)
    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def start_host(json_out, exe_glob, *prefix):
    h = spawn([*prefix, HEAPTRACE, "--all", "-q", "--exe", exe_glob, "--json", str(json_out)])
    h.out.wait_for("following every Go process", timeout=60)
    return h


def stop_host(h):
    h.send_signal(signal.SIGINT)
    assert finish(h, timeout=120) == 0, h.err.text()


def blocked_in_open_of(pid, path):
    """Is a thread of pid stopped in openat(..., path, ...)? (strace holds it
    at the syscall's entry: /proc/TID/syscall shows the call)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                fields = f.read().split()
            if fields[0] != "257":  # openat
                continue
            with open(f"/proc/{pid}/mem", "rb") as mem:
                mem.seek(int(fields[2], 16))
                if mem.read(len(path) + 1) == path.encode() + b"\0":
                    return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def test_exec_swap_while_heaptrace_opens_cannot_misplace_probes(tmp_path, shared_dir, expected_checksum):
    d = shared_dir("swap")
    first, second = d / "htswap-first", d / "htswap-second"
    shutil.copy(target("gocur-gcload.stripped"), first)
    shutil.copy(target("go122-mapleak.stripped"), second)
    # nobody runs the first program, which executes the second on a line
    victim = spawn([str(first), "-wait", "-rounds", "0", "-exec", str(second)], preexec_fn=as_nobody)
    victim.out.wait_for("ready")
    exe_link = f"/proc/{victim.pid}/exe"
    out = tmp_path / "host.json"
    # heaptrace's open of that process's executable is held for 3 s
    strace = ["strace", "-f", "-qq", "-o", "/dev/null", "--seccomp-bpf", "-e", "trace=openat", "-P", exe_link,
              "-e", "inject=openat:delay_enter=3000000"]
    h = spawn([*strace, HEAPTRACE, "--all", "-q", "--exe", f"{d}/*", "--json", str(out)])
    ht_pid = lambda: int(subprocess.check_output(["pgrep", "-P", str(h.pid), "-x", "heaptrace"]).split()[0])
    wait_for(lambda: subprocess.run(["pgrep", "-P", str(h.pid), "-x", "heaptrace"],
                                    capture_output=True).returncode == 0, what="heaptrace under strace")
    pid = ht_pid()
    wait_for(lambda: blocked_in_open_of(pid, exe_link), timeout=60, what="heaptrace held in its open")
    victim.stdin.write("go\n")
    victim.stdin.flush()
    wait_for(lambda: os.readlink(exe_link) == str(second), what="the process now runs the second program")
    h.out.wait_for("following every Go process", timeout=60)
    # root runs the first program: it must not get the second's probes
    args = ("-rounds", "5", "-pause", "50ms")
    root_run = subprocess.run([str(first), *args], capture_output=True, text=True, timeout=60)
    assert root_run.returncode == 0, root_run.stderr
    assert root_run.stdout.strip().splitlines()[-1] == expected_checksum("gocur-gcload.stripped", *args)
    time.sleep(0.5)
    os.kill(pid, signal.SIGINT)
    assert finish(h, timeout=120) == 0, h.err.text()
    r = read_json(out)
    by_pid = {p["target"]["pid"]: p for p in r["processes"]}
    assert by_pid[victim.pid]["target"]["exe"] == str(second), "analysed as the program it runs"
    mine = by_pid.get(root_run_pid(r, first))
    assert mine is not None, "root's run of the first program was traced"
    assert mine["gc"]["cycles"] >= 5 and mine["target"]["go_version"].startswith("go1.26")
    assert r["discovery"]["executables_analyzed"] == 2


def root_run_pid(r, exe):
    pids = [p["target"]["pid"] for p in r["processes"] if p["target"]["exe"] == str(exe)]
    return pids[0] if pids else None


def test_thousands_of_distinct_executables_keep_heaptrace_small(tmp_path, shared_dir):
    d = shared_dir("many")
    sleep = shutil.which("sleep")
    out = tmp_path / "host.json"
    h = start_host(out, f"{d}/*")
    time.sleep(1)
    before = rss_kb(h.pid)
    # as nobody: 2,000 programs that are not Go, each a file of its own
    # (one byte more each), and 150 distinct Go programs
    go_src = target("gocur-gcload.stripped")
    script = f"""
set -e
cd {d}
for i in $(seq 2000); do cp {sleep} s$i; printf "$i" >> s$i; done
for i in $(seq 150); do cp {go_src} g$i; printf "$i" >> g$i; done
for b in $(seq 0 39); do
  for j in $(seq 1 50); do ./s$((b * 50 + j)) 0.3 & done
  wait
done
for b in $(seq 0 14); do
  for j in $(seq 1 10); do ./g$((b * 10 + j)) -rounds 1 >/dev/null & done
  wait
done
"""
    subprocess.run(["bash", "-c", script], check=True, timeout=600, preexec_fn=as_nobody)
    time.sleep(2)
    after = rss_kb(h.pid)
    stop_host(h)
    r = read_json(out)
    disc = r["discovery"]
    print(f"heaptrace RSS {before} -> {after} KiB; {disc}")
    assert disc["not_go"] >= 1500, "the programs were looked at"
    assert disc["executables_analyzed"] >= 1500
    assert after - before <= 32 * 1024, f"RSS grew by {after - before} KiB"


def test_containers_of_one_image_share_one_analysis(tmp_path):
    ensure_dockerd()
    image = docker_image(tmp_path, "gocur-gcload.stripped", "/htimage-prog")
    out = tmp_path / "host.json"
    h = start_host(out, "/htimage-prog")
    rss = []
    for i in range(30):
        subprocess.run(["docker", "run", "--rm", "--network", "none", image, "/htimage-prog", "-rounds", "2"],
                       check=True, capture_output=True, timeout=120)
        if i in (4, 29):
            rss.append(rss_kb(h.pid))
    stop_host(h)
    r = read_json(out)
    assert r["discovery"]["attached"] >= 25, r["discovery"]
    assert r["discovery"]["executables_analyzed"] == 1, "every container of one image: one analysis"
    assert rss[1] - rss[0] <= 10 * 1024, f"RSS {rss}"


def test_truncated_executable_does_not_crash_heaptrace(tmp_path, shared_dir):
    d = shared_dir("trunc")
    prog = d / "httrunc-prog"
    shutil.copy(target("gocur-mapleak"), prog)
    out = tmp_path / "host.json"
    h = start_host(out, f"{d}/*")
    # a map grown while traced: its growth stack is named in the report
    t = spawn([str(prog), "-n", "300000", "-wait", "2s", "-truth", str(tmp_path / "truth.json")])
    assert finish(t) == 0
    os.truncate(prog, 0)
    time.sleep(0.5)
    stop_host(h)
    r = read_json(out)
    mine = [p for p in r["processes"] if p["target"]["exe"] == str(prog)]
    assert mine and mine[0]["maps"], "the process and its maps are in the report"
