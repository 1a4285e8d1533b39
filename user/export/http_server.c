// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "util/log.h"
#include "export/listen.h"
#include "export/metrics_text.h"
#include "export/http_server.h"

/* Threads answering requests: one is enough for non-blocking responses,
 * a second keeps a scrape answered while the other is busy accepting. */
#define POOL_THREADS 2
#define MAX_CONNECTIONS 64
/* A client that neither sends nor reads for this long is dropped. */
#define IDLE_TIMEOUT_S 10

enum body { BODY_TEXT, BODY_OPENMETRICS, BODY_PPROF, BODY_COUNT };

/* One published set of bodies, immutable, freed with its last reference
 * (the server's current pointer or a response being sent). */
struct snapshot {
	atomic_int refs;
	const char *data[BODY_COUNT];
	size_t len[BODY_COUNT];
	char storage[];
};

struct http_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* guards current: held for a pointer copy or swap */
	struct snapshot *current;
	char address[80];
	int port;
};

static const char INDEX[] =
	"<!DOCTYPE html>\n<html><head><title>heaptrace</title></head><body>\n"
	"<h1>heaptrace</h1>\n<ul>\n"
	"<li><a href=\"/metrics\">/metrics</a>: Prometheus text 0.0.4, OpenMetrics 1.0 on "
	"<code>Accept: application/openmetrics-text</code></li>\n"
	"<li><a href=\"/debug/pprof/maps\">/debug/pprof/maps</a>: map retention profile, gzipped profile.proto "
	"(<code>go tool pprof http://HOST:PORT/debug/pprof/maps</code>)</li>\n"
	"</ul>\n</body></html>\n";

static const char ONLY_GET[] = "heaptrace: only GET and HEAD\n";

static void snapshot_unref(void *cls)
{
	struct snapshot *s = cls;

	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

static struct snapshot *snapshot_get(struct http_server *srv)
{
	struct snapshot *s;

	pthread_mutex_lock(&srv->lock);
	s = srv->current;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&srv->lock);
	return s;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r, const char *type)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO; /* out of memory: MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result queue_static(struct MHD_Connection *c, unsigned status, const char *text, const char *type)
{
	return queue(c, status, MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT),
		     type);
}

/* body of the current snapshot, which the response holds until sent. */
static enum MHD_Result queue_body(struct http_server *srv, struct MHD_Connection *c, enum body which,
				  const char *type, const char *extra_header, const char *extra_value)
{
	struct snapshot *s = snapshot_get(srv);
	struct MHD_Response *r;

	if (!s || !s->data[which]) {
		snapshot_unref(s);
		return queue_static(c, MHD_HTTP_SERVICE_UNAVAILABLE, "heaptrace: nothing published yet\n",
				    "text/plain; charset=utf-8");
	}
	r = MHD_create_response_from_buffer_with_free_callback_cls(s->len[which], (void *)s->data[which],
								   snapshot_unref, s);
	if (!r) {
		snapshot_unref(s);
		return MHD_NO;
	}
	if (extra_header)
		MHD_add_response_header(r, extra_header, extra_value);
	return queue(c, MHD_HTTP_OK, r, type);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct http_server *srv = cls;
	enum metrics_format f;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen(ONLY_GET), (void *)ONLY_GET,
									 MHD_RESPMEM_PERSISTENT);

		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r, "text/plain; charset=utf-8");
	}
	if (!strcmp(url, "/"))
		return queue_static(c, MHD_HTTP_OK, INDEX, "text/html; charset=utf-8");
	if (!strcmp(url, "/metrics")) {
		f = metrics_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
		return queue_body(srv, c, f == METRICS_OPENMETRICS ? BODY_OPENMETRICS : BODY_TEXT,
				  metrics_content_type(f), MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
	}
	if (!strcmp(url, "/debug/pprof/maps"))
		return queue_body(srv, c, BODY_PPROF, "application/octet-stream", MHD_HTTP_HEADER_CONTENT_DISPOSITION,
				  "attachment; filename=\"maps.pb.gz\"");
	return queue_static(c, MHD_HTTP_NOT_FOUND, "heaptrace: no such page; see /\n", "text/plain; charset=utf-8");
}

/* libmicrohttpd's own messages (a client that misbehaved, say): -v only. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	ht_debug("http: %s", msg);
}

struct http_server *http_server_start(const char *listen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	int fd;

	if (!s) {
		ht_fail("--listen %s: out of memory", listen);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	fd = listen_open(listen, s->address, sizeof(s->address));
	if (fd < 0)
		goto fail;
	s->port = atoi(strrchr(s->address, ':') + 1);
	/* Everything the handler reads is set before the daemon's threads start. */
	s->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				     handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
				     MHD_OPTION_END);
	if (!s->daemon) {
		/* libmicrohttpd closes a socket it was given on most of its failure
		 * paths, not all: close it only if it is still open. */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		ht_fail("cannot start the HTTP server on %s (libmicrohttpd failed: run with -v for its reason)",
			s->address);
		goto fail;
	}
	return s;
fail:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

const char *http_server_address(const struct http_server *s)
{
	return s->address;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

int http_server_publish(struct http_server *srv, const struct http_bodies *b)
{
	const void *src[BODY_COUNT] = { b->metrics_text, b->metrics_openmetrics, b->pprof_maps };
	const size_t len[BODY_COUNT] = { b->metrics_text_len, b->metrics_openmetrics_len, b->pprof_maps_len };
	struct snapshot *s, *old;
	size_t total = 0, off = 0;
	int i;

	for (i = 0; i < BODY_COUNT; i++)
		total += src[i] ? len[i] : 0;
	s = malloc(sizeof(*s) + total);
	if (!s)
		return ht_fail("http: out of memory for a %zu-byte snapshot", total);
	atomic_init(&s->refs, 1);
	for (i = 0; i < BODY_COUNT; i++) {
		s->data[i] = src[i] ? s->storage + off : NULL;
		s->len[i] = src[i] ? len[i] : 0;
		if (src[i])
			memcpy(s->storage + off, src[i], len[i]);
		off += s->len[i];
	}
	pthread_mutex_lock(&srv->lock);
	old = srv->current;
	srv->current = s;
	pthread_mutex_unlock(&srv->lock);
	snapshot_unref(old);
	return 0;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Ends the threads and closes the listening socket and every
	 * connection; their responses drop their snapshot references. */
	MHD_stop_daemon(s->daemon);
	snapshot_unref(s->current);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
