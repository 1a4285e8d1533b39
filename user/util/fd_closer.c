// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/fd_closer.h"

static int closer_sock = -1;

/* The closer: receives descriptors and closes each, until EOF. */
static void closer(int sock)
{
	for (;;) {
		char data, ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = &data, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		ssize_t n = recvmsg(sock, &msg, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			int fd;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			close(fd);
		}
	}
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
			detach_from_caller(sv[1]);
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

void fd_close_later(int fd)
{
	char data = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;

	if (fd < 0)
		return;
	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	/* a descriptor in flight holds its file: our close is not the last */
	if (closer_sock >= 0 && sendmsg(closer_sock, &msg, MSG_NOSIGNAL) < 0) {
		close(closer_sock);
		closer_sock = -1;
	}
	close(fd);
}
