// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTP stage's processes (serve/stage.h): the keeper, and the worker it
 * forks. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "serve/channel.h"
#include "serve/http.h"
#include "serve/sandbox.h"
#include "serve/stage.h"
#include "util/log.h"
#include "util/monotonic.h"

/* A worker that could not use the configuration (libmicrohttpd refused
 * it): not restarted until another configuration comes. */
#define WORKER_EXIT_REFUSED 78
/* How long the keeper waits for its worker to take a message, and either
 * end waits for the rest of a message once it has begun. */
#define WORKER_SEND_MS 2000
#define PARTIAL_MESSAGE_MS 30000
/* Restart delays: from 100 ms, doubling while workers keep dying within
 * STABLE_NS of their start, up to 30 s. */
#define RESTART_MIN_NS (100ull * 1000000ull)
#define RESTART_MAX_NS (30ull * 1000000000ull)
#define STABLE_NS (10ull * 1000000000ull)

struct keeper {
	int chan;			/* from the tracer */
	struct serve_msg config, bodies; /* the last of each (payload NULL: none yet) */
	scmp_filter_ctx worker_filter;	/* built before the keeper's own, loaded by each worker */
	pid_t worker;			/* 0: none */
	int pidfd, wchan;		/* the worker's pidfd; the keeper's end of its channel */
	bool replacing;			/* the worker is being stopped on purpose */
	bool reply_due;			/* the tracer waits for a word on the last configuration */
	unsigned published_due;		/* bodies forwarded, their worker's word not yet passed on */
	uint64_t started_ns, restart_at_ns;
	unsigned crashes;
};

/* ---- the worker ---- */

static void reply(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		ht_debug("http: cannot reply: %s", strerror(errno));
}

static int publish_payload(struct http_server *srv, const uint8_t *payload, size_t len)
{
	struct serve_bodies b;

	if (serve_wire_decode_bodies(payload, len, &b))
		return ht_fail("bodies refused: %s", ht_last_error());
	return http_publish(srv, &b);
}

static void __attribute__((noreturn)) worker_main(struct keeper *k, int wchan)
{
	struct serve_config cfg;
	struct http_server *srv;
	struct serve_msg m;
	int r;

	/* It dies with its keeper, which may be gone already. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	prctl(PR_SET_NAME, "heaptrace-http");
	close(k->chan);
	if (sandbox_seccomp_load(k->worker_filter)) {
		ht_err("http: %s", ht_last_error());
		_exit(1);
	}
	/* the configuration and bodies came with the fork: decoded again,
	 * pointing into this process's copy */
	if (serve_wire_decode_config(k->config.payload, k->config.h.len, &cfg) ||
	    !(srv = http_start(SERVE_STAGE_FD_LISTEN, &cfg))) {
		ht_err("%s: %s", cfg.source[0] ? cfg.source : "the web configuration", ht_last_error());
		reply(wchan, SERVE_REPLY_REFUSED);
		_exit(WORKER_EXIT_REFUSED);
	}
	if (k->bodies.payload && publish_payload(srv, k->bodies.payload, k->bodies.h.len))
		ht_err("http: %s", ht_last_error());
	channel_msg_free(&k->bodies);
	channel_msg_free(&k->config);
	reply(wchan, SERVE_REPLY_UP);
	for (;;) {
		struct pollfd p = { .fd = wchan, .events = POLLIN };

		if (poll(&p, 1, 500) > 0) {
			r = channel_read(wchan, &m);
			if (r <= 0)
				break; /* the keeper is done with this worker */
			if (m.h.type != SERVE_MSG_BODIES)
				;
			else if (publish_payload(srv, m.payload, m.h.len))
				ht_err("http: %s", ht_last_error());
			else
				reply(wchan, SERVE_REPLY_PUBLISHED);
			channel_msg_free(&m);
		}
		http_tick(srv);
	}
	if (r < 0)
		ht_err("http: %s", ht_last_error());
	http_stop(srv);
	_exit(0);
}

/* ---- the keeper ---- */

