// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "serve/wire.h"
#include "util/log.h"

/* Field tags. Strings travel with their terminating NUL, so that the
 * decoder can hand out pointers into the payload; a user or a header is two
 * strings in one field ("name\0value\0"). */
enum {
	T_SOURCE = 1,
	T_CERT = 3,
	T_KEY = 4,
	T_CLIENT_CA = 5,
	T_CLIENT_AUTH = 6,	/* u32 */
	T_MIN_VERSION = 7,	/* u32 */
	T_MAX_VERSION = 8,	/* u32 */
	T_USER = 9,
	T_HEADER = 10,
	T_METRICS_TEXT = 20,
	T_METRICS_OPENMETRICS = 21,
	T_PPROF_MAPS = 22,
};

/* ---- encoding ---- */

static void put(struct serve_wbuf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->failed = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_field(struct serve_wbuf *b, uint32_t tag, const void *a, size_t an, const void *c, size_t cn)
{
	uint32_t hdr[2] = { tag, (uint32_t)(an + cn) };

	if (an + cn > UINT32_MAX) {
		b->failed = true;
		return;
	}
	put(b, hdr, sizeof(hdr));
	put(b, a, an);
	put(b, c, cn);
}

static void put_str(struct serve_wbuf *b, uint32_t tag, const char *s)
{
	put_field(b, tag, s, strlen(s) + 1, NULL, 0);
}

static void put_pair(struct serve_wbuf *b, uint32_t tag, const char *x, const char *y)
{
	put_field(b, tag, x, strlen(x) + 1, y, strlen(y) + 1);
}

static void put_u32(struct serve_wbuf *b, uint32_t tag, uint32_t v)
{
	put_field(b, tag, &v, sizeof(v), NULL, 0);
}

static void begin(struct serve_wbuf *b, uint32_t type)
{
	struct serve_wire_header h = { .magic = SERVE_WIRE_MAGIC, .type = type };

	memset(b, 0, sizeof(*b));
	put(b, &h, sizeof(h));
}

/* Sets the payload length, and checks the message against what the
 * receiving end will accept: a message it would refuse is not sent. */
static int end(struct serve_wbuf *b, const char *what)
{
	struct serve_wire_header h;

	if (b->failed)
		return ht_fail("cannot encode the %s for the HTTP server: out of memory or over a field's bound", what);
	memcpy(&h, b->p, sizeof(h));
	h.len = b->len - sizeof(h);
	memcpy(b->p, &h, sizeof(h));
	if (serve_wire_check_header(&h))
		return ht_fail("the %s for the HTTP server is too large: %s", what, ht_last_error());
	return 0;
}

int serve_wire_encode_config(const struct serve_config *c, struct serve_wbuf *b)
{
	size_t i;

	begin(b, SERVE_MSG_CONFIG);
	put_str(b, T_SOURCE, c->source ? c->source : "");
	if (c->tls) {
		put_field(b, T_CERT, c->cert.p, c->cert.len, NULL, 0);
		put_field(b, T_KEY, c->key.p, c->key.len, NULL, 0);
		if (c->client_ca.len)
			put_field(b, T_CLIENT_CA, c->client_ca.p, c->client_ca.len, NULL, 0);
		put_u32(b, T_CLIENT_AUTH, c->client_auth);
		put_u32(b, T_MIN_VERSION, c->min_version);
		put_u32(b, T_MAX_VERSION, c->max_version);
	}
	for (i = 0; i < c->nusers; i++)
		put_pair(b, T_USER, c->users[i].name, c->users[i].hash);
	for (i = 0; i < c->nheaders; i++)
		put_pair(b, T_HEADER, c->headers[i].name, c->headers[i].value);
	if (end(b, "web configuration"))
		return -1;
	/* what the server would refuse is refused here, with the same words */
	{
		struct serve_config check;

		if (serve_wire_decode_config(b->p + sizeof(struct serve_wire_header), b->len - sizeof(struct serve_wire_header),
					     &check))
			return -1;
	}
	return 0;
}

int serve_wire_encode_bodies(const struct serve_bodies *bd, struct serve_wbuf *b)
{
	begin(b, SERVE_MSG_BODIES);
	if (bd->have_text)
		put_field(b, T_METRICS_TEXT, bd->metrics_text.p, bd->metrics_text.len, NULL, 0);
	if (bd->have_openmetrics)
		put_field(b, T_METRICS_OPENMETRICS, bd->metrics_openmetrics.p, bd->metrics_openmetrics.len, NULL, 0);
	if (bd->have_pprof)
		put_field(b, T_PPROF_MAPS, bd->pprof_maps.p, bd->pprof_maps.len, NULL, 0);
	if ((bd->have_text && bd->metrics_text.len > SERVE_WIRE_MAX_BODY) ||
	    (bd->have_openmetrics && bd->metrics_openmetrics.len > SERVE_WIRE_MAX_BODY) ||
	    (bd->have_pprof && bd->pprof_maps.len > SERVE_WIRE_MAX_BODY))
		return ht_fail("an exposition over %u MiB is more than the HTTP server takes: lower --top-maps or --max-procs",
			       SERVE_WIRE_MAX_BODY >> 20);
	return end(b, "exposition");
}

void serve_wbuf_free(struct serve_wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- decoding: every byte is hostile ---- */

int serve_wire_check_header(const struct serve_wire_header *h)
{
	if (h->magic != SERVE_WIRE_MAGIC)
		return ht_fail("bad magic 0x%08x", h->magic);
	switch (h->type) {
	case SERVE_MSG_CONFIG:
		return h->len <= SERVE_WIRE_MAX_CONFIG ? 0 : ht_fail("a configuration of %llu bytes (at most %u)",
								      (unsigned long long)h->len, SERVE_WIRE_MAX_CONFIG);
	case SERVE_MSG_BODIES:
		return h->len <= SERVE_WIRE_MAX_BODIES ? 0 : ht_fail("bodies of %llu bytes (at most %u)",
								      (unsigned long long)h->len, SERVE_WIRE_MAX_BODIES);
	default:
		return ht_fail("unknown message type %u", h->type);
	}
}

struct field {
	uint32_t tag;
	const uint8_t *p;
	size_t len;
};

/* The next field of [*pos, end), or 0 at the end, -1 if truncated. */
static int next_field(const uint8_t **pos, const uint8_t *end, struct field *f)
{
	uint32_t hdr[2];

	if (*pos == end)
		return 0;
	if ((size_t)(end - *pos) < sizeof(hdr))
		return ht_fail("a field header cut short");
	memcpy(hdr, *pos, sizeof(hdr));
	*pos += sizeof(hdr);
	if (hdr[1] > (size_t)(end - *pos))
		return ht_fail("field %u claims %u bytes, %zu left", hdr[0], hdr[1], (size_t)(end - *pos));
	f->tag = hdr[0];
	f->p = *pos;
	f->len = hdr[1];
	*pos += hdr[1];
	return 1;
}

/* `nstr` NUL-terminated strings filling the field exactly, each of 1 to
 * max[i] characters (0 allowed where min0), none with a control character. */
static int strings(const struct field *f, int nstr, const char **out, const size_t *max, bool min0)
{
	const char *s = (const char *)f->p, *end = s + f->len;
	int i;

	for (i = 0; i < nstr; i++) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));
		const char *c;

		if (!nul)
			return ht_fail("field %u: a string without its end", f->tag);
		if ((size_t)(nul - s) > max[i] || (!min0 && nul == s))
			return ht_fail("field %u: a string of %zu characters (1 to %zu)", f->tag, (size_t)(nul - s), max[i]);
		for (c = s; c < nul; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return ht_fail("field %u: a control character in a string", f->tag);
		out[i] = s;
		s = nul + 1;
	}
	return s == end ? 0 : ht_fail("field %u: %zu bytes after its strings", f->tag, (size_t)(end - s));
}

