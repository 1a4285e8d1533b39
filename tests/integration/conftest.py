# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Shared fixtures for heaptrace's integration tests: they load BPF and
attach to real Go programs, so they need root, and never skip."""
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAPTRACE = os.path.join(ROOT, "heaptrace")
TARGETS = os.environ.get("HT_TARGETS", os.path.join(ROOT, "build", "targets"))


def _read_toolchains():
    """NAME -> (Go minor, runs the integration tests), from TARGETS/toolchains,
    which tools/build-targets.sh writes from tools/toolchains (the one list)."""
    path = os.path.join(TARGETS, "toolchains")
    try:
        with open(path) as f:
            rows = [l.split() for l in f if l.strip()]
    except OSError as e:
        raise pytest.UsageError(f"{path}: {e.strerror}: run make targets") from e
    return {name: (int(minor), integ) for name, minor, integ in rows}


_TOOLCHAINS = _read_toolchains()
# The toolchains whose (runnable, amd64) builds the integration tests run.
TOOLCHAINS = [name for name, (_, integ) in _TOOLCHAINS.items() if integ == "yes"]
# Builds with a GOEXPERIMENT (Go 1.27's split map groups, runtime.freegc):
# the tests of what they change (maps, the runtime's own state) run on them too.
EXPERIMENTS = [name for name, (_, integ) in _TOOLCHAINS.items() if integ == "experiment"]


def go_minor(tc):
    """The Go minor version toolchain tc builds with (the go command's own word)."""
    return _TOOLCHAINS[tc][0]


def map_impl(tc):
    return "swiss" if go_minor(tc) >= 24 else "buckets"


def pytest_sessionstart(session):
    # A skipped integration test hides a broken feature: refuse to run instead.
    if os.geteuid() != 0:
        raise pytest.UsageError("integration tests load BPF programs: run them as root")
    if not os.access(HEAPTRACE, os.X_OK):
        raise pytest.UsageError(f"{HEAPTRACE} is not built: run make")


# The three capabilities tracing needs (priv/caps.h), as bits of /proc/PID/status.
CAP_SYS_PTRACE, CAP_PERFMON, CAP_BPF = 19, 38, 39
TRACE_CAPS = (1 << CAP_SYS_PTRACE) | (1 << CAP_PERFMON) | (1 << CAP_BPF)


def as_nobody(*caps):
    """A command prefix that runs as uid/gid 65534 holding only `caps`
    (setpriv's names, e.g. "bpf"), ambient so that they survive the exec,
    with a bounding set of those alone."""
    spec = ",".join(["-all"] + [f"+{c}" for c in caps])
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", f"--inh-caps={spec}",
            f"--ambient-caps={spec}", f"--bounding-set={spec}"]


AS_TRACER = as_nobody("bpf", "perfmon", "sys_ptrace")


def proc_status(pid, task=None):
    """/proc/PID/status (of one thread with task) as {field: text}."""
    path = f"/proc/{pid}/task/{task}/status" if task else f"/proc/{pid}/status"
    with open(path) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def target(name):
    path = os.path.join(TARGETS, name)
    assert os.access(path, os.X_OK), f"{path} missing: run make targets"
    return path


class Lines:
    """Reads a pipe in a thread so that tests can wait for a line with a timeout."""

    def __init__(self, pipe):
        self.q = queue.Queue()
        self.all = []
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe):
        for line in pipe:
            self.all.append(line)
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout}s; got:\n{''.join(self.all)}")

    def text(self):
        return "".join(self.all)


_spawned = []


def spawn(args, **kw):
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, **kw)
    p.out = Lines(p.stdout)
    p.err = Lines(p.stderr)
    _spawned.append(p)
    return p


@pytest.fixture(autouse=True)
def no_process_outlives_its_test():
    """A failed assertion must not leave targets running: they would load
    the machine and skew every test and measurement after it."""
    yield
    while _spawned:
        p = _spawned.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


def finish(p, timeout=60):
    p.wait(timeout=timeout)
    time.sleep(0.05)  # let the reader threads drain
    return p.returncode


def heaptrace_bpf_objects():
    """heaptrace's programs and links still loaded in the kernel."""
    progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    mine = {p["id"] for p in progs if p.get("name") == "ht_point"}
    links = json.loads(subprocess.check_output(["bpftool", "-j", "link", "show"]))
    return sorted(mine), [l["id"] for l in links if l.get("prog_id") in mine]


def tracefs_probes():
    """uprobe/kprobe events in tracefs (libbpf's legacy attach mode would make
    some); heaptrace's perf-PMU and multi links should leave none."""
    found = []
    for f in ("/sys/kernel/tracing/uprobe_events", "/sys/kernel/tracing/kprobe_events"):
        if os.path.exists(f):
            with open(f) as fh:
                found += [l.strip() for l in fh if l.strip()]
    return found


def assert_nothing_left():
    # Links and programs are released when the last fd closes; give the
    # kernel's deferred freeing a moment.
    for _ in range(50):
        progs, links = heaptrace_bpf_objects()
        events = tracefs_probes()
        if not progs and not links and not events:
            return
        time.sleep(0.1)
    raise AssertionError(f"heaptrace left BPF programs {progs}, links {links}, tracefs events {events} behind")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def hits(report, symbol):
    for p in report["probes"]:
        if p["symbol"] == symbol:
            return p
    raise AssertionError(f"{symbol} not in the report's probes: {[p['symbol'] for p in report['probes']]}")


@pytest.fixture(scope="session")
def expected_checksum():
    """What each gcload build prints untraced (the workload is deterministic)."""
    cache = {}

    def get(name, *args):
        key = (name, args)
        if key not in cache:
            out = subprocess.run([target(name), *args], capture_output=True, text=True, check=True).stdout
            cache[key] = out.strip().splitlines()[-1]
        return cache[key]
    return get


def wait_for(cond, timeout=30, what="condition", interval=0.05):
    """cond()'s first true value, polled every interval seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s (last: {last})")


def wait_file(path, timeout=30):
    wait_for(lambda: os.path.exists(path), timeout, f"{path} appearing")
    return read_json(path)


def stop_server(p, timeout=20):
    """Stops a subprocess.Popen server (Prometheus): SIGTERM, then SIGKILL
    if it has not exited within timeout seconds."""
    p.terminate()
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def prometheus_query(web, q):
    """The result of PromQL q from the Prometheus serving on 127.0.0.1:web,
    None while it is not up."""
    url = f"http://127.0.0.1:{web}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            d = json.load(resp)
    except (urllib.error.URLError, ConnectionError):
        return None
    assert d["status"] == "success", d
    return d["data"]["result"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mapleak:
    """A running mapleak (tests/targets/mapleak) with its ground truth written."""

    def __init__(self, name, tmp_path, *args):
        self.truth_path = str(tmp_path / "truth.json")
        self.p = subprocess.Popen([target(name), "-truth", self.truth_path, "-wait", "120s", *args])
        self.truth = wait_file(self.truth_path)
        self.pid = self.p.pid

    def metrics_now(self):
        path = self.truth_path + ".metrics"
        if os.path.exists(path):
            os.unlink(path)
        os.kill(self.pid, signal.SIGUSR1)
        return wait_file(path)

    def close(self):
        self.p.kill()
        self.p.wait()


@pytest.fixture
def mapleak(tmp_path):
    started = []

    def start(name, *args):
        m = Mapleak(name, tmp_path, *args)
        started.append(m)
        return m
    yield start
    for m in started:
        m.close()
