#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The real-service section of `make bench` (issues 11 and 12), called by tools/bench.py;
also runs alone: `tools/bench_real.py` (as root, after `make`).

On each server of BENCH_REAL_SERVERS (default "etcd-new etcd-deb": etcd v3.6 built with the
newest Go, and Debian's etcd 3.4 built with Go 1.19; see tools/realsvc.py), under a
continuous put load, with windows alternated on one server process:

  default   P T P T ... T P: BENCH_REAL_WINDOWS (default 9) traced windows of BENCH_REAL_WINDOW_S
            (default 10) with `heaptrace -q -p PID -d Ns --json F`, and one more plain ones: on this
            VM one plain window against its neighbours swings 0.86-1.16, so many short pairs
            rather than a few long ones (their median is what counts). Each traced
            window is compared with the mean of the plain windows either side of it (which
            cancels a linear drift of the server, e.g. its growing index): throughput ratio
            and server CPU per request ratio (the steadier figure on this noisy VM), medians.
  long      one default trace of BENCH_REAL_LONG_S (60): heaptrace's CPU (in the window and
            over its whole life) and peak RSS, its RSS sampled every 2 s (it must stay flat);
            and the default probes' estimate beside the trap CPU perf sampled in the server.
  hot       P H P H ... H P with `--hot`, BENCH_REAL_WINDOWS pairs of BENCH_REAL_HOT_S (15) each,
            under a put load held
            at BENCH_REAL_HOT_RATE (default 0.5) x the plain throughput measured above, so that
            the server keeps up traced or not and its CPU per request does not move with its
            throughput (etcd batches: fewer requests a second cost more CPU each):
            heaptrace's estimate (overhead.est_target_ns) against the measured extra server
            CPU, (CPU per request traced - plain) x requests; it must be within +-30%.
            est_vs_measured is the ratio of the medians over the windows (one disturbed window
            does not decide it), est_vs_measured_sum that of the totals. That measured side
            is noisier than the effect; so perf also samples the server in every hot window,
            plain ones too (BENCH_TRAP=0: not): est_vs_trap is the estimate over the CPU time
            the server spent in the uprobe trap path (tools/trap_cpu.py), median of the windows.
  gc        every default trace: heaptrace's gc.cycles and gc.stw.sum_ns against the delta of
            the server's own go_gc_duration_seconds_count/_sum, scraped right before heaptrace
            starts, right after it attached (its "tracing pid" line), 0.1 s before its
            deadline and right after it exits. "inner" is attached -> exited, the closest to
            the trace; "outer" is before start -> exited. Cycles: heaptrace's count must lie
            between the runtime's count in attached -> before deadline (all inside the trace)
            and in outer (all around it). The runtime adds a cycle's two pauses at its end,
            heaptrace each pause when it ends: pauses - 2 x cycles tells the edge pauses.
  dd        with the load stopped: `dd if=/dev/zero of=/dev/null bs=1 count=2000000` (4 M
            syscalls), 2 x BENCH_RUNS runs while heaptrace is attached to the idle server,
            each between two runs alone (each 1 s after the attach or its absence, so that
            heaptrace's start-up work is not beside dd): CPU time and wall, medians of each
            traced run against its neighbours, and plain against plain for the noise.
And once, with no server: launch overhead, `heaptrace -q -- PROG` of a Go program that does
nothing against the program alone (median of 11 runs each, wall ms).

The traced window for throughput and CPU runs from heaptrace's "tracing pid" line (its probes
are live; its -d deadline starts there) to 0.1 s before the deadline. Every figure goes to
BENCH_REAL_JSON (default build/bench-real.json); a summary dict goes back to bench.py.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realsvc as rs  # noqa: E402
import trap_cpu  # noqa: E402

