# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The exports (--listen, --textfile, --pprof) against the programs that read
them: promtool, prometheus_client's OpenMetrics parser, a real Prometheus
server (Debian's), go tool pprof; and against heaptrace's own JSON report of
the same moment, on the mapleak fixture."""
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import (HEAPTRACE, TOOLCHAINS, assert_nothing_left, finish, free_port, map_impl, read_json, spawn,
                      prometheus_query, stop_server, target, wait_for)

PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
GO = os.environ.get("HT_GO", "/usr/local/go/bin/go")
DASHBOARD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "deploy", "grafana-heaptrace.json")


class Heaptrace:
    """heaptrace -p PID --listen 127.0.0.1:PORT with the other exports, started
    and serving (its start message says where)."""

    def __init__(self, tmp_path, pid, *args, duration="8s", interval="500ms"):
        self.port = free_port()
        self.json = str(tmp_path / "r.json")
        self.pprof = str(tmp_path / "maps.pb.gz")
        self.textfile = str(tmp_path / "heaptrace.prom")
        self.p = spawn([HEAPTRACE, "-q", "-d", duration, "-i", interval, "-p", str(pid),
                        "--listen", f"127.0.0.1:{self.port}", "--pprof", self.pprof, "--json", self.json,
                        "--textfile", self.textfile, *args])
        line = self.p.out.wait_for("heaptrace: serving http://")
        assert f"serving http://127.0.0.1:{self.port}/metrics and /debug/pprof/maps" in line
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path, accept=None):
        req = urllib.request.Request(self.url + path, headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()

    def metrics(self, accept=None):
        status, ctype, body = self.get("/metrics", accept)
        assert status == 200
        return ctype, body.decode()

    def wait(self):
        rc = finish(self.p, timeout=60)
        assert rc == 0, self.p.out.text() + self.p.err.text()

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            finish(self.p, timeout=30)


@pytest.fixture
def heaptrace(tmp_path):
    started = []

    def start(pid, *args, **kw):
        h = Heaptrace(tmp_path, pid, *args, **kw)
        started.append(h)
        return h
    yield start
    for h in started:
        h.kill()


def samples(text):
    """{(name, frozenset(labels)): value} of a 0.0.4 exposition."""
    out = {}
    for fam in parse_text(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def sample(m, name, **labels):
    key = (name, frozenset(labels.items()))
    assert key in m, f"no {name}{labels}; have {sorted(k for k in m if k[0] == name)}"
    return m[key]


def series(m, name):
    """[(labels dict, value)] of one metric."""
    return [(dict(k[1]), v) for k, v in m.items() if k[0] == name]


def promtool_check(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), p.stdout + p.stderr


def pprof(*args):
    p = subprocess.run([GO, "tool", "pprof", *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HOME": os.environ.get("HOME", "/root")})
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def check_against_json(m, r, pid):
    """Every figure the metrics share with the JSON report of the same moment."""
    pid = str(pid)
    assert sample(m, "heaptrace_trace_seconds", pid=pid) == r["duration_ns"] / 1e9
    assert sample(m, "heaptrace_gc_cycles_total", pid=pid) == r["gc"]["cycles"]
    assert sample(m, "heaptrace_gc_pause_seconds_count", pid=pid) == r["gc"]["stw"]["count"]
    assert sample(m, "heaptrace_gc_pause_seconds_sum", pid=pid) == pytest.approx(r["gc"]["stw"]["sum_ns"] / 1e9)
    assert sample(m, "heaptrace_other_pause_seconds_count", pid=pid) == r["gc"]["other_stw"]["count"]
    rel = r["release"]
    for a in rel["madvise"]:
        lab = dict(pid=pid, advice=a["advice"], kind=a["kind"])
        assert sample(m, "heaptrace_madvise_calls_total", **lab) == a["calls"]
        assert sample(m, "heaptrace_madvise_bytes_total", **lab) == a["bytes"]
    assert len(series(m, "heaptrace_madvise_calls_total")) == len(rel["madvise"])
    assert sample(m, "heaptrace_scavenger_passes_total", pid=pid) == rel["scavenger"]["passes"]
    led = rel["ledger"]
    assert sample(m, "heaptrace_heap_grown_bytes_total", pid=pid) == led["grown_bytes"]
    assert sample(m, "heaptrace_heap_returned_bytes_total", pid=pid) == led["released_bytes"]
    for name, field in (("heaptrace_heap_free_unreleased_bytes", "free_unreleased_bytes"),
                        ("heaptrace_heap_released_bytes", "runtime_released_bytes")):
        if led[field] is None:
            assert not series(m, name), f"{name} is absent while unknown"
        else:
            assert sample(m, name, pid=pid) == led[field]
    assert sample(m, "heaptrace_process_rss_bytes", pid=pid) == r["memory"]["rss_bytes"]
    summ = r["maps_summary"]
    assert sample(m, "heaptrace_maps_followed", pid=pid) == summ["followed"]
    assert sample(m, "heaptrace_maps_table_bytes", pid=pid) == summ["table_bytes"]
    assert sample(m, "heaptrace_maps_retained_bytes", pid=pid) == summ["retained_bytes"]
    assert sample(m, "heaptrace_lost_events_total", pid=pid) == r["lost_events"]
    for p in r["probes"]:
        assert sample(m, "heaptrace_probe_hits_total", pid=pid, probe=p["symbol"]) == p["hits"]
    if r["overhead"]["est_cpu_percent"] is not None:
        assert sample(m, "heaptrace_overhead_cpu_ratio", pid=pid) == \
            pytest.approx(r["overhead"]["est_cpu_percent"] / 100, rel=1e-12)
    by_addr = {lab["addr"]: (lab, v) for lab, v in series(m, "heaptrace_map_retained_bytes")}
    top = r["maps"][:20]
    assert set(by_addr) == {x["addr"] for x in top}, "the top 20 maps of the report, no other"
    for x in top:
        lab, v = by_addr[x["addr"]]
        assert v == x["retained_bytes"]
        # the type label: the exact type, or the layout the candidates agree on, never one of them
        assert lab == dict(pid=pid, addr=x["addr"], type=x["type"] or x["layout"]["text"], site=x["site"] or "",
                           verdict=x["verdict"], held_by=x["held_by"] or "")
        assert sample(m, "heaptrace_map_table_bytes", **lab) == x["table_bytes"]
        assert sample(m, "heaptrace_map_live_entries", **lab) == x["live"]


@pytest.mark.parametrize("tc", TOOLCHAINS)
def test_exports_of_a_live_trace(tc, mapleak, heaptrace, tmp_path):
    m = mapleak(f"{tc}-mapleak", "-grow-after", "2s", "-later", "100000", "-drop-after", "1500ms")
    h = heaptrace(m.pid)
    pid = str(m.pid)

    # Prometheus text 0.0.4, by default
    ctype, text = h.metrics()
    assert ctype.startswith("text/plain; version=0.0.4")
    promtool_check(text)
    s = samples(text)
    assert sample(s, "heaptrace_target_info", pid=pid, exe=os.path.realpath(target(f"{tc}-mapleak")),
                  go_version=read_json_version(h, tc), map_impl=map_impl(tc)) == 1
    for k in s:
        assert ("pid", pid) in k[1], f"{k[0]} has no pid label"
    leaky = [(lab, v) for lab, v in series(s, "heaptrace_map_table_bytes") if lab["held_by"] == "main.leaky"]
    assert len(leaky) == 1, series(s, "heaptrace_map_table_bytes")
    full = m.truth["leaky_full_bytes"]
    assert abs(leaky[0][1] - full) <= 0.25 * full, f"the leaky map's table {leaky[0][1]} within 25% of {full}"
    lab = leaky[0][0]
    assert lab["verdict"] == "retained" and lab["addr"].startswith("0x") and lab["addr"] == lab["addr"].lower()
    assert sample(s, "heaptrace_map_retained_bytes", **lab) >= 0.9 * leaky[0][1]
    assert sample(s, "heaptrace_map_live_entries", **lab) == m.truth["leaky_live"]
    assert [x for x, _ in series(s, "heaptrace_map_live_entries") if x["held_by"] == "main.healthy"]

    # OpenMetrics, when asked for
    ctype, om = h.metrics(accept="application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
    assert ctype.startswith("application/openmetrics-text; version=1.0.0")
    assert om.endswith("# EOF\n")
    fams = {f.name: f for f in parse_openmetrics(om)}  # strict: raises on any error
    assert fams["heaptrace_gc_cycles"].type == "counter"
    assert fams["heaptrace_gc_pause_seconds"].type == "histogram" and fams["heaptrace_gc_pause_seconds"].unit == "seconds"
    assert "# UNIT heaptrace_map_retained_bytes bytes\n" in om

    # the index, the profile, the rest
    status, ctype, body = h.get("/")
    assert status == 200 and b'href="/metrics"' in body and b'href="/debug/pprof/maps"' in body
    status, ctype, body = h.get("/debug/pprof/maps")
    assert status == 200 and gzip.decompress(body)
    with pytest.raises(urllib.error.HTTPError) as e:
        h.get("/nope")
    assert e.value.code == 404

    # --textfile is rewritten each interval
    first = open(h.textfile).read()
    wait_for(lambda: open(h.textfile).read() != first, timeout=5, what="the textfile rewritten")
    promtool_check(open(h.textfile).read())
    t0 = sample(samples(first), "heaptrace_trace_seconds", pid=pid)
    assert sample(samples(open(h.textfile).read()), "heaptrace_trace_seconds", pid=pid) > t0

    # the map grown while traced appears; the healthy map, freed, disappears
    wait_for(lambda: os.path.exists(m.truth_path + ".dropped"), what="the fixture dropping its healthy map")

    def healthy_gone():
        s = samples(h.metrics()[1])
        return not [x for x, _ in series(s, "heaptrace_map_live_entries") if x["held_by"] == "main.healthy"]
    wait_for(healthy_gone, timeout=10, what="the freed map's series gone")
    grown = [x for x, _ in series(samples(h.metrics()[1]), "heaptrace_map_live_entries")
             if x["site"].startswith("main.growLater (")]
    assert grown and grown[0]["type"] == "map[int64]int64", grown

    h.wait()
    r = read_json(h.json)
    # the textfile's last rewrite is the final state, the JSON report's moment
    final = open(h.textfile).read()
    promtool_check(final)
    check_against_json(samples(final), r, m.pid)

    # go tool pprof reads the profile written at the end
    top = pprof("-top", "-sample_index=retained_space", h.pprof)
    assert "Type: retained_space" in top
    assert "main.leaky" in top, top
    raw = pprof("-raw", h.pprof)
    assert "maps/count table_space/bytes retained_space/bytes[dflt]" in raw
    assert "PeriodType: space bytes\nPeriod: 1\n" in raw
    assert " main.growLater " in raw, "the map grown while traced has its growth stack"
    assert "type:[map[int64]int64]" in raw and "verdict:[retained]" in raw
    leaky_addr = [x for x in r["maps"] if x["held_by"] == "main.leaky"][0]["addr"]
    assert f"addr:[{leaky_addr}]" in raw
    table = pprof("-top", "-sample_index=table_space", h.pprof)
    assert "Type: table_space" in table
    assert_nothing_left()


def read_json_version(h, tc):
    """The Go version heaptrace reports (the start message names it)."""
    line = [x for x in h.p.out.all if x.startswith("heaptrace: tracing pid")][0]
    return line.split(", ")[1].split(")")[0]


def test_stripped_profile_names_the_holder(mapleak, heaptrace):
    m = mapleak("go122-mapleak.stripped")
    h = heaptrace(m.pid, duration="2s")
    h.wait()
    r = read_json(h.json)
    leaky = r["maps"][0]
    assert leaky["live"] == m.truth["leaky_live"]
    # grown before attach: its stack is its holder, the global the code of
    # main.main uses; its type is not known (a table without pointers, no
    # DWARF): the label is its layout, never one of the types that fit
    assert leaky["held_by"].startswith("global 0x") and "(used by main.main" in leaky["held_by"]
    top = pprof("-top", h.pprof)
    assert leaky["held_by"] in top, top
    raw = pprof("-raw", h.pprof)
    assert leaky["type"] is None and f"type:[{leaky['layout']['text']}]" in raw, raw


def test_prometheus_server_scrapes_heaptrace(mapleak, heaptrace, tmp_path):
    m = mapleak("gocur-mapleak")
    h = heaptrace(m.pid, duration="60s")
    web = free_port()
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "scrape_configs:\n  - job_name: heaptrace\n"
                   f"    static_configs:\n      - targets: ['127.0.0.1:{h.port}']\n")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{web}", "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))

    def query(q):
        return prometheus_query(web, q)

    try:
        got = wait_for(lambda: query(f'heaptrace_gc_cycles_total{{pid="{m.pid}"}}'), timeout=45,
                       what="Prometheus returning heaptrace_gc_cycles_total")
        assert got[0]["metric"]["job"] == "heaptrace"
        assert float(got[0]["value"][1]) >= 0
        leaky = query(f'heaptrace_map_retained_bytes{{pid="{m.pid}",held_by="main.leaky"}}')
        assert leaky and float(leaky[0]["value"][1]) > 0.5 * m.truth["leaky_full_bytes"], leaky
        # the scrape itself went well: Prometheus negotiated OpenMetrics and parsed it all
        up = query(f'up{{instance="127.0.0.1:{h.port}"}}')
        assert up and up[0]["value"][1] == "1"
        samples_scraped = query(f'scrape_samples_scraped{{instance="127.0.0.1:{h.port}"}}')
        assert float(samples_scraped[0]["value"][1]) > 100
        # every query of the Grafana dashboard is valid PromQL on these series
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        assert len(exprs) >= 10
        for e in exprs:
            assert query(e.replace("$pid", str(m.pid)).replace("$__rate_interval", "5s")) is not None, e
        top = query(f'topk(20, heaptrace_map_retained_bytes{{pid=~"{m.pid}"}})')
        assert [x for x in top if x["metric"]["held_by"] == "main.leaky"], top
    finally:
        stop_server(prom)
    h.kill()
    assert h.p.returncode == 0, h.p.err.text()
    assert_nothing_left()


def test_port_in_use_is_refused_before_attaching(mapleak, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([HEAPTRACE, "-q", "-d", "2s", "-p", str(m.pid), "--listen", f"127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"heaptrace: cannot listen on 127.0.0.1:{port}: Address already in use" in p.stderr, p.stderr
    assert "tracing pid" not in p.stdout, "nothing was attached"
    assert m.p.poll() is None, "the target is untouched"
    assert_nothing_left()


@pytest.mark.parametrize("args,message", [
    (["--listen", "127.0.0.1"], "--listen 127.0.0.1: no port"),
    (["--listen", "127.0.0.1:99999"], "the port is a number from 0 to 65535"),
    (["--top-maps", "-1"], "invalid --top-maps '-1'"),
    (["--top-maps", "many"], "invalid --top-maps 'many'"),
    (["--textfile", ""], "--textfile needs a file name"),
])
def test_bad_export_options_exit_2(args, message):
    p = subprocess.run([HEAPTRACE, "-p", "1", *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr


@pytest.mark.parametrize("opt,path,message", [
    ("--textfile", "/nonexistent-dir/heaptrace.prom", "directory /nonexistent-dir does not exist"),
    ("--pprof", "/tmp", "that is a directory"),
])
def test_unwritable_export_files_fail_before_attaching(opt, path, message, mapleak, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    p = subprocess.run([HEAPTRACE, "-q", "-d", "2s", "-p", str(m.pid), opt, path], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr
    assert message in p.stderr
    assert "tracing pid" not in p.stdout
    assert_nothing_left()


def test_redact_leaves_addresses_and_variable_names_out(mapleak, heaptrace, tmp_path):
    """--redact (export/redact.h): the same series and figures, without heap
    addresses, global variables' names, source paths or load addresses."""
    m = mapleak("gocur-mapleak", "-grow-after", "1s", "-later", "100000")
    h = heaptrace(m.pid, "--redact", duration="4s")
    wait_for(lambda: "main.growLater" in h.metrics()[1], timeout=10, what="the map grown while traced in the metrics")
    text = h.metrics()[1]
    promtool_check(text)
    s = samples(text)
    rows = series(s, "heaptrace_map_table_bytes")
    assert rows
    for lab, _ in rows:
        assert re.fullmatch(r"r[0-9a-f]{16}", lab["addr"]), lab
        # the growth site's function or none; what holds it, by kind alone
        assert lab["site"] == "" or re.fullmatch(r"[\w./*()\[\]-]+", lab["site"]), lab
        assert lab["held_by"] in ("", "global") or lab["held_by"].startswith("goroutine "), lab
    assert len({lab["addr"] for lab, _ in rows}) == len(rows), "distinct maps keep distinct series"
    leaky = [(lab, v) for lab, v in rows if lab["verdict"] == "retained"]
    assert leaky and abs(leaky[0][1] - m.truth["leaky_full_bytes"]) <= 0.25 * m.truth["leaky_full_bytes"]
    assert [lab for lab, _ in rows if lab["site"] == "main.growLater"], rows
    for secret in ("main.leaky", "main.healthy", ".go:", "0x"):
        assert secret not in text.replace("0x0", ""), secret
    h.wait()
    raw = pprof("-raw", h.pprof)
    assert "global main." not in raw and ".go:" not in raw, raw
    assert re.search(r"addr:\[r[0-9a-f]{16}\]", raw)
    assert "main.growLater" in raw, "function names stay"
    # the local report keeps everything
    r = read_json(h.json)
    assert [x for x in r["maps"] if x["held_by"] == "main.leaky" and x["addr"].startswith("0x")]


def test_redact_needs_an_export():
    p = subprocess.run([HEAPTRACE, "-p", "1", "--redact"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--redact applies to --listen, --textfile and --pprof" in p.stderr
