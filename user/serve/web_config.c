// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <yaml.h>
#include "serve/web_config.h"
#include "util/log.h"

#define MAX_CONFIG_FILE (1u << 20)

/* The loader's state: the file, its directory, its parsed document. */
struct loader {
	const char *path;
	char dir[PATH_MAX];
	yaml_document_t doc;
	struct web_config *w;
};

static void *own(struct web_config *w, void *p)
{
	if (p && w->nowned < (int)(sizeof(w->owned) / sizeof(w->owned[0])))
		w->owned[w->nowned++] = p;
	else
		free(p); /* cannot happen: the bounds above are the wire's */
	return p;
}

/* A file the configuration names (or the configuration itself): readable,
 * regular, not writable by every user, bounded. */
static int read_file_checked(const char *cfg, const char *key, const char *path, uint8_t **out, size_t *len,
			     mode_t *mode)
{
	char who[PATH_MAX + 128];
	struct stat st;
	uint8_t *buf;
	size_t n = 0;
	int fd;

	if (key)
		snprintf(who, sizeof(who), "--web-config %s: %s %s", cfg, key, path);
	else
		snprintf(who, sizeof(who), "--web-config %s", cfg);
	/* O_NONBLOCK: a FIFO planted there must not hang the tracer before
	 * fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ht_fail("%s: cannot read it: %s", who, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return ht_fail("%s: not a regular file", who);
	}
	if (st.st_mode & S_IWOTH) {
		close(fd);
		return ht_fail("%s: writable by every user (mode %04o), so anyone could change who may read heaptrace's "
			       "data: chmod o-w it", who, (unsigned)(st.st_mode & 07777));
	}
	if ((size_t)st.st_size > MAX_CONFIG_FILE) {
		close(fd);
		return ht_fail("%s: %lld bytes, more than the %u this can be", who, (long long)st.st_size, MAX_CONFIG_FILE);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ht_fail("%s: out of memory", who);
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			close(fd);
			return ht_fail("%s: cannot read it: %s", who, r ? strerror(errno) : "shorter than its size");
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	if (mode)
		*mode = st.st_mode;
	return 0;
}

static int bad(struct loader *l, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		return ht_fail("--web-config %s: line %zu: %s", l->path, n->start_mark.line + 1, msg);
	return ht_fail("--web-config %s: %s", l->path, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* YAML 1.1's booleans, as Go's yaml parser takes them. */
static int boolean(struct loader *l, const char *key, const yaml_node_t *v, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };
	const char *s = scalar(v);
	size_t i;

	for (i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	return bad(l, v, "%s: expected true or false", key);
}

/* Each pair of a mapping node (checked by expect_mapping first). */
#define FOR_PAIRS(l, node, k, v)                                                                            \
	for (yaml_node_pair_t *p_ = (node)->data.mapping.pairs.start;                                      \
	     p_ < (node)->data.mapping.pairs.top &&                                                         \
	     ((k) = yaml_document_get_node(&(l)->doc, p_->key), (v) = yaml_document_get_node(&(l)->doc, p_->value), 1); \
	     p_++)

static int expect_mapping(struct loader *l, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE)
		return 0;
	/* an empty section (`key:` with nothing after it) is an empty mapping */
	if (n->type == YAML_SCALAR_NODE && (!n->data.scalar.length || !strcmp(scalar(n), "~") || !strcmp(scalar(n), "null")))
		return 1;
	return bad(l, n, "%s: expected a mapping (key: value lines)", what);
}

/* Keys given twice are refused: YAML leaves them undefined, and Go's
 * strict parser refuses them too. */
static int once(struct loader *l, const yaml_node_t *k, const char *section, const char **seen, int *nseen)
{
	int i;

	for (i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], scalar(k)))
			return bad(l, k, "%s%s given twice", section, scalar(k));
	if (*nseen < 32)
		seen[(*nseen)++] = scalar(k);
	return 0;
}

/* A path the configuration names, relative to its directory. */
static int resolve(struct loader *l, const char *p, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s%s%s", p[0] == '/' ? "" : l->dir, p[0] == '/' ? "" : "/", p) >= len)
		return ht_fail("--web-config %s: path %s is too long", l->path, p);
	return 0;
}

struct tls_keys {
	const yaml_node_t *cert_file, *key_file, *cert, *key, *ca_file, *auth;
	const char *min, *max;
};