ROOT = rs.ROOT
HT = os.path.join(ROOT, "heaptrace")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
WINDOWS = int(os.environ.get("BENCH_REAL_WINDOWS", "9"))
WINDOW_S = int(os.environ.get("BENCH_REAL_WINDOW_S", "10"))
LONG_S = int(os.environ.get("BENCH_REAL_LONG_S", "60"))
HOT_S = int(os.environ.get("BENCH_REAL_HOT_S", "15"))
HOT_RATE = float(os.environ.get("BENCH_REAL_HOT_RATE", "0.5"))
WARMUP_S = int(os.environ.get("BENCH_REAL_WARMUP_S", "10"))
LAUNCH_RUNS = int(os.environ.get("BENCH_LAUNCH_RUNS", "11"))
TRAPS = os.environ.get("BENCH_TRAP", "1") != "0" and trap_cpu.available()
SERVERS = os.environ.get("BENCH_REAL_SERVERS", "etcd-new etcd-deb").split()
OUT_JSON = os.environ.get("BENCH_REAL_JSON", os.path.join(ROOT, "build", "bench-real.json"))
DD = ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=2000000"]
END_MARGIN_S = 0.1   # the window closes this long before heaptrace's deadline

log = rs.log


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec=".3f"):
    return "n/a" if x is None else format(x, spec)


# ---------------------------------------------------------------- heaptrace
class Trace:
    """heaptrace attached to srv for duration_s (or until stop())."""

    def __init__(self, srv, duration_s, extra=(), tmp="/tmp"):
        self.json = os.path.join(tmp, "ht.json")
        if os.path.exists(self.json):
            os.unlink(self.json)
        self.cmd = [HT, "-q", "-p", str(srv.pid), "-d", f"{duration_s}s", "--json", self.json, *extra]
        self.duration_s = duration_s
        self.errf = open(os.path.join(tmp, "ht.err"), "w+")
        self.lines, self.attached, self.t_line = [], threading.Event(), None
        self.p = rs.spawn(self.cmd, stdout=subprocess.PIPE, stderr=self.errf, text=True)
        self.t_spawn = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)
            if "tracing pid" in line and not self.attached.is_set():
                self.t_line = time.monotonic()
                self.attached.set()
        self.attached.set()

    def wait_attached(self, timeout=60):
        if not self.attached.wait(timeout) or self.t_line is None:
            self.kill()
            raise RuntimeError(f"heaptrace did not attach: {self.output()}")
        return self.t_line - self.t_spawn

    def output(self):
        self.errf.seek(0)
        return "".join(self.lines)[-1500:] + self.errf.read()[-1500:]

    def finish(self, sigint=False, timeout=60):
        """Wait for heaptrace (SIGINT first if asked); returns (exit code, rusage, report)."""
        if sigint and self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        ru, status = None, None
        while time.monotonic() < deadline:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        else:
            self.kill()
            raise RuntimeError(f"heaptrace did not end: {self.output()}")
        self.p.returncode = os.waitstatus_to_exitcode(status)
        rs.forget(self.p)
        rep = None
        if os.path.exists(self.json):
            with open(self.json) as f:
                rep = json.load(f)
        if self.p.returncode != 0 or rep is None:
            raise RuntimeError(f"heaptrace rc={self.p.returncode}: {self.output()}")
        return self.p.returncode, ru, rep

    def kill(self):
        rs.kill(self.p, 3, signal.SIGINT)


def sample_traps(win, sampler):
    """The window's trap samples (trap_cpu.py) and the server CPU time they stand for."""
    trap, total = sampler.finish()
    win["trap_samples"], win["samples"] = trap, total
    win["trap_cpu_s"] = win["server_cpu_s"] * trap / total if total else None


def plain_window(srv, secs, tmp=None, traps=False):
    s0 = rs.sample(srv)
    sampler = trap_cpu.Sampler(srv.pid, secs, os.path.join(tmp, "perf.data")) if traps else None
    time.sleep(max(0.0, secs - (time.monotonic() - s0["t"])))
    win = rs.window(s0, rs.sample(srv))
    if sampler:
        sample_traps(win, sampler)
    return {"kind": "plain", "win": win}


