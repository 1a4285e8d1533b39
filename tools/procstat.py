# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A process's CPU time from /proc, for the bench (realsvc.py) and the integration tests.
Python 3 stdlib only, no side effects on import."""
import os


def proc_cpu(pid):
    """utime+stime of all threads of pid, in seconds (None if gone)."""
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