static const char *const CLIENT_AUTH[] = {
	[SERVE_NO_CLIENT_CERT] = "NoClientCert",
	[SERVE_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[SERVE_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[SERVE_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

static int tls_version(struct loader *l, const yaml_node_t *v, const char *key, enum serve_tls_version *out)
{
	const char *s = scalar(v);

	if (s && !strcmp(s, "TLS12"))
		*out = SERVE_TLS12;
	else if (s && !strcmp(s, "TLS13"))
		*out = SERVE_TLS13;
	else if (s && (!strcmp(s, "TLS10") || !strcmp(s, "TLS11")))
		return bad(l, v, "tls_server_config.%s: %s: heaptrace serves TLS 1.2 and 1.3 only", key, s);
	else
		return bad(l, v, "tls_server_config.%s: expected TLS12 or TLS13", key);
	return 0;
}

/* The PEM of a _file key or of its inline twin (exactly one of them). */
static int pem(struct loader *l, const char *key, const yaml_node_t *file, const yaml_node_t *inl, struct serve_bytes *out)
{
	struct web_config *w = l->w;
	char path[PATH_MAX], what[64];
	mode_t mode = 0;
	uint8_t *buf;
	size_t len;

	snprintf(what, sizeof(what), "tls_server_config.%s_file", key);
	if (file && inl)
		return bad(l, inl, "tls_server_config: give %s_file or %s, not both", key, key);
	if (inl) {
		buf = own(w, (uint8_t *)strdup(scalar(inl)));
		if (!buf)
			return ht_fail("out of memory");
		out->p = buf;
		out->len = strlen((char *)buf);
		return 0;
	}
	if (!scalar(file) || !*scalar(file))
		return bad(l, file, "%s: expected a file name", what);
	if (resolve(l, scalar(file), path, sizeof(path)) || read_file_checked(l->path, what, path, &buf, &len, &mode))
		return -1;
	/* Readable by every user, the key is every local user's, the server's
	 * uid (65534 when heaptrace is root) among them; heaptrace reads it,
	 * the server never opens a file. A warning, not a refusal: a
	 * Kubernetes secret is mounted 0644 unless told otherwise. */
	if (!strcmp(key, "key") && (mode & S_IROTH))
		snprintf(w->warning, sizeof(w->warning),
			 "--web-config %s: %s %s is readable by every user: chmod o-r it (Kubernetes: defaultMode: 0400)",
			 l->path, what, path);
	out->p = own(w, buf);
	out->len = len;
	return 0;
}

/* gnutls reads them as the server will: a key that does not match the
 * certificate, a CA file without a certificate, fail here, at load. */
static int check_with_gnutls(struct loader *l)
{
	const struct serve_config *c = &l->w->c;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)c->cert.p, (unsigned)c->cert.len };
	gnutls_datum_t key = { (unsigned char *)c->key.p, (unsigned)c->key.len };
	int r;

	if (gnutls_certificate_allocate_credentials(&cred))
		return ht_fail("out of memory");
	r = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		gnutls_certificate_free_credentials(cred);
		return ht_fail("--web-config %s: tls_server_config: the certificate and key cannot be used: %s", l->path,
			       gnutls_strerror(r));
	}
	if (c->client_ca.len) {
		gnutls_datum_t ca = { (unsigned char *)c->client_ca.p, (unsigned)c->client_ca.len };

		r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			gnutls_certificate_free_credentials(cred);
			return ht_fail("--web-config %s: tls_server_config.client_ca_file: no certificate in it%s%s", l->path,
				       r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		}
	}
	gnutls_certificate_free_credentials(cred);
	return 0;
}

static int tls_section(struct loader *l, const yaml_node_t *n)
{
	struct serve_config *c = &l->w->c;
	struct tls_keys t = { 0 };
	const char *seen[32];
	int nseen = 0, r;
	yaml_node_t *k, *v;
	size_t i;

	if ((r = expect_mapping(l, n, "tls_server_config")))
		return r > 0 ? 0 : -1;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);

		if (!key)
			return bad(l, k, "tls_server_config: keys are names");
		if (once(l, k, "tls_server_config.", seen, &nseen))
			return -1;
		if (strcmp(key, "prefer_server_cipher_suites") && v->type != YAML_SCALAR_NODE &&
		    strcmp(key, "cipher_suites") && strcmp(key, "curve_preferences") && strcmp(key, "client_allowed_sans"))
			return bad(l, v, "tls_server_config.%s: expected a single value", key);
		if (!strcmp(key, "cert_file"))
			t.cert_file = v;
		else if (!strcmp(key, "key_file"))
			t.key_file = v;
		else if (!strcmp(key, "cert"))
			t.cert = v;
		else if (!strcmp(key, "key"))
			t.key = v;
		else if (!strcmp(key, "client_ca_file"))
			t.ca_file = v;
		else if (!strcmp(key, "client_auth_type"))
			t.auth = v;
		else if (!strcmp(key, "min_version")) {
			if (tls_version(l, v, key, &c->min_version))
				return -1;
		} else if (!strcmp(key, "max_version")) {
			if (tls_version(l, v, key, &c->max_version))
				return -1;
		} else if (!strcmp(key, "prefer_server_cipher_suites")) {
			bool ignored;

			if (boolean(l, "tls_server_config.prefer_server_cipher_suites", v, &ignored))
				return -1;
		} else if (!strcmp(key, "cipher_suites") || !strcmp(key, "curve_preferences") ||
			   !strcmp(key, "client_allowed_sans")) {
			return bad(l, k, "tls_server_config.%s: exporter-toolkit has it, heaptrace does not implement it "
				   "(GnuTLS's defaults choose the ciphers and curves): remove it", key);
		} else {
			return bad(l, k, "unknown key tls_server_config.%s (expected cert_file, key_file, cert, key, "
				   "client_auth_type, client_ca_file, min_version, max_version)", key);
		}
	}
	if (!t.cert_file && !t.cert)
		return bad(l, n, "tls_server_config: no cert_file (or cert)");
	if (!t.key_file && !t.key)
		return bad(l, n, "tls_server_config: no key_file (or key)");
	if (t.auth) {
		for (i = 0; i < sizeof(CLIENT_AUTH) / sizeof(CLIENT_AUTH[0]); i++)
			if (scalar(t.auth) && !strcmp(scalar(t.auth), CLIENT_AUTH[i]))
				break;
		if (i == sizeof(CLIENT_AUTH) / sizeof(CLIENT_AUTH[0]))
			return bad(l, t.auth, "tls_server_config.client_auth_type: '%s' is none of NoClientCert, "
				   "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
				   "RequireAndVerifyClientCert", scalar(t.auth) ? scalar(t.auth) : "");
		c->client_auth = (enum serve_client_auth)i;
	}
	if (t.ca_file && c->client_auth == SERVE_NO_CLIENT_CERT)
		return bad(l, t.ca_file, "tls_server_config: a client_ca_file without a client_auth_type that uses it");
	if (!t.ca_file && (c->client_auth == SERVE_VERIFY_CLIENT_CERT_IF_GIVEN ||
			   c->client_auth == SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT))
		return bad(l, t.auth, "tls_server_config.client_auth_type %s needs a client_ca_file to verify against",
			   CLIENT_AUTH[c->client_auth]);
	if (c->min_version > c->max_version)
		return bad(l, n, "tls_server_config: min_version above max_version");
	if (pem(l, "cert", t.cert_file, t.cert, &c->cert) || pem(l, "key", t.key_file, t.key, &c->key) ||
	    (t.ca_file && pem(l, "client_ca", t.ca_file, NULL, &c->client_ca)))
		return -1;
	c->tls = true;
	return check_with_gnutls(l);
}

