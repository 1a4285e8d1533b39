/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one message format that crosses from the tracer to the unprivileged
 * HTTP server (serve/stage.h): everything the server knows comes through
 * here, and nothing else crosses. Each message is
 *
 *	struct serve_wire_header   magic, type, payload length
 *	payload                    fields: u32 tag, u32 length, bytes
 *
 * in the host's byte order (both ends are the same binary on the same
 * machine). Two messages:
 *
 *	CONFIG   what --web-config says, files already read by the tracer:
 *	         the TLS certificate, key and client CA (PEM), the client
 *	         authentication and TLS versions, basic-auth users (name and
 *	         bcrypt hash), extra response headers; at start and on SIGHUP
 *	BODIES   what to serve, rendered by the tracer each interval: the
 *	         Prometheus text, the OpenMetrics text, the gzipped profile
 *
 * The server treats every byte as hostile: each length is bounded (by
 * type, by field, in total), every tag known, strings NUL-free, counts
 * bounded; a message that breaks a rule is refused whole.
 */
#ifndef HT_SERVE_WIRE_H
#define HT_SERVE_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_WIRE_MAGIC 0x56535448u /* "HTSV" */

enum serve_msg_type {
	SERVE_MSG_CONFIG = 1,
	SERVE_MSG_BODIES = 2,
};

struct serve_wire_header {
	uint32_t magic;
	uint32_t type;	/* enum serve_msg_type */
	uint64_t len;	/* payload bytes that follow */
};

/* Bounds, by message and by field. A body bigger than this is the sign of
 * a bug (--all with 256 processes and --top-maps 20 renders about 12 MiB). */
#define SERVE_WIRE_MAX_CONFIG (4u << 20)
#define SERVE_WIRE_MAX_BODIES (128u << 20)
#define SERVE_WIRE_MAX_BODY (60u << 20)
#define SERVE_WIRE_MAX_PEM (1u << 20)
#define SERVE_MAX_USERS 64
#define SERVE_MAX_USER_NAME 256
#define SERVE_BCRYPT_HASH_LEN 60
#define SERVE_MAX_HEADERS 16
#define SERVE_MAX_HEADER_NAME 64
#define SERVE_MAX_HEADER_VALUE 1024
#define SERVE_MAX_SOURCE 4096

/* exporter-toolkit's client_auth_type values, in Go's crypto/tls order. */
enum serve_client_auth {
	SERVE_NO_CLIENT_CERT = 0,
	SERVE_REQUEST_CLIENT_CERT,
	SERVE_REQUIRE_ANY_CLIENT_CERT,
	SERVE_VERIFY_CLIENT_CERT_IF_GIVEN,
	SERVE_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

enum serve_tls_version {
	SERVE_TLS12 = 12,
	SERVE_TLS13 = 13,
};

/* A byte string: PEM files, bodies. */
struct serve_bytes {
	const uint8_t *p;
	size_t len;
};

struct serve_user {
	const char *name;
	const char *hash;	/* bcrypt: $2a$, $2b$ or $2y$, 60 characters */
};

struct serve_header {
	const char *name, *value;
};

/* The web configuration as the server uses it. Decoded, its pointers point
 * into the message's payload, which must outlive it. */
struct serve_config {
	const char *source;	/* the --web-config path, for messages ("" without) */
	bool tls;
	struct serve_bytes cert, key, client_ca; /* PEM; client_ca may be empty */
	enum serve_client_auth client_auth;
	enum serve_tls_version min_version, max_version;
	size_t nusers;
	struct serve_user users[SERVE_MAX_USERS];
	size_t nheaders;
	struct serve_header headers[SERVE_MAX_HEADERS];
};

struct serve_bodies {
	struct serve_bytes metrics_text;	/* Prometheus text 0.0.4 */
	struct serve_bytes metrics_openmetrics;	/* OpenMetrics 1.0 */
	struct serve_bytes pprof_maps;		/* gzipped profile.proto */
	/* which of the three are there (absent: 503 until published) */
	bool have_text, have_openmetrics, have_pprof;
};

/* A growing buffer for a message being built. */
struct serve_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;	/* out of memory or over a bound: refuse to send */
};

/* Encoding, on the tracer's side: one whole message (header and payload)
 * into *b, which the caller frees with serve_wbuf_free. -1 after ht_fail
 * when a value is over its bound. */
int serve_wire_encode_config(const struct serve_config *c, struct serve_wbuf *b);
int serve_wire_encode_bodies(const struct serve_bodies *bd, struct serve_wbuf *b);
void serve_wbuf_free(struct serve_wbuf *b);

/* bcrypt as crypt(3) writes it: $2a$, $2b$ or $2y$, cost, salt and hash. */
bool serve_wire_is_bcrypt(const char *hash);

/* Decoding, on the server's side. The header first: its type known, its
 * length within the type's bound. Then the payload of that type. Each
 * returns -1 after ht_fail saying which rule the input broke. */
int serve_wire_check_header(const struct serve_wire_header *h);
int serve_wire_decode_config(const uint8_t *payload, size_t len, struct serve_config *c);
int serve_wire_decode_bodies(const uint8_t *payload, size_t len, struct serve_bodies *bd);
#endif
