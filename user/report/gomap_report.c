#include <inttypes.h>
#include <string.h>
#include "report/hist_print.h"
#include "report/gomap_report.h"

#define FMT(v) fmt_bytes((char[32]){ 0 }, 32, (v))
#define TOP_MAX 64

void print_pages_line(FILE *out, const struct heap_stats *h)
{
	fprintf(out, "pages     free in the heap, not returned to the OS %s; returned %s\n",
		FMT(h->free_unreleased), FMT(h->released));
}

/* "pkg.F (/long/path/file.go:12)" -> "pkg.F (file.go:12)" */
static void short_site(const char *site, char *buf, size_t len)
{
	const char *open = strchr(site, '('), *slash = open ? strrchr(open, '/') : NULL;

	if (!slash)
		snprintf(buf, len, "%s", site);
	else
		snprintf(buf, len, "%.*s%s", (int)(open - site + 1), site, slash + 1);
}

static void put_line(FILE *out, const char *line, int width)
{
	if (width > 0 && (int)strlen(line) > width)
		fprintf(out, "%.*s~\n", width - 1, line);
	else
		fprintf(out, "%s\n", line);
}

void print_maps(FILE *out, const struct map_tracker *mt, size_t top, int width)
{
	char line[1024], site[MAP_SITE_LEN];
	const struct tracked_map *v[TOP_MAX];
	struct map_totals tot;
	size_t i, n;

	if (!mt->mheap) {
		snprintf(line, sizeof(line), "maps      no heap walk: %s", mt->unavailable);
		put_line(out, line, width);
		return;
	}
	map_tracker_totals(mt, &tot);
	n = (size_t)snprintf(line, sizeof(line), "maps      %llu followed, tables %s, retained %s",
			     (unsigned long long)tot.maps, FMT(tot.table_bytes), FMT(tot.retained_bytes));
	if (mt->small.maps)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "; %llu small %s", (unsigned long long)mt->small.maps,
				      FMT(mt->small.table_bytes));
	if (tot.freed)
		snprintf(line + n, sizeof(line) - n, "; %llu freed", (unsigned long long)tot.freed);
	put_line(out, line, width);
	n = map_tracker_top(mt, v, top < TOP_MAX ? top : TOP_MAX);
	if (!n)
		return;
	fprintf(out, "  %-14s %8s %8s %9s %9s  %s\n", "MAP", "LIVE", "PEAK", "TABLE", "RETAINED", "TYPE  SITE");
	for (i = 0; i < n; i++) {
		const struct tracked_map *m = v[i];

		if (width > 0)
			short_site(m->site, site, sizeof(site));
		else
			snprintf(site, sizeof(site), "%s", m->site);
		snprintf(line, sizeof(line), "  0x%-12" PRIx64 " %8" PRIu64 " %8" PRIu64 " %9s %9s  %s%s%s", m->m.addr,
			 m->m.live, m->peak, FMT(m->m.table_bytes), FMT(tracked_retained(m)),
			 m->type[0] ? m->type : "map", site[0] ? "  " : "", site);
		put_line(out, line, width);
	}
}
