// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include "export/metrics_text.h"
#include "serve/auth.h"
#include "serve/conn_guard.h"
#include "serve/host_check.h"
#include "serve/http.h"
#include "util/log.h"
#include "util/monotonic.h"

/* Threads answering requests: each runs an epoll loop over its share of
 * the connections and never blocks on one; two keep a scrape answered
 * while the other does a TLS handshake or checks a bcrypt hash. */
#define POOL_THREADS 2
/* Connections at once: with epoll an idle one costs its socket and the
 * part of its 32 KiB memory pool it has used, so 1,024 costs nothing until
 * used, and 200 slow clients leave room for the scrapes. One address may
 * hold a quarter of them. */
#define MAX_CONNECTIONS 1024u
#define PER_IP_CONNECTIONS 256u
/* libmicrohttpd's own limits, a little above: it checks the per-address
 * one before the accept policy and refuses without saying which limit, so
 * the policy (which says) refuses first and these only back it up. */
#define MHD_SLACK 16u
/* A client that neither sends nor reads for this long is dropped. */
#define IDLE_TIMEOUT_S 10
/* A request must be answered within this long of its connection's accept
 * (or of the previous response), whatever the client trickles meanwhile:
 * Prometheus gives up on a scrape after 10 s by default. */
#define REQUEST_DEADLINE_NS (15ull * 1000000000ull)

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
	struct conn_guard guard;
	struct host_check host;
	struct auth *auth;
	enum serve_client_auth client_auth;
	size_t nheaders;
	char hname[SERVE_MAX_HEADERS][SERVE_MAX_HEADER_NAME + 1];
	char hvalue[SERVE_MAX_HEADERS][SERVE_MAX_HEADER_VALUE + 1];
	char *cert, *key, *ca; /* NUL-terminated copies, alive while the daemon runs */
	atomic_bool logged_host;
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
static const char TEXT[] = "text/plain; charset=utf-8";

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

/* Every response: its type, no caching, the web config's headers. */
static void decorate(struct http_server *srv, struct MHD_Response *r, const char *type)
{
	size_t i;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	for (i = 0; i < srv->nheaders; i++)
		MHD_add_response_header(r, srv->hname[i], srv->hvalue[i]);
}

