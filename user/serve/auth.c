// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include "serve/auth.h"
#include "util/log.h"

#define CACHE_SLOTS 64
#define DIGEST 32

struct auth {
	size_t nusers;
	char names[SERVE_MAX_USERS][SERVE_MAX_USER_NAME + 1];
	char hashes[SERVE_MAX_USERS][SERVE_BCRYPT_HASH_LEN + 1];
	char dummy[CRYPT_OUTPUT_SIZE];	/* an unknown user is checked against this */
	pthread_mutex_t lock;
	uint8_t cache[CACHE_SLOTS][DIGEST];
	bool cached[CACHE_SLOTS];
	unsigned next;
};

/* Compares all of two equal-length strings whatever their first difference. */
static bool same(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* crypt_rn of password with hash's settings matches hash. */
static bool bcrypt_ok(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd)); /* 32 KiB: not on a thread's stack */
	bool ok = false;
	const char *out;

	if (!cd)
		return false;
	out = crypt_rn(password, hash, cd, sizeof(*cd));
	ok = out && out[0] != '*' && strlen(out) == strlen(hash) && same(out, hash, strlen(hash));
	free(cd);
	return ok;
}

struct auth *auth_new(const struct serve_config *c, bool *err)
{
	struct crypt_data *cd;
	struct auth *a;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;
	size_t i;

	*err = false;
	if (!c->nusers)
		return NULL;
	a = calloc(1, sizeof(*a));
	cd = calloc(1, sizeof(*cd));
	if (!a || !cd)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	for (i = 0; i < c->nusers; i++) {
		snprintf(a->names[i], sizeof(a->names[i]), "%s", c->users[i].name);
		snprintf(a->hashes[i], sizeof(a->hashes[i]), "%s", c->users[i].hash);
	}
	a->nusers = c->nusers;
	/* the dummy has the first user's cost, so that it takes as long */
	if (!crypt_gensalt_rn("$2b$", strtoul(c->users[0].hash + 4, NULL, 10), NULL, 0, salt, sizeof(salt)) ||
	    !(h = crypt_rn("heaptrace", salt, cd, sizeof(*cd))) || h[0] == '*') {
		ht_fail("crypt(3) here cannot make a bcrypt hash: it cannot check basic_auth_users");
		goto fail;
	}
	snprintf(a->dummy, sizeof(a->dummy), "%s", h);
	free(cd);
	return a;
fail:
	if (a)
		pthread_mutex_destroy(&a->lock);
	free(a);
	free(cd);
	*err = true;
	return NULL;
}

static void digest(const char *user, const char *password, const char *hash, uint8_t out[DIGEST])
{
	gnutls_hash_hd_t h;

	memset(out, 0, DIGEST);
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256))
		return;
	gnutls_hash(h, user, strlen(user) + 1);
	gnutls_hash(h, password, strlen(password) + 1);
	gnutls_hash(h, hash, strlen(hash) + 1);
	gnutls_hash_deinit(h, out);
}

bool auth_check(struct auth *a, const char *user, const char *password)
{
	const char *hash = NULL;
	uint8_t d[DIGEST];
	bool ok;
	size_t i;

	if (!user || !password)
		return false;
	for (i = 0; i < a->nusers; i++)
		if (!strcmp(a->names[i], user))
			hash = a->hashes[i];
	if (!hash) {
		bcrypt_ok(password, a->dummy); /* the time a known user takes */
		return false;
	}
	digest(user, password, hash, d);
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < CACHE_SLOTS; i++)
		if (a->cached[i] && !memcmp(a->cache[i], d, DIGEST)) {
			pthread_mutex_unlock(&a->lock);
			return true;
		}
	pthread_mutex_unlock(&a->lock);
	ok = bcrypt_ok(password, hash);
	if (ok) {
		pthread_mutex_lock(&a->lock);
		memcpy(a->cache[a->next], d, DIGEST);
		a->cached[a->next] = true;
		a->next = (a->next + 1) % CACHE_SLOTS;
		pthread_mutex_unlock(&a->lock);
	}
	return ok;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}
