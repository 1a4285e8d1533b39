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
/* --user: who the program runs as, as `sudo -u USER` would run it (its
 * groups, and USER, LOGNAME, HOME and SHELL in its environment). */
struct launch_user {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[256];
	char **envp;	/* environ with the user's variables; launch_user_free() */
};
/* USER is a name or #UID (sudo's spelling); -1 after ht_fail. */
int launch_user_resolve(const char *user, struct launch_user *u);
void launch_user_free(struct launch_user *u);

/* Forks and execs `path` with argv under PTRACE_TRACEME; returns with the
 * child stopped at the exec. Fails if the program cannot run. The program
 * gets none of heaptrace's capabilities (ambient and inheritable sets
 * cleared); as root it runs as root, as under sudo, unless `as` (NULL:
 * heaptrace's own user) says whom. */
int launch_stopped(const char *path, char *const argv[], const struct launch_user *as, pid_t *pid);
/* Lets the stopped child run (detaches ptrace). */
int launch_release(pid_t pid);
/* Waits for the child; returns its exit status as a shell would
 * (128+N for death by signal N), or -1. */
int launch_wait(pid_t pid);
void launch_kill(pid_t pid);
#endif
