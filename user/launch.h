/* `heaptrace -- PROG ARGS...`: start a program stopped before its first
 * instruction, so that probes are live before it runs. */
#ifndef HT_LAUNCH_H
#define HT_LAUNCH_H
#include <sys/types.h>

/* Forks and execs argv[0] (searched in PATH) under PTRACE_TRACEME; returns
 * with the child stopped at the exec. Fails if the program cannot run. */
int launch_stopped(char *const argv[], pid_t *pid);
/* Lets the stopped child run (detaches ptrace). */
int launch_release(pid_t pid);
/* Waits for the child; returns its exit status as a shell would
 * (128+N for death by signal N), or -1. */
int launch_wait(pid_t pid);
void launch_kill(pid_t pid);
#endif
