// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "priv/caps.h"
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

int launch_user_resolve(const char *user, struct launch_user *u)
{
	static const char *const vars[] = { "USER=", "LOGNAME=", "HOME=", "SHELL=" };
	struct passwd pw, *found = NULL;
	char buf[4096], *end;
	size_t n = 0, i, j;
	int err;

	memset(u, 0, sizeof(*u));
	if (user[0] == '#') {
		unsigned long v;

		errno = 0;
		v = strtoul(user + 1, &end, 10);
		if (errno || !user[1] || *end || v > 0xfffffffeul)
			return ht_fail("--user %s: expected a user name or #UID", user);
		err = getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &found);
		if (!found) { /* sudo runs a bare #UID too, with the same gid */
			u->uid = u->gid = (uid_t)v;
		}
	} else {
		err = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
		if (!found)
			return ht_fail("--user %s: no such user%s%s", user, err ? ": " : "", err ? strerror(err) : "");
	}
	if (found) {
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		u->ngroups = (int)(sizeof(u->groups) / sizeof(u->groups[0]));
		if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &u->ngroups) < 0)
			return ht_fail("--user %s: more than %zu groups", user, sizeof(u->groups) / sizeof(u->groups[0]));
	} else {
		u->groups[0] = u->gid;
		u->ngroups = 1;
	}
	while (environ[n])
		n++;
	u->envp = calloc(n + 5, sizeof(*u->envp));
	if (!u->envp)
		return ht_fail("out of memory");
	/* the user's own variables replace heaptrace's; the rest are kept */
	for (i = 0, j = 0; i < n; i++) {
		bool replaced = false;
		size_t k;

		for (k = 0; found && k < sizeof(vars) / sizeof(vars[0]); k++)
			replaced = replaced || !strncmp(environ[i], vars[k], strlen(vars[k]));
		if (!replaced)
			u->envp[j++] = strdup(environ[i]);
	}
	if (found) {
		const char *val[] = { pw.pw_name, pw.pw_name, pw.pw_dir, pw.pw_shell };

		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (asprintf(&u->envp[j++], "%s%s", vars[i], val[i]) < 0)
				u->envp[j - 1] = NULL;
	}
	for (i = 0; i < j; i++)
		if (!u->envp[i]) {
			launch_user_free(u);
			return ht_fail("out of memory");
		}
	return 0;
}

void launch_user_free(struct launch_user *u)
{
	size_t i;

	for (i = 0; u->envp && u->envp[i]; i++)
		free(u->envp[i]);
	free(u->envp);
	u->envp = NULL;
}

/* In the child: who it runs as, and none of heaptrace's capabilities. */
static int become(const struct launch_user *as)
{
	if (as && (syscall(SYS_setgroups, as->ngroups, as->groups) || syscall(SYS_setresgid, as->gid, as->gid, as->gid) ||
		   syscall(SYS_setresuid, as->uid, as->uid, as->uid)))
		return -1;
	return priv_child_clear_inherited();
}

int launch_stopped(const char *path, char *const argv[], const struct launch_user *as, pid_t *pid)
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
		if (become(as) == 0 && ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execve(path, argv, as ? as->envp : environ);
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
