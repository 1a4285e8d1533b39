# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The Debian package and what it installs: `make package-check` builds it
and runs lintian; the package installs with dpkg -i, its man page documents
every option of --help, its completion completes them, dpkg -r removes it;
make install and make uninstall put and take away the same files."""
import gzip
import io
import os
import re
import subprocess
import tarfile

import pytest

from conftest import HEAPTRACE, ROOT, spawn, target

# The files the package and `make install PREFIX=/usr` both install.
INSTALLED = [
    "usr/sbin/heaptrace",
    "usr/share/man/man8/heaptrace.8.gz",
    "usr/share/bash-completion/completions/heaptrace",
    "usr/share/zsh/vendor-completions/_heaptrace",
    "lib/systemd/system/heaptrace.service",
    "usr/share/doc/heaptrace/examples/daemonset.yaml",
    "usr/share/doc/heaptrace/examples/grafana-heaptrace.json",
]
# What Debian asks of every package, beside them.
DEBIAN_DOCS = ["usr/share/doc/heaptrace/copyright", "usr/share/doc/heaptrace/changelog.gz"]
MAN_PAGE = os.path.join(ROOT, "build", "man", "heaptrace.8.gz")
BASH_COMPLETION = os.path.join(ROOT, "build", "completion", "heaptrace")
ZSH_COMPLETION = os.path.join(ROOT, "build", "completion", "_heaptrace")


def make(*args):
    """make in the source tree, as a user runs it (not as a sub-make of the
    make that runs these tests)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    p = subprocess.run(["make", "-C", ROOT, *args], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, f"make {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


@pytest.fixture(scope="module")
def package():
    """make package-check's .deb and lintian's output."""
    out = make("package-check")
    debs = [f for f in os.listdir(ROOT) if re.fullmatch(r"heaptrace_[^_]+_[^_]+\.deb", f)]
    assert len(debs) == 1, f"make deb left {debs} at the top of the tree"
    return os.path.join(ROOT, debs[0]), out


def deb_files(deb):
    """The regular files of a .deb, as paths without the leading './'."""
    listing = subprocess.run(["dpkg-deb", "--contents", deb], capture_output=True, text=True, check=True).stdout
    return sorted(l.split()[-1].removeprefix("./") for l in listing.splitlines() if l.startswith("-"))


def deb_file_text(deb, path):
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return t.extractfile("./" + path).read().decode()


def help_long_options():
    """Every long option heaptrace --help lists (its option lines only)."""
    out = subprocess.run([HEAPTRACE, "--help"], capture_output=True, text=True, check=True).stdout
    opts = re.findall(r"^ {2,6}(?:-\S, )?--([a-z0-9][a-z0-9-]*)", out, re.M)
    assert "list-probes" in opts and "help" in opts, f"no options found in --help:\n{out}"
    return opts


def heaptrace_version():
    return subprocess.run([HEAPTRACE, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]


def render_man(*args):
    """man's text, wide enough that no line is broken, in UTF-8 as users see it."""
    env = dict(os.environ, MANWIDTH="250", LC_ALL="C.UTF-8", MANPAGER="cat", PAGER="cat")
    p = subprocess.run(["man", *args], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and not p.stderr.strip(), f"man {' '.join(args)}: {p.returncode}\n{p.stderr}"
    return p.stdout


def assert_documents_every_option(page):
    missing = [o for o in help_long_options() if not re.search(rf"--{re.escape(o)}(?![a-z0-9-])", page)]
    assert not missing, f"heaptrace(8) lacks options that --help lists: {['--' + o for o in missing]}"
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "ENVIRONMENT",
                    "EXAMPLES", "BUGS"):
        assert re.search(rf"^{section}$", page, re.M), f"heaptrace(8) has no {section} section"


def test_lintian_reports_no_error(package):
    _, out = package
    tags = [l for l in out.splitlines() if re.match(r"[EWIPX]: heaptrace", l)]
    errors = [t for t in tags if t.startswith("E:")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)
    print("lintian:\n" + "\n".join(tags))


def test_package_holds_the_installed_files(package):
    deb, _ = package
    assert os.path.basename(deb) == f"heaptrace_{heaptrace_version()}_amd64.deb"
    assert deb_files(deb) == sorted(INSTALLED + DEBIAN_DOCS)
    unit = deb_file_text(deb, "lib/systemd/system/heaptrace.service")
    assert re.search(r"^ExecStart=/usr/sbin/heaptrace ", unit, re.M), unit
    # Depends comes from the shared libraries heaptrace links (dpkg-shlibdeps).
    depends = subprocess.run(["dpkg-deb", "--field", deb, "Depends"], capture_output=True, text=True,
                             check=True).stdout
    for lib in ("libbpf1", "libc6", "libelf1", "libcapstone4", "libjansson4", "libmicrohttpd12"):
        assert lib in depends, f"Depends lacks {lib}: {depends}"


def test_man_page_documents_every_option():
    make("man")
    assert_documents_every_option(render_man("-l", MAN_PAGE))


def installed_package():
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "heaptrace"], capture_output=True, text=True)
    return p.returncode == 0 and "installed" in p.stdout and "not-installed" not in p.stdout


