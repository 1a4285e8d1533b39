/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * basic_auth_users: HTTP basic authentication against bcrypt hashes, checked
 * with the system's crypt(3) (libxcrypt's crypt_rn). bcrypt is slow by
 * design (a cost-10 hash takes tens of ms): a successful check is kept, as
 * a SHA-256 of user, password and hash, so that a scraper's every request
 * does not pay it again (exporter-toolkit caches the same way). An unknown
 * user costs the same as a wrong password: a hash is computed either way.
 */
#ifndef HT_SERVE_AUTH_H
#define HT_SERVE_AUTH_H
#include <stdbool.h>
#include "serve/wire.h"

struct auth;

/* NULL when c has no users (no authentication); else c's users, copied.
 * *err set when that failed (out of memory, no bcrypt in crypt(3)). */
struct auth *auth_new(const struct serve_config *c, bool *err);
/* Whether user and password are one of the users'. Thread-safe. */
bool auth_check(struct auth *a, const char *user, const char *password);
void auth_free(struct auth *a);
#endif
