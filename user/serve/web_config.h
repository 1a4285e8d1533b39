/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --web-config FILE: Prometheus exporter-toolkit's web configuration, so
 * that a scrape config written for node_exporter works unchanged:
 *
 *	tls_server_config:
 *	  cert_file, key_file (or cert, key: the PEM inline)
 *	  client_auth_type: NoClientCert (default), RequestClientCert,
 *	    RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert
 *	  client_ca_file
 *	  min_version, max_version: TLS12 (default min), TLS13 (default max)
 *	  prefer_server_cipher_suites: accepted, no effect (GnuTLS's order)
 *	basic_auth_users: { NAME: BCRYPT_HASH, ... }   ($2a$, $2b$, $2y$)
 *	http_server_config:
 *	  headers: the headers exporter-toolkit allows (Strict-Transport-
 *	    Security, X-Content-Type-Options: nosniff, X-Frame-Options: deny or
 *	    sameorigin, X-XSS-Protection, Content-Security-Policy)
 *	  http2: accepted, no effect (heaptrace serves HTTP/1.1)
 *
 * Relative paths are relative to the file's directory, as in exporter-
 * toolkit. Refused, with the file and the key named: a file that cannot be
 * read, is not a regular file or is writable by every user (the web config
 * and every file it names), an unknown key, a wrong type, a setting
 * exporter-toolkit has that heaptrace does not implement (cipher_suites,
 * curve_preferences, client_allowed_sans), TLS 1.0 or 1.1, a certificate
 * whose key does not match. A key file every user may read is warned about.
 *
 * The tracer reads it (and the files it names) at start and on SIGHUP, and
 * sends the result to the HTTP server process, which has no access to any
 * file: the key is read here, once per load, never by the server.
 */
#ifndef HT_SERVE_WEB_CONFIG_H
#define HT_SERVE_WEB_CONFIG_H
#include <limits.h>
#include "serve/wire.h"

struct web_config {
	struct serve_config c;	/* points into what this struct owns */
	char warning[PATH_MAX + 256];	/* "" or what to tell (a key readable by every user) */
	void *owned[2 * SERVE_MAX_USERS + 2 * SERVE_MAX_HEADERS + 8];
	int nowned;
};

/* Loads path (NULL: no web config: plain HTTP, no authentication). -1
 * after ht_fail, the message naming the file and, where one is at fault,
 * the key. */
int web_config_load(const char *path, struct web_config *w);
void web_config_free(struct web_config *w);
#endif
