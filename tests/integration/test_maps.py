# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Map retention and the runtime's page accounting, checked against what the
mapleak fixture measured inside the program (ReadMemStats, runtime/metrics),
for every toolchain, stripped and not, attached after the fact and launched."""
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import (EXPERIMENTS, HEAPTRACE, ROOT, TOOLCHAINS, assert_nothing_left, finish, go_minor, map_impl, read_json,
                      spawn, target)

sys.path.insert(0, os.path.join(ROOT, "tools"))
import trap_cpu  # noqa: E402
from procstat import proc_cpu  # noqa: E402

FIXTURE_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "targets", "mapleak", "main.go")


def marker_line(marker):
    with open(FIXTURE_SRC) as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"no {marker} marker in the fixture")


def grow_site_line():
    return marker_line("GROW-SITE")


GO = os.environ.get("HT_GO", "/usr/local/go/bin/go")


def objdump_line(binary, func, pc):
    """go tool objdump's file:line of the instruction holding pc in func."""
    out = subprocess.run([GO, "tool", "objdump", "-s", "^" + re.escape(func) + "$", binary],
                         capture_output=True, text=True, check=True).stdout
    best = None
    for l in out.splitlines():
        f = l.split()
        if len(f) >= 2 and f[1].startswith("0x") and ":" in f[0]:
            a = int(f[1], 16)
            if a <= pc and (best is None or a > best[0]):
                best = (a, f[0])
    assert best, f"objdump has no instruction of {func} at or before {pc:#x}"
    return best[1]


