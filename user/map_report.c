#include <inttypes.h>
#include "hist_print.h"
#include "map_report.h"

#define FMT(v) fmt_bytes((char[32]){ 0 }, 32, (v))
#define TOP_MAX 64

void print_pages_line(FILE *out, const struct heap_stats *h)
{
	fprintf(out, "pages     free in the heap, not returned to the OS %s; returned (runtime count) %s\n",
		FMT(h->free_unreleased), FMT(h->released));
}

void print_maps(FILE *out, const struct map_tracker *mt, size_t top)
{
	const struct tracked_map *v[TOP_MAX];
	struct map_totals tot;
	size_t i, n;

	if (!mt->mheap) {
		fprintf(out, "maps      heap walk unavailable: %s\n", mt->unavailable);
		return;
	}
	map_tracker_totals(mt, &tot);
	fprintf(out, "maps      %llu followed, tables %s, retained %s", (unsigned long long)tot.maps,
		FMT(tot.table_bytes), FMT(tot.retained_bytes));
	if (mt->small.maps)
		fprintf(out, "; %llu small maps %s", (unsigned long long)mt->small.maps, FMT(mt->small.table_bytes));
	if (tot.freed)
		fprintf(out, "; %llu freed", (unsigned long long)tot.freed);
	fputc('\n', out);
	n = map_tracker_top(mt, v, top < TOP_MAX ? top : TOP_MAX);
	if (!n)
		return;
	fprintf(out, "  %-14s %9s %9s %9s %9s  %s\n", "MAP", "LIVE", "PEAK", "TABLE", "RETAINED", "TYPE / SITE");
	for (i = 0; i < n; i++) {
		const struct tracked_map *m = v[i];

		fprintf(out, "  0x%-12" PRIx64 " %9" PRIu64 " %9" PRIu64 " %9s %9s  %s%s%s\n", m->m.addr, m->m.live,
			m->peak, FMT(m->m.table_bytes), FMT(tracked_retained(m)), m->type[0] ? m->type : "map",
			m->site[0] ? "  " : "", m->site);
	}
}
