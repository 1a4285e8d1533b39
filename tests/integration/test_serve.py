# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""--listen's HTTP server (user/serve/): in its own processes, each without
capability, with no_new_privs and a seccomp filter; --web-config's TLS,
client certificates and bcrypt basic authentication, checked with curl's
and Python's clients and scraped by a real Prometheus; the Host check on
loopback; slow clients; a crashed server replaced while the trace goes on;
a web config refused or reloaded. Certificates are made by openssl here."""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import warnings

import pytest

from conftest import (AS_TRACER, HEAPTRACE, assert_nothing_left, finish, free_port, proc_status, read_json, spawn,
                      prometheus_query, stop_server, target, wait_file, wait_for)

PROMETHEUS = "/usr/bin/prometheus"
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # the system's crypt(3), the server's own oracle
    import crypt


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def ec_key_and_csr(cwd, name, cn):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=cwd)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A self-signed server certificate for localhost and 127.0.0.1, a client
    CA with one client certificate, and a client certificate of no CA."""
    d = tmp_path_factory.mktemp("certs")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "server.key", "-out", "server.pem", "-days", "2", "-subj", "/CN=localhost", "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=heaptrace test CA", cwd=d)
    ec_key_and_csr(d, "client", "prometheus")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "client.pem", "-days", "2", "-extfile", "client.ext", cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=rogue", cwd=d)
    for f in d.iterdir():
        f.chmod(0o600)
    return d


def bcrypt(password, prefix="$2b$"):
    """A bcrypt hash from the system's crypt(3), cost 6: quick to check."""
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=64))
    assert h.startswith("$2b$06$"), h
    return prefix + h[4:]


def write_web_config(path, text, mode=0o600):
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def tls_config(certs, users="", extra=""):
    return (f"tls_server_config:\n  cert_file: {certs}/server.pem\n  key_file: {certs}/server.key\n{extra}"
            f"basic_auth_users:\n{users}"
            "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n")