def traced_window(srv, secs, extra, tmp, rss_every=None, traps=False):
    s0 = rs.sample(srv)                       # right before attach
    tr = Trace(srv, secs, extra, tmp)
    attach_s = tr.wait_attached()
    s1, c1 = rs.sample(srv), rs.proc_cpu(tr.p.pid)
    end = tr.t_line + secs - END_MARGIN_S
    sampler = trap_cpu.Sampler(srv.pid, end - time.monotonic(), os.path.join(tmp, "perf.data")) if traps else None
    rss = []
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(left, rss_every or left))
        if rss_every:
            rss.append((round(time.monotonic() - tr.t_line, 1), rs.proc_rss_kb(tr.p.pid)))
    se, ce = rs.sample(srv), rs.proc_cpu(tr.p.pid)
    win = rs.window(s1, se)
    if sampler:
        sample_traps(win, sampler)
    _, ru, rep = tr.finish(timeout=secs + 60)
    s2 = rs.sample(srv)                       # right after heaptrace exits
    ov = rep.get("overhead") or {}
    gc = rep.get("gc") or {}
    return {"kind": "traced", "args": extra, "attach_s": attach_s,
            "win": win, "outer": rs.window(s0, s2), "inner": rs.window(s1, s2),
            "ht_cpu_window_s": (ce - c1) if ce is not None and c1 is not None else None,
            "ht_cpu_life_s": ru.ru_utime + ru.ru_stime, "ht_maxrss_kb": ru.ru_maxrss, "ht_rss_kb": rss,
            "duration_ns": rep["duration_ns"], "lost": rep["lost_events"],
            "events": rep.get("events_consumed"), "attach_method": rep.get("attach_method"),
            "madvise_probe": rep.get("madvise_probe"),
            "est_target_ns": ov.get("est_target_ns"), "est_cpu_percent": ov.get("est_cpu_percent"),
            "detached_tiers": ov.get("detached_tiers"), "hit_ns": ov.get("hit_ns"),
            "gc_cycles": gc.get("cycles"),
            "stw": {k: (gc.get("stw") or {}).get(k) for k in ("count", "sum_ns", "max_ns", "reasons", "hist_log2_ns")},
            "other_stw": {k: (gc.get("other_stw") or {}).get(k) for k in ("count", "sum_ns")},
            "probes": {p["symbol"]: p["hits"] for p in rep.get("probes", [])}}


def trap_pct(w):
    return f", traps {100 * w['trap_cpu_s'] / w['seconds']:.2f}% of a CPU" if w.get("trap_cpu_s") is not None else ""


def alternate(srv, secs, extra, tmp, label, traps=False):
    """P T P T ... T P: WINDOWS traced windows, each between two plain ones; with traps, perf
    samples every window, plain ones too (its own cost then falls on both sides)."""
    plains, traced = [plain_window(srv, secs, tmp, traps)], []
    for i in range(WINDOWS):
        traced.append(traced_window(srv, secs, extra, tmp, traps=traps))
        plains.append(plain_window(srv, secs, tmp, traps))
        t, p = traced[-1], plains[-1]
        log(f"    {label} {i + 1}/{WINDOWS}: plain {plains[-2]['win']['rps']:.0f}/s "
            f"{fmt(plains[-2]['win']['cpu_us_per_req'], '.1f')} us/req | traced {t['win']['rps']:.0f}/s "
            f"{fmt(t['win']['cpu_us_per_req'], '.1f')} us/req, lost {t['lost']}, est {fmt(t['est_cpu_percent'], '.2f')}%"
            f"{trap_pct(t['win'])} | plain {p['win']['rps']:.0f}/s {fmt(p['win']['cpu_us_per_req'], '.1f')} us/req"
            f"{trap_pct(p['win'])}")
    return plains, traced


