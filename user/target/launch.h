/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* `heaptrace -- PROG ARGS...`: start a program stopped before its first
 * instruction, so that probes are live before it runs. */
#ifndef HT_TARGET_LAUNCH_H
#define HT_TARGET_LAUNCH_H
#include <stddef.h>
#include <sys/types.h>

/* argv[0] as execvp would find it in PATH, without execvp's fallback of
 * running a file the kernel refuses through /bin/sh. */
int launch_resolve(const char *prog, char *path, size_t len);
/* Forks and execs `path` with argv under PTRACE_TRACEME; returns with the
 * child stopped at the exec. Fails if the program cannot run. */
int launch_stopped(const char *path, char *const argv[], pid_t *pid);
/* Lets the stopped child run (detaches ptrace). */
int launch_release(pid_t pid);
/* Waits for the child; returns its exit status as a shell would
 * (128+N for death by signal N), or -1. */
int launch_wait(pid_t pid);
void launch_kill(pid_t pid);
#endif
