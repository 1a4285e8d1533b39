/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The HTTP server stage's confinement, applied by its processes to
 * themselves once they hold what they need (the listening socket, the
 * channel from the tracer) and before they read a byte from anyone:
 *
 *   - no capability, no_new_privs (set by the tracer before the exec,
 *     serve/stage.c, and checked here);
 *   - Landlock where the kernel has it: no file system access at all, no
 *     TCP bind or connect, no signal to or abstract socket of a process
 *     outside the stage;
 *   - a seccomp allow-list (serve/seccomp_allow.c), one per process: the
 *     keeper's (it forks workers) and the worker's, stacked on the
 *     keeper's (it answers HTTP). Anything else kills the process.
 */
#ifndef HT_SERVE_SANDBOX_H
#define HT_SERVE_SANDBOX_H
#include <seccomp.h>

/* 0 if the process has no capability in any set and no_new_privs; else -1
 * after ht_fail. */
int sandbox_check_unprivileged(void);
/* Landlock, as far as this kernel's ABI goes: 1 when applied, 0 when the
 * kernel has no Landlock (says so in *why), -1 after ht_fail. */
int sandbox_landlock(char *why, size_t len);

enum sandbox_role { SANDBOX_KEEPER, SANDBOX_WORKER };
/* The allow-list of a role, built (NULL after ht_fail). Built before it is
 * loaded: the worker's is built by the keeper while it can still probe
 * libseccomp's kernel API, and loaded by the worker after the fork. */
scmp_filter_ctx sandbox_seccomp_build(enum sandbox_role role);
/* Loads a built filter on the calling thread (and the threads it creates
 * afterwards), and frees it. -1 after ht_fail. */
int sandbox_seccomp_load(scmp_filter_ctx ctx);
#endif
