// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A target that lies about its heap (issue 21): runtime.mheap_.allspans is
 * the target's own memory, and a process can make it claim 2^26 spans, each
 * in use, none overlapping. The walk reads such a list in batches and keeps
 * at most a bound of spans, saying it stopped there, so that heaptrace's
 * memory stays far below what the target claims. A synthetic memory
 * source makes the lie at no cost to the test; alone in its binary, so
 * that the peak RSS measured is the walk's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "heap/goheap.h"

#define MHEAP 0x500000ull
#define ARRAY 0x7f0000000000ull	  /* allspans' array */
#define SPANS 0x7e0000000000ull	  /* the mspans it points at */
#define HEAP 0xc000000000ull	  /* their pages */
#define CLAIMED (1ull << 26)	  /* what allspans says */

static const struct go_layout *L;

static void put(uint8_t *p, uint16_t off, uint64_t v, unsigned size)
{
	memcpy(p + off, &v, size);
}

/* Every read answered from the lie: a list of CLAIMED distinct spans. */
static void lying_readv(struct memsrc *m, struct memrange *r, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		uint8_t *b = r[i].buf;

		r[i].ok = true;
		m->bytes += r[i].len;
		if (r[i].addr == MHEAP + L->mheap_allspans && r[i].len == 24) {
			uint64_t w[3] = { ARRAY, CLAIMED, CLAIMED };

			memcpy(b, w, sizeof(w));
		} else if (r[i].addr >= ARRAY && r[i].addr + r[i].len <= ARRAY + CLAIMED * 8) {
			for (k = 0; k < r[i].len / 8; k++) {
				uint64_t p = SPANS + ((r[i].addr - ARRAY) / 8 + k) * L->span_size;

				memcpy(b + 8 * k, &p, 8);
			}
		} else if (r[i].addr >= SPANS && r[i].len == L->span_size) {
			uint64_t idx = (r[i].addr - SPANS) / L->span_size;

			memset(b, 0, r[i].len);
			put(b, L->span_startaddr, HEAP + idx * 8192, 8);
			put(b, L->span_npages, 1, 8);
			put(b, L->span_state, GO_SPAN_IN_USE, 1);
			put(b, L->span_elemsize, 8192, 8);
			put(b, L->span_nelems, 1, L->span_index_size);
		} else {
			r[i].ok = false;
		}
	}
}

static long kb_of(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && sscanf(line + n, ": %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void test_lying_span_list_is_read_within_bounds(void **state)
{
	struct memsrc mem = { .readv = lying_readv };
	struct go_heap h;
	long before = kb_of("VmRSS"), peak;

	L = go_layout_for(26);
	assert_non_null(L);
	assert_int_equal(go_heap_load(&h, &mem, L, MHEAP, 0), 0);
	peak = kb_of("VmHWM");
	print_message("claimed %llu spans: kept %zu, truncated %d, read %.0f MiB, peak RSS %ld MiB (from %ld)\n",
		      (unsigned long long)CLAIMED, h.nspans, h.truncated, (double)mem.bytes / (1 << 20), peak / 1024,
		      before / 1024);
	assert_true(h.truncated);
	assert_true(h.over_limit);
	assert_true(h.nspans < CLAIMED / 16);
	assert_true(peak - before < 128 * 1024);
	go_heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lying_span_list_is_read_within_bounds),
	};

	return cmocka_run_group_tests_name("hostile heap", tests, NULL, NULL);
}
