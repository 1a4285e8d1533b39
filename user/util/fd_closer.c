// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "priv/caps.h"
#include "util/fd_closer.h"
#include "util/proc_title.h"

static int closer_sock = -1;

/* Each descriptor comes in two messages: HANDED with the descriptor, then
 * RELEASED once heaptrace has closed its own copy. Closing on receipt
 * would race that copy: whichever close comes last waits for the kernel,
 * and if it were heaptrace's, heaptrace would wait after all (70 ms a
 * link, seen at exit). */
enum { FD_HANDED = 1, FD_RELEASED = 2 };
struct closer_msg {
	uint32_t kind;
	uint32_t id;
};

/* Descriptors received and not yet released; past the bound, closed at once. */
#define CLOSER_PENDING 256

static int receive(int sock, struct closer_msg *m, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*fd = -1;
	for (c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(*fd));
	return n == (ssize_t)sizeof(*m) ? 0 : n <= 0 ? -1 : 1;
}

/* The closer: receives descriptors and closes each once released, and
 * every one it holds at EOF. */
static void closer(int sock)
{
	struct { uint32_t id; int fd; } pending[CLOSER_PENDING];
	int npending = 0, i, fd, r;
	struct closer_msg m;

	while ((r = receive(sock, &m, &fd)) >= 0) {
		if (r == 0 && m.kind == FD_HANDED && fd >= 0 && npending < CLOSER_PENDING) {
			pending[npending].id = m.id;
			pending[npending++].fd = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		for (i = 0; r == 0 && m.kind == FD_RELEASED && i < npending; i++)
			if (pending[i].id == m.id) {
				close(pending[i].fd);
				pending[i] = pending[--npending];
				break;
			}
	}
	for (i = 0; i < npending; i++)
		close(pending[i].fd);
	_exit(0);
}

/* The closer outlives heaptrace by the links' grace periods: it keeps none
 * of the caller's descriptors, or `heaptrace ... | tee` and $(heaptrace ...)
 * would wait for it (EOF only comes when every writer is gone). */
static void detach_from_caller(int sock)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (sock > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
}

void fd_closer_start(void)
{
	int sv[2], status;
	pid_t child;

	if (closer_sock >= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return;
	child = fork();
	if (child == 0) {
		close(sv[0]);
		if (fork() == 0) {
			/* closing needs no privilege: it keeps none */
			if (priv_child_drop_all(PRIV_NOBODY_UID))
				_exit(0);
			detach_from_caller(sv[1]);
			proc_title_set("heaptrace: link closer (detaches uprobes for heaptrace, ends after it)",
				       "ht-link-closer");
			closer(sv[1]);
		}
		_exit(0);
	}
	close(sv[1]);
	if (child < 0) {
		close(sv[0]);
		return;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	closer_sock = sv[0];
}

static bool send_msg(uint32_t kind, uint32_t id, int fd)
{
	struct closer_msg m = { .kind = kind, .id = id };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(ctl, 0, sizeof(ctl));
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	return sendmsg(closer_sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(m);
}

void fd_close_later(int fd)
{
	static atomic_uint next_id;
	uint32_t id;
	bool handed;

	if (fd < 0)
		return;
	id = atomic_fetch_add(&next_id, 1);
	/* the closer's copy holds the file: this close is not the last */
	handed = closer_sock >= 0 && send_msg(FD_HANDED, id, fd);
	close(fd);
	if (handed)
		send_msg(FD_RELEASED, id, -1);
}