def listeners(port):
    """The pids of every process holding the TCP socket that listens on port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                    inodes.add(fields[9])
    pids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{d}/fd"):
                try:
                    link = os.readlink(f"/proc/{d}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.add(int(d))
        except OSError:
            pass
    return pids


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def assert_unprivileged(pids, tracer):
    assert pids, "someone holds the listening socket"
    assert tracer not in pids, "the tracer keeps no copy of the listening socket"
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            s = proc_status(pid, tid)
            for f in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                assert int(s[f], 16) == 0, f"{comm(pid)} {pid}/{tid}: {f} {s[f]}"
            assert s["NoNewPrivs"] == "1", f"{comm(pid)} {pid}/{tid}"
            assert s["Seccomp"] == "2", f"{comm(pid)} {pid}/{tid}: Seccomp {s['Seccomp']}"
            assert s["Uid"].split()[0] != "0", f"{comm(pid)} {pid} runs as root"


class Served:
    """heaptrace -p PID --listen 127.0.0.1:PORT [--web-config FILE], serving."""

    def __init__(self, pid, *args, prefix=(), listen="127.0.0.1", duration="60s", ca=None, user=None, password=None,
                 cert=None):
        self.port = free_port()
        self.p = spawn([*prefix, HEAPTRACE, "-q", "-d", duration, "-i", "500ms", "-p", str(pid),
                        "--listen", f"{listen}:{self.port}", *args])
        self.line = self.p.out.wait_for("heaptrace: serving ", timeout=60)
        # the first bodies are served before heaptrace says it serves
        status, _, body = request(self.port, ca=ca, user=user, password=password, cert=cert)
        assert status != 503, body

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        return finish(self.p, timeout=30)


@pytest.fixture
def served():
    started = []

    def start(pid, *args, **kw):
        s = Served(pid, *args, **kw)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def request(port, path="/metrics", ca=None, user=None, password=None, host=None, cert=None, timeout=5):
    """(status, headers, body) of one GET; https when ca is given."""
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
        if cert:
            ctx.load_cert_chain(*cert)
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if host is not None:
        headers["Host"] = host
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def test_serving_processes_have_no_privilege(mapleak, served):
    m = mapleak("gocur-mapleak.stripped")
    s = served(m.pid)
    status, _, body = request(s.port)
    assert status == 200 and b"heaptrace_target_info" in body
    pids = listeners(s.port)
    assert {comm(p) for p in pids} == {"heaptrace-serve", "heaptrace-http"}, [comm(p) for p in pids]
    assert_unprivileged(pids, s.p.pid)
    for p in pids:
        assert proc_status(p)["Uid"].split() == ["65534"] * 4
        assert int(proc_status(p)["CapBnd"], 16) == 0, "root's heaptrace empties the bounding set too"
    assert s.stop() == 0


def test_serving_processes_of_an_unprivileged_host_agent(tmp_path, served):
    """--all as uid 65534 with the three capabilities: the server has none."""
    d = tmp_path / "fx"
    d.mkdir()
    d.chmod(0o755)
    tmp_path.chmod(0o755)
    exe = d / "htfixture-serve-gcload"
    shutil.copy(target("gocur-gcload"), exe)
    g = subprocess.Popen([str(exe), "-rounds", "100000", "-pause", "20ms"], stdout=subprocess.DEVNULL)
    try:
        port = free_port()
        h = spawn([*AS_TRACER, HEAPTRACE, "--all", "--exe", "*/htfixture-serve-*", "-q", "-i", "500ms",
                   "--listen", f"127.0.0.1:{port}"])
        h.out.wait_for("heaptrace: serving ", timeout=60)
        body = wait_for(lambda: f'pid="{g.pid}"'.encode() in request(port)[2] and request(port)[2], timeout=20,
                        what="the fixture in /metrics")
        assert b"heaptrace_gc_cycles_total" in body
        pids = listeners(port)
        assert_unprivileged(pids, h.pid)
        for p in pids:
            assert proc_status(p)["Uid"].split()[0] == "65534"
        h.send_signal(signal.SIGTERM)
        assert finish(h) == 0, h.err.text()
    finally:
        g.kill()
        g.wait()
    assert_nothing_left()


def test_tls_and_basic_auth(certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    users = (f"  alice: '{bcrypt('s3cret')}'\n  bob: '{bcrypt('hunter2', '$2a$')}'\n"
             f"  carol: '{bcrypt('pa55', '$2y$')}'\n")
    cfg = write_web_config(tmp_path / "web.yml", tls_config(certs, users))
    ca = str(certs / "server.pem")
    s = served(m.pid, "--web-config", cfg, ca=ca, user="alice", password="s3cret")
    assert f"serving https://127.0.0.1:{s.port}/metrics" in s.line
    # plain HTTP gets no HTTP answer from the TLS port
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
        c.sendall(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n\r\n".encode())
        try:
            answer = c.recv(100)
        except ConnectionResetError:
            answer = b""
    assert not answer.startswith(b"HTTP/"), answer
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        request(s.port)
    # no credentials, wrong ones, an unknown user: 401, with the challenge
    for user, password in ((None, None), ("alice", "wrong"), ("mallory", "s3cret"), ("alice", "")):
        status, headers, _ = request(s.port, ca=ca, user=user, password=password)
        assert status == 401, (user, password)
        assert headers.get("WWW-Authenticate", "").startswith("Basic realm="), headers
    # the right ones, whichever bcrypt prefix: 200, and the configured headers
    for user, password in (("alice", "s3cret"), ("bob", "hunter2"), ("carol", "pa55"), ("alice", "s3cret")):
        status, headers, body = request(s.port, ca=ca, user=user, password=password)
        assert status == 200, user
        assert b"heaptrace_target_info" in body
        assert headers["X-Frame-Options"] == "deny" and headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = request(s.port, "/debug/pprof/maps", ca=ca, user="alice", password="s3cret")
    assert status == 200 and body[:2] == b"\x1f\x8b"
    # TLS 1.2 and 1.3 both (the default min_version and max_version)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=ca)
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", s.port)) as raw, ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
            assert t.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
    assert_unprivileged(listeners(s.port), s.p.pid)
    assert s.stop() == 0, s.p.err.text()
    assert_nothing_left()


def test_min_version_tls13_refuses_tls12(certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    cfg = write_web_config(tmp_path / "web.yml", tls_config(certs, extra="  min_version: TLS13\n")
                           .replace("basic_auth_users:\n", ""))
    s = served(m.pid, "--web-config", cfg, ca=str(certs / "server.pem"))
    ctx = ssl.create_default_context(cafile=str(certs / "server.pem"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", s.port)) as raw, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    assert request(s.port, ca=str(certs / "server.pem"))[0] == 200


@pytest.mark.parametrize("auth,none,good,rogue", [
    ("RequestClientCert", True, True, True),
    ("RequireAnyClientCert", False, True, True),
    ("VerifyClientCertIfGiven", True, True, False),
    ("RequireAndVerifyClientCert", False, True, False),
])
def test_client_certificates(auth, none, good, rogue, certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    extra = f"  client_auth_type: {auth}\n" + (f"  client_ca_file: {certs}/ca.pem\n" if "Verify" in auth else "")
    cfg = write_web_config(tmp_path / "web.yml", tls_config(certs, extra=extra).replace("basic_auth_users:\n", ""))
    ca = str(certs / "server.pem")
    s = served(m.pid, "--web-config", cfg, ca=ca, cert=(str(certs / "client.pem"), str(certs / "client.key")))

    def served_with(cert):
        try:
            return request(s.port, ca=ca, cert=cert)[0] == 200
        except (ssl.SSLError, ConnectionError, http.client.HTTPException):
            return False
    assert served_with(None) == none
    assert served_with((str(certs / "client.pem"), str(certs / "client.key"))) == good
    assert served_with((str(certs / "rogue.pem"), str(certs / "rogue.key"))) == rogue


def test_prometheus_scrapes_over_tls_with_basic_auth(certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak")
    cfg = write_web_config(tmp_path / "web.yml", tls_config(certs, f"  prometheus: '{bcrypt('scrape-me')}'\n"))
    s = served(m.pid, "--web-config", cfg, ca=str(certs / "server.pem"), user="prometheus", password="scrape-me")
    web = free_port()
    target_ = f"127.0.0.1:{s.port}"
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
        f"  - job_name: heaptrace\n    scheme: https\n    tls_config:\n      ca_file: {certs}/server.pem\n"
        f"    basic_auth:\n      username: prometheus\n      password: scrape-me\n"
        f"    static_configs:\n      - targets: ['{target_}']\n"
        f"  - job_name: wrong-password\n    scheme: https\n    tls_config:\n      insecure_skip_verify: true\n"
        f"    basic_auth:\n      username: prometheus\n      password: guessed\n"
        f"    static_configs:\n      - targets: ['{target_}']\n"
        f"  - job_name: plain-http\n    static_configs:\n      - targets: ['{target_}']\n")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web}",
                             "--log.level=warn"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        def up(job):
            r = prometheus_query(web, f'up{{job="{job}"}}')
            return r and r[0]["value"][1]
        assert wait_for(lambda: up("heaptrace") == "1" and up("wrong-password") and up("plain-http"), timeout=45,
                        what="every job scraped once")
        assert up("wrong-password") == "0" and up("plain-http") == "0"
        got = wait_for(lambda: prometheus_query(web, f'heaptrace_map_retained_bytes{{pid="{m.pid}",held_by="main.leaky"}}'),
                       timeout=20, what="the leaky map in Prometheus")
        assert float(got[0]["value"][1]) > 0.5 * m.truth["leaky_full_bytes"]
    finally:
        stop_server(prom)
    assert s.stop() == 0


def slow_clients(port, n, ctx=None):
    """n connections that send a request line and then one header byte a
    second, forever: (sockets, stop)."""
    socks = []
    for _ in range(n):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        c = ctx.wrap_socket(raw, server_hostname="127.0.0.1") if ctx else raw
        c.sendall(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
        socks.append(c)
    stop = threading.Event()

    def trickle():
        while not stop.wait(1):
            for c in socks:
                try:
                    c.send(b"a")
                except OSError:
                    pass
    threading.Thread(target=trickle, daemon=True).start()
    return socks, stop


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_slow_clients_do_not_starve_scrapes(tls, certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    args, ca, auth = [], None, {}
    if tls:
        cfg = write_web_config(tmp_path / "web.yml", tls_config(certs, f"  alice: '{bcrypt('s3cret')}'\n"))
        args, ca, auth = ["--web-config", cfg], str(certs / "server.pem"), {"user": "alice", "password": "s3cret"}
    s = served(m.pid, *args, ca=ca, **auth)
    ctx = ssl.create_default_context(cafile=ca) if tls else None
    socks, stop = slow_clients(s.port, 200, ctx)
    try:
        times = []
        t_start = time.monotonic()
        for i in range(10):
            t0 = time.monotonic()
            status, _, body = request(s.port, ca=ca, timeout=2, **auth)
            times.append(time.monotonic() - t0)
            assert status == 200 and b"heaptrace_target_info" in body
            time.sleep(max(0, t_start + i + 1 - time.monotonic()))
        assert max(times) < 2, times
        assert time.monotonic() - t_start < 11
        # the slow clients were all still connected (none refused, none cut yet)
        open_ = 0
        for c in socks:
            c.setblocking(False)
            try:
                open_ += c.recv(1) != b""
            except (BlockingIOError, ssl.SSLWantReadError):
                open_ += 1
            except OSError:
                pass
        assert open_ == 200, f"{open_} of 200 slow clients still connected"
    finally:
        stop.set()
        for c in socks:
            c.close()
    print(f"10 scrapes beside 200 slow {'TLS ' if tls else ''}clients: slowest {max(times) * 1000:.1f} ms")


def test_request_deadline_cuts_a_trickler(mapleak, served):
    m = mapleak("gocur-mapleak.stripped")
    s = served(m.pid)
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\nX-Slow: ".encode())
    t0 = time.monotonic()
    c.settimeout(1)
    ended = None
    while time.monotonic() - t0 < 25:
        try:
            c.send(b"a")  # a byte a second: an idle timeout never fires
            if c.recv(1) == b"":
                ended = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            ended = time.monotonic() - t0
            break
    c.close()
    assert ended is not None and 14 <= ended <= 17, ended
    s.p.err.wait_for("connection cut: no request answered within 15 s of its start", timeout=5)


def test_connections_per_address_are_bounded_and_said_once(mapleak, served):
    m = mapleak("gocur-mapleak.stripped")
    s = served(m.pid)
    socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(300)]
    time.sleep(1)
    closed = 0
    for c in socks:
        c.setblocking(False)
        try:
            closed += c.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    for c in socks:
        c.close()
    # each of the server's two threads accepts on its own: one may admit
    # a connection before the other's last one is counted
    assert 300 - 256 - 2 <= closed <= 300 - 256
    s.p.err.wait_for("127.0.0.1 holds 256 connections, its limit: more from it refused (logged once)")
    assert s.p.err.text().count("its limit") == 1


@pytest.mark.parametrize("host,status", [
    ("127.0.0.1:{port}", 200), ("localhost:{port}", 200), ("LOCALHOST:{port}", 200), ("[::1]:{port}", 200),
    ("evil.example:{port}", 403), ("localhost.evil.example:{port}", 403), ("127.0.0.1:{other}", 403),
    ("127.0.0.1", 403),
])
def test_host_header_on_loopback(host, status, mapleak, served):
    m = mapleak("gocur-mapleak.stripped")
    s = served(m.pid)
    got, _, body = request(s.port, host=host.format(port=s.port, other=s.port + 1))
    assert got == status, body
    if status == 403:
        assert b"the Host header does not name this server" in body
        s.p.err.wait_for("a request for another host than this loopback server refused (DNS rebinding?)")


def test_host_header_not_checked_off_loopback(mapleak, served):
    m = mapleak("gocur-mapleak.stripped")
    s = served(m.pid, listen="0.0.0.0")
    assert request(s.port, host=f"metrics.example:{s.port}")[0] == 200
    # HTTP/1.0 without a Host header is not a browser's, on loopback either
    s2 = served(m.pid)
    with socket.create_connection(("127.0.0.1", s2.port)) as c:
        c.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        assert c.recv(12)[8:] == b" 200"


def test_crashed_server_is_replaced_and_the_trace_goes_on(mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    out = tmp_path / "r.json"
    s = served(m.pid, "--json", str(out))

    def trace_seconds():
        for line in request(s.port)[2].decode().splitlines():
            if line.startswith("heaptrace_trace_seconds{"):
                return float(line.split()[-1])
    before = trace_seconds()
    workers = [p for p in listeners(s.port) if comm(p) == "heaptrace-http"]
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGSEGV)
    s.p.err.wait_for(f"the server process (pid {workers[0]}) was killed by signal 11 (Segmentation fault)")
    new = wait_for(lambda: [p for p in listeners(s.port) if comm(p) == "heaptrace-http" and p != workers[0]],
                   timeout=5, what="a new server process")
    assert_unprivileged(listeners(s.port), s.p.pid)
    # it serves, and what it serves keeps moving: the trace went on
    wait_for(lambda: (trace_seconds() or 0) > before + 1, timeout=10, what="the trace going on after the crash")
    # a second crash is replaced too (a request the dying one took is lost
    # with it; those waiting in the listening socket's backlog are not)
    os.kill(new[0], signal.SIGSEGV)

    def serving():
        try:
            return request(s.port)[0] == 200
        except (http.client.HTTPException, ConnectionError):
            return False
    wait_for(serving, timeout=10, what="serving again")
    assert s.stop() == 0, s.p.err.text()
    r = read_json(out)
    assert r["maps"][0]["live"] == m.truth["leaky_live"]
    assert_nothing_left()


@pytest.mark.parametrize("name,text,mode,why", [
    ("ww.yml", "basic_auth_users: {}\n", 0o666, "writable by every user (mode 0666)"),
    ("unknown.yml", "tls_server_config:\n  certfile: x.pem\n", 0o600, "unknown key tls_server_config.certfile"),
    ("hash.yml", "basic_auth_users:\n  alice: plaintext\n", 0o600, "basic_auth_users.alice: not a bcrypt hash"),
])
def test_bad_web_config_is_refused_before_attaching(name, text, mode, why, mapleak, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    cfg = write_web_config(tmp_path / name, text, mode)
    port = free_port()
    p = subprocess.run([HEAPTRACE, "-q", "-d", "2s", "-p", str(m.pid), "--listen", f"127.0.0.1:{port}",
                        "--web-config", cfg], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"heaptrace: --web-config {cfg}: " in p.stderr and why in p.stderr, p.stderr
    assert "tracing pid" not in p.stdout, "nothing was attached"
    assert not listeners(port), "nothing was bound"
    assert_nothing_left()


def test_web_config_needs_listen():
    p = subprocess.run([HEAPTRACE, "-p", "1", "--web-config", "/etc/hostname"], capture_output=True, text=True)
    assert p.returncode == 2 and "--web-config configures the server of --listen" in p.stderr


def test_sighup_reloads_the_web_config(certs, mapleak, served, tmp_path):
    m = mapleak("gocur-mapleak.stripped")
    path = tmp_path / "web.yml"
    cfg = write_web_config(path, tls_config(certs, f"  alice: '{bcrypt('first')}'\n"))
    ca = str(certs / "server.pem")
    s = served(m.pid, "--web-config", cfg, ca=ca, user="alice", password="first")
    assert request(s.port, ca=ca, user="alice", password="first")[0] == 200
    assert request(s.port, ca=ca, user="alice", password="second")[0] == 401
    write_web_config(path, tls_config(certs, f"  alice: '{bcrypt('second')}'\n"))
    s.p.send_signal(signal.SIGHUP)
    s.p.err.wait_for(f"--web-config {cfg} reloaded", timeout=10)
    assert request(s.port, ca=ca, user="alice", password="second")[0] == 200
    assert request(s.port, ca=ca, user="alice", password="first")[0] == 401
    # a bad one is said, and the good one stays
    path.chmod(0o666)
    s.p.send_signal(signal.SIGHUP)
    s.p.err.wait_for("writable by every user (mode 0666), so anyone could change who may read heaptrace's data: "
                     "chmod o-w it: the previous web configuration stays", timeout=10)
    assert request(s.port, ca=ca, user="alice", password="second")[0] == 200
    assert s.p.poll() is None, "SIGHUP never stops heaptrace"
    assert s.stop() == 0
