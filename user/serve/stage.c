// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tracer's side of the HTTP stage (serve/stage.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "export/listen.h"
#include "priv/caps.h"
#include "serve/channel.h"
#include "serve/stage.h"
#include "serve/web_config.h"
#include "util/log.h"
#include "util/monotonic.h"

/* How long the tracer waits for the stage: to take a message (a stuck
 * stage must not stall the trace), to answer a configuration, to end. */
#define SEND_MS 5000
#define REPLY_MS 10000
#define STOP_MS 2000

struct serve_stage {
	pid_t pid;
	int chan;
	bool gone;		/* the channel failed: no longer serving */
	bool published;		/* bodies were handed over once */
	bool tls;
	const char *web_config;
	char address[80];
};

/* In the forked child: async-signal-safe calls only (the tracer has
 * threads). The stage gets fd 3 and 4 and stderr, nothing else; no
 * privilege; the tracer's death ends it. */
static void __attribute__((noreturn)) exec_stage(int listen_fd, int chan, pid_t parent)
{
	static char *const argv_quiet[] = { "heaptrace", SERVE_STAGE_ARG, NULL };
	static char *const argv_verbose[] = { "heaptrace", SERVE_STAGE_ARG, "-v", NULL };
	static char *const envp[] = { NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* A session of its own: the terminal's Ctrl-C, meant for heaptrace
	 * (which then ends the stage by closing the channel), never reaches it. */
	setsid();
	/* listen_fd and chan are above 4 (see serve_stage_start), so these
	 * dups never clobber one with the other */
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(listen_fd, SERVE_STAGE_FD_LISTEN) < 0 || dup2(chan, SERVE_STAGE_FD_CHANNEL) < 0)
		_exit(127);
	close_range(SERVE_STAGE_FD_CHANNEL + 1, ~0u, 0);
	if (priv_child_drop_all(PRIV_NOBODY_UID))
		_exit(126);
	/* after the uid change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	execve("/proc/self/exe", ht_verbose ? argv_verbose : argv_quiet, envp);
	_exit(127);
}

/* fd moved to 5 or above, close-on-exec: the child's dup2s to 3 and 4
 * then never overwrite it. */
static int above_stage_fds(int fd)
{
	int moved;

	if (fd > SERVE_STAGE_FD_CHANNEL)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, SERVE_STAGE_FD_CHANNEL + 1);
	close(fd);
	return moved;
}

/* How the stage ended, if it has (its channel closed, its exit status
 * follows within moments): ", killed by signal 31 (...)" or "". */
static const char *ended_how(struct serve_stage *s)
{
	static char how[160];
	int status, i;

	how[0] = '\0';
	for (i = 0; s->pid > 0 && i < 50; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			if (WIFSIGNALED(status))
				snprintf(how, sizeof(how), ", killed by signal %d (%s%s)", WTERMSIG(status),
					 strsignal(WTERMSIG(status)),
					 WTERMSIG(status) == SIGSYS ? ": a system call outside its seccomp allow-list" : "");
			else if (WIFEXITED(status))
				snprintf(how, sizeof(how), " with status %d (its message is above)", WEXITSTATUS(status));
			s->pid = -1;
			break;
		}
		usleep(2000);
	}
	return how;
}

/* The stage's one-byte answer to a configuration. */
static int await_reply(struct serve_stage *s, const char *what)
{
	char c;
	ssize_t n;

	do
		n = recv(s->chan, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n == 1 && c == SERVE_REPLY_UP)
		return 0;
	if (n == 1)
		return ht_fail("the HTTP server refused %s (its message is above)", what);
	if (n < 0 && errno == EAGAIN)
		return ht_fail("the HTTP server did not take %s within %d s", what, REPLY_MS / 1000);
	return ht_fail("the HTTP server process ended%s", ended_how(s));
}

static int send_config(struct serve_stage *s, const struct web_config *w)
{
	struct serve_wbuf b;
	char stale[16];
	int err;

	if (serve_wire_encode_config(&w->c, &b)) {
		serve_wbuf_free(&b);
		return -1;
	}
	/* a reply that came after a previous wait gave up */
	while (recv(s->chan, stale, sizeof(stale), MSG_DONTWAIT) > 0)
		;
	err = channel_write(s->chan, b.p, b.len);
	explicit_bzero(b.p, b.len); /* the key */
	serve_wbuf_free(&b);
	if (err)
		return ht_fail("cannot reach the HTTP server: %s", ht_last_error());
	return await_reply(s, s->web_config ? s->web_config : "its configuration");
}

