// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <string.h>
#include "report/gomap_report.h"
#include "report/hist_print.h"
#include "report/text_fit.h"
#include "util/textsafe.h"

#define FMT(v) fmt_bytes((char[32]){ 0 }, 32, (v))
#define TOP_MAX 256
#define TEXT_LEN 512

void print_pages_line(FILE *out, const struct heap_stats *h)
{
	fprintf(out, "pages     free in the heap, not returned to the OS %s; returned %s\n",
		FMT(h->free_unreleased), FMT(h->released));
}

/* Where to look for a map: the code that grew it, else what holds it. */
static void where_text(const struct tracked_map *m, char *buf, size_t len)
{
	if (m->site[0])
		snprintf(buf, len, "%s", tsafe(m->site));
	else if (m->held)
		snprintf(buf, len, "held by %s", tsafe(m->held->held_by));
	else
		buf[0] = '\0';
}

/*
 * Which columns a width has room for: address, table and peak go first
 * when it is narrow; then the text left is the site's or holder's first
 * (whole if it can be), the type's after; a type with less than
 * TYPE_MIN columns is left out rather than cut to nothing.
 */
struct columns {
	bool addr, table, peak;
	int type, where; /* widths; 0 = unbounded (no width) or left out */
};

#define COL_FIXED 31 /* indent, LIVE, RETAINED, VERDICT and their gaps */
#define COL_ADDR 15
#define COL_TABLE 10
#define COL_PEAK 11
#define COL_TEXT_MIN 36 /* type and site together, before any optional column */
#define TYPE_MIN 10

static struct columns columns_for(int width, int where_w, int type_w)
{
	struct columns c = { true, true, true, 0, 0 };
	int left;

	if (width <= 0)
		return c;
	left = width - COL_FIXED;
	c.peak = left - COL_PEAK >= COL_TEXT_MIN && (left -= COL_PEAK, true);
	c.addr = left - COL_ADDR >= COL_TEXT_MIN && (left -= COL_ADDR, true);
	c.table = left - COL_TABLE >= COL_TEXT_MIN && (left -= COL_TABLE, true);
	if (left < 1)
		left = 1;
	c.where = where_w < left ? where_w : left;
	c.type = left - c.where - (c.where ? 2 : 0);
	if (c.type > type_w)
		c.type = type_w;
	if (c.type < TYPE_MIN && c.type < type_w) {
		/* no room for a useful type: the site or holder takes it all */
		c.type = 0;
		c.where = where_w < left ? where_w : left;
	}
	if (!c.where && c.type < left)
		c.type = type_w < left ? type_w : left;
	return c;
}

static void header(FILE *out, const struct columns *c, int width)
{
	char line[TEXT_LEN];
	int n = snprintf(line, sizeof(line), "  ");

	if (c->addr)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%-14s ", "MAP");
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%8s ", "LIVE");
	if (c->peak)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%10s ", "PEAK");
	if (c->table)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%9s ", "TABLE");
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%9s %-8s ", "RETAINED", "VERDICT");
	if (width <= 0)
		snprintf(line + n, sizeof(line) - (size_t)n, " TYPE  SITE or HOLDER");
	else if (c->type)
		snprintf(line + n, sizeof(line) - (size_t)n, " %-*s%s", c->type + 2, "TYPE", c->where ? "SITE or HOLDER" : "");
	else
		snprintf(line + n, sizeof(line) - (size_t)n, " SITE or HOLDER");
	text_put_line(out, line, width);
}

static void texts(const struct tracked_map *m, bool fit, char *type, char *where)
{
	char raw[TEXT_LEN];

	if (!fit) {
		snprintf(type, TEXT_LEN, "%s", tsafe(tracked_type_text(m)));
		where_text(m, where, TEXT_LEN);
		return;
	}
	text_short_names(tsafe(tracked_type_text(m)), type, TEXT_LEN);
	where_text(m, raw, sizeof(raw));
	text_short_names(raw, where, TEXT_LEN);
}

