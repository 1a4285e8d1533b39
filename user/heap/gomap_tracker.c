// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/goheap.h"
#include "heap/gotypes.h"
#include "util/log.h"
#include "heap/gomap_scan.h"
#include "target/symbolize.h"
#include "heap/gomap_tracker.h"
#include "heap/runtime_globals.h"

bool map_tracker_complete(const struct map_tracker *mt)
{
	return mt->walk_done || mt->from_start;
}

uint64_t tracked_retained(const struct tracked_map *m)
{
	return m->m.table_bytes > m->m.needed_bytes ? m->m.table_bytes - m->m.needed_bytes : 0;
}

/* "Far larger": at least twice what a fresh map of today's entries would
 * take (which already has room to grow), and not a few bytes. */
#define RETAINED_MIN_RATIO 2
#define RETAINED_MIN_BYTES (16 * 1024)

/* A working buffer is reused, full or empty at the end: its table is
 * needed again at the next refill. */
enum map_verdict tracked_verdict(const struct tracked_map *m)
{
	if (m->refilled && m->m.table_bytes >= RETAINED_MIN_BYTES)
		return MAP_REUSED;
	if (m->m.table_bytes < RETAINED_MIN_RATIO * m->m.needed_bytes || tracked_retained(m) < RETAINED_MIN_BYTES)
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

uint64_t tracked_peak(const struct tracked_map *m, bool *implied)
{
	*implied = m->m.implied_peak > m->peak;
	return *implied ? m->m.implied_peak : m->peak;
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
}

/* Tried at open and, until found, at every tick: the candidates come from
 * the file and are decoded once. */
static void locate_mheap(struct map_tracker *mt)
{
	const struct global_candidates *c = &mt->mheap_candidates;
	char why[128];
	int i = go_heap_find_mheap(&mt->mem, mt->L, c->addr, c->n, mt->t->load_bias, why, sizeof(why));

	if (i >= 0) {
		mt->mheap = c->addr[i] + mt->t->load_bias;
		mt->mheap_how = i == 0 && c->from_symbol ? "symbol" : "decoded";
		return;
	}
	snprintf(mt->unavailable, sizeof(mt->unavailable),
		 "runtime.mheap_ not found: none of %zu candidate addresses (from %s) fits the go1.%d layout; %s", c->n,
		 c->from_symbol ? "the symbol table and code" : "code", mt->t->bi.ver.minor, why);
}

void map_tracker_open(struct map_tracker *mt, const struct target *t)
{
	memset(mt, 0, sizeof(*mt));
	mt->t = t;
	mt->swiss = t->swiss;
	memsrc_process(&mt->mem, t->pid);
	mt->L = t->layout;
	if (!mt->L) {
		go_layout_missing(t->bi.ver.minor, mt->unavailable, sizeof(mt->unavailable));
		return;
	}
	if (!t->host_arch) {
		snprintf(mt->unavailable, sizeof(mt->unavailable), "the target is not a %s program",
			 elf_machine_name(t->elf.machine));
		return;
	}
	mt->types_base = go_types_base(t, mt->L);
	global_candidates(t, "runtime.mheap_", 0, mheap_referrers, &mt->mheap_candidates);
	locate_mheap(mt);
}

void map_tracker_close(struct map_tracker *mt)
{
	free(mt->v);
	free(mt->index);
	mt->v = NULL;
	mt->index = NULL;
	mt->n = mt->cap = mt->index_cap = 0;
}

/* An open-addressing index by header address (slot = entry index + 1), so
 * that a heap of a million maps is followed in linear time. */
static size_t slot_of(uint64_t addr, size_t mask)
{
	return (size_t)((addr >> 4) * 0x9e3779b97f4a7c15ull) & mask;
}

static void index_insert(struct map_tracker *mt, size_t i)
{
	size_t mask = mt->index_cap - 1, s = slot_of(mt->v[i].m.addr, mask);

	while (mt->index[s])
		s = (s + 1) & mask;
	mt->index[s] = i + 1;
}

static bool index_grow(struct map_tracker *mt)
{
	size_t nc = mt->index_cap ? mt->index_cap * 2 : 1024, i;
	size_t *ix = calloc(nc, sizeof(*ix));

	if (!ix)
		return false;
	free(mt->index);
	mt->index = ix;
	mt->index_cap = nc;
	for (i = 0; i < mt->n; i++)
		index_insert(mt, i);
	return true;
}

static struct tracked_map *find(struct map_tracker *mt, uint64_t addr)
{
	size_t mask, s;