static int users_section(struct loader *l, const yaml_node_t *n)
{
	struct serve_config *c = &l->w->c;
	yaml_node_t *k, *v;
	int r;

	if ((r = expect_mapping(l, n, "basic_auth_users")))
		return r > 0 ? 0 : -1;
	FOR_PAIRS(l, n, k, v) {
		const char *name = scalar(k), *hash = scalar(v);
		size_t i;

		if (!name || !*name || strlen(name) > SERVE_MAX_USER_NAME || strchr(name, ':'))
			return bad(l, k, "basic_auth_users: a user name is 1 to %d characters, without ':'",
				   SERVE_MAX_USER_NAME);
		for (i = 0; i < c->nusers; i++)
			if (!strcmp(c->users[i].name, name))
				return bad(l, k, "basic_auth_users.%s given twice", name);
		if (!hash || !serve_wire_is_bcrypt(hash))
			return bad(l, v, "basic_auth_users.%s: not a bcrypt hash ($2a$, $2b$ or $2y$ and 60 characters, "
				   "e.g. from htpasswd -nbB USER PASSWORD)", name);
		if (c->nusers == SERVE_MAX_USERS)
			return bad(l, k, "basic_auth_users: more than %d users", SERVE_MAX_USERS);
		c->users[c->nusers].name = own(l->w, strdup(name));
		c->users[c->nusers].hash = own(l->w, strdup(hash));
		if (!c->users[c->nusers].name || !c->users[c->nusers].hash)
			return ht_fail("out of memory");
		c->nusers++;
	}
	return 0;
}