def test_dpkg_installs_and_removes_it(package):
    deb, _ = package
    assert not installed_package(), \
        "heaptrace is installed from a package here already; this test installs and removes its own: dpkg -r heaptrace"
    files = ["/" + f for f in INSTALLED + DEBIAN_DOCS]
    try:
        subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True, check=True)
        assert installed_package()
        for f in files:
            assert os.path.isfile(f), f"{f} not installed"
        out = subprocess.run(["/usr/sbin/heaptrace", "--version"], capture_output=True, text=True, check=True)
        assert out.stdout.split() == ["heaptrace", heaptrace_version()]
        assert_documents_every_option(render_man("heaptrace"))
        # Installed, not enabled.
        assert not os.path.exists("/etc/systemd/system/multi-user.target.wants/heaptrace.service")
        # bash-completion's loader finds it by the command's name.
        assert complete_bash(["heaptrace", "--li"], loader=True) == ["--list-probes"]
        subprocess.run(["dpkg", "-r", "heaptrace"], capture_output=True, text=True, check=True)
        left = [f for f in files if os.path.exists(f)]
        assert not left, f"dpkg -r heaptrace left {left}"
        assert not os.path.exists("/usr/share/doc/heaptrace")
    finally:
        # Nothing left on the machine, whatever failed: the unit's state
        # kept by deb-systemd-helper goes too.
        subprocess.run(["dpkg", "--purge", "heaptrace"], capture_output=True, text=True)
    assert not installed_package()


def complete_bash(words, cword=None, loader=False, cwd=None):
    """What the bash completion offers for the command line words, the last
    one being completed (or words[cword]): built from the tree's file, or,
    with loader, found by bash-completion as an interactive shell would."""
    cword = len(words) - 1 if cword is None else cword
    if loader:
        load = "source /usr/share/bash-completion/bash_completion; _completion_loader heaptrace"
    else:
        load = f"source {BASH_COMPLETION}"
    script = (f"{load}; COMP_WORDS=(\"$@\"); COMP_CWORD={cword}; "
              f"fn=$(complete -p heaptrace | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p'); "
              "$fn heaptrace \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"; "
              "printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", *words], capture_output=True,
                       text=True, cwd=cwd, timeout=30)
    assert p.returncode == 0, p.stderr
    return [l for l in p.stdout.splitlines() if l]


@pytest.fixture(scope="module")
def completions():
    make("completion")


def test_bash_completes_options_from_help(completions):
    # Before a mode, a word that begins one mode's name is that mode.
    assert complete_bash(["heaptrace", "--li"]) == ["--list-probes"]
    assert complete_bash(["heaptrace", "--liste"]) == ["--listen"]
    assert complete_bash(["heaptrace", "--list-p"]) == ["--list-probes"]
    # After one, every option that the word begins.
    assert complete_bash(["heaptrace", "--all", "--li"]) == ["--list-probes", "--listen"]
    assert complete_bash(["heaptrace", "--pid=1", "--li"]) == ["--list-probes", "--listen"]
    assert complete_bash(["heaptrace", "-p1", "--li"]) == ["--list-probes", "--listen"]
    offered = {o[2:] for o in complete_bash(["heaptrace", "--"]) if o.startswith("--")}
    assert offered == set(help_long_options())


