// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTP stage's parts that read hostile or hand-written input: the
 * message format between tracer and server (serve/wire.h), --web-config
 * (serve/web_config.h), the Host check, the connection guard, basic
 * authentication. Certificates are made by openssl at test time, bcrypt
 * hashes by crypt(3). No root needed.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "serve/auth.h"
#include "serve/conn_guard.h"
#include "serve/host_check.h"
#include "serve/web_config.h"
#include "serve/wire.h"
#include "util/log.h"

static char dir[] = "/tmp/ht-serve-XXXXXX";
static char hash_b[CRYPT_OUTPUT_SIZE]; /* "s3cret", cost 4, $2b$ */

static int group_setup(void **state)
{
	char cmd[1024];
	struct crypt_data cd = { 0 };
	const char *h;

	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem "
		 "-out cert.pem -days 2 -subj /CN=localhost >/dev/null 2>&1 && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key "
		 "-out other.pem -days 2 -subj /CN=other >/dev/null 2>&1 && chmod 600 key.pem other.key",
		 dir);
	if (system(cmd))
		return -1;
	h = crypt_rn("s3cret", "$2b$04$abcdefghijklmnopqrstuu", &cd, sizeof(cd));
	if (!h || h[0] == '*')
		return -1;
	snprintf(hash_b, sizeof(hash_b), "%s", h);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("--- not found: %s\n--- in: %s\n", needle, haystack);
		return false;
	}
	return true;
}

/* ---- the message format ---- */

static const uint8_t *payload(const struct serve_wbuf *b)
{
	return b->p + sizeof(struct serve_wire_header);
}

static size_t payload_len(const struct serve_wbuf *b)
{
	return b->len - sizeof(struct serve_wire_header);
}

static struct serve_config sample_config(void)
{
	static const uint8_t cert[] = "-----BEGIN CERTIFICATE-----\nx\n", key[] = "-----BEGIN PRIVATE KEY-----\ny\n";
	struct serve_config c = { .source = "/etc/heaptrace/web.yml", .tls = true,
				  .cert = { cert, sizeof(cert) - 1 }, .key = { key, sizeof(key) - 1 },
				  .client_auth = SERVE_REQUIRE_ANY_CLIENT_CERT, .min_version = SERVE_TLS12,
				  .max_version = SERVE_TLS13 };

	c.users[c.nusers++] = (struct serve_user){ "alice", hash_b };
	c.headers[c.nheaders++] = (struct serve_header){ "X-Frame-Options", "deny" };
	return c;
}

static void test_wire_config_round_trip(void **state)
{
	struct serve_config c = sample_config(), d;
	struct serve_wbuf b;
	struct serve_wire_header h;

	assert_int_equal(serve_wire_encode_config(&c, &b), 0);
	memcpy(&h, b.p, sizeof(h));
	assert_int_equal(h.magic, SERVE_WIRE_MAGIC);
	assert_int_equal(h.type, SERVE_MSG_CONFIG);
	assert_int_equal(h.len, payload_len(&b));
	assert_int_equal(serve_wire_check_header(&h), 0);
	assert_int_equal(serve_wire_decode_config(payload(&b), payload_len(&b), &d), 0);
	assert_string_equal(d.source, c.source);
	assert_true(d.tls);
	assert_int_equal(d.cert.len, c.cert.len);
	assert_memory_equal(d.cert.p, c.cert.p, c.cert.len);
	assert_memory_equal(d.key.p, c.key.p, c.key.len);
	assert_int_equal(d.client_ca.len, 0);
	assert_int_equal(d.client_auth, SERVE_REQUIRE_ANY_CLIENT_CERT);
	assert_int_equal(d.nusers, 1);
	assert_string_equal(d.users[0].name, "alice");
	assert_string_equal(d.users[0].hash, hash_b);
	assert_int_equal(d.nheaders, 1);
	assert_string_equal(d.headers[0].value, "deny");
	serve_wbuf_free(&b);
}