def compare(plains, traced):
    """Each traced window against the mean of its neighbours; the estimate against the
    measured extra server CPU."""
    rows = []
    for i, t in enumerate(traced):
        a, b = plains[i]["win"], plains[i + 1]["win"]
        rps_ref = (a["rps"] + b["rps"]) / 2
        cpr_ref = (a["cpu_us_per_req"] + b["cpu_us_per_req"]) / 2
        w = t["win"]
        extra_s = (w["cpu_us_per_req"] - cpr_ref) * 1e-6 * w["requests"]
        est_s = (t["est_target_ns"] or 0) / 1e9 * w["seconds"] / (t["duration_ns"] / 1e9)
        rows.append({"rps_ratio": w["rps"] / rps_ref, "cpr_ratio": w["cpu_us_per_req"] / cpr_ref,
                     "extra_cpu_s": extra_s, "est_cpu_s": est_s, "seconds": w["seconds"],
                     "trap_cpu_s": w.get("trap_cpu_s")})
    plain_cpr = [p["win"]["cpu_us_per_req"] for p in plains]
    # Plain against plain (each inner plain window against its neighbours): the noise band.
    noise = [plain_cpr[i] / ((plain_cpr[i - 1] + plain_cpr[i + 1]) / 2) for i in range(1, len(plain_cpr) - 1)]
    extra = sum(r["extra_cpu_s"] for r in rows)
    est = sum(r["est_cpu_s"] for r in rows)
    secs = sum(r["seconds"] for r in rows)
    # Robust to one disturbed window (the VM is shared): the median rates, estimated and measured.
    est_rate = median([r["est_cpu_s"] / r["seconds"] for r in rows])
    extra_rate = median([r["extra_cpu_s"] / r["seconds"] for r in rows])
    return {"rows": rows,
            "throughput_ratio": median([r["rps_ratio"] for r in rows]),
            "cpu_per_req_ratio": median([r["cpr_ratio"] for r in rows]),
            "plain_rps": median([p["win"]["rps"] for p in plains]),
            "traced_rps": median([t["win"]["rps"] for t in traced]),
            "plain_cpu_us_per_req": median(plain_cpr),
            "traced_cpu_us_per_req": median([t["win"]["cpu_us_per_req"] for t in traced]),
            "plain_noise_cpr": [round(x, 3) for x in noise],
            "measured_extra_cpu_pct": 100 * extra / secs if secs else None,
            "est_cpu_pct": 100 * est / secs if secs else None,
            "est_vs_measured_sum": est / extra if extra > 0 else None,
            "est_vs_measured": est_rate / extra_rate if extra_rate and extra_rate > 0 else None,
            "measured_extra_cpu_pct_median": 100 * extra_rate, "est_cpu_pct_median": 100 * est_rate,
            "lost": [t["lost"] for t in traced], **compare_traps(rows, plains)}


def compare_traps(rows, plains):
    """The estimate against the trap CPU perf sampled in the same windows (trap_cpu.py): per
    window, its median, and that of the totals; the plain windows' share is the control."""
    rows = [r for r in rows if r["trap_cpu_s"]]
    if not rows:
        return {}
    ratios = [r["est_cpu_s"] / r["trap_cpu_s"] for r in rows]
    secs = sum(r["seconds"] for r in rows)
    plain = [p["win"]["trap_cpu_s"] / p["win"]["seconds"] for p in plains if p["win"].get("trap_cpu_s") is not None]
    return {"trap_cpu_pct": 100 * sum(r["trap_cpu_s"] for r in rows) / secs,
            "est_vs_trap": median(ratios), "est_vs_trap_range": [min(ratios), max(ratios)],
            "est_vs_trap_sum": sum(r["est_cpu_s"] for r in rows) / sum(r["trap_cpu_s"] for r in rows),
            "plain_trap_cpu_pct_max": 100 * max(plain) if plain else None}


