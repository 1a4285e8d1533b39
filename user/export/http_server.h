/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --listen: an HTTP server (libmicrohttpd, its own threads) serving what
 * the producer last published:
 *	GET /                  a short index of the endpoints
 *	GET /metrics           Prometheus text 0.0.4, or OpenMetrics 1.0 when
 *	                       the Accept header asks for it
 *	GET /debug/pprof/maps  the gzipped map retention profile
 * HEAD too; 404 for other paths, 405 for other methods, 503 until the
 * first publish.
 *
 * The producer (heaptrace's main loop, once per interval) renders the
 * bodies and publishes them; publishing copies them into a new refcounted
 * snapshot and swaps it in under a mutex held for the pointer swap only.
 * A response keeps its snapshot until it is sent, so a slow client never
 * blocks the producer, and a body is never seen half-written.
 */
#ifndef HT_EXPORT_HTTP_SERVER_H
#define HT_EXPORT_HTTP_SERVER_H
#include <stddef.h>

struct http_server;

struct http_bodies {
	const char *metrics_text;	/* METRICS_PROMETHEUS rendering */
	size_t metrics_text_len;
	const char *metrics_openmetrics;	/* METRICS_OPENMETRICS rendering */
	size_t metrics_openmetrics_len;
	const void *pprof_maps;		/* gzipped profile.proto; NULL: 503 */
	size_t pprof_maps_len;
};

/* Listens on HOST:PORT (see listen_open) and starts serving; NULL after
 * ht_fail, and then nothing listens. */
struct http_server *http_server_start(const char *listen);
/* Where it listens, e.g. "127.0.0.1:9464" (PORT 0 resolved). */
const char *http_server_address(const struct http_server *s);
int http_server_port(const struct http_server *s);
/* Replaces what the endpoints serve; never waits for a client. */
int http_server_publish(struct http_server *s, const struct http_bodies *b);
/* Closes the socket and every connection, even one mid-response; returns
 * when the server's threads have ended. NULL is a no-op. */
void http_server_stop(struct http_server *s);
#endif