static int u32_field(const struct field *f, uint32_t *v)
{
	if (f->len != sizeof(*v))
		return ht_fail("field %u: %zu bytes for a number", f->tag, f->len);
	memcpy(v, f->p, sizeof(*v));
	return 0;
}

static int bytes_once(const struct field *f, struct serve_bytes *b, bool *seen, size_t max)
{
	if (*seen)
		return ht_fail("field %u given twice", f->tag);
	if (f->len > max)
		return ht_fail("field %u: %zu bytes (at most %zu)", f->tag, f->len, max);
	*seen = true;
	b->p = f->p;
	b->len = f->len;
	return 0;
}

/* A two-digit cost, then 53 characters of bcrypt's base64 alphabet. */
bool serve_wire_is_bcrypt(const char *h)
{
	size_t i;

	if (strlen(h) != SERVE_BCRYPT_HASH_LEN || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	for (i = 7; i < SERVE_BCRYPT_HASH_LEN; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", h[i]) || !h[i])
			return false;
	return true;
}

/* An HTTP token (RFC 9110): what a header name may be. */
static bool is_token(const char *s)
{
	for (; *s; s++)
		if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z'))
			return false;
	return true;
}

static int config_field(struct serve_config *c, const struct field *f, bool *seen)
{
	static const size_t source_max[] = { SERVE_MAX_SOURCE };
	static const size_t user_max[] = { SERVE_MAX_USER_NAME, SERVE_BCRYPT_HASH_LEN };
	static const size_t header_max[] = { SERVE_MAX_HEADER_NAME, SERVE_MAX_HEADER_VALUE };
	const char *s[2];
	uint32_t v = 0;
	size_t i;

	if (f->tag < 32 && f->tag != T_USER && f->tag != T_HEADER) {
		if (seen[f->tag])
			return ht_fail("field %u given twice", f->tag);
		seen[f->tag] = true;
	}
	switch (f->tag) {
	case T_SOURCE:
		if (strings(f, 1, s, source_max, true))
			return -1;
		c->source = s[0];
		return 0;
	case T_CERT:
	case T_KEY:
	case T_CLIENT_CA: {
		struct serve_bytes *b = f->tag == T_CERT ? &c->cert : f->tag == T_KEY ? &c->key : &c->client_ca;
		bool once = false;

		if (bytes_once(f, b, &once, SERVE_WIRE_MAX_PEM))
			return -1;
		if (!b->len)
			return ht_fail("field %u: empty", f->tag);
		return 0;
	}
	case T_CLIENT_AUTH:
		if (u32_field(f, &v) || v > SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT)
			return ht_fail("a client authentication type out of range");
		c->client_auth = (enum serve_client_auth)v;
		return 0;
	case T_MIN_VERSION:
	case T_MAX_VERSION:
		if (u32_field(f, &v) || (v != SERVE_TLS12 && v != SERVE_TLS13))
			return ht_fail("a TLS version that is neither 1.2 nor 1.3");
		*(f->tag == T_MIN_VERSION ? &c->min_version : &c->max_version) = (enum serve_tls_version)v;
		return 0;
	case T_USER:
		if (c->nusers == SERVE_MAX_USERS)
			return ht_fail("more than %d users", SERVE_MAX_USERS);
		if (strings(f, 2, s, user_max, false))
			return -1;
		if (strchr(s[0], ':'))
			return ht_fail("a user name with ':' (basic authentication cannot carry it)");
		if (!serve_wire_is_bcrypt(s[1]))
			return ht_fail("user %s: not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)", s[0]);
		for (i = 0; i < c->nusers; i++)
			if (!strcmp(c->users[i].name, s[0]))
				return ht_fail("user %s given twice", s[0]);
		c->users[c->nusers++] = (struct serve_user){ .name = s[0], .hash = s[1] };
		return 0;
	case T_HEADER:
		if (c->nheaders == SERVE_MAX_HEADERS)
			return ht_fail("more than %d headers", SERVE_MAX_HEADERS);
		if (strings(f, 2, s, header_max, false))
			return -1;
		if (!is_token(s[0]))
			return ht_fail("header name '%s' is not an HTTP token", s[0]);
		c->headers[c->nheaders++] = (struct serve_header){ .name = s[0], .value = s[1] };
		return 0;
	default:
		return ht_fail("unknown configuration field %u", f->tag);
	}
}

int serve_wire_decode_config(const uint8_t *payload, size_t len, struct serve_config *c)
{
	const uint8_t *pos = payload, *end = payload + len;
	bool seen[32] = { false };
	struct field f = { 0 };
	int r;

	memset(c, 0, sizeof(*c));
	c->source = "";
	c->min_version = SERVE_TLS12;
	c->max_version = SERVE_TLS13;
	if (len > SERVE_WIRE_MAX_CONFIG)
		return ht_fail("a configuration of %zu bytes (at most %u)", len, SERVE_WIRE_MAX_CONFIG);
	while ((r = next_field(&pos, end, &f)) > 0)
		if (config_field(c, &f, seen))
			return -1;
	if (r < 0)
		return -1;
	if (!!c->cert.len != !!c->key.len)
		return ht_fail("a certificate without its key, or a key without its certificate");
	c->tls = c->cert.len != 0;
	if (!c->tls && (seen[T_CLIENT_CA] || seen[T_CLIENT_AUTH] || seen[T_MIN_VERSION] || seen[T_MAX_VERSION]))
		return ht_fail("TLS settings without a certificate");
	if (c->min_version > c->max_version)
		return ht_fail("min_version above max_version");
	if ((c->client_auth == SERVE_VERIFY_CLIENT_CERT_IF_GIVEN ||
	     c->client_auth == SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT) && !c->client_ca.len)
		return ht_fail("client certificates to verify without a client CA");
	return 0;
}

int serve_wire_decode_bodies(const uint8_t *payload, size_t len, struct serve_bodies *bd)
{
	const uint8_t *pos = payload, *end = payload + len;
	struct field f = { 0 };
	int r;

	memset(bd, 0, sizeof(*bd));
	if (len > SERVE_WIRE_MAX_BODIES)
		return ht_fail("bodies of %zu bytes (at most %u)", len, SERVE_WIRE_MAX_BODIES);
	while ((r = next_field(&pos, end, &f)) > 0) {
		switch (f.tag) {
		case T_METRICS_TEXT:
			r = bytes_once(&f, &bd->metrics_text, &bd->have_text, SERVE_WIRE_MAX_BODY);
			break;
		case T_METRICS_OPENMETRICS:
			r = bytes_once(&f, &bd->metrics_openmetrics, &bd->have_openmetrics, SERVE_WIRE_MAX_BODY);
			break;
		case T_PPROF_MAPS:
			r = bytes_once(&f, &bd->pprof_maps, &bd->have_pprof, SERVE_WIRE_MAX_BODY);
			break;
		default:
			r = ht_fail("unknown body field %u", f.tag);
		}
		if (r)
			return -1;
	}
	return r;
}
