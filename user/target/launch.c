// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target/launch.h"
#include "util/log.h"

int launch_resolve(const char *prog, char *path, size_t len)
{
	const char *dirs = getenv("PATH"), *p;

	if (strchr(prog, '/')) {
		snprintf(path, len, "%s", prog);
		if (access(path, X_OK))
			return ht_fail("cannot run %s: %s", prog, strerror(errno));
		return 0;
	}
	for (p = dirs ? dirs : "/usr/local/bin:/usr/bin:/bin"; ; p = strchr(p, ':') + 1) {
		size_t n = strcspn(p, ":");

		snprintf(path, len, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (!access(path, X_OK))
			return 0;
		if (!p[n])
			break;
	}
	return ht_fail("cannot run %s: not found in PATH", prog);
}

int launch_stopped(const char *path, char *const argv[], pid_t *pid)
{
	int pfd[2], status, child_errno = 0;
	ssize_t n;
	pid_t p;

	/* The child reports a failed exec through a close-on-exec pipe: EOF
	 * means the exec succeeded. */
	if (pipe2(pfd, O_CLOEXEC))
		return ht_fail("pipe: %s", strerror(errno));
	p = fork();
	if (p < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return ht_fail("fork: %s", strerror(errno));
	}
	if (p == 0) {
		int e;

		close(pfd[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execv(path, argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n > 0) {
		waitpid(p, &status, 0);
		return ht_fail("cannot run %s: %s", argv[0], strerror(child_errno));
	}
	/* After a successful exec a PTRACE_TRACEME child stops with SIGTRAP. */
	if (waitpid(p, &status, 0) != p || !WIFSTOPPED(status)) {
		return ht_fail("%s did not stop at its start (status 0x%x)", argv[0], status);
	}
	*pid = p;
	return 0;
}

int launch_release(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return ht_fail("cannot let pid %d run: %s", pid, strerror(errno));
	return 0;
}

int launch_wait(pid_t pid)
{
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

void launch_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	launch_wait(pid);
}