/* exporter-toolkit's list: these headers, and for two of them these values. */
static const struct {
	const char *name;
	const char *values[3];
} HEADERS[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static int headers_section(struct loader *l, const yaml_node_t *n)
{
	struct serve_config *c = &l->w->c;
	yaml_node_t *k, *v;
	int r;

	if ((r = expect_mapping(l, n, "http_server_config.headers")))
		return r > 0 ? 0 : -1;
	FOR_PAIRS(l, n, k, v) {
		const char *name = scalar(k), *value = scalar(v);
		size_t i, j;

		for (i = 0; name && i < sizeof(HEADERS) / sizeof(HEADERS[0]); i++)
			if (!strcasecmp(name, HEADERS[i].name))
				break;
		if (!name || i == sizeof(HEADERS) / sizeof(HEADERS[0]))
			return bad(l, k, "http_server_config.headers: '%s' is not one of the headers exporter-toolkit allows "
				   "(Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
				   "Content-Security-Policy)", name ? name : "");
		for (j = 0; j < c->nheaders; j++)
			if (!strcasecmp(c->headers[j].name, HEADERS[i].name))
				return bad(l, k, "http_server_config.headers.%s given twice", HEADERS[i].name);
		if (!value || !*value || strlen(value) > SERVE_MAX_HEADER_VALUE || strpbrk(value, "\r\n"))
			return bad(l, v, "http_server_config.headers.%s: expected a one-line value", HEADERS[i].name);
		for (j = 0; HEADERS[i].values[j] && strcasecmp(value, HEADERS[i].values[j]); j++)
			;
		if (HEADERS[i].values[0] && !HEADERS[i].values[j])
			return bad(l, v, "http_server_config.headers.%s: '%s' is not %s%s%s", HEADERS[i].name, value,
				   HEADERS[i].values[0], HEADERS[i].values[1] ? " or " : "",
				   HEADERS[i].values[1] ? HEADERS[i].values[1] : "");
		if (c->nheaders == SERVE_MAX_HEADERS)
			return bad(l, k, "http_server_config.headers: more than %d", SERVE_MAX_HEADERS);
		c->headers[c->nheaders].name = HEADERS[i].name;
		c->headers[c->nheaders].value = own(l->w, strdup(value));
		if (!c->headers[c->nheaders].value)
			return ht_fail("out of memory");
		c->nheaders++;
	}
	return 0;
}

static int http_section(struct loader *l, const yaml_node_t *n)
{
	const char *seen[32];
	int nseen = 0, r;
	yaml_node_t *k, *v;

	if ((r = expect_mapping(l, n, "http_server_config")))
		return r > 0 ? 0 : -1;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		bool ignored;

		if (!key)
			return bad(l, k, "http_server_config: keys are names");
		if (once(l, k, "http_server_config.", seen, &nseen))
			return -1;
		if (!strcmp(key, "headers")) {
			if (headers_section(l, v))
				return -1;
		} else if (!strcmp(key, "http2")) {
			if (boolean(l, "http_server_config.http2", v, &ignored))
				return -1;
		} else {
			return bad(l, k, "unknown key http_server_config.%s (expected headers or http2)", key);
		}
	}
	return 0;
}

static int top(struct loader *l)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc), *k, *v;
	const char *seen[32];
	int nseen = 0, r;

	if (!root)
		return 0; /* an empty file: no TLS, no authentication */
	if ((r = expect_mapping(l, root, "the file")))
		return r > 0 ? 0 : -1;
	FOR_PAIRS(l, root, k, v) {
		const char *key = scalar(k);

		if (!key)
			return bad(l, k, "keys are names");
		if (once(l, k, "", seen, &nseen))
			return -1;
		if (!strcmp(key, "tls_server_config"))
			r = tls_section(l, v);
		else if (!strcmp(key, "basic_auth_users"))
			r = users_section(l, v);
		else if (!strcmp(key, "http_server_config"))
			r = http_section(l, v);
		else
			r = bad(l, k, "unknown key %s (expected tls_server_config, basic_auth_users or http_server_config)",
				key);
		if (r)
			return -1;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *w)
{
	struct loader l = { .path = path, .w = w };
	yaml_parser_t parser;
	char copy[PATH_MAX];
	uint8_t *text;
	size_t len;
	int err;

	memset(w, 0, sizeof(*w));
	w->c.source = "";
	w->c.min_version = SERVE_TLS12;
	w->c.max_version = SERVE_TLS13;
	if (!path)
		return 0;
	w->c.source = own(w, strdup(path));
	if (!w->c.source)
		return ht_fail("out of memory");
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(l.dir, sizeof(l.dir), "%s", dirname(copy));
	if (read_file_checked(path, NULL, path, &text, &len, NULL))
		return -1;
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return ht_fail("out of memory");
	}
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		err = ht_fail("--web-config %s: line %zu: not YAML: %s", path, parser.problem_mark.line + 1,
			      parser.problem ? parser.problem : "a syntax error");
		yaml_parser_delete(&parser);
		free(text);
		return err;
	}
	err = top(&l);
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	free(text);
	if (err)
		web_config_free(w);
	return err;
}

void web_config_free(struct web_config *w)
{
	int i;

	for (i = 0; i < w->nowned; i++)
		free(w->owned[i]);
	memset(w, 0, sizeof(*w));
}
