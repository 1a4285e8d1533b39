// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTP server stage's seccomp allow-lists, one line per system call and
 * why it is there. Anything not listed kills the process (the keeper logs
 * it and starts a new worker; see serve/keeper.c).
 *
 * Two processes, two lists. The keeper holds the listening socket and the
 * tracer's channel, and forks the worker, which answers HTTP. A forked
 * worker inherits the keeper's filter and stacks its own: the kernel runs
 * both and the stricter answer wins. So the keeper loads every line (K and
 * W: its filter must let its worker live) and the worker only the W lines:
 * it cannot fork, wait, signal, or add filters.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/seccomp.h>
#include "serve/sandbox.h"
#include "util/log.h"

enum { K = 1, W = 2, KW = K | W };

/* Namespaces are not privileges under no_new_privs: no clone may make one. */
#define CLONE_NEW_ANY (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
		       CLONE_NEWNET | CLONE_NEWTIME)

struct rule {
	int nr;
	int roles;
	uint32_t action;	/* 0: allow */
	unsigned nargs;
	struct scmp_arg_cmp arg[2];
};

#define ALLOW(name, roles) { SCMP_SYS(name), roles, 0, 0, { { 0 } } }
#define ALLOW_IF(name, roles, ...) { SCMP_SYS(name), roles, 0, \
	sizeof((struct scmp_arg_cmp[]){ __VA_ARGS__ }) / sizeof(struct scmp_arg_cmp), { __VA_ARGS__ } }
#define REFUSE(name, roles, err) { SCMP_SYS(name), roles, SCMP_ACT_ERRNO(err), 0, { { 0 } } }
/* libseccomp's SCMP_CMP is a compound literal, which a static table cannot hold. */
#define CMP(argn, cmp, a, b) { .arg = (argn), .op = (cmp), .datum_a = (a), .datum_b = (b) }
#define EQ(argn, v) CMP(argn, SCMP_CMP_EQ, v, 0)
/* PROT_EXEC never: no new code in either process. */
#define NO_EXEC(argn) CMP(argn, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)