def gc_check(traced):
    """heaptrace's GC figures against the server's own, per default trace."""
    rows = []
    for t in traced:
        o, i, w = t["outer"], t["inner"], t["win"]
        c = t["gc_cycles"]
        verdict = "equal" if c == i["gc_count"] else ("edge" if w["gc_count"] <= c <= o["gc_count"] else "WRONG")
        rows.append({"ht_cycles": c, "rt_cycles_outer": o["gc_count"], "rt_cycles_inner": i["gc_count"],
                     "rt_cycles_within": w["gc_count"], "cycles": verdict,
                     "ht_stw_ms": t["stw"]["sum_ns"] / 1e6, "ht_stw_count": t["stw"]["count"],
                     "ht_stw_max_ms": t["stw"]["max_ns"] / 1e6, "edge_pauses": t["stw"]["count"] - 2 * c,
                     "rt_sum_ms_outer": o["gc_sum_s"] * 1e3, "rt_sum_ms_inner": i["gc_sum_s"] * 1e3,
                     "other_stw": t["other_stw"]["count"],
                     "stw_ratio_inner": (t["stw"]["sum_ns"] / 1e6) / (i["gc_sum_s"] * 1e3) if i["gc_sum_s"] else None,
                     "stw_ratio_outer": (t["stw"]["sum_ns"] / 1e6) / (o["gc_sum_s"] * 1e3) if o["gc_sum_s"] else None})
    ht = sum(r["ht_stw_ms"] for r in rows)
    rt_out = sum(r["rt_sum_ms_outer"] for r in rows)
    rt_in = sum(r["rt_sum_ms_inner"] for r in rows)
    return {"rows": rows, "windows": len(rows), "cycles_equal": sum(r["cycles"] == "equal" for r in rows),
            "cycles_wrong": sum(r["cycles"] == "WRONG" for r in rows),
            "ht_cycles": sum(r["ht_cycles"] for r in rows), "rt_cycles_inner": sum(r["rt_cycles_inner"] for r in rows),
            "rt_cycles_outer": sum(r["rt_cycles_outer"] for r in rows),
            "ht_stw_ms": ht, "rt_sum_ms_inner": rt_in, "rt_sum_ms_outer": rt_out,
            "stw_ratio": ht / rt_in if rt_in else None, "stw_ratio_outer": ht / rt_out if rt_out else None}