static void test_wire_bodies_round_trip(void **state)
{
	struct serve_bodies in = { .metrics_text = { (const uint8_t *)"a 1\n", 4 },
				   .pprof_maps = { (const uint8_t *)"\x1f\x8b", 2 }, .have_text = true,
				   .have_pprof = true }, out;
	struct serve_wbuf b;

	assert_int_equal(serve_wire_encode_bodies(&in, &b), 0);
	assert_int_equal(serve_wire_decode_bodies(payload(&b), payload_len(&b), &out), 0);
	assert_true(out.have_text && out.have_pprof && !out.have_openmetrics);
	assert_int_equal(out.metrics_text.len, 4);
	assert_memory_equal(out.metrics_text.p, "a 1\n", 4);
	assert_memory_equal(out.pprof_maps.p, "\x1f\x8b", 2);
	serve_wbuf_free(&b);
}

static void test_wire_headers_are_bounded(void **state)
{
	struct serve_wire_header h = { .magic = SERVE_WIRE_MAGIC, .type = SERVE_MSG_CONFIG, .len = 100 };

	assert_int_equal(serve_wire_check_header(&h), 0);
	h.len = SERVE_WIRE_MAX_CONFIG + 1ull;
	assert_int_equal(serve_wire_check_header(&h), -1);
	h.type = SERVE_MSG_BODIES;
	h.len = SERVE_WIRE_MAX_BODIES + 1ull;
	assert_int_equal(serve_wire_check_header(&h), -1);
	h.len = UINT64_MAX;
	assert_int_equal(serve_wire_check_header(&h), -1);
	h.len = 0;
	h.type = 3;
	assert_int_equal(serve_wire_check_header(&h), -1);
	assert_true(contains(ht_last_error(), "unknown message type 3"));
	h.type = SERVE_MSG_BODIES;
	h.magic = 0x48545356;
	assert_int_equal(serve_wire_check_header(&h), -1);
	assert_true(contains(ht_last_error(), "bad magic"));
}

/* A payload built field by field, to break the rules on purpose. */
struct raw {
	uint8_t p[16384];
	size_t n;
};

static void raw_field(struct raw *r, uint32_t tag, uint32_t claimed, const void *data, size_t len)
{
	memcpy(r->p + r->n, &tag, 4);
	memcpy(r->p + r->n + 4, &claimed, 4);
	memcpy(r->p + r->n + 8, data, len);
	r->n += 8 + len;
}

static void expect_config_refused(const struct raw *r, const char *why)
{
	struct serve_config c;

	assert_int_equal(serve_wire_decode_config(r->p, r->n, &c), -1);
	assert_true(contains(ht_last_error(), why));
}

