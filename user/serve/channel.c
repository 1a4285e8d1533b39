// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "serve/channel.h"
#include "util/log.h"

/* 1 when all n bytes came, 0 on end of stream before any, -1 otherwise. */
static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ht_fail("reading the channel: %s", errno == EAGAIN ? "timed out" : strerror(errno));
		if (r == 0)
			return got ? ht_fail("the channel ended within a message") : 0;
		got += (size_t)r;
	}
	return 1;
}

int channel_read(int fd, struct serve_msg *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = read_full(fd, &m->h, sizeof(m->h));
	if (r <= 0)
		return r;
	/* the length is checked before anything is allocated or read */
	if (serve_wire_check_header(&m->h))
		return ht_fail("a message refused: %s", ht_last_error());
	m->payload = malloc(m->h.len + 1);
	if (!m->payload)
		return ht_fail("out of memory for a %llu-byte message", (unsigned long long)m->h.len);
	r = m->h.len ? read_full(fd, m->payload, m->h.len) : 1;
	if (r <= 0) {
		channel_msg_free(m);
		return r ? -1 : ht_fail("the channel ended within a message");
	}
	m->payload[m->h.len] = '\0';
	return 1;
}

void channel_msg_free(struct serve_msg *m)
{
	free(m->payload);
	m->payload = NULL;
}

int channel_write(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ht_fail("%s", r < 0 && errno == EAGAIN ? "timed out" : r < 0 ? strerror(errno) : "closed");
		done += (size_t)r;
	}
	return 0;
}

int channel_timeouts(int fd, unsigned send_ms, unsigned recv_ms)
{
	struct timeval s = { send_ms / 1000, (send_ms % 1000) * 1000 }, r = { recv_ms / 1000, (recv_ms % 1000) * 1000 };

	if ((send_ms && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s))) ||
	    (recv_ms && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r))))
		return ht_fail("cannot set the channel's time limits: %s", strerror(errno));
	return 0;
}