static void row(FILE *out, const struct tracked_map *m, const struct columns *c, int width)
{
	char line[2 * TEXT_LEN], type[TEXT_LEN], where[TEXT_LEN], peak[24];
	size_t n = 0;

	texts(m, width > 0, type, where);
	/* a lower bound: the most heaptrace saw, never the table's guess */
	snprintf(peak, sizeof(peak), ">=%" PRIu64, tracked_peak(m));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "  ");
	if (c->addr)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "0x%-12" PRIx64 " ", m->m.addr);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%8" PRIu64 " ", m->m.live);
	if (c->peak)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%10s ", peak);
	if (c->table)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%9s ", FMT(m->m.table_bytes));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%9s %-8s ", FMT(tracked_retained(m)),
			      map_verdict_name(tracked_verdict(m)));
	if (width <= 0) {
		snprintf(line + n, sizeof(line) - n, " %s%s%s", type, where[0] ? "  " : "", where);
	} else {
		text_fit_middle(where, c->where);
		text_fit_middle(type, c->type);
		if (c->type)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s%*s", type,
					      c->where ? c->type - text_width(type) + 2 : 0, "");
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n, " ");
		snprintf(line + n, sizeof(line) - n, "%s", where);
	}
	text_put_line(out, line, width);
}

/* "small     1,862 maps 14.6 MiB; by type ...; by holder ...": cut to the width. */
static void small_line(FILE *out, const struct map_tracker *mt, int width)
{
	const struct small_summary *ss = &mt->small;
	char line[4 * TEXT_LEN], key[TEXT_LEN];
	size_t n, i;

	if (!mt->walk_done || !ss->tot.maps)
		return;
	n = (size_t)snprintf(line, sizeof(line), "small     %llu maps under 32 KiB, %s (at the last walk)",
			     (unsigned long long)ss->tot.maps, FMT(ss->tot.table_bytes));
	for (i = 0; i < ss->ntype && i < 3 && n < sizeof(line); i++) {
		text_short_names(tsafe(ss->by_type[i].key), key, sizeof(key));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", i ? ", " : "; by type ", key,
				      FMT(ss->by_type[i].table_bytes));
	}
	for (i = 0; i < ss->nholder && i < 3 && n < sizeof(line); i++) {
		text_short_names(tsafe(ss->by_holder[i].key), key, sizeof(key));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", i ? ", " : "; by holder ", key,
				      FMT(ss->by_holder[i].table_bytes));
	}
	text_put_line(out, line, width);
}

void print_maps(FILE *out, const struct map_tracker *mt, size_t top, int width)
{
	char line[1024], type[TEXT_LEN], where[TEXT_LEN];
	const struct tracked_map *v[TOP_MAX];
	struct map_totals tot;
	struct columns c;
	size_t i, n;
	int where_w = 0, type_w = 0;

	if (!mt->mheap) {
		snprintf(line, sizeof(line), "maps      no heap walk: %s", mt->unavailable);
		text_put_line(out, line, width);
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
	if (mt->small.tot.maps)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "; %llu small %s",
				      (unsigned long long)mt->small.tot.maps, FMT(mt->small.tot.table_bytes));
	if (tot.freed)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "; %llu freed", (unsigned long long)tot.freed);
	if (mt->over_limit)
		snprintf(line + n, sizeof(line) - n, "; %llu more not followed (limit %d)",
			 (unsigned long long)mt->over_limit, GOMAP_FOLLOW_MAX);
	text_put_line(out, line, width);
	n = map_tracker_top(mt, v, top < TOP_MAX ? top : TOP_MAX);
	if (width <= 0)
		small_line(out, mt, width);
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		texts(v[i], width > 0, type, where);
		where_w = text_width(where) > where_w ? text_width(where) : where_w;
		type_w = text_width(type) > type_w ? text_width(type) : type_w;
	}
	c = columns_for(width, where_w, type_w);
	header(out, &c, width);
	for (i = 0; i < n; i++)
		row(out, v[i], &c, width);
}

void print_maps_advice(FILE *out, const struct map_tracker *mt, int width)
{
	struct map_totals tot;

	map_tracker_totals(mt, &tot);
	if (tot.retained_by_verdict[MAP_RETAINED])
		text_put_line(out, "advice    retained: copy its live entries into a fresh map and drop the old one",
			      width);
}
