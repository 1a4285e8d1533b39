# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The deploy files: the systemd unit's exposure by systemd's own offline
analysis (no systemd runs as PID 1 here to start it), its sandbox emulated
where it can be (uid of its own, ambient capabilities under no_new_privs,
/proc limited to the processes it may ptrace), and the DaemonSet read as
YAML for what a security review asks of it."""
import os
import re
import shutil
import signal
import subprocess
import urllib.request

import yaml

from conftest import (HEAPTRACE, ROOT, TRACE_CAPS, assert_nothing_left, finish, free_port, proc_status, spawn,
                      target, wait_for)

UNIT = os.path.join(ROOT, "deploy", "heaptrace.service")
DAEMONSET = os.path.join(ROOT, "deploy", "daemonset.yaml")
THREE = {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE"}


def unit_settings():
    """{key: [values]} of the unit's [Service] (and [Unit]) lines."""
    out = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def test_unit_exposure_is_at_most_3():
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", UNIT], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"Overall exposure level for heaptrace\.service: (\d+\.\d+)", p.stdout)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) <= 3.0, p.stdout
    assert "Unknown key" not in p.stderr and "Failed to parse" not in p.stderr, p.stderr
    print(f"systemd-analyze security: {m.group(1)}")


def test_unit_grants_the_three_capabilities_and_no_more():
    s = unit_settings()
    assert set(s["AmbientCapabilities"][0].split()) == THREE
    assert set(s["CapabilityBoundingSet"][0].split()) == THREE
    assert s["NoNewPrivileges"] == ["yes"]
    assert s.get("DynamicUser") == ["yes"] or s.get("User", ["root"])[0] not in ("root", "0")
    assert s["ProtectSystem"] == ["strict"]
    assert s["Documentation"] == ["man:heaptrace(8)"]
    allowed = s["SystemCallFilter"][0].split()
    # tracing's own calls, and what heaptrace confines its HTTP server with
    for call in ("bpf", "perf_event_open", "process_vm_readv", "seccomp", "landlock_create_ruleset",
                 "landlock_restrict_self"):
        assert call in allowed, call
    assert "ptrace" not in allowed, "only heaptrace -- PROG uses ptrace"


def test_unit_command_line_is_heaptrace_s():
    args = unit_settings()["ExecStart"][0].split()[1:]
    p = subprocess.run([HEAPTRACE, *args, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr


def test_unit_sandbox_emulated(tmp_path):
    """As the unit runs it: not root, the three capabilities ambient, with
    no_new_privs, and a /proc that shows only what it may ptrace and no
    /proc/sys (ProtectProc=invisible, ProcSubset=pid)."""
    tmp_path.chmod(0o755)
    exe = tmp_path / "htfixture-unit-gcload"
    shutil.copy(target("gocur-gcload"), exe)
    g = subprocess.Popen([str(exe), "-rounds", "100000", "-pause", "20ms"], stdout=subprocess.DEVNULL)
    port = free_port()
    caps = "-all,+bpf,+perfmon,+sys_ptrace"
    as_unit = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", f"--inh-caps={caps}",
               f"--ambient-caps={caps}", f"--bounding-set={caps}", "--no-new-privs"]
    script = ("mount -t proc -o hidepid=invisible,subset=pid proc /proc && test ! -e /proc/sys && exec "
              + " ".join([*as_unit, HEAPTRACE, "--all", "--exe", "'*/htfixture-unit-*'", "-q", "-i", "500ms",
                          "--listen", f"127.0.0.1:{port}"]))
    h = spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    try:
        h.out.wait_for("heaptrace: serving ", timeout=60)

        def scraped():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                body = r.read().decode()
            return f'pid="{g.pid}"' in body and body
        body = wait_for(scraped, timeout=20, what="the fixture traced under the unit's sandbox")
        assert "heaptrace_gc_cycles_total" in body
        s = proc_status(h.pid)
        assert s["NoNewPrivs"] == "1" and int(s["CapEff"], 16) == TRACE_CAPS
        h.send_signal(signal.SIGTERM)
        assert finish(h) == 0, h.err.text()
    finally:
        g.kill()
        g.wait()
    assert_nothing_left()


def daemonset():
    docs = list(yaml.safe_load_all(open(DAEMONSET)))
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    assert len(ds) == 1
    return docs, ds[0]["spec"]["template"]["spec"]


def container(pod, name):
    return [c for c in pod["containers"] if c["name"] == name][0]


def test_daemonset_heaptrace_holds_three_capabilities_and_no_token():
    docs, pod = daemonset()
    assert pod["hostPID"] is True
    assert pod["automountServiceAccountToken"] is False
    sa = [d for d in docs if d["kind"] == "ServiceAccount"]
    assert sa and sa[0]["automountServiceAccountToken"] is False
    ht = container(pod, "heaptrace")
    sc = ht["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert set(sc["capabilities"]["add"]) == {"BPF", "PERFMON", "SYS_PTRACE"}
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc.get("privileged", False) is False
    assert (sc.get("seccompProfile") or pod["securityContext"]["seccompProfile"])["type"] == "RuntimeDefault"
    assert not [m for m in ht.get("volumeMounts", []) if "serviceaccount" in m["mountPath"]], "no token for heaptrace"
    # binds 127.0.0.1: only the pod's own containers reach it
    args = ht["args"]
    assert args[args.index("--listen") + 1].startswith("127.0.0.1:")
    assert "ports" not in ht, "nothing of heaptrace's is published"


def test_daemonset_mounts():
    _, pod = daemonset()
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert not [v for v in volumes.values() if v.get("hostPath", {}).get("path") == "/proc"], "no /host/proc"
    for c in pod["containers"]:
        for m in c.get("volumeMounts", []):
            hp = volumes[m["name"]].get("hostPath")
            if not hp:
                continue
            # The one host directory written: heaptrace's own, for OOM records.
            if hp["path"] == "/var/lib/heaptrace/oom":
                assert c["name"] == "heaptrace" and m["mountPath"] == hp["path"]
                assert hp.get("type") == "DirectoryOrCreate"
                continue
            assert m.get("readOnly") is True, f"{c['name']}: {m['mountPath']} is read-only"
    tracing = [m for m in container(pod, "heaptrace")["volumeMounts"] if m["mountPath"] == "/sys/kernel/tracing"]
    assert tracing and tracing[0]["readOnly"] is True


def test_daemonset_proxy_is_what_the_network_sees():
    docs, pod = daemonset()
    ht, proxy = container(pod, "heaptrace"), container(pod, "kube-rbac-proxy")
    listen = ht["args"][ht["args"].index("--listen") + 1]
    assert f"--upstream=http://{listen}/" in proxy["args"]
    assert [a for a in proxy["args"] if a.startswith("--secure-listen-address=")]
    sc = proxy["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True and sc["runAsNonRoot"]
    # its token comes from a projected volume of its own container
    token = [m for m in proxy["volumeMounts"] if "serviceaccount" in m["mountPath"]]
    assert token
    sources = {k for s in {v["name"]: v for v in pod["volumes"]}[token[0]["name"]]["projected"]["sources"] for k in s}
    assert "serviceAccountToken" in sources
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterRole"}
    assert {r["resources"][0] for r in roles["heaptrace-kube-rbac-proxy"]["rules"]} == {"tokenreviews",
                                                                                       "subjectaccessreviews"}


def test_daemonset_command_line_is_heaptrace_s():
    _, pod = daemonset()
    p = subprocess.run([HEAPTRACE, *container(pod, "heaptrace")["args"], "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
