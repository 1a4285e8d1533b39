/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A table's bytes, from memory or from a file that heaptrace holds open.
 *
 * A target's executable is read while it is analysed, then closed to
 * everything but the few lookups that naming code addresses needs (pclntab's
 * line tables, inline trees). Those come from the file through pread and a
 * small cache shared by every file: nothing of the file stays mapped, so a
 * file its owner truncates gives a failed lookup, never a SIGBUS, and
 * heaptrace's memory does not grow with the size of the programs it traces.
 *
 * Strings read from a file are kept (interned by offset) for as long as the
 * source, so that callers may hold them like pointers into memory; how many
 * bytes a source may keep that way is bounded.
 */
#ifndef HT_UTIL_BYTESRC_H
#define HT_UTIL_BYTESRC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strpool;

struct bytesrc {
	const uint8_t *mem; /* memory mode: the bytes, owned by the caller */
	uint64_t size;
	int fd;		    /* file mode: bytes [base, base+size) of fd (not owned) */
	uint64_t base;
	uint64_t id;	    /* names this source's blocks in the shared cache */
	struct strpool *pool;
};

/* Strings a file source keeps at most (bytes); past it, string reads fail. */
#define BYTESRC_POOL_MAX (4u << 20)
/* The longest string a file source reads (Go's longest generic names are a
 * few KiB). */
#define BYTESRC_STR_MAX 4096

void bytesrc_memory(struct bytesrc *s, const uint8_t *mem, uint64_t size);
/* Reads go to fd at base; fd stays the caller's and must outlive s. */
void bytesrc_file(struct bytesrc *s, int fd, uint64_t base, uint64_t size);
/* Frees what a file source keeps (its strings, its cached blocks); the
 * source reads nothing after this. A memory source: nothing to do. */
void bytesrc_close(struct bytesrc *s);
/* Copies [off, off+len); false if any of it is outside the source or
 * cannot be read (a file that shrank). */
bool bytesrc_read(const struct bytesrc *s, uint64_t off, void *buf, size_t len);
/* The NUL-terminated string at off: a pointer into memory, or a copy kept
 * by the source; NULL if it does not end within the source (or within
 * BYTESRC_STR_MAX of a file) or the pool is full. */
const char *bytesrc_str(const struct bytesrc *s, uint64_t off);
/* Up to len bytes at off into buf, fewer at the end of the source; how
 * many (0 outside it). For decoders that read ahead (varints). */
size_t bytesrc_peek(const struct bytesrc *s, uint64_t off, void *buf, size_t len);
/* Bytes a file source keeps in strings now (for tests and -v). */
size_t bytesrc_pool_bytes(const struct bytesrc *s);
#endif
