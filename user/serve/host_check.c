// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "serve/host_check.h"

void host_check_init(struct host_check *h, const struct sockaddr *sa, socklen_t len, bool tls)
{
	char a[INET6_ADDRSTRLEN];

	memset(h, 0, sizeof(*h));
	h->tls = tls;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		h->active = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
		h->port = ntohs(s->sin_port);
		inet_ntop(AF_INET, &s->sin_addr, h->bound, sizeof(h->bound));
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		h->active = IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
		h->port = ntohs(s->sin6_port);
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(h->bound, sizeof(h->bound), "[%s]", a);
	}
}

bool host_check_ok(const struct host_check *h, const char *host, bool http10)
{
	const char *names[] = { "localhost", "127.0.0.1", "[::1]", h->bound };
	const char *colon;
	size_t n, i;

	if (!h->active)
		return true;
	if (!host)
		return http10;
	/* NAME:PORT, or NAME alone for the scheme's default port */
	colon = strrchr(host, ':');
	if (colon && strchr(colon, ']'))
		colon = NULL; /* the colon was inside [::1] */
	n = colon ? (size_t)(colon - host) : strlen(host);
	if (colon) {
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);

		if (!colon[1] || *end || port != h->port || colon[1] == '+' || colon[1] == '-' || colon[1] == ' ')
			return false;
	} else if (h->port != (h->tls ? 443u : 80u)) {
		return false;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i][0] && strlen(names[i]) == n && !strncasecmp(host, names[i], n))
			return true;
	return false;
}