def run_dd(srv, tmp):
    plain, traced, method = [], [], set()
    settle = 1.0

    def dd():
        t0 = time.monotonic()
        p = subprocess.Popen(DD, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            raise RuntimeError(f"dd rc={p.returncode}")
        return time.monotonic() - t0, ru.ru_utime + ru.ru_stime

    time.sleep(settle)
    plain.append(dd())
    for _ in range(2 * RUNS):   # P T P T ... T P
        tr = Trace(srv, 120, (), tmp)
        tr.wait_attached()
        time.sleep(settle)
        traced.append(dd())
        _, _, rep = tr.finish(sigint=True)
        method.add(f"{rep.get('madvise_probe')}{' (host-wide)' if rep.get('madvise_probe_host_wide') else ''}")
        time.sleep(settle)
        plain.append(dd())
    r = {"plain_wall": [w for w, _ in plain], "plain_cpu": [c for _, c in plain],
         "traced_wall": [w for w, _ in traced], "traced_cpu": [c for _, c in traced], "madvise_probe": sorted(method)}
    # each traced run against the mean of the plain runs either side of it; plain against plain
    # (each inner plain run against its neighbours) is the noise band
    for k in ("cpu", "wall"):
        p, t = r[f"plain_{k}"], r[f"traced_{k}"]
        r[f"{k}_ratio"] = median([t[i] / ((p[i] + p[i + 1]) / 2) for i in range(len(t))])
        r[f"{k}_noise"] = sorted(round(p[i] / ((p[i - 1] + p[i + 1]) / 2), 3) for i in range(1, len(p) - 1))
    return r


def run_server(name):
    tmp = rs.mkdtemp("heaptrace-bench-ht-")
    srv = rs.start_server(name)
    res = {"server": name, "desc": rs.SERVERS[name]["desc"], "bin": srv.bin, "go": rs.go_version(srv.bin),
           "loadavg_start": open("/proc/loadavg").read().split()[:3]}
    log(f"  {name} ({res['go']}, pid {srv.pid}): put load, warm-up {WARMUP_S}s")
    load = rs.Load(srv).start()
    try:
        time.sleep(WARMUP_S)
        plains, traced = alternate(srv, WINDOW_S, (), tmp, "default")
        res["default"] = compare(plains, traced)
        res["default_windows"] = plains + traced
        d = res["default"]
        log(f"  {name} default probes: throughput {fmt(d['throughput_ratio'])} (plain {d['plain_rps']:.0f}/s, "
            f"traced {d['traced_rps']:.0f}/s), CPU/req {fmt(d['cpu_per_req_ratio'])} ({d['plain_cpu_us_per_req']:.1f} -> "
            f"{d['traced_cpu_us_per_req']:.1f} us; plain vs plain {d['plain_noise_cpr']}), lost {d['lost']}")
        log(f"  {name} default estimate {fmt(d['est_cpu_pct'], '.3f')}% of a CPU vs measured extra server CPU "
            f"{fmt(d['measured_extra_cpu_pct'], '.2f')}%")

        long = traced_window(srv, LONG_S, (), tmp, rss_every=2, traps=TRAPS)
        res["long"] = long
        cpu_pct = 100 * long["ht_cpu_window_s"] / long["win"]["seconds"]
        life_pct = 100 * long["ht_cpu_life_s"] / long["win"]["seconds"]
        rss = [kb for _, kb in long["ht_rss_kb"] if kb]
        res["long_summary"] = {"ht_cpu_pct": cpu_pct, "ht_cpu_life_pct": life_pct,
                               "ht_peak_rss_mb": long["ht_maxrss_kb"] / 1024,
                               "rss_first_mb": rss[0] / 1024 if rss else None,
                               "rss_last_mb": rss[-1] / 1024 if rss else None, "lost": long["lost"],
                               "est_cpu_percent": long["est_cpu_percent"], "rps": long["win"]["rps"],
                               "cpu_us_per_req": long["win"]["cpu_us_per_req"],
                               "trap_cpu_pct": (100 * long["win"]["trap_cpu_s"] / long["win"]["seconds"]
                                                if long["win"].get("trap_cpu_s") is not None else None),
                               "trap_samples": long["win"].get("trap_samples")}
        ls = res["long_summary"]
        log(f"  {name} long trace {LONG_S}s: heaptrace CPU {cpu_pct:.2f}% in the window ({life_pct:.2f}% with attach "
            f"and report), peak RSS {ls['ht_peak_rss_mb']:.1f} MB (RSS {fmt(ls['rss_first_mb'], '.1f')} -> "
            f"{fmt(ls['rss_last_mb'], '.1f')} MB), lost {long['lost']}, {long['events']} records, "
            f"est {fmt(long['est_cpu_percent'], '.3f')}%, {long['win']['rps']:.0f}/s "
            f"{fmt(long['win']['cpu_us_per_req'], '.1f')} us/req")
        if ls["trap_cpu_pct"] is not None:
            log(f"  {name} default estimate {fmt(long['est_cpu_percent'], '.3f')}% of a CPU vs the trap CPU perf "
                f"sampled in the server {ls['trap_cpu_pct']:.3f}% ({ls['trap_samples']} of "
                f"{long['win']['samples']} samples)")

        res["gc"] = gc_check(traced + [long])
        g = res["gc"]
        log(f"  {name} GC, {g['windows']} traces: cycles heaptrace {g['ht_cycles']} vs runtime {g['rt_cycles_inner']:.0f} "
            f"(outer {g['rt_cycles_outer']:.0f}); equal in {g['cycles_equal']}/{g['windows']}, outside the bracket "
            f"{g['cycles_wrong']}; STW heaptrace {g['ht_stw_ms']:.1f} ms vs go_gc_duration_seconds_sum "
            f"{g['rt_sum_ms_inner']:.1f} ms (outer {g['rt_sum_ms_outer']:.1f}): ratio {fmt(g['stw_ratio'])} "
            f"(outer {fmt(g['stw_ratio_outer'])})")
        for r in g["rows"]:
            log(f"      cycles {r['ht_cycles']} vs {r['rt_cycles_inner']:.0f} (within {r['rt_cycles_within']:.0f}, "
                f"outer {r['rt_cycles_outer']:.0f}) {r['cycles']}; STW {r['ht_stw_ms']:.2f} ms ({r['ht_stw_count']} pauses, "
                f"{r['edge_pauses']:+d} edge, max {r['ht_stw_max_ms']:.2f}) vs {r['rt_sum_ms_inner']:.2f} ms "
                f"(outer {r['rt_sum_ms_outer']:.2f}) ratio {fmt(r['stw_ratio_inner'])}; other stops {r['other_stw']}")

        # The estimate against the measurement: at a fixed rate the server keeps up traced or not.
        rate = HOT_RATE * d["plain_rps"]
        load.stop()
        load = rs.Load(srv, rate=rate).start()
        res["hot_rate"] = rate
        log(f"  {name} --hot, the put load held at {rate:.0f}/s:")
        time.sleep(WARMUP_S)
        hp, ht = alternate(srv, HOT_S, ("--hot",), tmp, "hot", traps=TRAPS)
        res["hot"] = compare(hp, ht)
        res["hot_windows"] = hp + ht
        h = res["hot"]
        log(f"  {name} --hot at {rate:.0f}/s: throughput {fmt(h['throughput_ratio'])} ({h['plain_rps']:.0f} -> "
            f"{h['traced_rps']:.0f}/s), CPU/req {fmt(h['cpu_per_req_ratio'])}; "
            f"estimate {fmt(h['est_cpu_pct'], '.2f')}% of a CPU vs measured extra server CPU "
            f"{fmt(h['measured_extra_cpu_pct'], '.2f')}% (medians of the windows {fmt(h['est_cpu_pct_median'], '.2f')}% vs "
            f"{fmt(h['measured_extra_cpu_pct_median'], '.2f')}%): estimate/measured {fmt(h['est_vs_measured'], '.2f')} "
            f"(of the sums {fmt(h['est_vs_measured_sum'], '.2f')}); "
            f"lost {h['lost']}")
        if "est_vs_trap" in h:
            log(f"  {name} --hot estimate vs the trap CPU perf sampled in the server: {fmt(h['est_cpu_pct'], '.2f')}% vs "
                f"{fmt(h['trap_cpu_pct'], '.2f')}% of a CPU, estimate/sampled {fmt(h['est_vs_trap'], '.2f')} (median of the "
                f"windows; {fmt(h['est_vs_trap_range'][0], '.2f')}-{fmt(h['est_vs_trap_range'][1], '.2f')}; of the sums "
                f"{fmt(h['est_vs_trap_sum'], '.2f')}); plain windows' control at most "
                f"{fmt(h['plain_trap_cpu_pct_max'], '.3f')}%")
        load.stop()
        time.sleep(2)
        res["dd"] = run_dd(srv, tmp)
        dd = res["dd"]
        log(f"  {name} dd bs=1 x2M with heaptrace attached (idle server; madvise by {', '.join(dd['madvise_probe'])}): "
            f"CPU {median(dd['plain_cpu']):.3f}s -> {median(dd['traced_cpu']):.3f}s ({dd['cpu_ratio']:.3f}), wall "
            f"{median(dd['plain_wall']):.3f}s -> {median(dd['traced_wall']):.3f}s ({dd['wall_ratio']:.3f}); plain vs plain "
            f"CPU {dd['cpu_noise'][0]}-{dd['cpu_noise'][-1]}, wall {dd['wall_noise'][0]}-{dd['wall_noise'][-1]}")
    finally:
        load.stop()
        rs.stop(srv)
        rs.rmtemp(tmp)
    res["load_restarts"] = load.restarts
    return res


def launch_overhead():
    """heaptrace -q -- PROG of a Go program that does nothing, against PROG alone."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "main.go"), "w") as f:
            f.write("package main\n\nfunc main() {}\n")
        with open(os.path.join(tmp, "go.mod"), "w") as f:
            f.write("module noop\n\ngo 1.21\n")
        prog = os.path.join(tmp, "noop")
        subprocess.run(["/usr/local/go/bin/go", "build", "-o", prog, "."], cwd=tmp, check=True,
                       env=dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="", CGO_ENABLED="0"))

        def wall(cmd):
            t = time.monotonic()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return (time.monotonic() - t) * 1000

        plain, traced = [], []
        for _ in range(LAUNCH_RUNS):
            plain.append(wall([prog]))
            traced.append(wall([HT, "-q", "--", prog]))
    r = {"plain_ms": plain, "traced_ms": traced, "added_ms": median(traced) - median(plain),
         "added_ms_min": min(traced) - min(plain)}
    log(f"  launch: a Go program that does nothing {median(plain):.1f} ms, under heaptrace -q -- "
        f"{median(traced):.1f} ms: +{r['added_ms']:.0f} ms, fastest runs +{r['added_ms_min']:.0f} ms "
        f"(runs {' '.join(f'{x:.0f}' for x in traced)})")
    return r


def worst(vals, ref=1.0):
    """The value farthest from ref (ratios: the worst case)."""
    vals = [v for v in vals if v is not None]
    return max(vals, key=lambda v: abs(v - ref)) if vals else None


def run(servers=None, launch=None):
    """Measure; returns the summary keys for the bench line (and writes OUT_JSON)."""
    servers = SERVERS if servers is None else servers
    out = {"runs": RUNS, "windows": WINDOWS, "window_s": WINDOW_S, "long_s": LONG_S, "hot_s": HOT_S, "servers": {}}
    if servers:
        rs.ensure_built(servers)
    for name in servers:
        out["servers"][name] = run_server(name)
    out["launch"] = launch or launch_overhead()
    if servers:  # a run without servers keeps the last servers' figures
        os.makedirs(os.path.dirname(OUT_JSON), exist_ok=True)
        with open(OUT_JSON, "w") as f:
            json.dump(out, f, indent=1)
        log(f"  all figures: {OUT_JSON}")
    sv = out["servers"].values()
    summary = {"launch_added_ms": f"{out['launch']['added_ms']:.0f}",
               "launch_added_ms_min": f"{out['launch']['added_ms_min']:.0f}"}
    if sv:
        def pick(fn):
            return [fn(s) for s in sv]
        summary.update({
            "real_throughput": fmt(min(pick(lambda s: s["default"]["throughput_ratio"]))),
            "real_cpu_per_req": fmt(max(pick(lambda s: s["default"]["cpu_per_req_ratio"]))),
            "host_slowdown": fmt(max(pick(lambda s: s["dd"]["cpu_ratio"]))),
            "host_slowdown_wall": fmt(max(pick(lambda s: s["dd"]["wall_ratio"]))),
            "real_lost": str(sum(pick(lambda s: sum(s["default"]["lost"]) + s["long"]["lost"]))),
            "real_ht_cpu_pct": fmt(max(pick(lambda s: s["long_summary"]["ht_cpu_pct"])), ".2f"),
            "real_ht_rss_mb": fmt(max(pick(lambda s: s["long_summary"]["ht_peak_rss_mb"])), ".1f"),
            "est_vs_measured": fmt(worst(pick(lambda s: s["hot"]["est_vs_measured"])), ".2f"),
            "est_vs_measured_sum": fmt(worst(pick(lambda s: s["hot"]["est_vs_measured_sum"])), ".2f"),
            "est_vs_trap": fmt(worst(pick(lambda s: s["hot"].get("est_vs_trap"))), ".2f"),
            "gc_cycles_equal": f"{sum(pick(lambda s: s['gc']['cycles_equal']))}/{sum(pick(lambda s: s['gc']['windows']))}",
            "gc_cycles_wrong": str(sum(pick(lambda s: s["gc"]["cycles_wrong"]))),
            "gc_pause_vs_runtime": fmt(worst(pick(lambda s: s["gc"]["stw_ratio"]))),
            "gc_pause_vs_runtime_outer": fmt(worst(pick(lambda s: s["gc"]["stw_ratio_outer"]))),
        })
        for name, s in out["servers"].items():
            summary[f"{name}_throughput"] = fmt(s["default"]["throughput_ratio"])
    else:
        summary.update({k: "na" for k in ("real_throughput", "host_slowdown")})
    return summary


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench_real: run as root (it loads BPF)")
    n = int(os.environ.get("BENCH_NICE", "-10"))
    if n:
        os.setpriority(os.PRIO_PROCESS, 0, n)
    s = run()
    print("bench: " + " ".join(f"{k}={v}" for k, v in s.items()))