static void test_wire_refuses_hostile_configs(void **state)
{
	struct raw r;
	uint32_t v;
	char s[400];
	int i;

	r = (struct raw){ .n = 0 };
	raw_field(&r, 9, 4000, "x", 1); /* claims more than there is */
	expect_config_refused(&r, "claims 4000 bytes, 1 left");
	r = (struct raw){ .n = 5 }; /* a field header cut short */
	expect_config_refused(&r, "cut short");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 99, 2, "x", 2);
	expect_config_refused(&r, "unknown configuration field 99");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 1, 4, "abc", 3 + 1);
	raw_field(&r, 1, 4, "abc", 3 + 1);
	expect_config_refused(&r, "given twice");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 1, 3, "abc", 3); /* no terminating NUL */
	expect_config_refused(&r, "without its end");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 1, 5, "a\nb\0", 5); /* a control character */
	expect_config_refused(&r, "control character");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 1, 6, "ab\0cd", 6); /* bytes after its string */
	expect_config_refused(&r, "after its strings");
	/* users: a bad hash, a ':' in a name, twice the same, too many */
	r = (struct raw){ .n = 0 };
	raw_field(&r, 9, 16, "bob\0$1$abc$defgh", 16);
	expect_config_refused(&r, "field 9");
	snprintf(s, sizeof(s), "a:b%c%s", 0, hash_b);
	r = (struct raw){ .n = 0 };
	raw_field(&r, 9, (uint32_t)(4 + strlen(hash_b) + 1), s, 4 + strlen(hash_b) + 1);
	expect_config_refused(&r, "with ':'");
	snprintf(s, sizeof(s), "bob%c%s", 0, hash_b);
	r = (struct raw){ .n = 0 };
	raw_field(&r, 9, (uint32_t)(4 + strlen(hash_b) + 1), s, 4 + strlen(hash_b) + 1);
	raw_field(&r, 9, (uint32_t)(4 + strlen(hash_b) + 1), s, 4 + strlen(hash_b) + 1);
	expect_config_refused(&r, "user bob given twice");
	r = (struct raw){ .n = 0 };
	for (i = 0; i < 65; i++) {
		snprintf(s, sizeof(s), "u%02d%c%s", i, 0, hash_b);
		raw_field(&r, 9, (uint32_t)(4 + strlen(hash_b) + 1), s, 4 + strlen(hash_b) + 1);
	}
	expect_config_refused(&r, "more than 64 users");
	/* headers: a name that is not a token */
	r = (struct raw){ .n = 0 };
	raw_field(&r, 10, 8, "X Y\0val", 8);
	expect_config_refused(&r, "not an HTTP token");
	/* numbers out of range, of the wrong size */
	r = (struct raw){ .n = 0 };
	v = 9;
	raw_field(&r, 6, 4, &v, 4);
	expect_config_refused(&r, "out of range");
	r = (struct raw){ .n = 0 };
	raw_field(&r, 7, 2, "\x0c\x00", 2);
	expect_config_refused(&r, "neither 1.2 nor 1.3");
	/* a certificate without its key; TLS settings without a certificate */
	r = (struct raw){ .n = 0 };
	raw_field(&r, 3, 4, "PEM\n", 4);
	expect_config_refused(&r, "a certificate without its key");
	r = (struct raw){ .n = 0 };
	v = SERVE_REQUEST_CLIENT_CERT;
	raw_field(&r, 6, 4, &v, 4);
	expect_config_refused(&r, "TLS settings without a certificate");
	/* client certificates to verify, and nothing to verify them against */
	r = (struct raw){ .n = 0 };
	raw_field(&r, 3, 4, "PEM\n", 4);
	raw_field(&r, 4, 4, "KEY\n", 4);
	v = SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT;
	raw_field(&r, 6, 4, &v, 4);
	expect_config_refused(&r, "without a client CA");
	/* min above max */
	r = (struct raw){ .n = 0 };
	raw_field(&r, 3, 4, "PEM\n", 4);
	raw_field(&r, 4, 4, "KEY\n", 4);
	v = 13;
	raw_field(&r, 7, 4, &v, 4);
	v = 12;
	raw_field(&r, 8, 4, &v, 4);
	expect_config_refused(&r, "min_version above max_version");
}

static void test_wire_refuses_hostile_bodies(void **state)
{
	struct serve_bodies b;
	struct raw r = { .n = 0 };

	raw_field(&r, 20, 1, "a", 1);
	raw_field(&r, 20, 1, "b", 1);
	assert_int_equal(serve_wire_decode_bodies(r.p, r.n, &b), -1);
	assert_true(contains(ht_last_error(), "field 20 given twice"));
	r.n = 0;
	raw_field(&r, 23, 1, "a", 1);
	assert_int_equal(serve_wire_decode_bodies(r.p, r.n, &b), -1);
	assert_true(contains(ht_last_error(), "unknown body field 23"));
	r.n = 0;
	raw_field(&r, 21, UINT32_MAX, "a", 1);
	assert_int_equal(serve_wire_decode_bodies(r.p, r.n, &b), -1);
}

/* Every truncation and every single-byte change of a valid message is
 * either decoded or refused: never a read past its end (ASan in make fuzz
 * goes further with tests/fuzz/fuzz_wire.c). */
static void test_wire_survives_mutations(void **state)
{
	struct serve_config c = sample_config(), d;
	struct serve_wbuf b;
	uint8_t *copy;
	size_t n, i;
	unsigned seed = 1;

	assert_int_equal(serve_wire_encode_config(&c, &b), 0);
	n = payload_len(&b);
	for (i = 0; i <= n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, payload(&b), i);
		serve_wire_decode_config(copy, i, &d);
		free(copy);
	}
	copy = malloc(n);
	for (i = 0; i < 20000; i++) {
		memcpy(copy, payload(&b), n);
		copy[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
		if (serve_wire_decode_config(copy, n, &d) == 0) /* what decodes holds the rules */
			assert_true(d.nusers <= SERVE_MAX_USERS && d.cert.len <= n && (!d.tls || d.key.len));
	}
	free(copy);
	serve_wbuf_free(&b);
}

