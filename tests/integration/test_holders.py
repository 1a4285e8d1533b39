# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Who holds each map, its type, honest peaks, and whole names on screen and
in pprof (issue 24), checked against the holders fixture's ground truth (each
map's header address, its goroutines' ids) for every toolchain, stripped and
not: a struct field behind a global pointer, a slice element's field, a value
of another map, an interface, a goroutine's variable (on the heap, and in its
frame), and a bounded cache that churns."""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import HEAPTRACE, TOOLCHAINS, assert_nothing_left, go_minor, read_json, target, wait_for

GO = os.environ.get("HT_GO", "/usr/local/go/bin/go")
FIXTURE_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "targets", "holders",
                           "main.go")


def marker_line(marker):
    with open(FIXTURE_SRC) as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"no {marker} marker in the fixture")


def trace(tmp_path, pid, *args, duration="3s", env=None):
    out = tmp_path / "r.json"
    p = subprocess.run([HEAPTRACE, "-q", "-d", duration, "--json", str(out), *args, "-p", str(pid)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return read_json(out), p.stdout


def kinds(m):
    return [s["kind"] for s in m["held_by_path"]]


def check_type(m, exact):
    """The exact type, or null with candidates and a layout: never a
    generic shape, never one candidate presented as the type."""
    if m["type"] is not None:
        assert m["type"] == exact, m
        assert m["type_source"] in ("holder", "table", "growth")
        assert m["type_candidates"] == []
    else:
        assert m["type_source"] is None
        assert m["type_candidates"] and m["type_candidates_total"] >= len(m["type_candidates"])
        assert not [c for c in m["type_candidates"] if "go.shape." in c], m["type_candidates"]
        assert m["layout"]["text"] and "fit" in m["layout"]["text"]


@pytest.mark.parametrize("stripped", [True, False], ids=["stripped", "symbols"])
@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_holders_named(tc, stripped, mapleak, tmp_path):
    m = mapleak(f"{tc}-holders" + (".stripped" if stripped else ""))
    r, _ = trace(tmp_path, m.pid)
    t = m.truth
    by = {x["addr"]: x for x in r["maps"]}
    want = {"reg_byid": "map[uint64]*main.entry", "shard_idx": "map[string]int", "nested_hot": "map[string]int",
            "boxed": "map[uint32]float64", "cache": "map[string]*main.item"}
    for k in want:
        assert t[k] in by, f"{k} ({t[k]}) not listed: {sorted(by)}"
    assert t["worker"]["addr"] in by and t["stack_worker"]["addr"] in by, sorted(by)
    h = r["maps_summary"]["holders"]
    assert h["searched"] and not h["truncated"] and h["goroutines"] >= 3, h

    reg, shard, nested, boxed, cache = (by[t[k]] for k in ("reg_byid", "shard_idx", "nested_hot", "boxed", "cache"))
    worker, stack = by[t["worker"]["addr"]], by[t["stack_worker"]["addr"]]
    # a goroutine's variable: its id and the function whose frame holds it, stripped or not
    assert worker["held_by"] == f"goroutine {t['worker']['goid']} main.worker", worker
    assert stack["held_by"] == f"goroutine {t['stack_worker']['goid']} main.stackWorker", stack
    assert kinds(worker) == ["goroutine"] and worker["held_by_path"][0]["name"] == "main.worker"
    assert worker["held_by_path"][0]["goroutine"] == t["worker"]["goid"]
    if not stripped:
        assert reg["held_by"] == "main.reg.byID"
        assert kinds(reg) == ["global", "object"]
        assert reg["held_by_path"][0]["name"] == "main.reg" and reg["held_by_path"][0]["type"] == "*main.registry"
        assert reg["held_by_path"][1]["field"] == "byID" and reg["held_by_path"][1]["type"] == "main.registry"
        assert shard["held_by"] == "main.shards[2].idx"
        assert kinds(shard) == ["global", "object"] and shard["held_by_path"][1]["field"] == "[2].idx"
        assert nested["held_by"] == 'main.nested["hot"]'
        assert kinds(nested) == ["global", "map_value"] and nested["held_by_path"][1]["field"] == '["hot"]'
        assert nested["held_by_path"][1]["type"] == "map[string]map[string]int"
        assert boxed["held_by"] == "main.boxed"
        assert cache["held_by"] == "main.cache.m"
        # held through a global: the holding field's type is the map's, exactly
        for k, ty in want.items():
            assert by[t[k]]["type"] == ty, (k, by[t[k]])
    else:
        # the functions whose code uses the global name it
        for x in (reg, shard, nested, boxed, cache):
            assert x["held_by"].startswith("global 0x") and "(used by main.main" in x["held_by"], x["held_by"]
            assert kinds(x)[0] == "global" and "main.main" in x["held_by_path"][0]["used_by"]
        for k, ty in want.items():
            check_type(by[t[k]], ty)
    check_type(stack, "map[int32]int32")
    check_type(worker, "map[int64]string")

    # emptied by delete before the attach: retained, the peak what was seen
    for x, live in ((reg, t["reg_live"]), (shard, t["shard_live"]), (nested, t["nested_live"]),
                    (boxed, t["boxed_live"]), (worker, t["worker"]["live"]), (stack, t["stack_worker"]["live"])):
        assert x["live"] == live and x["verdict"] == "retained", x
        assert x["peak_source"] == "observed" and live <= x["peak"] < 1000, x
        assert x["capacity"] >= 65536 and x["site"] is None
    # the churning cache at its bound: not retained, its peak at most its bound
    assert cache["verdict"] != "retained", cache
    assert cache["live"] <= t["cache_bound"] and cache["peak"] <= t["cache_bound"], cache
    assert_nothing_left()


# The live view at three terminal sizes, in tmux: every line fits, the
# inlined grower's site is whole, the holders are named.
@pytest.mark.parametrize("size", ["80x24", "120x40", "200x50"])
def test_live_view_fits_the_terminal(size, mapleak, tmp_path):
    assert shutil.which("tmux"), "tmux is needed: tools/setup.sh installs it"
    cols, rows = (int(v) for v in size.split("x"))
    m = mapleak("gocur-holders", "-inline-after", "1500ms")
    session = f"ht-{os.getpid()}-{cols}"
    log = tmp_path / "screen.txt"
    cmd = f"{HEAPTRACE} -i 500ms -d 6s -p {m.pid}; sleep 60"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(cols), "-y", str(rows), cmd], check=True)
    try:
        def screen():
            out = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True,
                                 check=True).stdout
            log.write_text(out)
            return out if "main.(*store).put (" in out else None
        out = wait_for(screen, timeout=20, what="the inlined grower on screen", interval=0.3)
        # one more refresh, so that every row is this interval's
        time.sleep(0.7)
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True,
                             check=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= rows
    assert all(len(l) <= cols for l in lines), [l for l in lines if len(l) > cols]
    # whole: the function, receiver and line, not "main.(main.go:53)"
    site = f"main.(*store).put (main.go:{marker_line('INLINE-SITE')})"
    assert site in out, out
    assert "LIVE" in out and "SITE or HOLDER" in out
    if cols >= 120:
        for held in ("held by main.shards[2].idx", 'held by main.nested["hot"]', "held by main.reg.byID"):
            assert held in out, out
        assert re.search(r"map\[string\]\*main\.item\s", out) or cols < 200, out
    assert "advice    retained: copy its live entries into a fresh map" in out


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_pprof_names_the_inlined_grower_and_the_holder(tc, mapleak, tmp_path):
    m = mapleak(f"{tc}-holders", "-inline-after", "1500ms")
    prof = tmp_path / "maps.pb.gz"
    r, _ = trace(tmp_path, m.pid, "--pprof", str(prof), duration="4s")
    assert os.path.exists(m.truth_path + ".inlined"), "the inlined grower ran while traced"
    top = subprocess.run([GO, "tool", "pprof", "-top", str(prof)], capture_output=True, text=True,
                         check=True).stdout
    # flat: the inlined method that grew a map (one Location, its Lines
    # innermost first), and the global field that holds another
    assert re.search(r"\smain\.\(\*store\)\.put \(inline\)\n", top), top
    assert re.search(r"\smain\.reg\.byID\n", top), top
    assert re.search(r'\smain\.nested\["hot"\]\n', top), top
    # the holder path is the stack: the global at the root groups its fields
    traces = subprocess.run([GO, "tool", "pprof", "-traces", str(prof)], capture_output=True, text=True,
                            check=True).stdout
    assert re.search(r"main\.reg\.byID\n\s+main\.reg\n", traces), traces
    assert re.search(r"main\.\(\*store\)\.put \(inline\)\n\s+main\.growInlined\n", traces), traces
    grown = [x for x in r["maps"] if x["site"] and x["site"].startswith("main.(*store).put (")]
    assert len(grown) == 1 and grown[0]["type"] == "map[string]*main.item"


# Each walk refreshes the small maps' summary: maps made after the attach are
# counted at the next walk, by type and by holder.
def test_small_maps_refreshed_by_each_walk(mapleak, tmp_path):
    m = mapleak("gocur-holders", "-small-after", "1s", "-small", "3000")
    env = dict(os.environ, HEAPTRACE_REWALK_MS="1000")
    r, out = trace(tmp_path, m.pid, duration="5s", env=env)
    assert os.path.exists(m.truth_path + ".small")
    s = r["maps_summary"]
    assert s["walks"] >= 2, s
    small = s["small_maps"]
    assert small["maps"] >= 3000, small
    assert small["by_type"] and small["by_holder"], small
    assert sum(g["maps"] for g in small["by_type"]) <= small["maps"]
    top = small["by_type"][0]
    assert top["maps"] >= 3000 and top["table_bytes"] >= 3000 * 100, small["by_type"]
    assert re.search(r"^small     \d+ maps under 32 KiB", out, re.M), out