static const struct rule RULES[] = {
	/* I/O on descriptors already open: the channel from the tracer (or
	 * keeper), stderr for messages, the listening socket's connections. */
	ALLOW(read, KW),		/* the channel; requests (through recvfrom too) */
	ALLOW(write, KW),		/* stderr; the keeper's channel to its worker */
	ALLOW(writev, W),		/* libmicrohttpd writes headers and body at once */
	ALLOW(close, KW),		/* descriptors done with */
	ALLOW(poll, KW),		/* the keeper waits on the channel and its worker; */
	ALLOW(ppoll, KW),		/* the worker's main thread on the channel */
	/* Memory: malloc, thread stacks; never executable. */
	ALLOW(brk, KW),
	ALLOW_IF(mmap, KW, NO_EXEC(2)),
	ALLOW_IF(mprotect, KW, NO_EXEC(2)), /* guard pages, malloc's arenas */
	ALLOW(munmap, KW),
	ALLOW(mremap, KW),		/* realloc of large blocks */
	ALLOW(madvise, KW),		/* free() giving pages back, thread stacks */
	/* Threads and their locks (glibc, libmicrohttpd's pool, GnuTLS). */
	ALLOW(futex, KW),
	ALLOW_IF(clone, K, CMP(0, SCMP_CMP_MASKED_EQ, CLONE_NEW_ANY, 0)), /* fork a worker */
	ALLOW_IF(clone, W, CMP(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_NEW_ANY, CLONE_THREAD)), /* threads only */
	REFUSE(clone3, KW, ENOSYS),	/* its flags are out of seccomp's reach: glibc falls back to clone */
	ALLOW(set_robust_list, KW),	/* a new thread (or forked child) registers its futex list */
	ALLOW(rseq, KW),		/* a new thread registers with the scheduler (glibc) */
	ALLOW(rt_sigprocmask, KW),	/* glibc masks signals around fork and thread start */
	ALLOW(rt_sigreturn, KW),	/* the end of a signal handler */
	ALLOW(rt_sigaction, KW),	/* glibc installs its own at the first thread (SIGSETXID) */
	ALLOW(exit, KW),		/* a thread ends */
	ALLOW(exit_group, KW),		/* the process ends */
	ALLOW(gettid, KW),
	ALLOW(getpid, KW),
	ALLOW(sched_yield, KW),		/* libmicrohttpd, glibc's locks */
	ALLOW(sched_getaffinity, KW),	/* glibc's CPU count */
	ALLOW_IF(prctl, KW, EQ(0, PR_SET_NAME)), /* names: the worker, libmicrohttpd's threads */
	ALLOW_IF(prctl, K, EQ(0, PR_SET_PDEATHSIG)), /* a worker dies with its keeper */
	ALLOW(getppid, K),		/* ... which it checks is still there */
	/* Time. */
	ALLOW(clock_gettime, KW),	/* when the vDSO falls back */
	ALLOW(gettimeofday, KW),	/* sanitizer runtimes call it, not the vDSO */
	ALLOW(clock_nanosleep, KW),	/* the keeper's wait before a restart */
	ALLOW(nanosleep, KW),
	ALLOW(getrandom, KW),		/* GnuTLS's keys and nonces */
	/* The keeper's own work. */
	ALLOW(wait4, K),		/* reap the worker */
	ALLOW(waitid, K),
	ALLOW(pidfd_open, K),		/* watch the worker ... */
	ALLOW(pidfd_send_signal, K),	/* ... and stop it, and nothing else */
	ALLOW_IF(socketpair, K, EQ(0, AF_UNIX)), /* a channel per worker */
	ALLOW_IF(seccomp, K, EQ(0, SECCOMP_SET_MODE_FILTER)), /* the worker stacks its filter */
	/* HTTP and TLS on the listening socket: the worker. */
	ALLOW(accept4, W),		/* new connections */
	ALLOW(epoll_create1, W),	/* libmicrohttpd's event loop */
	ALLOW(epoll_ctl, W),
	ALLOW(epoll_wait, W),
	ALLOW(epoll_pwait, W),
	ALLOW(eventfd2, W),		/* libmicrohttpd wakes its threads (MHD_USE_ITC) */
	ALLOW(recvfrom, W),		/* requests, TLS records */
	ALLOW(sendto, W),		/* responses */
	ALLOW(sendmsg, W),		/* responses, header and body in one call */
	ALLOW(shutdown, W),		/* closing; the request deadline's cut */
	ALLOW(setsockopt, KW),		/* TCP_NODELAY, TCP_CORK; the keeper's SO_SNDTIMEO */
	ALLOW(getsockopt, W),		/* SO_ERROR */
	ALLOW(getsockname, W),		/* the listening address (the Host check) */
	ALLOW(getpeername, W),
	ALLOW_IF(fcntl, KW, CMP(1, SCMP_CMP_LE, F_SETFL, 0)), /* F_GETFD..F_SETFL: non-blocking, close-on-exec */
	/* Files: Landlock refuses them anyway; a library that looks for one
	 * (GnuTLS's system priorities, glibc's time zone) gets a clean
	 * refusal instead of killing the process. */
	REFUSE(open, KW, EACCES),
	REFUSE(openat, KW, EACCES),
	REFUSE(newfstatat, KW, EACCES),
	ALLOW(fstat, KW),		/* stdio asks what stderr is */
};

scmp_filter_ctx sandbox_seccomp_build(enum sandbox_role role)
{
	int want = role == SANDBOX_KEEPER ? KW : W;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int r = 0;

	if (!ctx) {
		ht_fail("cannot build the seccomp filter: out of memory");
		return NULL;
	}
	/* no_new_privs is set already (serve/stage.c); libseccomp must not
	 * need a prctl of its own after the filter is in place. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (i = 0; !r && i < sizeof(RULES) / sizeof(RULES[0]); i++) {
		const struct rule *x = &RULES[i];

		/* The keeper's filter holds every rule its worker needs, but
		 * its clone rule (threads and forks alike) covers the
		 * worker's narrower one. */
		if (!(x->roles & want) || (role == SANDBOX_KEEPER && x->roles == W && x->nr == SCMP_SYS(clone)))
			continue;
		r = seccomp_rule_add_array(ctx, x->action ? x->action : SCMP_ACT_ALLOW, x->nr, x->nargs,
					   x->nargs ? x->arg : NULL);
	}
	if (r) {
		ht_fail("cannot build the seccomp filter: rule %zu: %s", i - 1, strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}
