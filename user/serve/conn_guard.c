// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "serve/conn_guard.h"
#include "util/log.h"

int conn_guard_init(struct conn_guard *g, unsigned max_conns, unsigned per_ip, uint64_t deadline_ns)
{
	memset(g, 0, sizeof(*g));
	g->slots = calloc(max_conns, sizeof(*g->slots));
	if (!g->slots)
		return ht_fail("out of memory for %u connections", max_conns);
	pthread_mutex_init(&g->lock, NULL);
	g->max_conns = max_conns;
	g->per_ip = per_ip;
	g->deadline_ns = deadline_ns;
	return 0;
}

void conn_guard_free(struct conn_guard *g)
{
	if (!g->slots)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g->slots);
	g->slots = NULL;
}

/* The address's bytes: 4 for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
static uint8_t ip_of(const struct sockaddr *sa, socklen_t len, uint8_t ip[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (!memcmp(a, mapped, sizeof(mapped))) {
			memcpy(ip, a + 12, 4);
			return 4;
		}
		memcpy(ip, a, 16);
		return 16;
	}
	return 0;
}

static unsigned count_ip(const struct conn_guard *g, const uint8_t *ip, uint8_t iplen)
{
	unsigned i, n = 0;

	for (i = 0; i < g->max_conns; i++)
		n += g->slots[i].used && g->slots[i].iplen == iplen && !memcmp(g->slots[i].ip, ip, iplen);
	return n;
}

enum conn_verdict conn_guard_admit(struct conn_guard *g, const struct sockaddr *sa, socklen_t len, bool *first)
{
	enum conn_verdict v = CONN_ADMIT;
	uint8_t ip[16], iplen = ip_of(sa, len, ip);

	*first = false;
	pthread_mutex_lock(&g->lock);
	if (g->open >= g->max_conns) {
		v = CONN_REFUSED_TOTAL;
		*first = g->refused_total++ == 0;
	} else if (iplen && count_ip(g, ip, iplen) >= g->per_ip) {
		v = CONN_REFUSED_PER_IP;
		*first = g->refused_per_ip++ == 0;
	}
	pthread_mutex_unlock(&g->lock);
	return v;
}

int conn_guard_open(struct conn_guard *g, int fd, const struct sockaddr *sa, socklen_t len, uint64_t now_ns)
{
	unsigned i;
	int slot = 0;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->max_conns; i++)
		if (!g->slots[i].used) {
			struct conn_slot *s = &g->slots[i];

			s->used = true;
			s->fd = fd;
			s->iplen = ip_of(sa, len, s->ip);
			s->deadline_ns = now_ns + g->deadline_ns;
			g->open++;
			slot = (int)i + 1;
			break;
		}
	pthread_mutex_unlock(&g->lock);
	return slot;
}

void conn_guard_answered(struct conn_guard *g, int slot, uint64_t now_ns)
{
	if (slot <= 0 || (unsigned)slot > g->max_conns)
		return;
	pthread_mutex_lock(&g->lock);
	if (g->slots[slot - 1].used)
		g->slots[slot - 1].deadline_ns = now_ns + g->deadline_ns;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_close(struct conn_guard *g, int slot)
{
	if (slot <= 0 || (unsigned)slot > g->max_conns)
		return;
	pthread_mutex_lock(&g->lock);
	if (g->slots[slot - 1].used) {
		g->slots[slot - 1].used = false;
		g->open--;
	}
	pthread_mutex_unlock(&g->lock);
}

unsigned conn_guard_sweep(struct conn_guard *g, uint64_t now_ns, bool *first)
{
	unsigned i, cut = 0;

	*first = false;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->max_conns; i++) {
		struct conn_slot *s = &g->slots[i];

		if (!s->used || now_ns < s->deadline_ns)
			continue;
		/* Under the lock, the slot is still its connection's: the
		 * server's close notice (conn_guard_close) comes before it
		 * closes the descriptor, so fd cannot be another's yet. The
		 * server's thread sees the end and closes it. */
		shutdown(s->fd, SHUT_RDWR);
		s->deadline_ns = UINT64_MAX; /* once */
		cut++;
	}
	if (cut && !g->cut)
		*first = true;
	g->cut += cut;
	pthread_mutex_unlock(&g->lock);
	return cut;
}
