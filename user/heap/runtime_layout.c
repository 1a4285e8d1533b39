#include <stddef.h>
#include "heap/runtime_layout.h"

/* Offsets read from the DWARF of binaries built with Go 1.19.8, 1.22.12 and
 * 1.26 (tests/tools/dwarflayout; the unit tests re-check them). Versions
 * between those share the nearer family's layout; the heap walk validates
 * what it reads and refuses a layout that does not fit. */
/* runtime.hmap, the same in 1.19 and 1.22; Swiss tables replaced it in 1.24 */
#define BUCKET_MAPS \
	.hmap_count = 0, .hmap_flags = 8, .hmap_b = 9, .hmap_noverflow = 10, .hmap_hash0 = 12, \
	.hmap_buckets = 16, .hmap_oldbuckets = 24, .hmap_nevacuate = 32, .hmap_extra = 40, .hmap_size = 48
/* runtime.heapStatsDelta as in 1.19 and 1.22; 1.26 has no inPtrScalarBits */
#define HEAP_STATS_WITH_PTRSCALARBITS \
	.hsd_size = 1176, .hsd_committed = 0, .hsd_released = 8, .hsd_inheap = 16, .hsd_instacks = 24, \
	.hsd_inworkbufs = 32, .hsd_inptrscalarbits = 40

/* runtime.mspan (16-bit indexes, largeType), malloc headers, abi.Type and
 * moduledata.types: the same in 1.22 and 1.26 */
#define SPANS_SINCE_122 \
	.span_startaddr = 24, .span_npages = 32, .span_freeindex = 48, .span_nelems = 50, \
	.span_index_size = 2, .span_allocbits = 64, .span_spanclass = 98, .span_state = 99, \
	.span_elemsize = 104, .span_largetype = 152, .span_size = 160, \
	.malloc_header_min = 512, /* runtime.minSizeForMallocHeader */ \
	.type_size = 0, .type_str = 40, .type_tflag = 20, .md_types = 296

static const struct go_layout layouts[] = {
	{
		.min_minor = 18, .max_minor = 21,
		.mheap_allspans = 65856,
		.span_startaddr = 24, .span_npages = 32, .span_freeindex = 48, .span_nelems = 56,
		.span_index_size = 8, .span_allocbits = 72, .span_spanclass = 98, .span_state = 99,
		.span_elemsize = 104, .span_largetype = GO_ABSENT, .span_size = 144,
		.malloc_header_min = GO_ABSENT,
		.type_size = 0, .type_str = 40, .type_tflag = 20,
		.md_types = 280,
		.mstats_heapstats = 0,
		HEAP_STATS_WITH_PTRSCALARBITS,
		BUCKET_MAPS,
		.smap_used = GO_ABSENT,
	},
	{
		.min_minor = 22, .max_minor = 23,
		.mheap_allspans = 65864,
		SPANS_SINCE_122,
		.mstats_heapstats = 0,
		HEAP_STATS_WITH_PTRSCALARBITS,
		BUCKET_MAPS,
		.smap_used = GO_ABSENT,
	},
	{
		.min_minor = 24, .max_minor = 0,
		.mheap_allspans = 65864,
		SPANS_SINCE_122,
		.mstats_heapstats = 0,
		.hsd_size = 1168, .hsd_committed = 0, .hsd_released = 8, .hsd_inheap = 16,
		.hsd_instacks = 24, .hsd_inworkbufs = 32, .hsd_inptrscalarbits = GO_ABSENT,
		.hmap_count = GO_ABSENT,
		.smap_used = 0, .smap_seed = 8, .smap_dirptr = 16, .smap_dirlen = 24,
		.smap_globaldepth = 32, .smap_size = 48,
		.stable_used = 0, .stable_capacity = 2, .stable_index = 8, .stable_groups_data = 16,
		.stable_groups_lengthmask = 24, .stable_size = 32,
	},
};

const struct go_layout *go_layout_for(int minor)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(*layouts); i++)
		if (minor >= layouts[i].min_minor && (!layouts[i].max_minor || minor <= layouts[i].max_minor))
			return &layouts[i];
	return NULL;
}

/* Each takes &mheap_ for a method call on it (mheap_.alloc, mheap_.freeSpan,
 * mheap_.grow...); several, in case one is inlined away in some version. */
const char *const mheap_referrers[] = {
	"runtime.(*mcentral).grow",
	"runtime.(*mcache).allocLarge",
	"runtime.(*sweepLocked).sweep",
	"runtime.(*mspan).sweep",
	"runtime.gcStart",
	NULL,
};

/* Each calls memstats.heapStats.acquire(), taking &memstats.heapStats. */
const char *const memstats_referrers[] = {
	"runtime.(*mheap).grow",
	"runtime.(*mheap).allocSpan",
	"runtime.(*mheap).freeSpanLocked",
	"runtime.(*mcache).refill",
	NULL,
};