struct serve_stage *serve_stage_start(const char *listen, const char *web_config)
{
	struct serve_stage *s = calloc(1, sizeof(*s));
	struct web_config w;
	int fd = -1, sv[2] = { -1, -1 };
	pid_t parent = getpid();

	if (!s) {
		ht_fail("out of memory");
		return NULL;
	}
	s->pid = -1;
	s->chan = -1;
	s->web_config = web_config;
	/* a bad --web-config fails before anything is bound */
	if (web_config_load(web_config, &w))
		goto fail_early;
	if (w.warning[0])
		ht_err("%s", w.warning);
	s->tls = w.c.tls;
	fd = listen_open(listen, s->address, sizeof(s->address));
	if (fd < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		ht_fail("--listen %s: socketpair: %s", listen, strerror(errno));
		goto fail;
	}
	fd = above_stage_fds(fd);
	sv[1] = above_stage_fds(sv[1]);
	if (fd < 0 || sv[1] < 0) {
		ht_fail("--listen %s: cannot move descriptors: %s", listen, strerror(errno));
		goto fail;
	}
	s->pid = fork();
	if (s->pid == 0)
		exec_stage(fd, sv[1], parent);
	if (s->pid < 0) {
		ht_fail("--listen %s: cannot start the HTTP server process: %s", listen, strerror(errno));
		goto fail;
	}
	/* The tracer keeps no copy of the listening socket: only the stage
	 * holds it, and accepts on it. */
	close(fd);
	close(sv[1]);
	fd = sv[1] = -1;
	s->chan = sv[0];
	if (channel_timeouts(s->chan, SEND_MS, REPLY_MS) || send_config(s, &w))
		goto fail;
	web_config_free(&w);
	return s;
fail:
	web_config_free(&w);
fail_early:
	if (fd >= 0)
		close(fd);
	if (sv[1] >= 0)
		close(sv[1]);
	if (s->pid > 0) {
		s->chan = sv[0];
		serve_stage_stop(s);
		return NULL;
	}
	if (sv[0] >= 0)
		close(sv[0]);
	free(s);
	return NULL;
}

const char *serve_stage_address(const struct serve_stage *s)
{
	return s->address;
}

const char *serve_stage_scheme(const struct serve_stage *s)
{
	return s->tls ? "https" : "http";
}

/* Once: the stage is gone, and why if it can be told. */
static int lost(struct serve_stage *s, const char *why)
{
	char w[256];

	snprintf(w, sizeof(w), "%s", why);
	s->gone = true;
	return ht_fail("the HTTP server stage is gone (%s; it ended%s): no longer serving", w, ended_how(s));
}

/* The first bodies are waited for until they are served, so that what
 * heaptrace says next ("serving ...") is true: no 503 after it. Later ones
 * are not: the stage's words on them are only drained. */
#define FIRST_PUBLISH_MS 2000

int serve_stage_publish(struct serve_stage *s, const struct serve_bodies *b)
{
	struct serve_wbuf w;
	char words[64];
	int err;

	if (s->gone)
		return 0;
	if (serve_wire_encode_bodies(b, &w)) {
		serve_wbuf_free(&w);
		return -1;
	}
	while (recv(s->chan, words, sizeof(words), MSG_DONTWAIT) > 0)
		;
	err = channel_write(s->chan, w.p, w.len);
	serve_wbuf_free(&w);
	if (err)
		return lost(s, ht_last_error());
	if (!s->published) {
		struct pollfd p = { .fd = s->chan, .events = POLLIN };

		s->published = true;
		/* a worker that does not say so in time is not an error: it
		 * serves them when it can */
		if (poll(&p, 1, FIRST_PUBLISH_MS) > 0)
			while (recv(s->chan, words, sizeof(words), MSG_DONTWAIT) > 0)
				;
	}
	return 0;
}

int serve_stage_reload(struct serve_stage *s)
{
	struct web_config w;
	int err;

	if (s->gone)
		return ht_fail("the HTTP server stage is gone: nothing to reload");
	if (web_config_load(s->web_config, &w))
		return -1;
	if (w.warning[0])
		ht_err("%s", w.warning);
	err = send_config(s, &w);
	if (!err)
		s->tls = w.c.tls;
	web_config_free(&w);
	return err;
}

void serve_stage_stop(struct serve_stage *s)
{
	int status, waited;

	if (!s)
		return;
	/* the keeper ends at the end of its channel; heaptrace, which gave
	 * up CAP_KILL, may not be able to signal it */
	if (s->chan >= 0)
		close(s->chan);
	for (waited = 0; s->pid > 0 && waited < STOP_MS; waited += 10) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid || (r < 0 && errno != EINTR))
			break;
		usleep(10000);
	}
	free(s);
}
