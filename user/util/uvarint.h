/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Go's uvarint (encoding/binary), the one decoder: build info strings,
 * pclntab's pc-value tables, type names. */
#ifndef HT_UTIL_UVARINT_H
#define HT_UTIL_UVARINT_H
#include <stddef.h>
#include <stdint.h>

/* Decodes at p, reading at most avail bytes; returns the bytes consumed, 0
 * when the number does not end within them (or within 10 bytes). */
static inline size_t uvarint_decode(const uint8_t *p, size_t avail, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < avail && i < 10; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}
#endif