static void spawn_worker(struct keeper *k)
{
	int sv[2];
	pid_t pid;

	k->restart_at_ns = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		ht_err("http: cannot start a server process: %s", strerror(errno));
		k->restart_at_ns = monotonic_ns() + RESTART_MAX_NS;
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (channel_timeouts(sv[1], 0, PARTIAL_MESSAGE_MS))
			_exit(1);
		worker_main(k, sv[1]);
	}
	close(sv[1]);
	if (pid < 0 || (k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
		ht_err("http: cannot start a server process: %s", strerror(errno));
		close(sv[0]);
		k->restart_at_ns = monotonic_ns() + RESTART_MAX_NS;
		return;
	}
	channel_timeouts(sv[0], WORKER_SEND_MS, 0);
	k->published_due = 0; /* a new worker starts with the last bodies */
	k->worker = pid;
	k->wchan = sv[0];
	k->replacing = false;
	k->started_ns = monotonic_ns();
}

static void stop_worker(struct keeper *k)
{
	if (!k->worker)
		return;
	k->replacing = true;
	syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
}

/* The worker has ended: why, and what next. */
static void reap_worker(struct keeper *k)
{
	int status = 0;
	uint64_t now = monotonic_ns(), delay;
	pid_t pid = k->worker;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(k->pidfd);
	close(k->wchan);
	k->worker = 0;
	if (k->replacing)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_REFUSED) {
		ht_err("http: not serving until the next web configuration (SIGHUP)");
		if (k->reply_due)
			reply(k->chan, SERVE_REPLY_REFUSED);
		k->reply_due = false;
		return;
	}
	k->crashes = now - k->started_ns < STABLE_NS ? k->crashes + 1 : 0;
	delay = RESTART_MIN_NS << (k->crashes < 9 ? k->crashes : 9);
	if (delay > RESTART_MAX_NS)
		delay = RESTART_MAX_NS;
	k->restart_at_ns = now + delay;
	if (WIFSIGNALED(status))
		ht_err("http: the server process (pid %d) was killed by signal %d (%s)%s: starting another in %.1f s; "
		       "the trace goes on", pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGSYS ? ", a system call outside its seccomp allow-list" : "",
		       (double)delay / 1e9);
	else
		ht_err("http: the server process ended with status %d: starting another in %.1f s; the trace goes on",
		       WEXITSTATUS(status), (double)delay / 1e9);
}

/* A message from the tracer: kept, and passed on. */
static int take(struct keeper *k, struct serve_msg *m)
{
	struct serve_config cfg;
	struct serve_bodies b;

	if (m->h.type == SERVE_MSG_CONFIG) {
		if (serve_wire_decode_config(m->payload, m->h.len, &cfg))
			return ht_fail("a configuration refused: %s", ht_last_error());
		channel_msg_free(&k->config);
		k->config = *m;
		k->reply_due = true;
		/* a new worker for the new configuration: the listening
		 * socket's backlog holds what connects meanwhile */
		if (k->worker) {
			stop_worker(k);
			reap_worker(k);
		}
		k->crashes = 0;
		spawn_worker(k);
		return 0;
	}
	if (serve_wire_decode_bodies(m->payload, m->h.len, &b))
		return ht_fail("bodies refused: %s", ht_last_error());
	channel_msg_free(&k->bodies);
	k->bodies = *m;
	if (k->worker && (channel_write(k->wchan, &m->h, sizeof(m->h)) ||
			  channel_write(k->wchan, m->payload, m->h.len))) {
		ht_err("http: the server process did not take the new bodies (%s): replacing it", ht_last_error());
		stop_worker(k);
		reap_worker(k);
		spawn_worker(k);
	} else if (k->worker) {
		k->published_due++;
	}
	return 0;
}

/* The worker's words (on its configuration, on bodies it serves), passed
 * to the tracer where it waits for them. */
