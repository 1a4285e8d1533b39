// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/bytesrc.h"

/*
 * The cache every file source shares: a few blocks, the least recently used
 * replaced. Lookups that name code addresses touch a handful of places of a
 * table (a binary search of functab, one function's records and line tables),
 * so a small cache serves them; its size does not depend on how many
 * programs are traced.
 */
#define BLOCK_SIZE 8192u
#define CACHE_BLOCKS 64

struct block {
	uint64_t id;	/* the source's; 0: empty */
	uint64_t index; /* base-relative offset / BLOCK_SIZE */
	uint64_t used;	/* last use, for LRU */
	uint32_t len;	/* bytes read (the last block of a source is short) */
	uint8_t data[BLOCK_SIZE];
};

static struct block *cache;
static uint64_t cache_clock, next_id = 1;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The strings a file source keeps: offset -> string, open addressing. */
struct strpool {
	uint64_t *keys; /* offset + 1; 0: empty */
	char **vals;
	size_t cap, n, bytes;
};

void bytesrc_memory(struct bytesrc *s, const uint8_t *mem, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	s->size = size;
	s->fd = -1;
}

void bytesrc_file(struct bytesrc *s, int fd, uint64_t base, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->base = base;
	s->size = size;
	pthread_mutex_lock(&cache_lock);
	s->id = next_id++;
	pthread_mutex_unlock(&cache_lock);
}

static void pool_free(struct strpool *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->cap; i++)
		free(p->vals[i]);
	free(p->keys);
	free(p->vals);
	free(p);
}

void bytesrc_close(struct bytesrc *s)
{
	int i;

	if (s->mem || !s->id)
		return;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; cache && i < CACHE_BLOCKS; i++)
		if (cache[i].id == s->id)
			cache[i].id = 0;
	pthread_mutex_unlock(&cache_lock);
	pool_free(s->pool);
	s->pool = NULL;
	s->id = 0;
	s->fd = -1;
}

/* The cached block `index` of s, read on a miss; NULL if it cannot be read.
 * Called with cache_lock held. */
static const struct block *block_of(const struct bytesrc *s, uint64_t index)
{
	struct block *b, *victim = NULL;
	uint64_t off = index * BLOCK_SIZE;
	size_t want;
	ssize_t n;
	int i;

	if (!cache && !(cache = calloc(CACHE_BLOCKS, sizeof(*cache))))
		return NULL;
	for (i = 0; i < CACHE_BLOCKS; i++) {
		b = &cache[i];
		if (b->id == s->id && b->index == index) {
			b->used = ++cache_clock;
			return b;
		}
		if (!victim || !b->id || (victim->id && b->used < victim->used))
			victim = b;
	}
	want = s->size - off < BLOCK_SIZE ? (size_t)(s->size - off) : BLOCK_SIZE;
	do
		n = pread(s->fd, victim->data, want, (off_t)(s->base + off));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)want) {
		victim->id = 0; /* a file that shrank: nothing is cached from it */
		return NULL;
	}
	victim->id = s->id;
	victim->index = index;
	victim->len = (uint32_t)want;
	victim->used = ++cache_clock;
	return victim;
}

static bool file_read(const struct bytesrc *s, uint64_t off, uint8_t *buf, size_t len)
{
	bool ok = true;

	pthread_mutex_lock(&cache_lock);
	while (len && ok) {
		const struct block *b = block_of(s, off / BLOCK_SIZE);
		uint64_t in = off % BLOCK_SIZE;
		size_t n;

		if (!b || in >= b->len) {
			ok = false;
			break;
		}
		n = b->len - in < len ? b->len - in : len;
		memcpy(buf, b->data + in, n);
		buf += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&cache_lock);
	return ok;
}

bool bytesrc_read(const struct bytesrc *s, uint64_t off, void *buf, size_t len)
{
	if (off > s->size || len > s->size - off)
		return false;
	if (s->mem) {
		memcpy(buf, s->mem + off, len);
		return true;
	}
	return s->id && file_read(s, off, buf, len);
}

size_t bytesrc_peek(const struct bytesrc *s, uint64_t off, void *buf, size_t len)
{
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	return bytesrc_read(s, off, buf, len) ? len : 0;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	return k ^ (k >> 33);
}

static bool pool_grow(struct strpool *p)
{
	size_t nc = p->cap ? p->cap * 2 : 256, i, j;
	uint64_t *keys = calloc(nc, sizeof(*keys));
	char **vals = calloc(nc, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return false;
	}
	for (i = 0; i < p->cap; i++) {
		if (!p->keys[i])
			continue;
		for (j = mix(p->keys[i]) & (nc - 1); keys[j]; j = (j + 1) & (nc - 1))
			;
		keys[j] = p->keys[i];
		vals[j] = p->vals[i];
	}
	free(p->keys);
	free(p->vals);
	p->keys = keys;
	p->vals = vals;
	p->cap = nc;
	return true;
}

/* The kept copy of the string at off, read and kept on first use. */
static const char *pooled(struct bytesrc *s, uint64_t off)
{
	struct strpool *p = s->pool;
	char tmp[BYTESRC_STR_MAX];
	size_t i, n, len;
	char *end, *v;

	if (!p && !(p = s->pool = calloc(1, sizeof(*p))))
		return NULL;
	if (2 * (p->n + 1) > p->cap && !pool_grow(p))
		return NULL;
	for (i = mix(off + 1) & (p->cap - 1); p->keys[i]; i = (i + 1) & (p->cap - 1))
		if (p->keys[i] == off + 1)
			return p->vals[i];
	n = bytesrc_peek(s, off, tmp, sizeof(tmp));
	end = n ? memchr(tmp, '\0', n) : NULL;
	if (!end)
		return NULL;
	len = (size_t)(end - tmp) + 1;
	if (p->bytes + len > BYTESRC_POOL_MAX || !(v = malloc(len)))
		return NULL;
	memcpy(v, tmp, len);
	p->keys[i] = off + 1;
	p->vals[i] = v;
	p->n++;
	p->bytes += len;
	return v;
}

const char *bytesrc_str(const struct bytesrc *s, uint64_t off)
{
	if (off >= s->size)
		return NULL;
	if (s->mem)
		return memchr(s->mem + off, '\0', s->size - off) ? (const char *)s->mem + off : NULL;
	/* The pool is the source's own memory, whatever the caller's const. */
	return s->id ? pooled((struct bytesrc *)s, off) : NULL;
}

size_t bytesrc_pool_bytes(const struct bytesrc *s)
{
	return s->pool ? s->pool->bytes : 0;
}
