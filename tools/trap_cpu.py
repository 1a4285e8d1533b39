# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The CPU time a process spends in the uprobe trap path, sampled by perf: the direct
measurement that heaptrace's overhead estimate is set beside in `make bench` (issue 11).

Throughput and CPU per request, traced against plain windows, carry +-5-10% of noise per
window on this VM, more than the 2-8% of a CPU that the probes cost a server. perf
samples the server's threads (cpu-clock, BENCH_TRAP_HZ per CPU, kernel call chains only)
and counts the samples whose kernel stack runs through the exception that a uprobe hit
raises: its breakpoint and, for a probe that is not emulated, the single step after it.
That share of the samples times the server's CPU time in the window is the probes' CPU
time, BPF programs included, with a sampling error of a few percent; a plain window
sampled the same way is the control and must come out near 0.

What it cannot see: the cost that a trap leaves behind in the code that runs after it
(caches, branch predictors), and the few instructions of the exception entry and return
that run with interrupts masked, whose samples land in user code. It therefore reads a
little low, never high.
"""
import os
import subprocess

HZ = int(os.environ.get("BENCH_TRAP_HZ", "1000"))

# The kernel's entry for a uprobe's breakpoint and for its single step, per arch.
TRAP_ENTRIES = {
    "x86_64": ("asm_exc_int3", "asm_exc_debug"),
    "aarch64": ("el0_brk64", "el0_softstp", "el0_dbg"),
}[os.uname().machine]


def available():
    """perf that can sample (linux-perf, installed by tools/setup.sh)."""
    try:
        return subprocess.run(["perf", "--version"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


class Sampler:
    """perf record on pid for secs seconds, into path."""

    def __init__(self, pid, secs, path):
        self.path = path
        self.p = subprocess.Popen(
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(HZ), "-g", "--kernel-callchains",
             "-p", str(pid), "-o", path, "--", "sleep", f"{max(secs, 0.1):.3f}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def finish(self):
        """(samples in the trap path, all samples); perf's data file is removed."""
        _, err = self.p.communicate()
        if self.p.returncode != 0:
            raise RuntimeError(f"perf record failed (rc {self.p.returncode}): {err[-500:]}")
        try:
            out = subprocess.run(["perf", "script", "-i", self.path, "-F", "tid,ip,sym"], check=True,
                                 capture_output=True, text=True).stdout
        finally:
            for p in (self.path, self.path + ".old"):
                if os.path.exists(p):
                    os.unlink(p)
        return count_trap_samples(out)


def count_trap_samples(script_out):
    """perf script -F tid,ip,sym: a line with the thread id opens each sample, its kernel call
    chain follows, each frame after a tab (none for a sample in user code). How many samples run through a trap."""
    trap = total = 0
    hit = False
    for line in script_out.splitlines():
        if not line.strip():
            continue
        if not line.startswith("\t"):
            trap += hit
            total += 1
            hit = False
            continue
        f = line.split()
        hit = hit or (len(f) > 1 and f[1] in TRAP_ENTRIES)
    return trap + hit, total
