/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A fast 64-bit hash of bytes (wyhash's mixing step over 8-byte words), for
 * telling files and code apart. Not a defence by itself against someone who
 * crafts collisions: what a match decides is checked again where it
 * matters (exe_cache.c compares the probed code itself). */
#ifndef HT_UTIL_HASH_H
#define HT_UTIL_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t hash_bytes(uint64_t seed, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ 0x2d358dccaa6c78a5ull ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = hash_mix(h ^ w, 0x8bb84b93962eacc9ull);
	}
	w = 0;
	memcpy(&w, p, len);
	return hash_mix(h ^ w ^ 0x4b33a62ed433d4a3ull, 0x8bb84b93962eacc9ull ^ len);
}
#endif
