/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An index of distinct keys for deduplicating tables (pprof's strings,
 * functions, locations): the caller keeps the keys in its own array and the
 * index maps a key's hash to the array position of the first equal key.
 */
#ifndef HT_EXPORT_INTERN_H
#define HT_EXPORT_INTERN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intern_slot {
	uint64_t hash;
	uint32_t pos1;	/* position + 1; 0 = empty */
};

struct intern {
	struct intern_slot *slots;
	size_t cap, n;	/* cap is a power of two, at most half full */
};

/* Does the key at array position pos equal the one looked up? */
typedef bool (*intern_eq_fn)(const void *ctx, uint32_t pos);

/* The position of an equal key already added, or -1. */
int64_t intern_find(const struct intern *t, uint64_t hash, intern_eq_fn eq, const void *ctx);
/* Records that the key at pos has this hash; -1 when out of memory. */
int intern_add(struct intern *t, uint64_t hash, uint32_t pos);
void intern_free(struct intern *t);

/* FNV-1a over bytes, chained through h (start with INTERN_HASH_INIT). */
#define INTERN_HASH_INIT 14695981039346656037ull
uint64_t intern_hash(uint64_t h, const void *data, size_t len);
#endif
