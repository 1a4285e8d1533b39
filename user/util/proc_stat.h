/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* /proc/PID/stat, the one parser: a process's state, flags, CPU time and
 * start time. */
#ifndef HT_UTIL_PROC_STAT_H
#define HT_UTIL_PROC_STAT_H
#include <stdbool.h>
#include <sys/types.h>

struct proc_stat {
	char state;			/* R, S, Z... */
	unsigned long flags;		/* PF_* */
	unsigned long long cpu_ticks;	/* utime + stime of every thread, clock ticks */
	unsigned long long starttime;	/* clock ticks since boot: tells a reused pid */
};

/* False if the process is gone or the file does not parse. */
bool proc_stat_read(pid_t pid, struct proc_stat *out);
/* The fields after comm, for tests and fuzzing: `text` is the file's
 * content (comm may hold spaces and parentheses). */
bool proc_stat_parse(const char *text, struct proc_stat *out);
#endif