	if (!mt->index_cap)
		return NULL;
	mask = mt->index_cap - 1;
	for (s = slot_of(addr, mask); mt->index[s]; s = (s + 1) & mask) {
		struct tracked_map *tm = &mt->v[mt->index[s] - 1];

		if (tm->m.addr == addr && !tm->freed)
			return tm;
	}
	return NULL;
}

static struct tracked_map *add(struct map_tracker *mt, uint64_t addr)
{
	if (mt->n >= GOMAP_FOLLOW_MAX) {
		mt->over_limit++;
		return NULL;
	}
	if (mt->n == mt->cap) {
		size_t nc = mt->cap ? mt->cap * 2 : 256;
		struct tracked_map *v = realloc(mt->v, nc * sizeof(*v));

		if (!v)
			return NULL;
		mt->v = v;
		mt->cap = nc;
	}
	if ((mt->n + 1) * 2 > mt->index_cap && !index_grow(mt))
		return NULL;
	memset(&mt->v[mt->n], 0, sizeof(mt->v[0]));
	mt->v[mt->n].m.addr = addr;
	index_insert(mt, mt->n);
	return &mt->v[mt->n++];
}

/* Candidates shown for a table several types could have made. */
#define TYPE_CANDIDATES 8

static void describe_type(struct map_tracker *mt, struct tracked_map *tm)
{
	const struct go_map_type *cand[TYPE_CANDIDATES];
	struct map_table_shape shape = { tm->m.array_units, tm->m.array_bytes, tm->m.array_noscan };
	const struct go_map_types *types;
	char slot[MAP_TYPE_LEN];
	size_t n;

	if (tm->type[0])
		return;
	if (tm->m.type && go_type_name(&mt->mem, mt->L, mt->types_base, tm->m.type, slot, sizeof(slot))) {
		go_map_type_from_slot_type(slot, tm->type, sizeof(tm->type));
		return;
	}
	/* No type in the span (noscan, small, or before 1.22): the binary's
	 * map types whose tables have this shape. */
	types = mt->t ? target_map_types(mt->t) : NULL;
	n = types ? go_map_types_match(types, mt->L, &shape, cand, TYPE_CANDIDATES) : 0;
	go_map_types_describe(cand, n, tm->type, sizeof(tm->type));
}

static void set_parsed(struct map_tracker *mt, struct tracked_map *tm, const struct go_map *m)
{
	bool emptied = tm->parsed && m->seed != tm->m.seed;

	tm->m = *m;
	tracked_observe(tm, m->live, emptied); /* before `parsed`: the first reading sets the low */
	tm->parsed = true;
	if (tm->dirty)
		tm->dirty--;
	tm->unreadable = 0;
	describe_type(mt, tm);
}

/* Global variables that point at a map header name it (needs .symtab). */
static int cmp_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct tracked_map *const *)a)[0]->m.addr;
	uint64_t y = ((const struct tracked_map *const *)b)[0]->m.addr;

	return x < y ? -1 : x > y;
}

static void name_globals(struct map_tracker *mt)
{
	static const struct data_symbols none;
	const struct data_symbols *d = mt->t ? target_data_symbols(mt->t) : &none;
	const struct data_symbol **o = NULL;
	struct tracked_map **byaddr = NULL;
	struct memrange *r = NULL;
	uint64_t *words = NULL;
	size_t i, n = 0;

	if (!d->n || !mt->n)
		return;
	o = calloc(d->n, sizeof(*o));
	byaddr = calloc(mt->n, sizeof(*byaddr));
	r = calloc(d->n, sizeof(*r));
	words = calloc(d->n, sizeof(*words));
	if (!o || !byaddr || !r || !words)
		goto out;
	/* Pointer-sized globals only: a map variable is one pointer. */
	for (i = 0; i < d->n; i++)
		if (d->v[i].size == 8)
			o[n++] = &d->v[i];
	for (i = 0; i < n; i++)
		r[i] = (struct memrange){ .addr = o[i]->addr + mt->t->load_bias, .buf = &words[i], .len = 8 };
	mt->mem.readv(&mt->mem, r, n);
	for (i = 0; i < mt->n; i++)
		byaddr[i] = &mt->v[i];
	qsort(byaddr, mt->n, sizeof(*byaddr), cmp_addr);
	for (i = 0; i < n; i++) {
		struct tracked_map key, *kp = &key, **hit;

		if (!r[i].ok || !words[i])
			continue;
		key.m.addr = words[i];
		hit = bsearch(&kp, byaddr, mt->n, sizeof(*byaddr), cmp_addr);
		if (hit && !(*hit)->site[0])
			snprintf((*hit)->site, sizeof((*hit)->site), "global %s", o[i]->name);
	}
out:
	free(o);
	free(byaddr);
	free(r);
	free(words);
}

