/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --listen HOST:PORT: parsing it and opening the listening socket, with
 * errors that say what to do. Kept apart from the HTTP server so that the
 * socket's errno reaches the message (libmicrohttpd only logs it).
 */
#ifndef HT_EXPORT_LISTEN_H
#define HT_EXPORT_LISTEN_H
#include <stddef.h>

/* "127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464" (every IPv4
 * address). PORT 0 asks the kernel for a free port. host gets "" for any. */
int listen_parse(const char *spec, char *host, size_t host_len, char *port, size_t port_len);

/* A listening TCP socket (close-on-exec) for spec. A port that another
 * process already listens on is refused, never shared (no SO_REUSEPORT),
 * on any of the host's addresses. *bound gets the address actually bound,
 * e.g. "127.0.0.1:40331". Returns the fd, or -1 after ht_fail. */
int listen_open(const char *spec, char *bound, size_t bound_len);
#endif
