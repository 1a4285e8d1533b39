/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Reading another address space: a running process (process_vm_readv, many
 * ranges per call) or, for tests and fuzzing, bytes in our own memory. The
 * heap walk reads only through this interface. */
#ifndef HT_HEAP_MEMSRC_H
#define HT_HEAP_MEMSRC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct memrange {
	uint64_t addr;
	void *buf;
	size_t len;
	bool ok; /* set by the read: every byte of the range was read */
};

struct memsrc {
	/* Reads every range it can; a range that cannot be read whole is left !ok. */
	void (*readv)(struct memsrc *m, struct memrange *r, size_t n);
	pid_t pid;		 /* process source */
	const uint8_t *image;	 /* buffer source: bytes for [base, base+size) */
	uint64_t base;
	size_t size;
	uint64_t bytes, calls;	 /* what was read, for -v and the bench */
	bool gone;		 /* the process has exited */
};

void memsrc_process(struct memsrc *m, pid_t pid);
void memsrc_buffer(struct memsrc *m, const uint8_t *image, uint64_t base, size_t size);
/* One range; true when all of it was read. */
bool mem_read(struct memsrc *m, uint64_t addr, void *buf, size_t len);
bool mem_word(struct memsrc *m, uint64_t addr, uint64_t *v);
/* A little-endian unsigned field of `size` bytes at p + off, from memory read. */
uint64_t mem_field(const uint8_t *p, uint16_t off, unsigned size);
#endif