static enum MHD_Result queue(struct http_server *srv, struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r, const char *type)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO; /* out of memory: MHD closes the connection */
	decorate(srv, r, type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static struct MHD_Response *static_response(const char *text)
{
	return MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result queue_static(struct http_server *srv, struct MHD_Connection *c, unsigned status,
				    const char *text, const char *type)
{
	return queue(srv, c, status, static_response(text), type);
}

/* body of the current snapshot, which the response holds until sent. */
static enum MHD_Result queue_body(struct http_server *srv, struct MHD_Connection *c, enum body which,
				  const char *type, const char *extra_header, const char *extra_value)
{
	struct snapshot *s = snapshot_get(srv);
	struct MHD_Response *r;

	if (!s || !s->data[which]) {
		snapshot_unref(s);
		return queue_static(srv, c, MHD_HTTP_SERVICE_UNAVAILABLE, "heaptrace: nothing published yet\n", TEXT);
	}
	r = MHD_create_response_from_buffer_with_free_callback_cls(s->len[which], (void *)s->data[which],
								   snapshot_unref, s);
	if (!r) {
		snapshot_unref(s);
		return MHD_NO;
	}
	if (extra_header)
		MHD_add_response_header(r, extra_header, extra_value);
	return queue(srv, c, MHD_HTTP_OK, r, type);
}

/* basic_auth_users: the request's credentials, checked. */
static bool authorized(struct http_server *srv, struct MHD_Connection *c)
{
	char *password = NULL, *user;
	bool ok;

	if (!srv->auth)
		return true;
	user = MHD_basic_auth_get_username_password(c, &password);
	ok = user && password && auth_check(srv->auth, user, password);
	if (password)
		explicit_bzero(password, strlen(password));
	MHD_free(user);
	MHD_free(password);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct http_server *srv = cls;
	enum metrics_format f;

	if (!host_check_ok(&srv->host, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
			   !strcmp(version, MHD_HTTP_VERSION_1_0))) {
		if (!atomic_exchange(&srv->logged_host, true))
			ht_err("http: a request for another host than this loopback server refused (DNS rebinding?): Host %.64s (logged once)",
			       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST) ?: "(none)");
		return queue_static(srv, c, MHD_HTTP_FORBIDDEN,
				    "heaptrace: the Host header does not name this server (localhost, 127.0.0.1 or [::1] with its port)\n",
				    TEXT);
	}
	if (!authorized(srv, c)) {
		struct MHD_Response *r = static_response("Unauthorized\n");
		enum MHD_Result rc;

		if (!r)
			return MHD_NO;
		decorate(srv, r, TEXT);
		rc = MHD_queue_basic_auth_fail_response(c, "heaptrace", r);
		MHD_destroy_response(r);
		return rc;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		struct MHD_Response *r = static_response(ONLY_GET);

		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return queue(srv, c, MHD_HTTP_METHOD_NOT_ALLOWED, r, TEXT);
	}
	if (!strcmp(url, "/"))
		return queue_static(srv, c, MHD_HTTP_OK, INDEX, "text/html; charset=utf-8");
	if (!strcmp(url, "/metrics")) {
		f = metrics_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
		return queue_body(srv, c, f == METRICS_OPENMETRICS ? BODY_OPENMETRICS : BODY_TEXT,
				  metrics_content_type(f), MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
	}
	if (!strcmp(url, "/debug/pprof/maps"))
		return queue_body(srv, c, BODY_PPROF, "application/octet-stream", MHD_HTTP_HEADER_CONTENT_DISPOSITION,
				  "attachment; filename=\"maps.pb.gz\"");
	return queue_static(srv, c, MHD_HTTP_NOT_FOUND, "heaptrace: no such page; see /\n", TEXT);
}

/* ---- connections: limits, deadlines, client certificates ---- */

static socklen_t addr_len(const struct sockaddr *sa)
{
	return !sa ? 0 : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	bool first;
	char ip[INET6_ADDRSTRLEN] = "?";
	enum conn_verdict v = conn_guard_admit(&srv->guard, addr, addrlen, &first);

	if (v == CONN_ADMIT)
		return MHD_YES;
	if (first) {
		if (addr && addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, ip, sizeof(ip));
		else if (addr && addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, ip, sizeof(ip));
		if (v == CONN_REFUSED_TOTAL)
			ht_err("http: %u connections open: new ones refused until some close (logged once)", MAX_CONNECTIONS);
		else
			ht_err("http: %s holds %u connections, its limit: more from it refused (logged once)", ip,
			       PER_IP_CONNECTIONS);
	}
	return MHD_NO;
}

/* gnutls asks when the client's certificate has come: verify it against
 * the client CA, for a TLS client's use. None given passes here
 * (VerifyClientCertIfGiven); RequireAndVerifyClientCert has gnutls
 * refuse that case itself. */
static int verify_client(gnutls_session_t session)
{
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					  .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
	unsigned n = 0, status = 0;

	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return 0;
	if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return 0;
}

static void client_cert_policy(struct http_server *srv, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t session;

	if (srv->client_auth == SERVE_NO_CLIENT_CERT ||
	    !(ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION)) || !(session = ci->tls_session))
		return;
	gnutls_certificate_server_set_request(session, srv->client_auth == SERVE_REQUIRE_ANY_CLIENT_CERT ||
							       srv->client_auth == SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT
						       ? GNUTLS_CERT_REQUIRE
						       : GNUTLS_CERT_REQUEST);
	if (srv->client_auth == SERVE_VERIFY_CLIENT_CERT_IF_GIVEN ||
	    srv->client_auth == SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT)
		gnutls_session_set_verify_function(session, verify_client);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ad ? ad->client_addr : NULL;

		*socket_context = (void *)(intptr_t)(fd ? conn_guard_open(&srv->guard, fd->connect_fd, sa, addr_len(sa),
									  monotonic_ns())
							: 0);
		/* before the handshake, which this thread does later */
		client_cert_policy(srv, c);
	} else {
		conn_guard_close(&srv->guard, (int)(intptr_t)*socket_context);
	}
}

/* A response sent: a kept-alive connection's next request has its own time. */
static void request_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conn_guard_answered(&srv->guard, (int)(intptr_t)ci->socket_context, monotonic_ns());
}

void http_tick(struct http_server *s)
{
	bool first;
	unsigned cut = conn_guard_sweep(&s->guard, monotonic_ns(), &first);

	if (first)
		ht_err("http: %u connection%s cut: no request answered within %llu s of its start, whatever was "
		       "trickled (further cuts are counted, not logged)", cut, cut == 1 ? "" : "s",
		       REQUEST_DEADLINE_NS / 1000000000ull);
}

/* libmicrohttpd's own messages (a client that misbehaved, say): -v only,
 * but a limit it reaches is said once. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static atomic_bool limit_said;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	if (strstr(msg, "connection limit") && !atomic_exchange(&limit_said, true))
		ht_err("http: %s (logged once)", msg);
	else
		ht_debug("http: %s", msg);
}

/* ---- start, publish, stop ---- */