static void test_wire_encoder_refuses_what_the_server_would(void **state)
{
	struct serve_config c = sample_config();
	struct serve_wbuf b;

	c.users[0].hash = "$1$notbcrypt";
	assert_int_equal(serve_wire_encode_config(&c, &b), -1);
	assert_true(contains(ht_last_error(), "not a bcrypt hash"));
	serve_wbuf_free(&b);
}

/* ---- --web-config ---- */

static const char *write_file(const char *name, mode_t mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *write_file(const char *name, mode_t mode, const char *fmt, ...)
{
	static char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_web_config_full(void **state)
{
	const char *path = write_file("full.yml", 0600,
				      "tls_server_config:\n"
				      "  cert_file: cert.pem\n"      /* relative to the file */
				      "  key_file: %s/key.pem\n"
				      "  client_auth_type: VerifyClientCertIfGiven\n"
				      "  client_ca_file: other.pem\n"
				      "  min_version: TLS13\n"
				      "  prefer_server_cipher_suites: true\n"
				      "basic_auth_users:\n"
				      "  alice: %s\n"
				      "  'bob': \"%s\"\n"
				      "http_server_config:\n"
				      "  http2: false\n"
				      "  headers:\n"
				      "    x-content-type-options: NoSniff\n"
				      "    Strict-Transport-Security: max-age=31536000\n",
				      dir, hash_b, hash_b);
	struct web_config w;

	if (web_config_load(path, &w))
		fail_msg("%s", ht_last_error());
	assert_true(w.c.tls);
	assert_true(contains((const char *)w.c.cert.p, "BEGIN CERTIFICATE"));
	assert_true(contains((const char *)w.c.key.p, "PRIVATE KEY"));
	assert_true(contains((const char *)w.c.client_ca.p, "BEGIN CERTIFICATE"));
	assert_int_equal(w.c.client_auth, SERVE_VERIFY_CLIENT_CERT_IF_GIVEN);
	assert_int_equal(w.c.min_version, SERVE_TLS13);
	assert_int_equal(w.c.max_version, SERVE_TLS13);
	assert_int_equal(w.c.nusers, 2);
	assert_string_equal(w.c.users[1].name, "bob");
	assert_string_equal(w.c.users[1].hash, hash_b);
	assert_int_equal(w.c.nheaders, 2);
	assert_string_equal(w.c.headers[0].name, "X-Content-Type-Options"); /* exporter-toolkit's spelling */
	assert_string_equal(w.c.headers[0].value, "NoSniff");
	assert_string_equal(w.c.source, path);
	assert_string_equal(w.warning, ""); /* the key is 0600 */
	web_config_free(&w);
}

static void test_web_config_warns_of_a_key_every_user_reads(void **state)
{
	char key[256];
	const char *path;
	struct web_config w;

	snprintf(key, sizeof(key), "%s/key.pem", dir);
	assert_int_equal(chmod(key, 0644), 0);
	path = write_file("readable.yml", 0600, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
	assert_int_equal(web_config_load(path, &w), 0);
	assert_true(contains(w.warning, "tls_server_config.key_file"));
	assert_true(contains(w.warning, "key.pem is readable by every user: chmod o-r it"));
	web_config_free(&w);
	assert_int_equal(chmod(key, 0600), 0);
}

static void test_web_config_empty_and_none(void **state)
{
	struct web_config w;

	assert_int_equal(web_config_load(NULL, &w), 0);
	assert_false(w.c.tls);
	assert_int_equal(w.c.nusers, 0);
	web_config_free(&w);
	assert_int_equal(web_config_load(write_file("empty.yml", 0644, "%s", ""), &w), 0);
	assert_false(w.c.tls);
	web_config_free(&w);
	assert_int_equal(web_config_load(write_file("users.yml", 0644, "basic_auth_users:\n  a: %s\n", hash_b), &w), 0);
	assert_false(w.c.tls);
	assert_int_equal(w.c.nusers, 1);
	web_config_free(&w);
}

/* Each refusal names the file and, where one is at fault, the key. */
static void expect_refused(const char *name, mode_t mode, const char *yaml, const char *why)
{
	const char *path = write_file(name, mode, "%s", yaml);
	char want[512];
	struct web_config w;

	assert_int_equal(web_config_load(path, &w), -1);
	snprintf(want, sizeof(want), "--web-config %s", path);
	assert_true(contains(ht_last_error(), want));
	assert_true(contains(ht_last_error(), why));
}

static void test_web_config_refusals(void **state)
{
	char yaml[1024];
	struct web_config w;

	expect_refused("ww.yml", 0666, "", "writable by every user (mode 0666)");
	expect_refused("unknown.yml", 0600, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\ncolor: blue\n",
		       "line 4: unknown key color");
	expect_refused("unknown2.yml", 0600, "tls_server_config:\n  cert_file: cert.pem\n  keyfile: key.pem\n",
		       "unknown key tls_server_config.keyfile");
	expect_refused("unknown3.yml", 0600, "http_server_config:\n  header: {}\n", "unknown key http_server_config.header");
	expect_refused("twice.yml", 0600, "basic_auth_users: {}\nbasic_auth_users: {}\n", "basic_auth_users given twice");
	expect_refused("notyaml.yml", 0600, "tls_server_config: [\n", "not YAML");
	expect_refused("list.yml", 0600, "- a\n- b\n", "the file: expected a mapping");
	expect_refused("nocert.yml", 0600, "tls_server_config:\n  key_file: key.pem\n", "no cert_file");
	expect_refused("ciphers.yml", 0600,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		       "tls_server_config.cipher_suites: exporter-toolkit has it, heaptrace does not implement it");
	expect_refused("tls11.yml", 0600, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS11\n",
		       "tls_server_config.min_version: TLS11: heaptrace serves TLS 1.2 and 1.3 only");
	expect_refused("auth.yml", 0600,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: Always\n",
		       "client_auth_type: 'Always' is none of");
	expect_refused("cafree.yml", 0600,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: other.pem\n",
		       "a client_ca_file without a client_auth_type");
	expect_refused("noca.yml", 0600,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
		       "needs a client_ca_file");
	expect_refused("mismatch.yml", 0600, "tls_server_config:\n  cert_file: cert.pem\n  key_file: other.key\n",
		       "the certificate and key cannot be used");
	expect_refused("missing.yml", 0600, "tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n",
		       "tls_server_config.cert_file");
	assert_true(contains(ht_last_error(), "nope.pem: cannot read it: No such file or directory"));
	expect_refused("hash.yml", 0600, "basic_auth_users:\n  alice: secret\n", "basic_auth_users.alice: not a bcrypt hash");
	expect_refused("colon.yml", 0600, "basic_auth_users:\n  'a:b': x\n", "without ':'");
	expect_refused("header.yml", 0600, "http_server_config:\n  headers:\n    X-Powered-By: heaptrace\n",
		       "'X-Powered-By' is not one of the headers exporter-toolkit allows");
	expect_refused("frame.yml", 0600, "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
		       "X-Frame-Options: 'allow' is not deny or sameorigin");
	expect_refused("http2.yml", 0600, "http_server_config:\n  http2: maybe\n", "http2: expected true or false");
	/* a file the configuration names is held to the same rules */
	write_file("wwkey.pem", 0666, "x");
	snprintf(yaml, sizeof(yaml), "tls_server_config:\n  cert_file: cert.pem\n  key_file: wwkey.pem\n");
	expect_refused("wwkey.yml", 0600, yaml, "tls_server_config.key_file");
	assert_true(contains(ht_last_error(), "writable by every user"));
	snprintf(yaml, sizeof(yaml), "tls_server_config:\n  cert_file: /tmp\n  key_file: key.pem\n");
	expect_refused("dir.yml", 0600, yaml, "/tmp: not a regular file");
	/* the configuration itself: missing, a directory */
	assert_int_equal(web_config_load("/nonexistent/web.yml", &w), -1);
	assert_true(contains(ht_last_error(), "--web-config /nonexistent/web.yml: cannot read it: No such file or directory"));
	assert_int_equal(web_config_load(dir, &w), -1);
	assert_true(contains(ht_last_error(), "not a regular file"));
}

/* ---- the Host check ---- */

static void test_host_check(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9464) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9464), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct host_check h;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	host_check_init(&h, (struct sockaddr *)&a, sizeof(a), false);
	assert_true(h.active);
	assert_true(host_check_ok(&h, "127.0.0.1:9464", false));
	assert_true(host_check_ok(&h, "localhost:9464", false));
	assert_true(host_check_ok(&h, "LocalHost:9464", false));
	assert_true(host_check_ok(&h, "[::1]:9464", false));
	assert_false(host_check_ok(&h, "evil.example:9464", false));
	assert_false(host_check_ok(&h, "localhost.evil.example:9464", false));
	assert_false(host_check_ok(&h, "127.0.0.1:9465", false));
	assert_false(host_check_ok(&h, "127.0.0.1", false)); /* port 80 is not this one */
	assert_false(host_check_ok(&h, "127.0.0.1:+9464", false));
	assert_false(host_check_ok(&h, "127.0.0.1:9464x", false));
	assert_false(host_check_ok(&h, "", false));
	assert_false(host_check_ok(&h, NULL, false));
	assert_true(host_check_ok(&h, NULL, true)); /* HTTP/1.0 without Host: not a browser */
	/* another loopback address: its own literal too */
	inet_pton(AF_INET, "127.0.0.5", &a.sin_addr);
	host_check_init(&h, (struct sockaddr *)&a, sizeof(a), false);
	assert_true(host_check_ok(&h, "127.0.0.5:9464", false));
	/* the scheme's default port may be left out */
	a.sin_port = htons(443);
	host_check_init(&h, (struct sockaddr *)&a, sizeof(a), true);
	assert_true(host_check_ok(&h, "localhost", false));
	/* IPv6 loopback */
	host_check_init(&h, (struct sockaddr *)&a6, sizeof(a6), false);
	assert_true(h.active);
	assert_true(host_check_ok(&h, "[::1]:9464", false));
	assert_false(host_check_ok(&h, "[::2]:9464", false));
	/* not loopback: no check (DNS names are how such a server is reached) */
	inet_pton(AF_INET, "0.0.0.0", &a.sin_addr);
	host_check_init(&h, (struct sockaddr *)&a, sizeof(a), false);
	assert_false(h.active);
	assert_true(host_check_ok(&h, "metrics.example:9464", false));
}

/* ---- the connection guard ---- */

static struct sockaddr_in addr4(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static void test_conn_guard_limits(void **state)
{
	struct sockaddr_in a = addr4("10.0.0.1"), b = addr4("10.0.0.2");
	struct conn_guard g;
	bool first;
	int s1, s2, s3;

	assert_int_equal(conn_guard_init(&g, 3, 2, 1000), 0);
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&a, sizeof(a), &first), CONN_ADMIT);
	s1 = conn_guard_open(&g, 100, (struct sockaddr *)&a, sizeof(a), 0);
	s2 = conn_guard_open(&g, 101, (struct sockaddr *)&a, sizeof(a), 0);
	assert_true(s1 > 0 && s2 > 0 && s1 != s2);
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&a, sizeof(a), &first), CONN_REFUSED_PER_IP);
	assert_true(first);
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&a, sizeof(a), &first), CONN_REFUSED_PER_IP);
	assert_false(first); /* said once */
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&b, sizeof(b), &first), CONN_ADMIT);
	s3 = conn_guard_open(&g, 102, (struct sockaddr *)&b, sizeof(b), 0);
	assert_true(s3 > 0);
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&b, sizeof(b), &first), CONN_REFUSED_TOTAL);
	assert_true(first);
	conn_guard_close(&g, s1);
	assert_int_equal(conn_guard_admit(&g, (struct sockaddr *)&a, sizeof(a), &first), CONN_ADMIT);
	assert_int_equal(g.refused_per_ip, 2);
	assert_int_equal(g.refused_total, 1);
	conn_guard_close(&g, 0); /* no slot: nothing */
	conn_guard_close(&g, 99);
	conn_guard_free(&g);
}