/* Loads the span table and parses one map header already read. */
static bool parse_one(struct map_tracker *mt, const struct go_heap *h, uint64_t addr, const uint8_t *hdr,
		      struct go_map *m)
{
	bool ok = true;

	if (!mt->swiss)
		return gomap_parse_buckets(h, addr, hdr, m);
	if (!gomap_parse_swiss_header(h, addr, hdr, m))
		return false;
	gomap_finish_swiss(h, m, &ok, 1);
	/* A map this tracker follows is one: counts that do not add up mean
	 * it is being written (a million deletes take several refreshes), not
	 * that it went. Its header's count is its len() at the read. */
	return ok || m->counts_moving;
}


static void walk_found(void *ctx, const struct go_map *maps, size_t n)
{
	struct map_tracker *mt = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct go_map *m = &maps[i];
		struct tracked_map *tm = find(mt, m->addr);

		if (!tm && m->table_bytes < GOMAP_FOLLOW_MIN_BYTES) {
			mt->small.maps++;
			mt->small.table_bytes += m->table_bytes;
			mt->small.needed_bytes += m->needed_bytes;
			mt->small.retained_bytes += m->table_bytes > m->needed_bytes ? m->table_bytes - m->needed_bytes : 0;
			continue;
		}
		if (!tm)
			tm = add(mt, m->addr);
		if (tm)
			set_parsed(mt, tm, m);
	}
}

int map_tracker_walk(struct map_tracker *mt, uint64_t budget_ns)
{
	uint64_t start = monotonic_ns(), deadline = start + budget_ns;
	struct map_scan scan = { .found = walk_found, .ctx = mt };
	struct go_heap h;

	if (!mt->mheap)
		return ht_fail("cannot walk the heap: %s", mt->unavailable);
	if (go_heap_load(&h, &mt->mem, mt->L, mt->mheap, deadline))
		return -1;
	memset(&mt->small, 0, sizeof(mt->small));
	if (map_scan(&h, mt->swiss, deadline, &scan)) {
		go_heap_free(&h);
		return -1;
	}
	name_globals(mt);
	mt->walk_found = scan.maps;
	mt->walk_spans = scan.spans_scanned;
	mt->walk_objects = scan.objects_checked;
	mt->walk_truncated = h.truncated || scan.truncated;
	mt->walk_spans_over_limit = h.over_limit;
	mt->heap_in_use = h.in_use_bytes;
	mt->walk_done = true;
	go_heap_free(&h);
	mt->walk_ns = monotonic_ns() - start;
	return 0;
}

void map_tracker_tick(struct map_tracker *mt)
{
	/* A launched program has no heap until its runtime starts. */
	if (!mt->mheap && mt->L && mt->t->host_arch)
		locate_mheap(mt);
	map_tracker_refresh(mt);
}

/* A header read while the runtime rewrites it (a growth, an insert moving
 * the count between tables) may not parse; only this many failures in a row
 * drop a map whose slot still looks allocated, or that is not on the heap. */
#define UNREADABLE_LIMIT 3
/* A refresh that must re-parse a grown map reads the span list, at most
 * this long (the span list is the target's to make as long as it likes). */
#define REFRESH_SPANS_NS (200ull * 1000000ull)

/* Freed maps leave the list (counted): a busy server frees maps all the
 * time, and heaptrace's memory must not grow with them. */
static void forget_freed(struct map_tracker *mt)
{
	size_t i, j = 0;

	for (i = 0; i < mt->n; i++) {
		if (mt->v[i].freed) {
			mt->freed++;
			continue;
		}
		if (j != i)
			mt->v[j] = mt->v[i];
		j++;
	}
	if (j == mt->n)
		return;
	mt->n = j;
	memset(mt->index, 0, mt->index_cap * sizeof(*mt->index));
	for (i = 0; i < mt->n; i++)
		index_insert(mt, i);
}

