/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The worker's HTTP server (libmicrohttpd, its own threads) on the
 * listening socket it was handed, serving what the tracer last sent:
 *	GET /                  a short index of the endpoints
 *	GET /metrics           Prometheus text 0.0.4, or OpenMetrics 1.0 when
 *	                       the Accept header asks for it
 *	GET /debug/pprof/maps  the gzipped map retention profile
 * HEAD too; 404 for other paths, 405 for other methods, 503 until the
 * first bodies arrive.
 *
 * With the web configuration's TLS (and client certificates), basic
 * authentication (401 without the right credentials) and extra headers;
 * the Host check of serve/host_check.h on a loopback address; the limits
 * of serve/conn_guard.h and libmicrohttpd's per-address and total
 * connection limits, each logged the first time it refuses.
 *
 * Bodies are published as an immutable refcounted snapshot swapped in
 * under a mutex held for the pointer swap only: a slow client never holds
 * up the next publish, and a body is never seen half-written.
 */
#ifndef HT_SERVE_HTTP_H
#define HT_SERVE_HTTP_H
#include <stdint.h>
#include "serve/wire.h"

struct http_server;

/* Serves on listen_fd (already bound and listening) with config c, which
 * is copied. NULL after ht_fail (then listen_fd is still open). */
struct http_server *http_start(int listen_fd, const struct serve_config *c);
/* Replaces what is served (copied). -1 after ht_fail (out of memory). */
int http_publish(struct http_server *s, const struct serve_bodies *b);
/* The periodic work: requests past their deadline cut. */
void http_tick(struct http_server *s);
/* Stops the threads and closes every connection. NULL is a no-op. */
void http_stop(struct http_server *s);
#endif
