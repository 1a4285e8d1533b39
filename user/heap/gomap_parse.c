// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "heap/gomap_parse.h"

#define MAX_B 56
#define MIN_BUCKET_BYTES 16   /* 8 tophash bytes + overflow pointer */
#define MAX_BUCKET_BYTES 2064 /* keys and values over 128 bytes are stored indirectly */
#define MIN_GROUP_BYTES 8     /* the control word */
#define MAX_GROUP_BYTES (8 + 8 * 256)
#define MAX_DIR_DEPTH 24

/* Swiss table capacities are powers of two up to GO_SWISS_MAX_TABLE_CAPACITY
 * (1024): by log2 */
#define CAP_LOG2S 11

static unsigned cap_log2(uint64_t cap)
{
	unsigned l = (unsigned)__builtin_ctzll(cap);

	return l < CAP_LOG2S ? l : CAP_LOG2S - 1;
}

/* The type's size if the span knows it (Go 1.22+, pointerful types only). */
static uint64_t type_size(const struct go_heap *h, uint64_t type)
{
	uint64_t size;

	if (!type || !mem_word(h->mem, type + h->L->type_size, &size))
		return 0;
	return size;
}

unsigned bucket_map_b_for(const struct go_layout *L, uint64_t live)
{
	unsigned b = 0;

	/* runtime.overLoadFactor: count > 8 && count > 6.5 (6 in 1.21) * 2^B */
	while (b < MAX_B && live > GO_BUCKET_SLOTS &&
	       live > (L->bucket_load_num * ((uint64_t)1 << b)) / GO_BUCKET_LOAD_DEN)
		b++;
	return b;
}

uint64_t bucket_map_implied_peak(const struct go_layout *L, unsigned b)
{
	/* growing to B: count+1 > 6.5 * 2^(B-1), and more than 8 entries */
	if (!b)
		return 0;
	if (b == 1)
		return GO_BUCKET_SLOTS + 1;
	return L->bucket_load_num * ((uint64_t)1 << (b - 1)) / GO_BUCKET_LOAD_DEN + 1;
}

uint64_t swiss_table_implied_peak(uint64_t capacity)
{
	if (capacity <= GO_SWISS_SLOTS)
		return 0;
	if (capacity == 2 * GO_SWISS_SLOTS)
		return GO_SWISS_SLOTS + 1; /* growToTable: a ninth entry */
	/* growing from capacity/2, full at 7/8 */
	return capacity / 2 * GO_SWISS_MAX_AVG_LOAD / GO_SWISS_SLOTS + 1;
}

/* makeBucketArray: 2^B buckets, plus 2^(B-4) preallocated overflow buckets from B = 4. */
static uint64_t bucket_array_len(unsigned b)
{
	return ((uint64_t)1 << b) + (b >= 4 ? (uint64_t)1 << (b - 4) : 0);
}

uint64_t bucket_map_needed_bytes(const struct go_layout *L, uint64_t live, uint64_t bucket_bytes)
{
	if (!live)
		return 0; /* an empty map allocates its buckets on first insert */
	return bucket_array_len(bucket_map_b_for(L, live)) * bucket_bytes;
}

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

uint64_t swiss_map_needed_bytes(uint64_t live, uint64_t group_bytes)
{
	uint64_t target, dir, per_table;

	if (!live)
		return 0;
	if (live <= GO_SWISS_SLOTS)
		return group_bytes; /* a small map: one group, no table */
	/* NewMap with hint = live */
	target = live * GO_SWISS_SLOTS / GO_SWISS_MAX_AVG_LOAD;
	dir = pow2_ceil((target + GO_SWISS_MAX_TABLE_CAPACITY - 1) / GO_SWISS_MAX_TABLE_CAPACITY);
	per_table = pow2_ceil(target / dir < GO_SWISS_SLOTS ? GO_SWISS_SLOTS : target / dir);
	return dir * (per_table / GO_SWISS_SLOTS) * group_bytes;
}

/* The span of the heap object that is the header, to tell later whether the
 * GC freed it (a freed header keeps its bytes until its slot is reused). */
static uint64_t header_span(const struct go_heap *h, uint64_t addr)
{
	const struct go_span *s = go_heap_span_of(h, addr);

	return s && (addr - s->start) % s->elemsize == 0 ? s->self : 0;
}

