# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The binary is built hardened (Makefile HARDEN_CFLAGS/HARDEN_LDFLAGS), read
back with readelf as a packager's check would: a position-independent
executable, full RELRO (GNU_RELRO and BIND_NOW), a non-executable stack,
stack protector and FORTIFY (the checking libc entry points are what the
compiler calls)."""
import re
import subprocess

from conftest import HEAPTRACE


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args, HEAPTRACE], capture_output=True, text=True, check=True).stdout


def test_pie():
    assert re.search(r"Type:\s+DYN ", readelf("-h")), "an ET_DYN (position-independent) executable"
    assert re.search(r"FLAGS_1\)\s+Flags:.*\bPIE\b", readelf("-d"))


def test_full_relro():
    segments = readelf("-l")
    dynamic = readelf("-d")
    assert "GNU_RELRO" in segments
    assert re.search(r"\(FLAGS\)\s+BIND_NOW", dynamic) or re.search(r"FLAGS_1\)\s+Flags:.*\bNOW\b", dynamic), dynamic


def test_no_executable_stack():
    stack = [l for l in readelf("-l").splitlines() if "GNU_STACK" in l]
    assert stack and stack[0].split()[-2] == "RW", stack


def test_stack_protector_and_fortify():
    syms = readelf("--dyn-syms")
    assert "__stack_chk_fail" in syms
    checked = set(re.findall(r"\b(__\w+_chk)@", syms)) - {"__stack_chk_fail"}
    # snprintf and memcpy are everywhere in heaptrace: with FORTIFY they
    # go through their checking versions
    assert {"__snprintf_chk", "__memcpy_chk"} <= checked, sorted(checked)
