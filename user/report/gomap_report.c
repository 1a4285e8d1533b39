// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <string.h>
#include "report/gomap_report.h"
#include "report/hist_print.h"
#include "util/textsafe.h"

#define FMT(v) fmt_bytes((char[32]){ 0 }, 32, (v))
#define TOP_MAX 256

void print_pages_line(FILE *out, const struct heap_stats *h)
{
	fprintf(out, "pages     free in the heap, not returned to the OS %s; returned %s\n",
		FMT(h->free_unreleased), FMT(h->released));
}

/* "github.com/a/b/pkg.(*T).m" -> "pkg.(*T).m": the last path element of
 * every qualified name in s, in place of the whole import path. */
static void drop_import_paths(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	while (*s && o + 1 < len) {
		const char *slash = NULL, *p;

		/* a path runs to the next character that cannot be in one */
		for (p = s; *p && !strchr("[]*(), {}:", *p); p++)
			if (*p == '/')
				slash = p;
		if (slash && slash > s) {
			s = slash + 1; /* keep from the last element on */
			continue;
		}
		buf[o++] = *s++;
	}
	buf[o] = '\0';
}

/* "pkg.F (/long/path/file.go:12)" -> "pkg.F (file.go:12)" */
static void short_site(const char *site, char *buf, size_t len)
{
	const char *open = strchr(site, '('), *slash = open ? strrchr(open, '/') : NULL;
	char fn[MAP_SITE_LEN];

	snprintf(fn, sizeof(fn), "%.*s", open ? (int)(open - site) : (int)strlen(site), site);
	drop_import_paths(fn, buf, len);
	if (open)
		snprintf(buf + strlen(buf), len - strlen(buf), "(%s", slash ? slash + 1 : open + 1);
}

/* Fits s into w columns: whole, or cut with a "~" at the end. */
static void fit(char *s, int w)
{
	if (w <= 0)
		s[0] = '\0';
	else if ((int)strlen(s) > w)
		strcpy(s + w - 1, "~");
}

static void put_line(FILE *out, const char *line, int width)
{
	if (width > 0 && (int)strlen(line) > width)
		fprintf(out, "%.*s~\n", width - 1, line);
	else
		fprintf(out, "%s\n", line);
}

/* Which columns a width has room for: address, table and peak go first
 * when it is narrow; the type and the site share what is left. */
struct columns {
	bool addr, table, peak;
	int type, site; /* widths; 0 = unbounded */
};

#define COL_FIXED 36 /* indent, LIVE, RETAINED, VERDICT and their gaps */
#define COL_ADDR 15
#define COL_TABLE 10
#define COL_PEAK 11
#define COL_TEXT_MIN 40 /* type and site together, before any optional column */

static struct columns columns_for(int width)
{
	struct columns c = { true, true, true, 0, 0 };
	int left;

	if (width <= 0)
		return c;
	left = width - COL_FIXED;
	c.peak = left - COL_PEAK >= COL_TEXT_MIN && (left -= COL_PEAK, true);
	c.addr = left - COL_ADDR >= COL_TEXT_MIN && (left -= COL_ADDR, true);
	c.table = left - COL_TABLE >= COL_TEXT_MIN && (left -= COL_TABLE, true);
	c.type = left * 2 / 5 > 12 ? left * 2 / 5 : 12;
	c.site = left - c.type - 2;
	return c;
}

static void header(FILE *out, const struct columns *c)
{
	fprintf(out, "  ");
	if (c->addr)
		fprintf(out, "%-14s ", "MAP");
	fprintf(out, "%8s ", "LIVE");
	if (c->peak)
		fprintf(out, "%10s ", "PEAK");
	if (c->table)
		fprintf(out, "%9s ", "TABLE");
	fprintf(out, "%9s %-8s  %s\n", "RETAINED", "VERDICT", "TYPE  SITE");
}

static void row(FILE *out, const struct tracked_map *m, const struct columns *c, int width)
{
	char line[1024], type[MAP_TYPE_LEN], site[MAP_SITE_LEN], peak[24];
	bool implied;
	uint64_t p = tracked_peak(m, &implied);
	size_t n = 0;

	if (width > 0) {
		drop_import_paths(tsafe(m->type[0] ? m->type : "map"), type, sizeof(type));
		short_site(tsafe(m->site), site, sizeof(site));
		/* a short type leaves its room to the site */
		if ((int)strlen(type) < c->type)
			fit(site, c->site + c->type - (int)strlen(type));
		else
			fit(site, c->site);
		fit(type, c->type);
	} else {
		snprintf(type, sizeof(type), "%s", tsafe(m->type[0] ? m->type : "map"));
		snprintf(site, sizeof(site), "%s", tsafe(m->site));
	}
	/* ">=": implied by the table's size, not seen */
	snprintf(peak, sizeof(peak), "%s%" PRIu64, implied ? ">=" : "", p);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "  ");
	if (c->addr)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "0x%-12" PRIx64 " ", m->m.addr);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%8" PRIu64 " ", m->m.live);
	if (c->peak)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%10s ", peak);
	if (c->table)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%9s ", FMT(m->m.table_bytes));
	snprintf(line + n, sizeof(line) - n, "%9s %-8s  %s%s%s", FMT(tracked_retained(m)),
		 map_verdict_name(tracked_verdict(m)), type, site[0] ? "  " : "", site);
	put_line(out, line, width);
}

void print_maps(FILE *out, const struct map_tracker *mt, size_t top, int width)
{
	char line[1024];
	const struct tracked_map *v[TOP_MAX];
	struct map_totals tot;
	struct columns c = columns_for(width);
	size_t i, n;

	if (!mt->mheap) {
		snprintf(line, sizeof(line), "maps      no heap walk: %s", mt->unavailable);
		put_line(out, line, width);
		return;
	}
	map_tracker_totals(mt, &tot);
	if (map_tracker_complete(mt))
		n = (size_t)snprintf(line, sizeof(line), "maps      %llu followed, tables %s, retained %s",
				     (unsigned long long)tot.maps, FMT(tot.table_bytes), FMT(tot.retained_bytes));
	else
		n = (size_t)snprintf(line, sizeof(line), "maps      %llu followed; the heap is not walked yet: totals ?",
				     (unsigned long long)tot.maps);
	if (tot.retained_by_verdict[MAP_REUSED])
		n += (size_t)snprintf(line + n, sizeof(line) - n, " (%s reused)",
				      FMT(tot.retained_by_verdict[MAP_REUSED]));
	if (mt->small.maps)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "; %llu small %s", (unsigned long long)mt->small.maps,
				      FMT(mt->small.table_bytes));
	if (tot.freed)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "; %llu freed", (unsigned long long)tot.freed);
	if (mt->over_limit)
		snprintf(line + n, sizeof(line) - n, "; %llu more not followed (limit %d)",
			 (unsigned long long)mt->over_limit, GOMAP_FOLLOW_MAX);
	put_line(out, line, width);
	n = map_tracker_top(mt, v, top < TOP_MAX ? top : TOP_MAX);
	if (!n)
		return;
	header(out, &c);
	for (i = 0; i < n; i++)
		row(out, v[i], &c, width);
}