static char *copy_pem(const struct serve_bytes *b)
{
	char *p = b->len ? malloc(b->len + 1) : NULL;

	if (p) {
		memcpy(p, b->p, b->len);
		p[b->len] = '\0';
	}
	return p;
}

static void free_secrets(struct http_server *s)
{
	if (s->key)
		explicit_bzero(s->key, strlen(s->key));
	free(s->key);
	free(s->cert);
	free(s->ca);
	s->key = s->cert = s->ca = NULL;
}

static const char *priorities(const struct serve_config *c)
{
	if (c->min_version == SERVE_TLS13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	if (c->max_version == SERVE_TLS12)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
}

struct http_server *http_start(int listen_fd, const struct serve_config *c)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct MHD_OptionItem o[24];
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	int n = 0;
	bool auth_err;
	size_t i;

	if (!s) {
		ht_fail("http: out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (conn_guard_init(&s->guard, MAX_CONNECTIONS, PER_IP_CONNECTIONS, REQUEST_DEADLINE_NS))
		goto fail;
	if (getsockname(listen_fd, (struct sockaddr *)&ss, &sl)) {
		ht_fail("http: the listening socket has no address: %s", strerror(errno));
		goto fail;
	}
	host_check_init(&s->host, (struct sockaddr *)&ss, sl, c->tls);
	s->auth = auth_new(c, &auth_err);
	if (auth_err)
		goto fail;
	s->client_auth = c->client_auth;
	for (i = 0; i < c->nheaders; i++) {
		snprintf(s->hname[i], sizeof(s->hname[i]), "%s", c->headers[i].name);
		snprintf(s->hvalue[i], sizeof(s->hvalue[i]), "%s", c->headers[i].value);
	}
	s->nheaders = c->nheaders;
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS + MHD_SLACK, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_CONNECTIONS + MHD_SLACK, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, s };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, s };
	if (c->tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			ht_fail("http: this libmicrohttpd has no TLS: tls_server_config cannot be served");
			goto fail;
		}
		s->cert = copy_pem(&c->cert);
		s->key = copy_pem(&c->key);
		s->ca = copy_pem(&c->client_ca);
		if (!s->cert || !s->key || (c->client_ca.len && !s->ca)) {
			ht_fail("http: out of memory");
			goto fail;
		}
		flags |= MHD_USE_TLS;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)priorities(c) };
		/* the CA to verify client certificates against; the request
		 * itself is made per connection (client_cert_policy) */
		if (s->ca)
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca };
	}
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* Everything the handler reads is set before the daemon's threads start. */
	s->daemon = MHD_start_daemon(flags, 0, accept_policy, s, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	if (!s->daemon) {
		ht_fail("http: cannot start the server on the listening socket (libmicrohttpd failed: run with -v for its reason)");
		goto fail;
	}
	return s;
fail:
	auth_free(s->auth);
	free_secrets(s);
	conn_guard_free(&s->guard);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

int http_publish(struct http_server *srv, const struct serve_bodies *b)
{
	const struct serve_bytes *src[BODY_COUNT] = { &b->metrics_text, &b->metrics_openmetrics, &b->pprof_maps };
	const bool have[BODY_COUNT] = { b->have_text, b->have_openmetrics, b->have_pprof };
	struct snapshot *s, *old;
	size_t total = 0, off = 0;
	int i;

	for (i = 0; i < BODY_COUNT; i++)
		total += have[i] ? src[i]->len : 0;
	s = malloc(sizeof(*s) + total);
	if (!s)
		return ht_fail("http: out of memory for a %zu-byte snapshot", total);
	atomic_init(&s->refs, 1);
	for (i = 0; i < BODY_COUNT; i++) {
		s->data[i] = have[i] ? s->storage + off : NULL;
		s->len[i] = have[i] ? src[i]->len : 0;
		if (have[i] && src[i]->len)
			memcpy(s->storage + off, src[i]->p, src[i]->len);
		off += s->len[i];
	}
	pthread_mutex_lock(&srv->lock);
	old = srv->current;
	srv->current = s;
	pthread_mutex_unlock(&srv->lock);
	snapshot_unref(old);
	return 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Ends the threads and closes the listening socket and every
	 * connection; their responses drop their snapshot references. */
	MHD_stop_daemon(s->daemon);
	snapshot_unref(s->current);
	auth_free(s->auth);
	free_secrets(s);
	conn_guard_free(&s->guard);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
