#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""realsvc: real third-party Go servers on 127.0.0.1 under a bounded load, for `make bench`.

Trimmed from a colleague's measurement rig (its findings: design.md section 3, issues 11
and 12). Python 3 stdlib only; run as root.

Servers (SERVERS below):
  etcd-new   etcd server v3.6 built with the newest Go (go1.27.3) by
             tools/build-real-servers.sh into build/real/etcd (unstripped, Swiss maps)
  etcd-deb   Debian's etcd-server 3.4 (/usr/bin/etcd, Go 1.19, stripped, bucket maps)
Load: etcd's own `benchmark put` (build/real/benchmark; 8 clients on 2 connections, 8-byte
keys in a space of 100,000, 256-byte values), run continuously in the background. Requests
are counted by the server itself (etcd_mvcc_put_total on /metrics), so any window can be
measured without restarting the load and the load's own ramp-up is never in a window.

API:
  srv = start_server(name)   temp data dir in /dev/shm, free loopback ports, returns once
                             /health answers. srv.pid, srv.url, srv.metrics_url, srv.bin.
  load = Load(srv, rate=0); load.start(); ... load.stop()
                             the put load, as fast as it goes (rate=0) or at most rate
                             puts/s; restarted if it ever exits.
  s = sample(srv)            a point of the server's own view: time, server CPU seconds
                             (utime+stime of all its threads: the kernel's uprobe handling
                             is in there), puts, go_gc_duration_seconds_count and _sum.
  window(s0, s1)             requests, req/s, server CPU per request, GC deltas between two.
  stop(srv)                  SIGTERM (then SIGKILL) its process group, remove its temp dir.
  proc_cpu(pid), proc_rss_kb(pid, field)
  spawn(cmd, ...), kill(p)   children in their own sessions, all killed at exit.
Every process started here is killed at interpreter exit and on SIGTERM/SIGHUP (atexit);
temp dirs are removed. Traffic stays on 127.0.0.1.
"""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from procstat import proc_cpu  # noqa: F401 (rs.proc_cpu: one reader for the bench and the tests)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(ROOT, "build", "real")
BENCHMARK = os.path.join(REAL, "benchmark")
BUILD_SCRIPT = os.path.join(ROOT, "tools", "build-real-servers.sh")

SERVERS = {
    "etcd-new": {"bin": os.path.join(REAL, "etcd"), "desc": "etcd v3.6.16, go1.27.3 (module proxy)"},
    "etcd-deb": {"bin": "/usr/bin/etcd", "desc": "Debian etcd-server 3.4, Go 1.19"},
}
# The load: etcd's benchmark tool, `put`, sized never to end on its own (killed at stop).
LOAD_ARGS = ["--clients", "8", "--conns", "2", "put", "--key-size", "8", "--val-size", "256",
             "--key-space-size", "100000", "--total", "1000000000"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- process hygiene
_children = []
_tmpdirs = []


def spawn(cmd, **kw):
    """Popen in a new session (so kill() takes its whole process group), killed at exit."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    _children.append(p)
    return p


def kill(p, grace=5.0, sig=signal.SIGTERM):
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    if p in _children:
        _children.remove(p)


def forget(p):
    """For a child reaped elsewhere (os.wait4)."""
    if p in _children:
        _children.remove(p)


def _cleanup():
    for p in list(_children):
        try:
            kill(p, 3)
        except Exception:
            pass
    for d in list(_tmpdirs):
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)
for _s in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, lambda *a: sys.exit(1))


def mkdtemp(prefix):
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None   # no disk fsync noise
    d = tempfile.mkdtemp(prefix=prefix, dir=base)
    _tmpdirs.append(d)
    return d


def rmtemp(d):
    shutil.rmtree(d, ignore_errors=True)
    if d in _tmpdirs:
        _tmpdirs.remove(d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def proc_rss_kb(pid, field="VmRSS"):
    """A /proc/PID/status memory figure in kB: VmRSS now, VmHWM its peak (None if gone)."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def go_version(binary):
    try:
        out = subprocess.run(["/usr/local/go/bin/go", "version", binary], capture_output=True, text=True).stdout
        return out.split(": ", 1)[1].strip()
    except (OSError, IndexError):
        return "?"


# ---------------------------------------------------------------- servers
class Server:
    def __init__(self, name, proc, url, tmp, binary):
        self.name, self.proc, self.pid, self.url, self.tmp, self.bin = name, proc, proc.pid, url, tmp, binary
        self.metrics_url = url + "/metrics"   # etcd serves /metrics on its client URL

    def __repr__(self):
        return f"<Server {self.name} pid={self.pid} {self.url}>"


def ensure_built(names=("etcd-new", "etcd-deb")):
    """Build what the named servers need with tools/build-real-servers.sh (idempotent: quick
    when built) and have it install Debian's packages if they are missing."""
    subprocess.run([BUILD_SCRIPT, *(["etcd"] if "etcd-new" in names else []), "benchmark"], check=True)
    for path in [BENCHMARK] + [SERVERS[n]["bin"] for n in names]:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} missing after {BUILD_SCRIPT}")


