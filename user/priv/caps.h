/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What heaptrace needs of the kernel, by capability, and giving up the rest.
 *
 * Tracing needs three capabilities and nothing else (no uid 0):
 *	CAP_BPF		load the BPF programs and create their maps
 *	CAP_PERFMON	attach uprobes and tracepoints, read user stacks
 *	CAP_SYS_PTRACE	read another user's process: /proc/PID/exe, its
 *			/proc files and its memory (process_vm_readv)
 * CAP_SYS_ADMIN only for the madvise fallback through syscall tracepoints,
 * when tracefs is not mounted (heaptrace mounts it).
 *
 * Once the BPF objects are loaded and the first target attached, the tracer
 * keeps those three (host mode attaches new processes for as long as it
 * runs) and drops every other capability, from the bounding set too, clears
 * the inheritable and ambient sets and sets no_new_privs: no exec can give
 * any back. Capabilities are per thread: the change is made on every thread
 * at once (libpsx, through libcap).
 */
#ifndef HT_PRIV_CAPS_H
#define HT_PRIV_CAPS_H
#include <stdbool.h>
#include <stddef.h>

/* 0 when the effective set holds what tracing needs; else -1 after
 * ht_fail naming each missing capability and what it is for. */
int priv_check_trace(void);
/* 0 when the effective set can change user (CAP_SETUID, CAP_SETGID), as
 * --user needs; -1 after ht_fail. */
int priv_check_setuid(void);
/* The drop after the first attach; -1 after ht_fail. Once only (later
 * calls do nothing). */
int priv_drop_tracer(void);
/* "CAP_BPF CAP_PERFMON CAP_SYS_PTRACE": the effective set, for -v. */
void priv_describe(char *buf, size_t len);

/* The uid children that need no privilege run as when heaptrace is root:
 * the kernel's overflow uid, "nobody" on Debian. */
#define PRIV_NOBODY_UID 65534u

/* In a forked child before it runs anything else: async-signal-safe (raw
 * system calls only), for children of a threaded parent. */

/* Ambient and inheritable sets cleared: a program it execs gets none of
 * heaptrace's capabilities (a root exec still gets root's, as with sudo). */
int priv_child_clear_inherited(void);
/* Every capability gone for good: bounding set (where CAP_SETPCAP allows),
 * uid and gids to `uid` when running as root (uid 0 keeps a claim on root's
 * files), effective, permitted, inheritable and ambient sets emptied,
 * no_new_privs. -1 with errno on failure: the child must then exit. */
int priv_child_drop_all(unsigned uid);
#endif
