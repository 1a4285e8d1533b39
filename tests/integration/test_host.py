# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Host mode (--all): every Go process of the host, those running before it
starts and those started after, one of them in a Docker container; exits,
PID reuse, an exec of a Go program by a non-Go one, another PID namespace,
--max-procs. Every fixture is a copy named htfixture-* so that --exe keeps
heaptrace to them on a shared machine."""
import http.client
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time

from conftest import HEAPTRACE, assert_nothing_left, finish, free_port, read_json, spawn, target, wait_for

DOCKER = "/usr/bin/docker"
FILTER = "*htfixture*"


def scrape(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def series(body, name):
    """{labels dict as a frozenset: value} of one metric."""
    out = {}
    for line in body.splitlines():
        m = re.match(name + r"\{(.*)\} (\S+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
            out[frozenset(labels.items())] = float(m.group(2))
    return out


def pids_with(body, name="heaptrace_target_info"):
    return {dict(k)["pid"] for k in series(body, name)}


def wait_until(cond, timeout, what):
    # every 0.2 s: most conditions here scrape heaptrace's /metrics
    return wait_for(cond, timeout, what, interval=0.2)


def fixture_copy(tmp_path, name, as_name):
    dst = tmp_path / f"htfixture-{as_name}"
    shutil.copy(target(name), dst)
    return str(dst)


def ensure_dockerd():
    if subprocess.run([DOCKER, "info"], capture_output=True).returncode == 0:
        return
    log = open("/tmp/heaptrace-test-dockerd.log", "w")
    subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    wait_until(lambda: subprocess.run([DOCKER, "info"], capture_output=True).returncode == 0, 60, "dockerd up")


def docker_image(tmp_path, name, inside):
    """An image holding one static Go binary at /inside, made without a registry."""
    tar = tmp_path / "img.tar"
    with tarfile.open(tar, "w") as t:
        t.add(target(name), arcname=inside)
    tag = f"heaptrace-test/{inside.strip('/')}:1"
    subprocess.run([DOCKER, "import", str(tar), tag], check=True, capture_output=True)
    return tag


def start_host(tmp_path, *extra):
    port, out = free_port(), tmp_path / "host.json"
    h = spawn([HEAPTRACE, "--all", "--exe", FILTER, "-q", "-i", "1s", "--listen", f"127.0.0.1:{port}",
               "--json", str(out), *extra])
    h.out.wait_for("following every Go process", timeout=60)
    return h, port, out


def test_host_mode_follows_every_go_process(tmp_path):
    ensure_dockerd()
    before = [spawn([fixture_copy(tmp_path, f"{tc}-mapleak.stripped", f"{tc}-mapleak"), "-n", "200000", "-keep",
                     "10", "-truth", str(tmp_path / f"{tc}.truth")]) for tc in ("go119", "go122", "gocur")]
    image = docker_image(tmp_path, "gocur-mapleak", "/htfixture-in-docker")
    cid = subprocess.run([DOCKER, "run", "-d", "--rm", "--network", "none", image, "/htfixture-in-docker", "-n",
                          "200000", "-keep", "10"], check=True, capture_output=True, text=True).stdout.strip()
    notgo = spawn([shutil.copy("/bin/sleep", tmp_path / "htfixture-sleep"), "60"])
    try:
        for tc in ("go119", "go122", "gocur"):
            wait_until(lambda: os.path.exists(tmp_path / f"{tc}.truth"), 60, f"{tc} mapleak ready")
        docker_pid = wait_until(lambda: subprocess.run(
            [DOCKER, "inspect", "-f", "{{.State.Pid}}", cid], capture_output=True, text=True).stdout.strip(), 30,
            "the container's pid")
        time.sleep(1)  # the container's program has built its map
        h, port, out = start_host(tmp_path)
        running = {str(p.pid) for p in before} | {docker_pid}
        wait_until(lambda: running <= pids_with(scrape(port)[1]), 15, "every running Go process has series")

        # two more, started after heaptrace: attached within a few seconds of their exec
        late = [spawn([fixture_copy(tmp_path, f"{tc}-gcload.stripped", f"{tc}-gcload"), "-rounds", "1000",
                       "-pause", "50ms"]) for tc in ("go119", "gocur")]
        wait_until(lambda: {str(p.pid) for p in late} <= pids_with(scrape(port)[1]), 5,
                   "the late processes have series")

        # two killed: their series go
        for p in before[:2]:
            p.kill()
            p.wait()
        gone = {str(p.pid) for p in before[:2]}
        wait_until(lambda: not (gone & pids_with(scrape(port)[1])), 10, "the killed processes' series gone")

        body = scrape(port)[1]
        assert str(notgo.pid) not in pids_with(body), "a non-Go process has no series"
        info = series(body, "heaptrace_target_info")
        docker_labels = [dict(k) for k in info if dict(k)["pid"] == docker_pid][0]
        assert docker_labels["container_id"] == cid, docker_labels
        for k in info:
            assert set(dict(k)) >= {"pid", "exe", "comm", "go_version"}
        # each mapleak's leaky map (200,000 entries deleted to 10) is retained, once its heap is walked
        def retained_by(pid):
            r = series(scrape(port)[1], "heaptrace_map_retained_bytes")
            return max((v for k, v in r.items() if dict(k)["pid"] == pid), default=0) > 1 << 20
        for pid in (str(before[2].pid), docker_pid):
            wait_until(lambda: retained_by(pid), 15, f"the leaky map of pid {pid}")

        h.send_signal(signal.SIGTERM)
        assert finish(h, timeout=60) == 0, h.err.text()
        r = read_json(out)
        by_pid = {str(p["labels"]["pid"]): p for p in r["processes"]}
        for p in before[2:] + late:
            assert by_pid[str(p.pid)]["running"] is True
            assert p.poll() is None, "every target still runs"
        for pid in gone:
            assert by_pid[pid]["running"] is False
            assert by_pid[pid]["stop_reason"] == "the target exited"
        assert by_pid[docker_pid]["labels"]["container_id"] == cid
        assert r["discovery"]["not_go"] + r["discovery"]["filtered"] > 0
        assert r["discovery"]["execs_seen"] >= 2
        assert_nothing_left()
    finally:
        subprocess.run([DOCKER, "rm", "-f", cid], capture_output=True)


def test_pid_reuse_exec_and_pid_namespace(tmp_path):
    gcload = fixture_copy(tmp_path, "gocur-gcload.stripped", "gcload")
    h, port, out = start_host(tmp_path)
    # a non-Go program that executes a Go one: traced from its exec
    sh = shutil.copy("/bin/sh", tmp_path / "htfixture-sh")
    ex = spawn([sh, "-c", f"sleep 0.5; exec {gcload} -rounds 1000 -pause 50ms"])
    wait_until(lambda: str(ex.pid) in pids_with(scrape(port)[1]), 10, "the exec'd Go program traced")
    # a process in another PID namespace, seen by its host pid
    ns = spawn(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", gcload, "-rounds", "1000", "-pause", "50ms"])
    wait_until(lambda: subprocess.run(["pgrep", "-P", str(ns.pid)], capture_output=True).stdout.strip(), 10,
               "the namespaced child")
    child = subprocess.run(["pgrep", "-P", str(ns.pid)], capture_output=True, text=True).stdout.split()[0]
    wait_until(lambda: child in pids_with(scrape(port)[1]), 10, "the process in another PID namespace traced")
    # PID reuse: the same pid for another process is a new trace
    first = spawn([gcload, "-rounds", "1000", "-pause", "50ms"])
    pid = first.pid
    wait_until(lambda: str(pid) in pids_with(scrape(port)[1]), 10, "the first process traced")
    first.kill()
    first.wait()
    second = None
    for _ in range(20):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = spawn([gcload, "-rounds", "1000", "-pause", "50ms"])
        if p.pid == pid:
            second = p
            break
        p.kill()
        p.wait()
    assert second, "could not get the pid again"
    time.sleep(3)
    h.send_signal(signal.SIGINT)
    assert finish(h, timeout=60) == 0, h.err.text()
    r = read_json(out)
    # one analysis per executable, however many processes run it
    gcloads = [p for p in r["processes"] if p["labels"]["exe"] == gcload]
    assert len(gcloads) >= 4
    assert r["discovery"]["executables_analyzed"] <= 3, r["discovery"]  # gcload, and the sh and unshare around it
    same = [p for p in r["processes"] if p["labels"]["pid"] == pid]
    assert len(same) == 2, [(p["labels"]["pid"], p["running"]) for p in r["processes"]]
    assert sorted(p["running"] for p in same) == [False, True]
    assert second.poll() is None
    assert_nothing_left()


def test_max_procs_is_a_counted_refusal(tmp_path):
    a = spawn([fixture_copy(tmp_path, "gocur-gcload.stripped", "a"), "-rounds", "1000", "-pause", "50ms"])
    b = spawn([fixture_copy(tmp_path, "go119-gcload.stripped", "b"), "-rounds", "1000", "-pause", "50ms"])
    time.sleep(0.5)
    h, port, out = start_host(tmp_path, "--max-procs", "1")
    time.sleep(2)
    traced = pids_with(scrape(port)[1]) & {str(a.pid), str(b.pid)}
    assert len(traced) == 1, traced
    h.send_signal(signal.SIGTERM)
    assert finish(h, timeout=60) == 0
    assert "more Go processes than --max-procs 1" in h.err.text()
    r = read_json(out)
    assert r["discovery"]["refused_max_procs"] >= 1
    assert len([p for p in r["processes"] if p["running"]]) == 1
    assert a.poll() is None and b.poll() is None
    assert_nothing_left()
