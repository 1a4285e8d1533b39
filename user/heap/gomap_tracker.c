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
#include "heap/gomap_holders.h"
#include "target/symbolize.h"
#include "heap/gomap_tracker.h"
#include "heap/runtime_globals.h"

bool map_tracker_complete(const struct map_tracker *mt)
{
	return mt->walk_done || mt->from_start;
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
	mt->last_walk_at = monotonic_ns();
	global_candidates(t, "runtime.mheap_", 0, mheap_referrers, &mt->mheap_candidates);
	locate_mheap(mt);
}

void map_tracker_close(struct map_tracker *mt)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		free(mt->v[i].held);
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

/* The exact type when the table carries it (its span's, or malloc
 * header's bucket or group type); else the binary's map types whose
 * tables would have this shape, generic shapes left out, and the layout
 * they all agree on. A single candidate is still only a candidate. */
static void describe_type(struct map_tracker *mt, struct tracked_map *tm)
{
	struct map_table_shape shape = { tm->m.array_units, tm->m.array_bytes, tm->m.array_noscan };
	const struct go_map_types *types;
	const struct go_map_type **all;
	char slot[MAP_TYPE_LEN];
	size_t n, k;

	if (tm->type[0])
		return;
	if (tm->m.type && go_type_name(&mt->mem, mt->L, mt->types_base, tm->m.type, slot, sizeof(slot))) {
		go_map_type_from_slot_type(slot, tm->type, sizeof(tm->type));
		tm->type_from = TYPE_TABLE;
		return;
	}
	if (tm->layout[0] && tm->ncand)
		return; /* the same shape as when first read: same candidates */
	types = mt->t ? target_map_types(mt->t) : NULL;
	all = types && types->n ? calloc(types->n, sizeof(*all)) : NULL;
	n = all ? go_map_types_match(types, mt->L, &shape, all, types->n) : 0;
	for (k = 0; k < n && k < TYPE_CANDIDATES; k++)
		tm->cand[k] = all[k];
	tm->ncand = (uint32_t)n;
	go_map_types_layout(all, n, &tm->key_bytes, &tm->elem_bytes, tm->layout, sizeof(tm->layout));
	free(all);
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


struct walk_ctx {
	struct map_tracker *mt;
	struct walk_collect *wc;
};

static void walk_found(void *ctx, const struct go_map *maps, size_t n)
{
	struct walk_ctx *w = ctx;
	struct map_tracker *mt = w->mt;
	struct map_totals *small = &mt->small.tot;
	bool *is_small = calloc(n ? n : 1, sizeof(*is_small));
	size_t i;

	for (i = 0; i < n; i++) {
		const struct go_map *m = &maps[i];
		struct tracked_map *tm = find(mt, m->addr);

		if (!tm && m->table_bytes < GOMAP_FOLLOW_MIN_BYTES) {
			if (is_small)
				is_small[i] = true;
			small->maps++;
			small->table_bytes += m->table_bytes;
			small->needed_bytes += m->needed_bytes;
			small->retained_bytes += m->table_bytes > m->needed_bytes ? m->table_bytes - m->needed_bytes : 0;
			continue;
		}
		if (!tm)
			tm = add(mt, m->addr);
		if (tm)
			set_parsed(mt, tm, m);
	}
	if (is_small)
		walk_collect_maps(w->wc, maps, n, is_small);
	free(is_small);
}

int map_tracker_walk(struct map_tracker *mt, uint64_t budget_ns)
{
	uint64_t start = monotonic_ns(), deadline = start + budget_ns;
	struct walk_ctx w = { .mt = mt };
	struct map_scan scan = { .found = walk_found, .ctx = &w };
	struct go_heap h;
	struct holder_roots roots;
	size_t i;

	if (!mt->mheap)
		return ht_fail("cannot walk the heap: %s", mt->unavailable);
	if (go_heap_load(&h, &mt->mem, mt->L, mt->mheap, deadline))
		return -1;
	memset(&mt->small, 0, sizeof(mt->small));
	/* the goroutines' frames: where the holder search starts, and where
	 * the headers of maps that do not escape are */
	holder_roots_read(&roots, &mt->mem, mt->t, &mt->allgs);
	w.wc = walk_collect_new(mt, &h);
	if (map_scan(&h, mt->swiss, deadline, &scan)) {
		walk_collect_free(w.wc);
		holder_roots_free(&roots);
		go_heap_free(&h);
		return -1;
	}
	ht_debug("pid %d: heap walk: spans and goroutines read, %zu maps in %.1f ms", mt->t->pid, (size_t)scan.maps,
		 (double)(monotonic_ns() - start) / 1e6);
	for (i = 0; i < roots.n; i++) {
		struct map_scan fs = { .found = walk_found, .ctx = &w };

		if (roots.v[i].kind == ROOT_STACK && roots.v[i].mem &&
		    !map_scan_memory(&h, mt->swiss, roots.v[i].lo, roots.v[i].mem, roots.v[i].hi - roots.v[i].lo, &fs))
			scan.maps += fs.maps;
	}
	/* who holds each map, and the small ones' summary, in what is left */
	map_holders_finish(w.wc, &roots, deadline);
	holder_roots_free(&roots);
	mt->walk_found = scan.maps;
	mt->walk_spans = scan.spans_scanned;
	mt->walk_objects = scan.objects_checked;
	mt->walk_truncated = h.truncated || scan.truncated;
	mt->walk_spans_over_limit = h.over_limit;
	mt->heap_in_use = h.in_use_bytes;
	mt->walk_sweepgen = h.sweepgen;
	mt->walk_done = true;
	mt->walks++;
	go_heap_free(&h);
	mt->last_walk_at = monotonic_ns();
	mt->walk_ns = mt->last_walk_at - start;
	return 0;
}

/* Walks again when it is time and the GC has run since the last walk (its
 * sweep generation moved): the small maps' summary and the holders are
 * then the heap's of now, not of the attach. */
static void maybe_rewalk(struct map_tracker *mt)
{
	uint32_t sweepgen;

	/* a launched program's first walk too: its maps that grew small
	 * have no stack, and none has a holder until then */
	if ((!mt->walk_done && !mt->from_start) || !mt->rewalk_ns || monotonic_ns() < mt->last_walk_at + mt->rewalk_ns)
		return;
	if (!mem_read(&mt->mem, mt->mheap + mt->L->mheap_sweepgen, &sweepgen, 4) || sweepgen == mt->walk_sweepgen) {
		mt->last_walk_at = monotonic_ns(); /* nothing collected: look again a period later */
		return;
	}
	if (map_tracker_walk(mt, mt->rewalk_budget_ns))
		ht_debug("pid %d: heap re-walk: %s", mt->t->pid, ht_last_error());
}

void map_tracker_tick(struct map_tracker *mt)
{
	/* A launched program has no heap until its runtime starts. */
	if (!mt->mheap && mt->L && mt->t->host_arch)
		locate_mheap(mt);
	map_tracker_refresh(mt);
	if (mt->mheap && !mt->mem.gone)
		maybe_rewalk(mt);
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
			free(mt->v[i].held);
			mt->v[i].held = NULL;
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

/* A map growing while it is read may have tables newer than the span
 * table loaded for this refresh, and then does not parse (each table must
 * be a heap object): the span table is loaded again, and the header read
 * again, at most this many times a refresh (the later maps parse against
 * the newer table). A Swiss map growing as fast as it can failed 1 to 3
 * reads of its first seconds, and one that failed every read of its life
 * (two intervals before the OOM killer ended it) was in no report. */
#define GROWING_RELOADS 2

static bool reparse_growing(struct map_tracker *mt, struct go_heap *h, struct tracked_map *tm, struct go_map *m,
			    int *reloads)
{
	uint16_t hsize = mt->swiss ? mt->L->smap_size : mt->L->hmap_size;
	uint8_t hdr[512];

	if (hsize > sizeof(hdr))
		return false;
	while (*reloads < GROWING_RELOADS) {
		struct go_heap fresh;

		if (go_heap_load(&fresh, &mt->mem, mt->L, mt->mheap, monotonic_ns() + REFRESH_SPANS_NS))
			return false; /* the other maps keep the span table they had */
		go_heap_free(h);
		*h = fresh;
		(*reloads)++;
		if (!mem_read(&mt->mem, tm->m.addr, hdr, hsize))
			return false;
		if (parse_one(mt, h, tm->m.addr, hdr, m))
			return true;
	}
	return false;
}

/* Bytes of a table's start read each refresh, for the maps that would
 * otherwise be called retained: a cache at its bound keeps its count and
 * seed while its entries are replaced, which only its slots show. */
#define SAMPLE_BYTES 512

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h | 1;
}

static bool worth_sampling(const struct tracked_map *tm)
{
	return tm->parsed && !tm->freed && tm->m.sample && tm->m.live &&
	       2 * tm->m.table_bytes >= 3 * tm->m.needed_bytes;
}

static void sample_slots(struct map_tracker *mt)
{
	struct memrange *r = calloc(mt->n ? mt->n : 1, sizeof(*r));
	uint8_t *buf = calloc(mt->n ? mt->n : 1, SAMPLE_BYTES);
	size_t i;

	if (!r || !buf)
		goto out;
	for (i = 0; i < mt->n; i++)
		r[i] = (struct memrange){ .addr = mt->v[i].m.sample, .buf = buf + i * SAMPLE_BYTES,
					  .len = worth_sampling(&mt->v[i]) ? SAMPLE_BYTES : 0 };
	mt->mem.readv(&mt->mem, r, mt->n);
	for (i = 0; i < mt->n; i++) {
		struct tracked_map *tm = &mt->v[i];
		uint64_t h;

		if (!r[i].len || !r[i].ok)
			continue;
		h = fnv(r[i].buf, SAMPLE_BYTES);
		if (tm->sample_hash && h != tm->sample_hash && tm->m.live == tm->last && tm->replaced < UINT32_MAX)
			tm->replaced++;
		tm->sample_hash = h;
	}
out:
	free(r);
	free(buf);
}

void map_tracker_refresh(struct map_tracker *mt)
{
	uint16_t hsize;
	struct memrange *r;
	uint8_t *buf;
	struct go_heap h;
	bool have_heap = false;
	int reloads = 0;
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
		if (parse_one(mt, &h, tm->m.addr, hdr, &m) || (tm->dirty && reparse_growing(mt, &h, tm, &m, &reloads)))
			set_parsed(mt, tm, &m);
		else if (++tm->unreadable >= UNREADABLE_LIMIT) {
			ht_debug("map 0x%" PRIx64 ": header did not parse %d times in a row, dropped", tm->m.addr,
				 UNREADABLE_LIMIT);
			tm->freed = true;
		}
	}
	if (have_heap)
		go_heap_free(&h);
	if (!mt->mem.gone)
		sample_slots(mt);
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
	if (type && (!tm->type[0] || tm->type_from == TYPE_UNKNOWN) &&
	    go_type_name(&mt->mem, mt->L, mt->types_base, type, name, sizeof(name))) {
		snprintf(tm->type, sizeof(tm->type), "%s", name);
		tm->type_from = TYPE_GROWTH;
	}
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