def test_bash_completes_go_pids_files_and_commands(completions, tmp_path):
    go = spawn([target("gocur-httpsvc.stripped")])
    go.out.wait_for("listening")
    not_go = spawn(["sleep", "60"])
    pids = complete_bash(["heaptrace", "-p", ""])
    assert str(go.pid) in pids, f"Go process {go.pid} not offered: {pids}"
    assert str(not_go.pid) not in pids, f"sleep ({not_go.pid}) offered as a Go process"
    assert str(go.pid) in complete_bash(["heaptrace", "--pid", str(go.pid)[:-1]])
    (tmp_path / "report.json").write_text("")
    assert complete_bash(["heaptrace", "--json", "rep"], cwd=tmp_path) == ["report.json"]
    # bash splits --json=rep at "=".
    assert complete_bash(["heaptrace", "--json", "=", "rep"], cwd=tmp_path) == ["report.json"]
    assert complete_bash(["heaptrace", "--list-probes", "rep"], cwd=tmp_path) == ["report.json"]
    assert "bash" in complete_bash(["heaptrace", "-p", "1", "--", "bas"])
    assert complete_bash(["heaptrace", "-d", ""]) == []


ZSH_TAB = r"""
# Types "heaptrace $1" and Tab into an interactive zsh with the completion
# in its fpath, and prints what zsh shows once it shows $3 (terminal
# escapes left out), or after 10 s.
setopt extendedglob
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($2 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w -n z "heaptrace $1"$'\t'
local out all=
repeat 100; do
  sleep 0.1
  while zpty -rt z out 2>/dev/null; do all+=$out; done
  [[ ${all//$'\e'\[[0-9;?]#[a-zA-Z]} == *"$3"* ]] && break
done
print -r -- "$all"
zpty -d z
"""


def test_zsh_completion_parses_and_completes(completions, tmp_path):
    p = subprocess.run(["zsh", "-n", ZSH_COMPLETION], capture_output=True, text=True)
    assert p.returncode == 0, f"zsh -n {ZSH_COMPLETION}: {p.stderr}"
    with open(ZSH_COMPLETION) as f:
        assert f.readline().strip() == "#compdef heaptrace"
    script = tmp_path / "tab.zsh"
    script.write_text(ZSH_TAB)
    p = subprocess.run(["zsh", "-f", str(script), "--list-p", os.path.dirname(ZSH_COMPLETION), "--list-probes "],
                       capture_output=True, text=True, timeout=60)
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", p.stdout)
    assert "heaptrace --list-probes " in shown, f"zsh did not complete --list-p:\n{shown}"


def tree_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_make_install_matches_the_package_and_uninstall_removes_it(package, tmp_path):
    deb, _ = package
    usr = tmp_path / "usr"
    make("install", f"DESTDIR={usr}", "PREFIX=/usr")
    assert tree_files(usr) == sorted(INSTALLED)
    assert tree_files(usr) == [f for f in deb_files(deb) if f not in DEBIAN_DOCS]
    make("uninstall", f"DESTDIR={usr}", "PREFIX=/usr")
    assert tree_files(usr) == []

    local = tmp_path / "local"
    make("install", f"DESTDIR={local}")
    unit = (local / "lib/systemd/system/heaptrace.service").read_text()
    assert re.search(r"^ExecStart=/usr/local/sbin/heaptrace ", unit, re.M), unit
    assert os.access(local / "usr/local/sbin/heaptrace", os.X_OK)
    with gzip.open(local / "usr/local/share/man/man8/heaptrace.8.gz") as f:
        assert b".TH \"heaptrace\" \"8\"" in f.read()
    make("uninstall", f"DESTDIR={local}")
    assert tree_files(local) == []
    assert not (local / "usr/local/share/doc/heaptrace").exists()