def addr2line(binary, pc):
    out = subprocess.run([GO, "tool", "addr2line", binary], input=f"{pc:#x}\n", capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return out[0], out[1]


def trace(tmp_path, pid, *args, duration="1s"):
    out = tmp_path / "r.json"
    p = subprocess.run([HEAPTRACE, "-q", "-d", duration, "--json", str(out), *args, "-p", str(pid)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return read_json(out), p.stdout


def by_addr(report):
    return {m["addr"]: m for m in report["maps"]}


def check_leak_report(r, truth):
    maps = r["maps"]
    assert maps, "no maps reported"
    retained = [m["retained_bytes"] for m in maps]
    assert retained == sorted(retained, reverse=True), "maps[] is sorted by retained_bytes"
    leaky = maps[0]
    assert leaky["live"] == truth["leaky_live"] == 10, "the leaky map comes first, with its 10 live entries"
    full = truth["leaky_full_bytes"]
    assert abs(leaky["table_bytes"] - full) <= 0.25 * full, \
        f"table_bytes {leaky['table_bytes']} within 25% of the {full} bytes the runtime measured"
    assert leaky["retained_bytes"] >= 0.9 * leaky["table_bytes"]
    assert leaky["retained_bytes"] == leaky["table_bytes"] - leaky["needed_bytes"]
    assert int(leaky["addr"], 16) > 0
    healthy = [m for m in maps if m["live"] == truth["healthy_live"]]
    assert len(healthy) == 1, f"the healthy map ({truth['healthy_live']} entries) is listed once"
    h = healthy[0]
    assert h["retained_bytes"] <= 0.5 * h["table_bytes"], "the healthy map is not reported as leaking"
    hfull = truth["healthy_full_bytes"]
    assert abs(h["table_bytes"] - hfull) <= 0.25 * hfull
    return leaky, h


@pytest.mark.parametrize("stripped", [True, False], ids=["stripped", "symbols"])
# and on the GOEXPERIMENT builds (split map groups, freegc)
@pytest.mark.parametrize("tc", TOOLCHAINS + EXPERIMENTS)
def test_attached_after_the_fact(tc, stripped, mapleak, tmp_path):
    m = mapleak(f"{tc}-mapleak" + (".stripped" if stripped else ""))
    r, out = trace(tmp_path, m.pid)
    leaky, healthy = check_leak_report(r, m.truth)
    s = r["maps_summary"]
    assert s["available"] and s["walked"] and not s["truncated"]
    assert s["mheap_found_by"] == ("decoded" if stripped else "symbol")
    assert r["target"]["map_impl"] == map_impl(tc)
    # a map grown before attach has no growth site: what holds it says where to look
    assert leaky["site"] is None and healthy["site"] is None
    if not stripped:
        # the global variable that points at the map names it, and its type is the map's
        assert leaky["held_by"] == "main.leaky" and healthy["held_by"] == "main.healthy"
        assert leaky["held_by_path"] == [dict(kind="global", name="main.leaky", type="map[int64]int64", field=None,
                                              addr=leaky["held_by_path"][0]["addr"])]
        assert leaky["type"] == "map[int64]int64" and leaky["type_source"] in ("holder", "table")
    else:
        # the functions whose code uses the global name it
        assert "(used by main.main" in leaky["held_by"], leaky["held_by"]
        assert leaky["held_by_path"][0]["kind"] == "global" and "main.main" in leaky["held_by_path"][0]["used_by"]
    assert leaky["peak_source"] == "observed" and leaky["peak"] >= leaky["live"]
    assert leaky["capacity"] >= 8 * leaky["live"]
    assert "heap walk: " in out and "copy the live entries into a fresh map" in out
    assert_nothing_left()


# and on the GOEXPERIMENT builds (split map groups, freegc)
@pytest.mark.parametrize("tc", TOOLCHAINS + EXPERIMENTS)
def test_growth_while_attached_names_the_site(tc, mapleak, tmp_path):
    m = mapleak(f"{tc}-mapleak.stripped", "-grow-after", "1500ms", "-later", "100000")
    r, _ = trace(tmp_path, m.pid, duration="4s")
    with open(m.truth_path + ".grown") as f:
        later_live = int(f.read())
    later = [x for x in r["maps"] if x["live"] == later_live]
    assert len(later) == 1, r["maps"]
    site = later[0]["site"]
    assert site and site.startswith("main.growLater ("), site
    assert site.endswith(f"main.go:{grow_site_line()})"), site
    assert later[0]["grows"] > 0 and later[0]["peak"] >= later_live * 0.5
    assert later[0]["type"] == "map[int64]int64", "the growth probe's map type names it"


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_freed_map_leaves_the_list(tc, mapleak, tmp_path):
    m = mapleak(f"{tc}-mapleak.stripped", "-drop-after", "1500ms")
    r, _ = trace(tmp_path, m.pid, "-i", "250ms", duration="3500ms")
    assert os.path.exists(m.truth_path + ".dropped"), "the fixture dropped its healthy map while traced"
    assert [x for x in r["maps"] if x["live"] == m.truth["leaky_live"]], "the leaky map is still listed"
    assert not [x for x in r["maps"] if x["live"] == m.truth["healthy_live"]], r["maps"]
    assert r["maps_summary"]["freed"] >= 1


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_launched_follows_maps_from_their_growth(tc, tmp_path):
    out, truth = tmp_path / "r.json", tmp_path / "t.json"
    # The fixture exits by itself 1 s after writing its truth.
    p = subprocess.run([HEAPTRACE, "-q", "-i", "200ms", "--json", str(out), "--", target(f"{tc}-mapleak.stripped"),
                        "-truth", str(truth), "-wait", "1s"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r, t = read_json(out), read_json(truth)
    leaky, _ = check_leak_report(r, t)
    assert re.match(r"main\.fill \(.*main\.go:\d+\)$", leaky["site"]), leaky["site"]
    # at least the count at its last growth (6.5 * 2^17 = 851,968 for bucket
    # maps; 6 * 2^17 = 786,432 on Go 1.21, whose load factor is 6)
    last_growth = 786432 if go_minor(tc) == 21 else 800000
    assert leaky["peak"] >= last_growth, "the peak comes from the growth records"
    assert not r["maps_summary"]["walked"], "nothing to walk in a program traced from its start"


# and on the GOEXPERIMENT builds (split map groups, freegc)
@pytest.mark.parametrize("tc", TOOLCHAINS + EXPERIMENTS)
def test_free_unreleased_matches_runtime_metrics(tc, mapleak, tmp_path):
    m = mapleak(f"{tc}-mapleak.stripped", "-n", "300000")
    # The first metrics.Read allocates (its goroutine, its buffers): do it
    # once before, so that the program sits still while it is measured.
    m.metrics_now()
    r, out = trace(tmp_path, m.pid)
    metrics = m.metrics_now()
    ledger = r["release"]["ledger"]
    free = metrics["free_bytes"]
    assert ledger["free_unreleased_bytes"] is not None
    assert abs(ledger["free_unreleased_bytes"] - free) <= max(0.1 * free, 64 * 1024), (ledger, metrics)
    rel = metrics["released_bytes"]
    assert abs(ledger["runtime_released_bytes"] - rel) <= max(0.1 * rel, 64 * 1024), (ledger, metrics)
    assert "free in the heap, not returned to the OS" in out


def test_live_view_shows_the_top_maps(mapleak, tmp_path):
    m = mapleak("gocur-mapleak")
    p = subprocess.run([HEAPTRACE, "-d", "1500ms", "-i", "500ms", "-p", str(m.pid)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    blocks = p.stdout.split("heaptrace pid ")[1:]
    assert len(blocks) >= 2
    for b in blocks[:-1]:
        view = b.split("\nheaptrace: pid")[0]
        assert "held by main.leaky" in view
        assert len(view.splitlines()) <= 24, "one interval fits an 80x24 terminal"
        assert max(len(l) for l in view.splitlines()) <= 80


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_hot_probes_count_every_assignment(tc, tmp_path):
    out = tmp_path / "r.json"
    n = 300000
    p = subprocess.run([HEAPTRACE, "--hot", "-q", "--json", str(out), "--", target(f"{tc}-mapleak.stripped"),
                        "-n", str(n), "-healthy", "1000", "-wait", "0s"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = read_json(out)
    assigns = r["heap"]["map_assigns"]
    # the fixture's two fills, plus what the runtime and flag parsing assign
    assert n + 1000 <= assigns <= n + 1000 + 5000, assigns
    assert r["events_consumed"] + r["lost_events"] >= assigns
    assert "hot probes on" in p.stderr and "hot probes: " in p.stderr
    # --hot records nearly every hit: it sizes the ring buffer for that
    assert r["ringbuf_kb"] == 2048
    hot = [x for x in r["probes"] if x["tier"] == "hot"]
    assert hot and sum(x["hits"] for x in hot) >= n


def test_overhead_estimate_counts_every_hit(tmp_path):
    out = tmp_path / "r.json"
    n = 300000
    p = subprocess.run([HEAPTRACE, "--hot", "--ringbuf-kb", "512", "-q", "--json", str(out), "--",
                        target("gocur-mapleak.stripped"), "-n", str(n), "-healthy", "10", "-wait", "0s"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = read_json(out)
    assert r["ringbuf_kb"] == 512, "--ringbuf-kb given wins over --hot's size"
    o = r["overhead"]
    cost = o["hit_ns"]
    assert all(cost[k] > 0 for k in ("branch", "entry", "ret")), "a trap's cost is measured at start"
    # Each handler timed itself in the target: every probe that ran took time.
    handler_ns = sum(x["handler_ns"] for x in r["probes"])
    assert all(x["handler_ns"] > 0 for x in r["probes"] if x["hits"] + x.get("exit_hits", 0) > 0)
    hits = sum(x["hits"] + x.get("morestack_passes", 0) + x.get("exit_hits", 0) for x in r["probes"])
    assert cost["handler"] == handler_ns // hits
    # Every assignment hit a hot probe on its stack-check branch: the
    # estimate covers at least those traps at the branch cost, and all the
    # handlers' time.
    assert o["est_target_ns"] >= r["heap"]["map_assigns"] * cost["branch"] + handler_ns
    assert o["est_cpu_percent"] == pytest.approx(100 * o["est_target_ns"] / r["duration_ns"])
    assert o["max_overhead_percent"] is None and o["detached_tiers"] == []
    assert "probes    " in p.stderr and "a trap costs" in p.stderr and "the handlers took" in p.stderr


# The estimate against a measurement that does not come from heaptrace: perf
# samples the target and counts the samples in the uprobe trap path
# (tools/trap_cpu.py, the bench's measure too). On this VM the estimate came
# out at 0.80-0.95 of it on real servers and 1.1-1.6 on these fixtures (perf
# loses more of a dense trap's samples, and the calibrated trap cost moves
# with the host's load); the band catches an estimate that is off by a
# factor (the first one read 7x low).
@pytest.mark.parametrize("tc", ["gocur", "go119"])
def test_overhead_estimate_agrees_with_sampled_trap_time(tc, tmp_path):
    assert trap_cpu.available(), "perf (linux-perf) is needed: tools/setup.sh installs it"
    out = tmp_path / "r.json"
    t = spawn([target(f"{tc}-gcload"), "-rounds", "1000000"])
    h = spawn([HEAPTRACE, "--hot", "-q", "-p", str(t.pid), "-d", "4s", "--json", str(out)])
    h.out.wait_for("tracing pid")
    cpu0, t0 = proc_cpu(t.pid), time.monotonic()
    trap, total = trap_cpu.Sampler(t.pid, 3.0, str(tmp_path / "perf.data")).finish()
    cpu, secs = proc_cpu(t.pid) - cpu0, time.monotonic() - t0
    assert finish(h) == 0, h.err.text()
    r = read_json(out)
    assert total > 1000, f"perf took {total} samples in 3 s"
    sampled = cpu / secs * trap / total          # share of a CPU in the trap path
    est = r["overhead"]["est_target_ns"] / r["duration_ns"]
    assert sampled > 0.05, f"the hot probes cost {sampled:.3f} of a CPU: not a test of the estimate"
    assert 0.5 < est / sampled < 2.0, f"estimate {est:.3f} of a CPU, perf sampled {sampled:.3f} in traps"


# Perf uprobes take a while to detach, and go on firing meanwhile: that must
# not count against the warm probes.
@pytest.mark.parametrize("attach", ["uprobe_multi", "uprobe"])
def test_max_overhead_detaches_the_hot_probes(attach, tmp_path):
    out = tmp_path / "r.json"
    n = 3000000
    env = dict(os.environ, HEAPTRACE_ATTACH=attach)
    p = subprocess.run([HEAPTRACE, "--hot", "-q", "-i", "200ms", "--max-overhead", "5", "--json", str(out), "--",
                        target("go122-mapleak.stripped"), "-n", str(n), "-healthy", "10", "-wait", "0s"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr  # the program's own status: it ran to the end
    r = read_json(out)
    assert r["attach_method"] == attach
    assert r["overhead"]["detached_tiers"] == ["hot"]
    assert r["overhead"]["max_overhead_percent"] == 5
    assert "above --max-overhead 5%: detached the hot probes" in p.stderr
    # counting stopped when the hot probes went, the warm ones stayed
    assert r["heap"]["map_assigns"] < n
    assert r["heap"]["map_grows"] > 0
    assert_nothing_left()


def test_hot_probes_are_bounded_in_time(tmp_path):
    t = subprocess.Popen([target("gocur-mapleak.stripped"), "-n", "1000", "-healthy", "10", "-wait", "120s"],
                         stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        start = time.monotonic()
        p = subprocess.run([HEAPTRACE, "--hot", "-q", "-d", "5m", "-p", str(t.pid)], capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        assert time.monotonic() - start < 75, "--hot caps the trace at 60 s"
        assert "for at most 60s" in p.stdout
    finally:
        t.kill()
        t.wait()


# The maps report's check (issue 13): an emptied map, a working buffer and
# a map grown while traced through an inlined method, in one run, read with
# the default interval (the buffer refills at that same period).
@pytest.mark.parametrize("stripped", [True, False], ids=["stripped", "symbols"])
# and on the GOEXPERIMENT builds (split map groups, freegc)
@pytest.mark.parametrize("tc", TOOLCHAINS + EXPERIMENTS)
def test_three_maps_verdicts_types_and_inlined_site(tc, stripped, mapleak, tmp_path):
    name = f"{tc}-mapleak" + (".stripped" if stripped else "")
    m = mapleak(name, "-n", "300000", "-emptied", "200000", "-buffer", "20000", "-inline-after", "2s",
                "-inline", "100000")
    r, out = trace(tmp_path, m.pid, duration="5s")
    assert os.path.exists(m.truth_path + ".inlined"), "the inlined grower ran while traced"
    maps = r["maps"]

    # a map[uint64]main.record: no pointers, so its table carries no type;
    # the global's DWARF type names it, else its layout (one type fits: a
    # candidate, never presented as its type)
    emptied = [x for x in maps if x["type"] == "map[uint64]main.record" or
               (x["type"] is None and x["layout"]["key_bytes"] == 8 and x["layout"]["elem_bytes"] == 24)]
    assert len(emptied) == 1, [(x["type"], x["layout"], x["live"]) for x in maps]
    e = emptied[0]
    assert e["live"] == m.truth["emptied_live"] == 10
    if stripped:
        assert e["type"] is None and e["type_candidates"] == ["map[uint64]main.record"], e
        assert e["layout"]["text"] == "8 B key, 24 B value (1 type fit)"
    else:
        assert e["type"] == "map[uint64]main.record" and e["type_source"] == "holder"
        assert e["held_by"] == "main.emptied"
    # the peak is what was seen (a lower bound), the table's slots apart
    assert e["verdict"] == "retained" and e["peak_source"] == "observed" and e["peak"] == 10
    full = m.truth["emptied_full"]
    assert e["capacity"] >= full, "the table has room for what it held"
    assert e["stack"] == [] and not e["grows"]

    buf = [x for x in maps if (x["type"] or "").startswith("map[int32]int32") or
           (x["type"] is None and x["layout"]["key_bytes"] == 4 and x["layout"]["elem_bytes"] == 4)]
    assert len(buf) == 1, [(x["type"], x["live"]) for x in maps]
    assert buf[0]["verdict"] == "reused", buf[0]

    grown = [x for x in maps if x["site"] and x["site"].startswith("main.(*store).put (")]
    assert len(grown) == 1, [(x["type"], x["site"]) for x in maps]
    g = grown[0]
    assert g["verdict"] == "retained" and g["live"] == 10
    assert g["type"] == "map[string]*main.item"
    fr = g["stack"]
    k = next(i for i, f in enumerate(fr) if f["function"] == "main.(*store).put")
    assert all(f["function"].startswith(("runtime.", "internal/runtime/")) for f in fr[:k]), fr
    put, caller = fr[k], fr[k + 1]
    # the inlined method's own line, as objdump gives the instruction's
    # (on the unstripped twin: the same code, with the symbols go tool needs)
    bin_path = target(f"{tc}-mapleak")
    where = objdump_line(bin_path, "main.growInlined", int(put["pc"], 16))
    assert where == f"main.go:{put['line']}", (where, put)
    assert g["site"] == f"main.(*store).put ({put['file']}:{put['line']})"
    assert put["line"] == marker_line("INLINE-SITE")
    # its caller, the physical function, at the call: addr2line at the
    # inlined call's mark
    assert caller["function"] == "main.growInlined"
    fn, fl = addr2line(bin_path, int(caller["pc"], 16))
    assert fn == "main.growInlined" and fl == f"{caller['file']}:{caller['line']}"
    assert caller["line"] == marker_line("INLINE-CALLER")
    assert fr[k + 2]["function"] == "main.main"
    assert_nothing_left()