bool gomap_parse_buckets(const struct go_heap *h, uint64_t addr, const uint8_t *hdr, struct go_map *m)
{
	const struct go_layout *L = h->L;
	uint64_t count = mem_field(hdr, L->hmap_count, 8), buckets = mem_field(hdr, L->hmap_buckets, 8);
	uint64_t old = mem_field(hdr, L->hmap_oldbuckets, 8), nevac = mem_field(hdr, L->hmap_nevacuate, 8);
	unsigned b = (unsigned)mem_field(hdr, L->hmap_b, 1), flags = (unsigned)mem_field(hdr, L->hmap_flags, 1);
	uint64_t noverflow = mem_field(hdr, L->hmap_noverflow, 2), nb, slot, extra_overflow;
	struct go_object bo, oo;

	if (b > MAX_B || flags & ~0xfu || !buckets || nevac > ((uint64_t)1 << b))
		return false;
	if (count > (uint64_t)2 * GO_BUCKET_SLOTS << b)
		return false;
	if (!go_heap_object_at(h, buckets, &bo))
		return false;
	bo.type = go_heap_object_type(h, &bo);
	nb = bucket_array_len(b);
	/* With a type, the bucket size is exact; without, the array's size over
	 * its bucket count (the allocation is rounded up to whole buckets). */
	slot = type_size(h, bo.type);
	if (slot && (slot < MIN_BUCKET_BYTES || slot > MAX_BUCKET_BYTES || slot * ((uint64_t)1 << b) > bo.size))
		return false;
	if (!slot) {
		if (b < 4)
			nb = (uint64_t)1 << b;
		slot = bo.size / nb;
	}
	if (slot < MIN_BUCKET_BYTES || slot > MAX_BUCKET_BYTES + HT_GO_PAGE_SIZE)
		return false;
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->hdr_span = header_span(h, addr);
	m->seed = mem_field(hdr, L->hmap_hash0, 4);
	m->table = buckets;
	m->old = old;
	m->live = count;
	m->slot_bytes = slot;
	m->type = bo.type;
	m->array_units = bucket_array_len(b);
	m->sample = buckets;
	m->array_bytes = bo.size;
	m->array_noscan = bo.noscan;
	m->tables = 1u << (b < 31 ? b : 31);
	m->capacity = (uint64_t)GO_BUCKET_SLOTS << b;
	m->implied_peak = bucket_map_implied_peak(L, b);
	m->table_bytes = bo.size;
	if (old) {
		if (!go_heap_object_at(h, old, &oo))
			return false;
		m->table_bytes += oo.size;
	}
	/* noverflow counts the preallocated overflow buckets too (approximately
	 * from B = 16): only the rest are separate allocations. */
	extra_overflow = noverflow > (nb - ((uint64_t)1 << b)) ? noverflow - (nb - ((uint64_t)1 << b)) : 0;
	m->table_bytes += extra_overflow * slot;
	m->needed_bytes = bucket_map_needed_bytes(L, count, slot);
	return true;
}

bool gomap_parse_swiss_header(const struct go_heap *h, uint64_t addr, const uint8_t *hdr, struct go_map *m)
{
	const struct go_layout *L = h->L;
	uint64_t used = mem_field(hdr, L->smap_used, 8), dir = mem_field(hdr, L->smap_dirptr, 8);
	uint64_t dirlen = mem_field(hdr, L->smap_dirlen, 8), depth = mem_field(hdr, L->smap_globaldepth, 1);
	struct go_object o;

	if (!dir || !go_heap_object_at(h, dir, &o))
		return false;
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->hdr_span = header_span(h, addr);
	m->seed = mem_field(hdr, L->smap_seed, 8);
	m->table = dir;
	m->live = used;
	m->swiss = true;
	if (dirlen == 0) {
		/* A small map: dirPtr is its one group of 8 slots. */
		if (depth || used > GO_SWISS_SLOTS || o.size < MIN_GROUP_BYTES || o.size > MAX_GROUP_BYTES * 2)
			return false;
		o.type = go_heap_object_type(h, &o);
		m->slot_bytes = type_size(h, o.type);
		m->type = o.type;
		m->capacity = GO_SWISS_SLOTS;
		if (!m->slot_bytes)
			m->slot_bytes = o.size;
		m->table_bytes = o.size;
		m->array_units = 1;
		m->sample = dir;
		m->array_bytes = o.size;
		m->array_noscan = o.noscan;
		m->needed_bytes = swiss_map_needed_bytes(used, m->slot_bytes);
		m->implied_peak = 1; /* a small map's group comes with its first entry */
		return true;
	}
	if (depth > MAX_DIR_DEPTH || dirlen != (uint64_t)1 << depth || o.size < dirlen * 8)
		return false;
	m->tables = (uint32_t)dirlen; /* for now: directory entries; finish counts tables */
	m->table_bytes = o.size;
	return true;
}