static void test_conn_guard_deadline_whatever_is_trickled(void **state)
{
	struct sockaddr_in a = addr4("127.0.0.1");
	struct conn_guard g;
	int slow[2], kept[2], s_slow, s_kept;
	bool first;
	char c;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, slow), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, kept), 0);
	assert_int_equal(conn_guard_init(&g, 8, 8, 10), 0);
	s_slow = conn_guard_open(&g, slow[0], (struct sockaddr *)&a, sizeof(a), 0);
	s_kept = conn_guard_open(&g, kept[0], (struct sockaddr *)&a, sizeof(a), 0);
	/* bytes arriving do not move a deadline; an answer does */
	assert_int_equal(write(slow[1], "G", 1), 1);
	conn_guard_answered(&g, s_kept, 8);
	assert_int_equal(conn_guard_sweep(&g, 9, &first), 0);
	assert_int_equal(conn_guard_sweep(&g, 10, &first), 1);
	assert_true(first);
	/* the overdue one is shut down: its peer reads the end */
	assert_int_equal(read(slow[1], &c, 1), 0);
	assert_int_equal(conn_guard_sweep(&g, 11, &first), 0); /* once */
	assert_int_equal(conn_guard_sweep(&g, 18, &first), 1);
	assert_false(first);
	assert_int_equal(g.cut, 2);
	conn_guard_close(&g, s_slow);
	conn_guard_close(&g, s_kept);
	assert_int_equal(g.open, 0);
	conn_guard_free(&g);
	close(slow[0]);
	close(slow[1]);
	close(kept[0]);
	close(kept[1]);
}

