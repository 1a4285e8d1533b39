/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* How the Go runtime's allocator rounds a request: the size classes and the
 * malloc header, to tell which types could have made a heap object. */
#ifndef HT_GOTABLES_RUNTIME_ALLOC_H
#define HT_GOTABLES_RUNTIME_ALLOC_H
#include <stdbool.h>
#include <stdint.h>
#include "gotables/runtime_layout.h"

/* The usable size of the object mallocgc returns for `size` bytes of a
 * type with (noscan false) or without pointers: its size class, less the
 * 8-byte type header of Go 1.22+ scan objects over 512 bytes; whole pages
 * for a large object. */
uint64_t go_alloc_usable(const struct go_layout *L, uint64_t size, bool noscan);
/* runtime.class_to_size[sizeclass] (0 for class 0 and out of range). */
uint32_t go_class_size(unsigned sizeclass);
#endif
