#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The host-mode section of `make bench` (issue 16), called by tools/bench.py;
also runs alone: `tools/bench_host.py` (as root, after `make` and `make targets`).

BENCH_HOST_IDLE (default 200) idle Go processes (gcload -wait: blocked on
stdin) and BENCH_HOST_BUSY (5) busy ones (gcload: a 20,000-entry map filled
and dropped, allocation, runtime.GC every round and FreeOSMemory every 8th,
BENCH_HOST_ROUNDS rounds, each timing its own work and printing the
runtime's NumGC) are copies of one binary named htbench-* (`--exe
'*htbench*'` keeps heaptrace to them on a shared machine): issue 23's
measure. Alternated BENCH_RUNS times:

  plain   the busy ones run beside the idle ones, no heaptrace;
  traced  `heaptrace --all --exe '*htbench*' --json F` follows the idle ones
          (already running) and the busy ones (started once it runs, so that
          attach latency after exec is measured), until they are done.

Figures: the busy processes' work time and CPU time traced / plain (each
traced run against the plain runs either side, median), heaptrace's CPU
over its whole life and while only the idle ones ran, once it had attached
to them (per cent of one CPU), the CPU time its start took (the attaches
to the idle ones, in its first BENCH_HOST_SETTLE_S), its peak RSS, the slowest attach after an exec
(discovery.attach_latency_max_ns), how many executables it analysed (one:
every copy is one binary, cached by file identity), lost records, and how
many busy copies' collection counts equal the runtime's NumGC.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realsvc as rs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HT = os.path.join(ROOT, "heaptrace")
TARGETS = os.environ.get("HT_TARGETS", os.path.join(ROOT, "build", "targets"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
IDLE = int(os.environ.get("BENCH_HOST_IDLE", "200"))
BUSY = int(os.environ.get("BENCH_HOST_BUSY", "5"))
ROUNDS = os.environ.get("BENCH_HOST_ROUNDS", "150")
# heaptrace's CPU beside the idle ones: after it has attached to them all
# (SETTLE_S, its start's cost: counted apart), over IDLE_S, one period of
# its full reads of processes that have not run (30 s).
SETTLE_S = float(os.environ.get("BENCH_HOST_SETTLE_S", "5"))
IDLE_S = float(os.environ.get("BENCH_HOST_IDLE_S", "30"))
log = rs.log


def peak_rss_mb(pid):
    return (rs.proc_rss_kb(pid, "VmHWM") or 0) / 1024


def start_busy(bin_):
    return [subprocess.Popen([bin_, "-rounds", ROUNDS, "-freeos-every", "8", "-timing"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(BUSY)]


def busy_work_s(procs):
    """Each busy process's own work time (its elapsed_ns line) and CPU time
    (user + system: where a uprobe hit's cost lands), medians. CPU is the
    steadier figure: 10 busy processes on 2 cores make wall time noisy."""
    times, cpus, numgc = [], [], {}
    for p in procs:
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError(f"a busy gcload failed ({p.returncode}): {err}")
        times += [int(l.split()[1]) / 1e9 for l in err.splitlines() if l.startswith("elapsed_ns ")]
        numgc[p.pid] = [int(l.split()[1]) for l in err.splitlines() if l.startswith("numgc ")][0]
        cpus.append(ru.ru_utime + ru.ru_stime)
    busy_work_s.numgc = numgc
    return statistics.median(times), statistics.median(cpus)


def plain_run(bin_):
    return busy_work_s(start_busy(bin_))


def traced_run(bin_, tmp):
    out = os.path.join(tmp, "host.json")
    # -q as the unit and the DaemonSet run it; stderr to a file: pipes that
    # nobody reads fill up (the live view's 64 KiB in about 30 s) and stop it
    errf = open(os.path.join(tmp, "host.err"), "w+")
    h = subprocess.Popen([HT, "--all", "-q", "--exe", "*htbench*", "--json", out], stdout=subprocess.PIPE,
                         stderr=errf, text=True)
    line = h.stdout.readline()
    if "following every Go process" not in line:
        h.kill()
        h.wait()
        errf.seek(0)
        raise RuntimeError(f"heaptrace --all did not start: {line}{errf.read()}")
    t0 = time.monotonic()
    time.sleep(SETTLE_S)
    c0, t1 = rs.proc_cpu(h.pid), time.monotonic()
    time.sleep(IDLE_S)
    idle_pct = 100 * (rs.proc_cpu(h.pid) - c0) / (time.monotonic() - t1)
    work, cpu = busy_work_s(start_busy(bin_))
    time.sleep(0.5)
    total_cpu, life = rs.proc_cpu(h.pid), time.monotonic() - t0
    rss = peak_rss_mb(h.pid)
    h.send_signal(2)
    h.communicate(timeout=120)
    errf.seek(0)
    err = errf.read()
    errf.close()
    if h.returncode != 0:
        raise RuntimeError(f"heaptrace --all exited {h.returncode}: {err}")
    with open(out) as f:
        r = json.load(f)
    d = r["discovery"]
    # each busy copy's collections as heaptrace counts them (since the
    # process started, where the runtime's own count is read) against NumGC
    cycles = {p["target"]["pid"]: p["gc"].get("since_start", {}).get("cycles") or p["gc"]["cycles"]
              for p in r["processes"]}
    equal = sum(cycles.get(pid) == n for pid, n in busy_work_s.numgc.items())
    return (work, cpu), {"idle_cpu_pct": idle_pct, "start_cpu_s": c0, "cpu_pct": 100 * total_cpu / life, "peak_rss_mb": rss,
                         "numgc_equal": equal,
                  "attach_latency_max_ms": d["attach_latency_max_ns"] / 1e6, "attached": d["attached"],
                  "executables_analyzed": d["executables_analyzed"],
                  "lost": sum(p.get("lost_events", 0) for p in r["processes"])}


def run():
    src = os.path.join(TARGETS, "gocur-gcload.stripped")
    if not os.access(src, os.X_OK):
        raise RuntimeError(f"{src} missing: run make targets")
    with tempfile.TemporaryDirectory(prefix="htbench-") as tmp:
        bin_ = os.path.join(tmp, "htbench-gcload")
        shutil.copy(src, bin_)
        idle = [subprocess.Popen([bin_, "-wait"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                for _ in range(IDLE)]
        try:
            log(f"host mode: {IDLE} idle and {BUSY} busy Go processes, plain vs heaptrace --all, {RUNS} runs:")
            plains, traced, figs = [plain_run(bin_)], [], []
            for i in range(RUNS):
                w, f = traced_run(bin_, tmp)
                traced.append(w)
                figs.append(f)
                plains.append(plain_run(bin_))
                log(f"  run {i + 1}: busy work {w[0]:.3f}s, CPU {w[1]:.3f}s traced; {plains[-2][0]:.3f}s/"
                    f"{plains[-1][0]:.3f}s, CPU {plains[-2][1]:.3f}s/{plains[-1][1]:.3f}s plain; "
                    f"heaptrace {f['cpu_pct']:.1f}% CPU ({f['idle_cpu_pct']:.2f}% idle, {f['start_cpu_s']:.2f} s to start), {f['peak_rss_mb']:.0f} MB, "
                    f"{f['attached']} attached, attach after exec <= {f['attach_latency_max_ms']:.0f} ms, "
                    f"{f['executables_analyzed']} executable(s) analysed, {f['lost']} lost, "
                    f"GC cycles equal NumGC in {f['numgc_equal']} of {BUSY}")
        finally:
            for p in idle:
                p.kill()
                p.wait()
    # each traced run against the mean of the plain runs either side of it
    def ratios(k):
        return [t[k] / ((plains[i][k] + plains[i + 1][k]) / 2) for i, t in enumerate(traced)]

    def med(k):
        return statistics.median(f[k] for f in figs)
    summary = {"host_busy_ratio": f"{statistics.median(ratios(0)):.3f}",
               "host_busy_cpu_ratio": f"{statistics.median(ratios(1)):.3f}",
               "host_ht_cpu_pct": f"{med('cpu_pct'):.2f}", "host_ht_idle_cpu_pct": f"{med('idle_cpu_pct'):.2f}",
               "host_ht_start_cpu_s": f"{med('start_cpu_s'):.2f}",
               "host_ht_rss_mb": f"{max(f['peak_rss_mb'] for f in figs):.0f}",
               "host_attach_ms_max": f"{max(f['attach_latency_max_ms'] for f in figs):.0f}",
               "host_executables": str(max(f["executables_analyzed"] for f in figs)),
               "host_numgc_equal": f"{sum(f['numgc_equal'] for f in figs)}/{BUSY * len(figs)}",
               "host_lost": str(sum(f["lost"] for f in figs))}
    log("  " + " ".join(f"{k}={v}" for k, v in summary.items()))
    return summary


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench_host: run as root (it loads BPF)")
    print("bench: " + " ".join(f"{k}={v}" for k, v in run().items()))