static void worker_said(struct keeper *k)
{
	char c[64];
	ssize_t n = read(k->wchan, c, sizeof(c)), i;

	for (i = 0; i < n; i++) {
		if (c[i] == SERVE_REPLY_PUBLISHED && k->published_due) {
			k->published_due--;
			reply(k->chan, c[i]);
		} else if (c[i] != SERVE_REPLY_PUBLISHED && k->reply_due) {
			reply(k->chan, c[i]);
			k->reply_due = false;
		}
	}
}

static int loop(struct keeper *k)
{
	struct serve_msg m;

	for (;;) {
		struct pollfd p[3] = { { .fd = k->chan, .events = POLLIN },
				       { .fd = k->worker ? k->pidfd : -1, .events = POLLIN },
				       { .fd = k->worker ? k->wchan : -1, .events = POLLIN } };
		int timeout = -1, r;
		uint64_t now = monotonic_ns();

		if (!k->worker && k->restart_at_ns)
			timeout = k->restart_at_ns > now ? (int)((k->restart_at_ns - now) / 1000000 + 1) : 0;
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			return ht_fail("poll: %s", strerror(errno));
		if (p[2].revents & POLLIN)
			worker_said(k);
		if (p[1].revents & POLLIN)
			reap_worker(k);
		if (!k->worker && k->restart_at_ns && monotonic_ns() >= k->restart_at_ns)
			spawn_worker(k);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = channel_read(k->chan, &m);
			if (r == 0)
				return 0; /* the tracer is done */
			if (r < 0 || take(k, &m)) {
				channel_msg_free(&m);
				return -1;
			}
		}
	}
}

/* The descriptors the tracer handed over are what it said they are. */
static int check_fds(void)
{
	int v = 0, type = 0;
	socklen_t l = sizeof(v), tl = sizeof(type);

	if (getsockopt(SERVE_STAGE_FD_LISTEN, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) || !v)
		return ht_fail("fd %d is not a listening socket: this process is started by heaptrace --listen, not by hand",
			       SERVE_STAGE_FD_LISTEN);
	if (getsockopt(SERVE_STAGE_FD_CHANNEL, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM)
		return ht_fail("fd %d is not heaptrace's channel: this process is started by heaptrace --listen",
			       SERVE_STAGE_FD_CHANNEL);
	return 0;
}

int serve_stage_main(void)
{
	struct keeper k = { .chan = SERVE_STAGE_FD_CHANNEL };
	scmp_filter_ctx own;
	char how[160];
	struct rlimit nofile;
	int ll, err;
	uid_t uid;

	prctl(PR_SET_NAME, "heaptrace-serve");
	/* a tracer gone mid-reply is the end of the channel, not a signal */
	signal(SIGPIPE, SIG_IGN);
	/* No core dump (the TLS key is in memory), no ptrace by its own uid. */
	prctl(PR_SET_DUMPABLE, 0);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	/* room for every connection the server takes, and its own few */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < 2048) {
		nofile.rlim_cur = nofile.rlim_max < 2048 ? nofile.rlim_max : 2048;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (check_fds() || sandbox_check_unprivileged() || channel_timeouts(k.chan, WORKER_SEND_MS, PARTIAL_MESSAGE_MS))
		goto fail;
	/* Both filters are built while libseccomp may still probe the
	 * kernel; the keeper's is loaded last, after Landlock. */
	seccomp_api_get();
	if (!(k.worker_filter = sandbox_seccomp_build(SANDBOX_WORKER)) || !(own = sandbox_seccomp_build(SANDBOX_KEEPER)))
		goto fail;
	uid = getuid();
	if ((ll = sandbox_landlock(how, sizeof(how))) < 0 || sandbox_seccomp_load(own))
		goto fail;
	ht_debug("http: the server runs as uid %u with no capability, no_new_privs, seccomp, %s", (unsigned)uid, how);
	err = loop(&k);
	if (k.worker) {
		stop_worker(&k);
		reap_worker(&k);
	}
	if (err)
		ht_err("http: %s: the HTTP server stops", ht_last_error());
	return err ? 1 : 0;
fail:
	ht_err("http: %s", ht_last_error());
	return 1;
}