bool gomap_swiss_dir_newer(const struct go_heap *h, const uint8_t *hdr)
{
	const struct go_layout *L = h->L;
	uint64_t used = mem_field(hdr, L->smap_used, 8), dir = mem_field(hdr, L->smap_dirptr, 8);
	uint64_t dirlen = mem_field(hdr, L->smap_dirlen, 8), depth = mem_field(hdr, L->smap_globaldepth, 1);
	struct go_object o;

	return dir && !(dir % 8) && depth && depth <= MAX_DIR_DEPTH && dirlen == (uint64_t)1 << depth &&
	       used <= dirlen * GO_SWISS_MAX_TABLE_CAPACITY && !go_heap_object_at(h, dir, &o);
}

/* Reads each map's directory, then its tables, in two batched passes. */
void gomap_finish_swiss(const struct go_heap *h, struct go_map *maps, bool *ok, size_t n)
{
	const struct go_layout *L = h->L;
	size_t i, ndir = 0, nent = 0, k;
	struct memrange *r;
	uint64_t **dirs;
	uint8_t *tabbuf;
	struct memrange *tr;

	dirs = calloc(n, sizeof(*dirs));
	r = calloc(n, sizeof(*r));
	if (!dirs || !r)
		goto out;
	for (i = 0; i < n; i++) {
		if (!ok[i] || !maps[i].tables)
			continue;
		dirs[i] = malloc(maps[i].tables * 8ull);
		if (!dirs[i]) {
			ok[i] = false;
			continue;
		}
		r[ndir++] = (struct memrange){ .addr = maps[i].table, .buf = dirs[i], .len = maps[i].tables * 8ull };
		nent += maps[i].tables;
	}
	h->mem->readv(h->mem, r, ndir);
	tr = calloc(nent ? nent : 1, sizeof(*tr));
	tabbuf = calloc(nent ? nent : 1, L->stable_size);
	if (!tr || !tabbuf) {
		free(tr);
		free(tabbuf);
		goto out;
	}
	/* Distinct tables: a table appears at consecutive directory entries. */
	for (i = 0, k = 0, nent = 0; i < n; i++) {
		uint32_t e;

		if (!dirs[i])
			continue;
		if (!r[k++].ok) {
			ok[i] = false;
			continue;
		}
		for (e = 0; e < maps[i].tables; e++)
			if (!e || dirs[i][e] != dirs[i][e - 1]) {
				tr[nent] = (struct memrange){ .addr = dirs[i][e], .buf = tabbuf + nent * L->stable_size,
							      .len = L->stable_size };
				nent++;
			}
	}
	h->mem->readv(h->mem, tr, nent);
	for (i = 0, k = 0; i < n; i++) {
		uint64_t used = 0, groups_bytes = 0, table_structs = 0, ngroups = 0, type = 0, implied = 0, capacity = 0;
		/* by log2 of a table's capacity: tables newer than the span table,
		 * and the sizes of one that is in it */
		uint64_t newer[CAP_LOG2S] = { 0 }, group_obj[CAP_LOG2S] = { 0 }, table_obj[CAP_LOG2S] = { 0 };
		uint32_t e, distinct = 0, c;
		bool good = ok[i] && dirs[i];

		if (!dirs[i])
			continue;
		for (e = 0; e < maps[i].tables; e++) {
			const uint8_t *t;
			uint64_t cap, mask, data;
			struct go_object go, to;
			bool in_spans;

			if (e && dirs[i][e] == dirs[i][e - 1])
				continue;
			if (!ok[i]) /* its directory was unreadable: no tables were queued */
				break;
			t = tr[k].buf;
			if (!tr[k++].ok) {
				good = false;
				continue;
			}
			cap = mem_field(t, L->stable_capacity, 2);
			mask = mem_field(t, L->stable_groups_lengthmask, 8);
			data = mem_field(t, L->stable_groups_data, 8);
			if (cap < GO_SWISS_SLOTS || cap & (cap - 1) || cap > GO_SWISS_MAX_TABLE_CAPACITY ||
			    mask + 1 != cap / GO_SWISS_SLOTS) {
				good = false;
				continue;
			}
			in_spans = go_heap_object_at(h, dirs[i][e], &to) && go_heap_object_at(h, data, &go);
			if (!in_spans) {
				/* A map growing as it is read has tables newer than the
				 * span table: counted below at the size of a table of the
				 * same capacity that is in it, if there is one. */
				newer[cap_log2(cap)]++;
				used += mem_field(t, L->stable_used, 2);
				implied += swiss_table_implied_peak(cap);
				capacity += cap;
				continue;
			}
			if (go.size < (mask + 1) * MIN_GROUP_BYTES) {
				good = false;
				continue;
			}
			group_obj[cap_log2(cap)] = go.size;
			table_obj[cap_log2(cap)] = to.size;
			used += mem_field(t, L->stable_used, 2);
			implied += swiss_table_implied_peak(cap);
			capacity += cap;
			if (!go.type)
				go.type = go_heap_object_type(h, &go);
			groups_bytes += go.size;
			table_structs += to.size;
			ngroups += mask + 1;
			type = type ? type : go.type;
			if (!distinct) {
				maps[i].sample = data;
				maps[i].array_units = mask + 1;
				maps[i].array_bytes = go.size;
				maps[i].array_noscan = go.noscan;
			}
			distinct++;
		}
		for (c = 0; c < CAP_LOG2S; c++) {
			if (!newer[c])
				continue;
			if (!group_obj[c]) { /* no table of that capacity to size it by */
				good = false;
				break;
			}
			groups_bytes += newer[c] * group_obj[c];
			table_structs += newer[c] * table_obj[c];
			ngroups += newer[c] * ((1ull << c) / GO_SWISS_SLOTS);
			distinct += (uint32_t)newer[c];
		}
		if (!good || !ngroups) {
			ok[i] = false;
			continue;
		}
		if (used != maps[i].live) {
			ok[i] = false;
			maps[i].counts_moving = true; /* filled in all the same, for a map known to be one */
		}
		maps[i].type = type;
		maps[i].slot_bytes = type_size(h, type);
		if (!maps[i].slot_bytes)
			maps[i].slot_bytes = groups_bytes / ngroups;
		maps[i].table_bytes += groups_bytes + table_structs;
		maps[i].tables = distinct;
		maps[i].implied_peak = implied;
		maps[i].capacity = capacity;
		maps[i].needed_bytes = swiss_map_needed_bytes(maps[i].live, maps[i].slot_bytes);
	}
	free(tr);
	free(tabbuf);
out:
	for (i = 0; dirs && i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(r);
}

void gomap_swiss_groups(const struct go_heap *h, const struct go_map *maps, size_t n,
			void (*fn)(void *ctx, const struct go_map *m, uint64_t lo, uint64_t hi), void *ctx)
{
	const struct go_layout *L = h->L;
	struct memrange *r = calloc(n ? n : 1, sizeof(*r)), *tr = NULL;
	uint64_t **dirs = calloc(n ? n : 1, sizeof(*dirs));
	uint8_t *tabbuf = NULL;
	size_t i, nent = 0, k = 0;
	uint32_t e;

	if (!r || !dirs)
		goto out;
	for (i = 0; i < n; i++) {
		if (!maps[i].swiss || maps[i].tables < 1 || maps[i].capacity <= GO_SWISS_SLOTS ||
		    !(dirs[i] = malloc(maps[i].tables * 8ull)))
			continue;
		r[i] = (struct memrange){ .addr = maps[i].table, .buf = dirs[i], .len = maps[i].tables * 8ull };
		nent += maps[i].tables;
	}
	h->mem->readv(h->mem, r, n);
	tr = calloc(nent ? nent : 1, sizeof(*tr));
	tabbuf = calloc(nent ? nent : 1, L->stable_size);
	if (!tr || !tabbuf)
		goto out;
	for (i = 0; i < n; i++)
		for (e = 0; dirs[i] && r[i].ok && e < maps[i].tables; e++)
			if (!e || dirs[i][e] != dirs[i][e - 1]) {
				tr[k] = (struct memrange){ .addr = dirs[i][e], .buf = tabbuf + k * L->stable_size,
							   .len = L->stable_size };
				k++;
			}
	h->mem->readv(h->mem, tr, k);
	for (i = 0, k = 0; i < n; i++)
		for (e = 0; dirs[i] && r[i].ok && e < maps[i].tables; e++) {
			struct go_object go;
			uint64_t data;

			if (e && dirs[i][e] == dirs[i][e - 1])
				continue;
			if (tr[k].ok && (data = mem_field(tr[k].buf, L->stable_groups_data, 8)) &&
			    go_heap_object_at(h, data, &go))
				fn(ctx, &maps[i], go.start, go.start + go.size);
			k++;
		}
out:
	for (i = 0; dirs && i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(r);
	free(tr);
	free(tabbuf);
}
