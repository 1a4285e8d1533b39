// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the heap walk and both map parsers over a heap laid out from
 * the input, in every Go layout heaptrace knows. The first bytes describe
 * spans (where, how big, which class, how many objects, which are
 * allocated); the rest fills the span memory, where map headers,
 * directories and tables are looked for. Then the maps are followed as
 * each interval does: some added as a growth probe would (with a map type
 * whose name is read from memory), the image changed under them, and
 * re-read. Everything comes from the target, so none of it may be trusted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heap/gomap_parse.h"
#include "heap/goheap.h"
#include "heap/gomap_scan.h"
#include "heap/gomap_tracker.h"
#include "heap/gotypes.h"

#define BASE 0xc000000000ull
#define IMAGE (1u << 20)
#define SPANS_AT 0x1000u
#define SPAN_STRUCTS_AT 0x2000u
#define ALLOCBITS_AT 0x8000u
#define DATA_AT 0x10000u
#define SPAN_DESC 10

static void found(void *ctx, const struct go_map *maps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (maps[i].needed_bytes > (1ull << 62))
			__builtin_trap();
}

static void put(uint8_t *img, uint64_t off, uint64_t v, unsigned size)
{
	memcpy(img + off, &v, size);
}

/* The maps followed across reads of a changing image. */
static void follow(const struct go_layout *L, uint64_t mheap, uint8_t *img, const uint8_t *data, size_t size)
{
	/* a program with nothing read of its file: no globals, no goroutines */
	struct target t = { .layout = L, .swiss = L->smap_used != GO_ABSENT, .exe_fd = -1 };
	struct map_tracker mt = { .t = &t, .L = L, .mheap = mheap, .swiss = L->smap_used != GO_ABSENT,
				  .types_base = BASE + DATA_AT };
	struct map_totals tot;
	const struct tracked_map *top[8];
	char name[128];
	size_t i;

	memsrc_buffer(&mt.mem, img, BASE, IMAGE);
	map_tracker_walk(&mt, 50 * 1000000ull);
	/* growth records point anywhere, with any type */
	for (i = 0; i + 8 <= size && i < 64; i += 8) {
		uint32_t off, type;

		memcpy(&off, data + i, 4);
		memcpy(&type, data + i + 4, 4);
		map_tracker_grew(&mt, BASE + off % IMAGE, BASE + type % IMAGE, off, NULL, 0);
		go_type_name(&mt.mem, L, mt.types_base, BASE + type % IMAGE, name, sizeof(name));
	}
	for (i = 0; i < 3; i++) {
		size_t k;

		/* what the target wrote meanwhile */
		for (k = 0; k < 64 && i * 64 + k < size; k++)
			img[DATA_AT + (data[i * 64 + k] * 4099u + k) % (IMAGE - DATA_AT)] ^= data[i * 64 + k];
		map_tracker_refresh(&mt);
	}
	map_tracker_totals(&mt, &tot);
	if (tot.retained_bytes > tot.table_bytes)
		__builtin_trap();
	map_tracker_top(&mt, top, 8);
	map_tracker_close(&mt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int minors[] = { 19, 20, 21, 22, 24, 25, 26, 27 };
	const struct go_layout *L;
	struct map_scan scan = { .found = found };
	struct memsrc mem;
	struct go_heap h = { 0 };
	uint8_t *img;
	unsigned nspans, i;
	uint64_t mheap;

	if (size < 2)
		return 0;
	L = go_layout_for(minors[data[0] % (sizeof(minors) / sizeof(minors[0]))]);
	nspans = 1 + data[1] % 6;
	if (size < 2 + nspans * SPAN_DESC)
		return 0;
	img = calloc(1, IMAGE);
	mheap = BASE + SPANS_AT - 64 - L->mheap_allspans; /* allspans lands inside the image */
	put(img, SPANS_AT - 64, BASE + SPANS_AT, 8);
	put(img, SPANS_AT - 56, nspans, 8);
	put(img, SPANS_AT - 48, nspans, 8);
	for (i = 0; i < nspans; i++) {
		const uint8_t *d = data + 2 + i * SPAN_DESC;
		uint64_t s = SPAN_STRUCTS_AT + i * L->span_size;
		uint64_t start = DATA_AT + (uint64_t)(d[0] % 112) * 8192, npages = 1 + d[1] % 8;
		uint64_t elemsize = d[3] | (uint64_t)d[4] << 8, nelems = d[5] | (uint64_t)d[6] << 8;

		put(img, SPANS_AT + i * 8, BASE + s, 8);
		put(img, s + L->span_startaddr, BASE + start, 8);
		put(img, s + L->span_npages, npages, 8);
		put(img, s + L->span_spanclass, d[2], 1);
		put(img, s + L->span_state, d[9] & 0x80 ? d[9] & 3 : GO_SPAN_IN_USE, 1);
		put(img, s + L->span_elemsize, d[2] >> 1 ? elemsize : npages * 8192, 8);
		put(img, s + L->span_nelems, nelems, L->span_index_size);
		put(img, s + L->span_freeindex, d[7] | (uint64_t)d[8] << 8, L->span_index_size);
		put(img, s + L->span_allocbits, BASE + ALLOCBITS_AT + i * 512, 8);
	}
	/* the rest: span memory (headers, directories, tables) and alloc bits */
	size -= 2 + nspans * SPAN_DESC;
	data += 2 + nspans * SPAN_DESC;
	memcpy(img + DATA_AT, data, size < IMAGE - DATA_AT ? size : IMAGE - DATA_AT);
	memset(img + ALLOCBITS_AT, 0xff, DATA_AT - ALLOCBITS_AT);

	memsrc_buffer(&mem, img, BASE, IMAGE);
	if (go_heap_is_mheap(&mem, L, mheap) && go_heap_load(&h, &mem, L, mheap, 0) == 0)
		map_scan(&h, L->smap_used != GO_ABSENT, 0, &scan);
	go_heap_free(&h);
	follow(L, mheap, img, data, size);
	free(img);
	return 0;
}
