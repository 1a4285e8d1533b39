// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the readers the holder search adds, over a heap and a process
 * image laid out from the input: span liveness (sweep generations, mark
 * bits), runtime.allgs and its goroutines, the map headers looked for in
 * frames, and the reverse-reference search and its paths. Every byte is the
 * target's: bounds, loops and sizes must hold whatever it says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heap/goheap.h"
#include "heap/gomap_scan.h"
#include "heap/goroutines.h"
#include "heap/holders.h"

#define BASE 0xc000000000ull
#define IMAGE (512u << 10)
#define SPANS_AT 0x1000u
#define SPAN_STRUCTS_AT 0x2000u
#define BITS_AT 0x8000u
#define ALLGS_AT 0xf000u
#define DATA_AT 0x10000u
#define SPAN_DESC 12
#define MAX_TARGETS 64

static void put(uint8_t *img, uint64_t off, uint64_t v, unsigned size)
{
	memcpy(img + off, &v, size);
}

static void found(void *ctx, const struct go_map *maps, size_t n)
{
	uint64_t *t = ctx;
	size_t i;

	for (i = 0; i < n && t[0] < MAX_TARGETS; i++)
		t[1 + t[0]++] = maps[i].addr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int minors[] = { 19, 22, 26 };
	uint64_t targets[1 + MAX_TARGETS] = { 0 };
	struct map_scan scan = { .found = found, .ctx = targets };
	const struct holder_ref *path[HOLDER_MAX_DEPTH + 2];
	struct root_range roots[2];
	struct goroutines gs;
	struct holder_search s;
	const struct go_layout *L;
	struct go_heap h = { 0 };
	struct memsrc mem;
	unsigned nspans, i;
	uint64_t mheap;
	uint8_t *img;

	if (size < 3)
		return 0;
	L = go_layout_for(minors[data[0] % 3]);
	nspans = 1 + data[1] % 6;
	if (size < 3 + nspans * SPAN_DESC)
		return 0;
	img = calloc(1, IMAGE);
	mheap = BASE + SPANS_AT - 64 - L->mheap_allspans;
	put(img, SPANS_AT - 64, BASE + SPANS_AT, 8);
	put(img, SPANS_AT - 56, nspans, 8);
	put(img, SPANS_AT - 48, nspans, 8);
	put(img, SPANS_AT - 64 - L->mheap_allspans + L->mheap_sweepgen, data[2], 4);
	for (i = 0; i < nspans; i++) {
		const uint8_t *d = data + 3 + i * SPAN_DESC;
		uint64_t sp = SPAN_STRUCTS_AT + i * L->span_size;
		uint64_t start = DATA_AT + (uint64_t)(d[0] % 48) * 8192, npages = 1 + d[1] % 8;
		uint64_t elemsize = d[3] | (uint64_t)d[4] << 8, nelems = d[5] | (uint64_t)d[6] << 8;

		put(img, SPANS_AT + i * 8, BASE + sp, 8);
		put(img, sp + L->span_startaddr, BASE + start, 8);
		put(img, sp + L->span_npages, npages, 8);
		put(img, sp + L->span_spanclass, d[2], 1);
		put(img, sp + L->span_state, d[9] & 0x80 ? d[9] & 3 : GO_SPAN_IN_USE, 1);
		put(img, sp + L->span_elemsize, d[2] >> 1 ? elemsize : npages * 8192, 8);
		put(img, sp + L->span_nelems, nelems, L->span_index_size);
		put(img, sp + L->span_freeindex, d[7] | (uint64_t)d[8] << 8, L->span_index_size);
		put(img, sp + L->span_allocbits, BASE + BITS_AT + i * 512, 8);
		put(img, sp + L->span_gcmarkbits, d[11] & 1 ? 0 : BASE + BITS_AT + 0x3000 + i * 512, 8);
		put(img, sp + L->span_sweepgen, (uint32_t)data[2] + (d[10] % 5) - 2, 4);
	}
	size -= 3 + nspans * SPAN_DESC;
	data += 3 + nspans * SPAN_DESC;
	memcpy(img + DATA_AT, data, size < IMAGE - DATA_AT ? size : IMAGE - DATA_AT);
	memset(img + BITS_AT, 0xa5, ALLGS_AT - BITS_AT);
	/* allgs: a slice into the data, its g pointers and gs what the input says */
	put(img, ALLGS_AT, BASE + DATA_AT, 8);
	put(img, ALLGS_AT + 8, size / 64 + 1, 8);
	put(img, ALLGS_AT + 16, size / 64 + 1, 8);

	memsrc_buffer(&mem, img, BASE, IMAGE);
	if (go_heap_is_mheap(&mem, L, mheap) && go_heap_load(&h, &mem, L, mheap, 0) == 0) {
		map_scan(&h, L->smap_used != GO_ABSENT, 0, &scan);
		/* frames: the first 16 KiB of data, as a goroutine's stack; the next, globals */
		roots[0] = (struct root_range){ .lo = BASE + DATA_AT, .hi = BASE + DATA_AT + 0x4000, .kind = ROOT_STACK,
						.mem = img + DATA_AT };
		roots[1] = (struct root_range){ .lo = BASE + DATA_AT + 0x4000, .hi = BASE + DATA_AT + 0x8000,
						.kind = ROOT_GLOBAL };
		map_scan_memory(&h, L->smap_used != GO_ABSENT, roots[0].lo, roots[0].mem, 0x4000, &scan);
		/* and words of the input as map headers */
		for (i = 0; i + 8 <= size && targets[0] < MAX_TARGETS; i += 512)
			memcpy(&targets[1 + targets[0]++], data + i, 8);
		if (!holders_find(&h, targets + 1, targets[0], roots, 2, NULL, 0, (unsigned)(1 + nspans % HOLDER_MAX_DEPTH), NULL, 0, &s)) {
			for (i = 0; i < s.nmaps; i++)
				if (holders_path(&s, i, path, HOLDER_MAX_DEPTH + 2) > HOLDER_MAX_DEPTH + 2)
					__builtin_trap();
		}
		holders_free(&s);
	}
	if (goroutines_check_allgs(&mem, L, BASE + ALLGS_AT) || nspans & 1) {
		if (!goroutines_read(&mem, L, BASE + ALLGS_AT, &gs)) {
			for (i = 0; i < gs.n; i++)
				if (gs.v[i].sp && (gs.v[i].sp < gs.v[i].lo || gs.v[i].sp >= gs.v[i].hi))
					__builtin_trap();
			goroutines_free(&gs);
		}
	}
	go_heap_free(&h);
	free(img);
	return 0;
}