def start_server(name, timeout=30):
    binary = SERVERS[name]["bin"]
    if not os.path.exists(binary):
        raise FileNotFoundError(f"{name}: {binary} missing (run tools/build-real-servers.sh)")
    tmp = mkdtemp(f"heaptrace-bench-{name}-")
    c, p = free_port(), free_port()
    url = f"http://127.0.0.1:{c}"
    cmd = [binary, "--name", "s1", "--data-dir", os.path.join(tmp, "data"),
           "--listen-client-urls", url, "--advertise-client-urls", url,
           "--listen-peer-urls", f"http://127.0.0.1:{p}",
           "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
           "--initial-cluster", f"s1=http://127.0.0.1:{p}",
           "--auto-compaction-mode", "revision", "--auto-compaction-retention", "20000",
           "--quota-backend-bytes", str(4 << 30)]
    logf = open(os.path.join(tmp, "server.log"), "wb")
    proc = spawn(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=tmp,
                 env=dict(os.environ, HOME=tmp))
    logf.close()
    srv = Server(name, proc, url, tmp, binary)
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            tail = open(os.path.join(tmp, "server.log"), "rb").read()[-2000:].decode(errors="replace")
            stop(srv)
            raise RuntimeError(f"{name} exited rc={proc.returncode}:\n{tail}")
        try:
            if http_get(url + "/health", 2)[0] == 200:
                break
        except Exception:
            pass
        if time.monotonic() - t0 > timeout:
            stop(srv)
            raise TimeoutError(f"{name} not ready after {timeout}s")
        time.sleep(0.2)
    return srv


def stop(srv):
    kill(srv.proc, 10)
    rmtemp(srv.tmp)


class Load:
    """etcd's benchmark `put`, continuously, against srv; restarted if it exits. rate: at
    most that many puts/s (0: no limit)."""

    def __init__(self, srv, rate=0):
        self.srv, self.p, self.restarts, self.rate = srv, None, 0, int(rate)
        self._stop = threading.Event()
        self._thread = None

    def _run(self):
        ep = self.srv.url.replace("http://", "")
        while not self._stop.is_set():
            self.p = spawn([BENCHMARK, "--endpoints", ep, *LOAD_ARGS, "--rate", str(self.rate)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while self.p.poll() is None and not self._stop.wait(0.5):
                pass
            if not self._stop.is_set():
                self.restarts += 1
                kill(self.p)
                time.sleep(0.5)

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self.p:
            kill(self.p)


def _metric(txt, name):
    m = re.search(r"^" + name + r"(?:\{[^}]*\})?\s+(\S+)", txt, re.M)
    return float(m.group(1)) if m else None


def sample(srv):
    """The server's own view now: time, CPU, puts, GC count and pause sum."""
    t, cpu = time.monotonic(), proc_cpu(srv.pid)
    _, body = http_get(srv.metrics_url)
    txt = body.decode(errors="replace")
    return {"t": t, "wall": time.time(), "cpu": cpu, "puts": _metric(txt, "etcd_mvcc_put_total"),
            "gc_count": _metric(txt, "go_gc_duration_seconds_count"),
            "gc_sum": _metric(txt, "go_gc_duration_seconds_sum")}


def window(s0, s1):
    secs = s1["t"] - s0["t"]
    reqs = s1["puts"] - s0["puts"]
    cpu = s1["cpu"] - s0["cpu"]
    return {"seconds": secs, "requests": reqs, "rps": reqs / secs if secs > 0 else 0.0,
            "server_cpu_s": cpu, "cpu_us_per_req": 1e6 * cpu / reqs if reqs else None,
            "gc_count": s1["gc_count"] - s0["gc_count"], "gc_sum_s": s1["gc_sum"] - s0["gc_sum"]}
