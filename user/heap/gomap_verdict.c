// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What a followed map's readings say of it: its peak (what was seen),
 * whether it was refilled or churns, and its verdict. */
#include "heap/gomap_tracker.h"

uint64_t tracked_retained(const struct tracked_map *m)
{
	return m->m.table_bytes > m->m.needed_bytes ? m->m.table_bytes - m->m.needed_bytes : 0;
}

/* "Far larger": at least twice what a fresh map of today's entries would
 * take (which already has room to grow), and not a few bytes. */
#define RETAINED_MIN_RATIO 2
#define RETAINED_MIN_BYTES (16 * 1024)

/* A map whose count rises and falls (a cache evicting as it inserts) has
 * a table sized by the most it holds, and, in Swiss tables, by the deleted
 * slots its evictions leave until the next rehash (a table grows when its
 * live and deleted slots fill it): within this many times what its
 * observed peak needs, it fits; far beyond, it held more once. */
#define CHURN_SLACK 4

bool tracked_churns(const struct tracked_map *m)
{
	/* and it still holds its working set: a map grown then emptied by
	 * delete has risen and fallen too */
	return ((m->rises && m->falls) || m->replaced) && m->m.live * 2 >= m->peak;
}

/* A working buffer is reused, full or empty at the end: its table is
 * needed again at the next refill. */
enum map_verdict tracked_verdict(const struct tracked_map *m)
{
	if (m->refilled && m->m.table_bytes >= RETAINED_MIN_BYTES)
		return MAP_REUSED;
	if (m->m.table_bytes < RETAINED_MIN_RATIO * m->m.needed_bytes || tracked_retained(m) < RETAINED_MIN_BYTES)
		return MAP_FITS;
	if (tracked_churns(m) && m->peak_needed && m->m.table_bytes <= CHURN_SLACK * m->peak_needed)
		return MAP_FITS;
	return MAP_RETAINED;
}

const char *map_verdict_name(enum map_verdict v)
{
	switch (v) {
	case MAP_RETAINED: return "retained";
	case MAP_REUSED: return "reused";
	default: return "fits";
	}
}

uint64_t tracked_peak(const struct tracked_map *m)
{
	return m->peak;
}

uint64_t tracked_capacity(const struct tracked_map *m)
{
	return m->m.capacity;
}

const char *tracked_type_text(const struct tracked_map *m)
{
	return m->type[0] ? m->type : m->layout[0] ? m->layout : "map";
}

const char *type_source_name(enum type_source s)
{
	switch (s) {
	case TYPE_TABLE: return "table";
	case TYPE_GROWTH: return "growth";
	case TYPE_HOLDER: return "holder";
	default: return "unknown";
	}
}

/* A count climbing back by this much from its low point is a refill: an
 * eighth of the table's implied size, and more than a few entries. */
#define REFILL_MIN_ENTRIES 8

/*
 * A refill is a climb after a fall: a map that grows while traced is not a
 * buffer. The fall is seen in the counts read, implied by the table (a
 * table that size held more entries than the first reading shows), or told
 * by the seed: the runtime draws a new one whenever the map becomes empty,
 * so a changed seed is an emptying between two reads, whatever the counts
 * read on either side. Reads at the period of a buffer's refills may see
 * it always full or always empty; the seed says it went round even then.
 */
void tracked_observe(struct tracked_map *tm, uint64_t live, bool emptied)
{
	uint64_t rise = tm->m.implied_peak / 8 > REFILL_MIN_ENTRIES ? tm->m.implied_peak / 8 : REFILL_MIN_ENTRIES;

	if (tm->parsed && !emptied) {
		tm->rises += live > tm->last;
		tm->falls += live < tm->last;
	}
	tm->last = live;
	if (!tm->parsed) {
		tm->low = live;
		tm->high = live > tm->m.implied_peak ? live : tm->m.implied_peak;
	} else if (emptied) {
		if (tm->emptied < UINT8_MAX)
			tm->emptied++;
		tm->high = tm->peak > live ? tm->peak : live;
		tm->low = 0;
	} else if (live < tm->low) {
		tm->high = tm->peak;
		tm->low = live;
	}
	if ((tm->high >= tm->low + rise && live >= tm->low + rise) || tm->emptied >= 2 ||
	    (tm->emptied && live >= rise))
		tm->refilled = true;
	if (live > tm->peak)
		tm->peak = live;
	/* m.needed_bytes is for this read's count */
	if (live >= tm->peak && tm->m.needed_bytes > tm->peak_needed)
		tm->peak_needed = tm->m.needed_bytes;
}