/* The GC frees a header without touching its bytes, so a freed map would
 * still parse: its slot's alloc bit says whether it is still a map. The span
 * is read while the runtime may be sweeping it (freeindex already reset, the
 * alloc bits not yet swapped: a live slot then reads free), so a map leaves
 * only when two refreshes in a row find its slot free. */
#define SEEN_FREE_LIMIT 2

static void drop_freed_headers(struct map_tracker *mt)
{
	uint64_t *span = calloc(mt->n ? mt->n : 1, sizeof(*span)), *addr = calloc(mt->n ? mt->n : 1, sizeof(*addr));
	int8_t *live = calloc(mt->n ? mt->n : 1, 1);
	size_t i;

	if (!span || !addr || !live)
		goto out;
	for (i = 0; i < mt->n; i++) {
		const struct tracked_map *tm = &mt->v[i];

		span[i] = tm->parsed && !tm->freed ? tm->m.hdr_span : 0;
		addr[i] = tm->m.addr;
	}
	go_objects_allocated(&mt->mem, mt->L, span, addr, mt->n, live);
	for (i = 0; i < mt->n && !mt->mem.gone; i++) {
		struct tracked_map *tm = &mt->v[i];

		if (live[i] > 0)
			tm->seen_free = 0;
		if (live[i] != 0 || ++tm->seen_free < SEEN_FREE_LIMIT) /* -1: cannot tell */
			continue;
		ht_debug("map 0x%" PRIx64 ": its slot in span 0x%" PRIx64 " read free %d times in a row, dropped as freed",
			 tm->m.addr, span[i], SEEN_FREE_LIMIT);
		tm->freed = true;
	}
out:
	free(span);
	free(addr);
	free(live);
}

/* Same seed and tables, no growth seen: only the count moved, and the map
 * need not be re-parsed (nor the span table loaded). A bucket map's growth
 * always moves its bucket pointers; a Swiss map grows tables inside its
 * directory, which only the growth probes see. */
static bool count_only_changed(const struct map_tracker *mt, struct tracked_map *tm, const uint8_t *hdr)
{
	const struct go_layout *L = mt->L;
	uint64_t live;

	if (!tm->parsed || tm->dirty)
		return false;
	if (mt->swiss) {
		if (!mt->growth_probed || mem_field(hdr, L->smap_seed, 8) != tm->m.seed ||
		    mem_field(hdr, L->smap_dirptr, 8) != tm->m.table)
			return false;
		live = mem_field(hdr, L->smap_used, 8);
		tm->m.needed_bytes = swiss_map_needed_bytes(live, tm->m.slot_bytes);
	} else {
		if (mem_field(hdr, L->hmap_hash0, 4) != tm->m.seed || mem_field(hdr, L->hmap_buckets, 8) != tm->m.table ||
		    mem_field(hdr, L->hmap_oldbuckets, 8) != tm->m.old)
			return false;
		live = mem_field(hdr, L->hmap_count, 8);
		tm->m.needed_bytes = bucket_map_needed_bytes(L, live, tm->m.slot_bytes);
	}
	tm->m.live = live;
	tm->unreadable = 0;
	tracked_observe(tm, live, false);
	return true;
}