/* ---- basic authentication ---- */

static void test_auth_bcrypt_variants(void **state)
{
	struct serve_config c = { 0 };
	char hash_a[CRYPT_OUTPUT_SIZE + 8], hash_y[CRYPT_OUTPUT_SIZE + 8];
	struct auth *a;
	bool err;
	int i;

	assert_null(auth_new(&c, &err)); /* no users: no authentication */
	assert_false(err);
	/* $2a$ and $2y$ are the same algorithm for these passwords */
	snprintf(hash_a, sizeof(hash_a), "$2a$%s", hash_b + 4);
	snprintf(hash_y, sizeof(hash_y), "$2y$%s", hash_b + 4);
	c.users[c.nusers++] = (struct serve_user){ "alice", hash_b };
	c.users[c.nusers++] = (struct serve_user){ "bob", hash_a };
	c.users[c.nusers++] = (struct serve_user){ "carol", hash_y };
	a = auth_new(&c, &err);
	assert_non_null(a);
	for (i = 0; i < 2; i++) { /* the second time from the cache */
		assert_true(auth_check(a, "alice", "s3cret"));
		assert_true(auth_check(a, "bob", "s3cret"));
		assert_true(auth_check(a, "carol", "s3cret"));
	}
	assert_false(auth_check(a, "alice", "s3cret2"));
	assert_false(auth_check(a, "alice", ""));
	assert_false(auth_check(a, "dave", "s3cret"));
	assert_false(auth_check(a, "Alice", "s3cret"));
	assert_false(auth_check(a, NULL, "s3cret"));
	auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_config_round_trip),
		cmocka_unit_test(test_wire_bodies_round_trip),
		cmocka_unit_test(test_wire_headers_are_bounded),
		cmocka_unit_test(test_wire_refuses_hostile_configs),
		cmocka_unit_test(test_wire_refuses_hostile_bodies),
		cmocka_unit_test(test_wire_survives_mutations),
		cmocka_unit_test(test_wire_encoder_refuses_what_the_server_would),
		cmocka_unit_test(test_web_config_full),
		cmocka_unit_test(test_web_config_empty_and_none),
		cmocka_unit_test(test_web_config_warns_of_a_key_every_user_reads),
		cmocka_unit_test(test_web_config_refusals),
		cmocka_unit_test(test_host_check),
		cmocka_unit_test(test_conn_guard_limits),
		cmocka_unit_test(test_conn_guard_deadline_whatever_is_trickled),
		cmocka_unit_test(test_auth_bcrypt_variants),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
