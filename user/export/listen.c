// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/log.h"
#include "export/listen.h"

#define BACKLOG 64

static int usage(const char *spec, const char *why)
{
	return ht_fail("--listen %s: %s (expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464)", spec, why);
}

int listen_parse(const char *spec, char *host, size_t host_len, char *port, size_t port_len)
{
	const char *colon, *h = spec, *p;
	size_t hn;
	char *end;
	long v;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return usage(spec, "an IPv6 address in brackets is followed by :PORT");
		h = spec + 1;
		hn = (size_t)(close - h);
		p = close + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return usage(spec, "no port");
		hn = (size_t)(colon - spec);
		if (memchr(spec, ':', hn))
			return usage(spec, "an IPv6 address goes in brackets");
		p = colon + 1;
	}
	errno = 0;
	v = strtol(p, &end, 10);
	if (!*p || *end || errno || v < 0 || v > 65535)
		return usage(spec, "the port is a number from 0 to 65535");
	if (hn >= host_len || (size_t)snprintf(port, port_len, "%ld", v) >= port_len)
		return usage(spec, "too long");
	memcpy(host, h, hn);
	host[hn] = '\0';
	return 0;
}

static void format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t out_len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, out_len, "?");
		return;
	}
	snprintf(out, out_len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

static const char *remedy(int err)
{
	switch (err) {
	case EADDRINUSE:
		return " (is another heaptrace or exporter running? choose another --listen port)";
	case EACCES:
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
	case EADDRNOTAVAIL:
		return " (that address is not one of this machine's)";
	default:
		return "";
	}
}

/* socket, bind, listen on one address; -errno on failure. */
static int open_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	/* SO_REUSEADDR lets a restarted heaptrace bind while old connections
	 * linger in TIME_WAIT; Linux still refuses a port someone listens on.
	 * IPv6 sockets take IPv6 only, so that [::]:P does not take 0.0.0.0:P. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, BACKLOG)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int listen_fail(const char *spec, const struct addrinfo *ai, int err)
{
	char where[NI_MAXHOST + 16];

	format_addr(ai->ai_addr, ai->ai_addrlen, where, sizeof(where));
	if (strcmp(where, spec))
		return ht_fail("cannot listen on %s (%s): %s%s", spec, where, strerror(err), remedy(err));
	return ht_fail("cannot listen on %s: %s%s", spec, strerror(err), remedy(err));
}

int listen_open(const char *spec, char *bound, size_t bound_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res, *ai;
	const struct addrinfo *first_fail = NULL;
	char host[256], port[8];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int rc, fd = -1, first_err = 0, pass;

	if (listen_parse(spec, host, sizeof(host), port, sizeof(port)))
		return -1;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc)
		return ht_fail("cannot listen on %s: %s", spec, gai_strerror(rc));
	/* IPv4 first, so that localhost:9464 is where Prometheus configs and
	 * curl look first. Only an address this machine lacks (no IPv6, say)
	 * moves on to the next: a port in use is refused outright. */
	for (pass = 0; pass < 2 && fd < 0; pass++)
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET) != (pass == 0))
				continue;
			fd = open_one(ai);
			if (fd >= 0)
				break;
			if (!first_fail) {
				first_fail = ai;
				first_err = -fd;
			}
			if (fd != -EAFNOSUPPORT && fd != -EADDRNOTAVAIL) {
				rc = listen_fail(spec, ai, -fd);
				freeaddrinfo(res);
				return rc;
			}
		}
	if (fd < 0) {
		rc = first_fail ? listen_fail(spec, first_fail, first_err)
				: ht_fail("cannot listen on %s: no address to listen on", spec);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		format_addr((struct sockaddr *)&ss, sl, bound, bound_len);
	else
		snprintf(bound, bound_len, "%s", spec);
	return fd;
}