void map_tracker_refresh(struct map_tracker *mt)
{
	uint16_t hsize;
	struct memrange *r;
	uint8_t *buf;
	struct go_heap h;
	bool have_heap = false;
	size_t i;

	if (!mt->mheap || !mt->n)
		return;
	hsize = mt->swiss ? mt->L->smap_size : mt->L->hmap_size;
	drop_freed_headers(mt);
	r = calloc(mt->n, sizeof(*r));
	buf = calloc(mt->n, hsize);
	if (!r || !buf)
		goto out;
	for (i = 0; i < mt->n; i++)
		r[i] = (struct memrange){ .addr = mt->v[i].m.addr, .buf = buf + i * hsize,
					  .len = mt->v[i].freed ? 0 : hsize };
	mt->mem.readv(&mt->mem, r, mt->n);
	/* A target that has exited keeps the maps as last read. */
	for (i = 0; i < mt->n && !mt->mem.gone; i++) {
		struct tracked_map *tm = &mt->v[i];
		const uint8_t *hdr = r[i].buf;
		struct go_map m;

		if (tm->freed)
			continue;
		if (!r[i].ok) {
			/* not memory any more; or, seen only by its probe, never readable */
			tm->freed = tm->parsed || ++tm->unreadable >= UNREADABLE_LIMIT;
			if (tm->freed)
				ht_debug("map 0x%" PRIx64 ": header not readable, dropped as freed", tm->m.addr);
			continue;
		}
		if (count_only_changed(mt, tm, hdr))
			continue;
		if (!have_heap) {
			if (go_heap_load(&h, &mt->mem, mt->L, mt->mheap, monotonic_ns() + REFRESH_SPANS_NS))
				break;
			have_heap = true;
		}
		/* A failed parse keeps the last reading until the limit. */
		if (parse_one(mt, &h, tm->m.addr, hdr, &m))
			set_parsed(mt, tm, &m);
		else if (++tm->unreadable >= UNREADABLE_LIMIT) {
			ht_debug("map 0x%" PRIx64 ": header did not parse %d times in a row, dropped", tm->m.addr,
				 UNREADABLE_LIMIT);
			tm->freed = true;
		}
	}
	if (have_heap)
		go_heap_free(&h);
out:
	free(r);
	free(buf);
	forget_freed(mt);
}

void map_tracker_grew(struct map_tracker *mt, uint64_t addr, uint64_t type, uint64_t entries,
		      const uint64_t *stack, size_t nframes)
{
	struct tracked_map *tm = find(mt, addr);
	char name[MAP_TYPE_LEN], site[MAP_SITE_LEN] = "";

	/* Without a layout (a Go newer than the table) nothing can be read
	 * back: the growth probes still count, the maps are not followed. */
	if (!mt->L)
		return;
	if (!tm && !(tm = add(mt, addr)))
		return;
	/* The probe fires as the growth starts: the next read may still see
	 * the old tables, so the one after re-parses too. */
	tm->dirty = 2;
	/* A growth proves the map alive: reads that failed while it grows (a
	 * directory or table read half-replaced, tick after tick for a map
	 * growing to a million entries) do not make it freed. Counts that do
	 * not add up are not failures (parse_one). */
	tm->unreadable = 0;
	tm->grows++;
	if (entries > tm->peak && entries < (1ull << 48))
		tm->peak = entries;
	/* The first growth seen names the code that grows the map, in place
	 * of the global variable that holds it. */
	if (nframes && !tm->nstack && go_stack_site(mt->t, stack, nframes, site, sizeof(site))) {
		snprintf(tm->site, sizeof(tm->site), "%s", site);
		tm->nstack = (uint8_t)(nframes < GOMAP_STACK_DEPTH ? nframes : GOMAP_STACK_DEPTH);
		memcpy(tm->stack, stack, tm->nstack * sizeof(tm->stack[0]));
	}
	if (type && !tm->type[0] && go_type_name(&mt->mem, mt->L, mt->types_base, type, name, sizeof(name)))
		snprintf(tm->type, sizeof(tm->type), "%s", name);
}

static int cmp_retained(const void *a, const void *b)
{
	uint64_t x = tracked_retained(*(const struct tracked_map *const *)a);
	uint64_t y = tracked_retained(*(const struct tracked_map *const *)b);

	return x > y ? -1 : x < y;
}

size_t map_tracker_top(const struct map_tracker *mt, const struct tracked_map **out, size_t max)
{
	const struct tracked_map **all;
	size_t i, n = 0;

	if (!max)
		return 0;
	all = calloc(mt->n ? mt->n : 1, sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < mt->n; i++)
		if (mt->v[i].parsed && !mt->v[i].freed)
			all[n++] = &mt->v[i];
	qsort(all, n, sizeof(*all), cmp_retained);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

void map_tracker_totals(const struct map_tracker *mt, struct map_totals *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->freed = mt->freed;
	for (i = 0; i < mt->n; i++) {
		const struct tracked_map *tm = &mt->v[i];

		if (tm->freed) {
			o->freed++; /* found freed since the last refresh */
			continue;
		}
		if (!tm->parsed)
			continue;
		o->maps++;
		o->table_bytes += tm->m.table_bytes;
		o->needed_bytes += tm->m.needed_bytes;
		o->retained_bytes += tracked_retained(tm);
		o->retained_by_verdict[tracked_verdict(tm)] += tracked_retained(tm);
	}
}
