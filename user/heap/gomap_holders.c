// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "heap/gomap_holders.h"
#include "heap/gotypes.h"
#include "heap/holder_roots.h"
#include "util/log.h"
#include "util/monotonic.h"

/* Distinct types and holders summed for the small maps' breakdown; more
 * fall in one "(others)" group. */
#define GROUPS_MAX 4096
/* The small maps' search gets this share of what is left of the walk's
 * time, after the followed maps'. */
#define SMALL_SHARE 2

struct small_map {
	uint64_t addr, table_bytes, retained, type;
	struct map_table_shape shape;
};

/* Sums by key, then the SMALL_TOP largest by table bytes. */
struct groups {
	struct small_group *v;
	size_t n;
	uint64_t others_maps, others_bytes, others_retained;
};

static void group_add(struct groups *g, const char *key, const struct small_map *m)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].key, key))
			break;
	if (i == g->n) {
		if (g->n == GROUPS_MAX) {
			g->others_maps++;
			g->others_bytes += m->table_bytes;
			g->others_retained += m->retained;
			return;
		}
		memset(&g->v[i], 0, sizeof(g->v[i]));
		snprintf(g->v[i].key, sizeof(g->v[i].key), "%s", key);
		g->n++;
	}
	g->v[i].maps++;
	g->v[i].table_bytes += m->table_bytes;
	g->v[i].retained_bytes += m->retained;
}

static int cmp_group(const void *a, const void *b)
{
	const struct small_group *x = a, *y = b;

	return x->table_bytes > y->table_bytes ? -1 : x->table_bytes < y->table_bytes;
}

static size_t group_top(struct groups *g, struct small_group *out)
{
	size_t n;

	qsort(g->v, g->n, sizeof(*g->v), cmp_group);
	n = g->n < SMALL_TOP ? g->n : SMALL_TOP;
	memcpy(out, g->v, n * sizeof(*out));
	return n;
}

/* A small map's type: exact from its table, else the layout its shape
 * allows (the same shape, the same text: kept for the next map). */
struct type_cache {
	uint64_t type;
	struct map_table_shape shape;
	char text[STEP_TYPE_LEN];
};

static const char *small_type(struct map_tracker *mt, const struct small_map *m, struct type_cache *cache, size_t ncache)
{
	struct type_cache *e = &cache[(m->type ? m->type >> 4 : m->shape.units * 31 + m->shape.object_bytes) % ncache];
	char slot[STEP_TYPE_LEN];

	if (e->text[0] && e->type == m->type &&
	    (m->type || (e->shape.units == m->shape.units && e->shape.object_bytes == m->shape.object_bytes &&
			 e->shape.noscan == m->shape.noscan)))
		return e->text;
	e->type = m->type;
	e->shape = m->shape;
	if (m->type && go_type_name(&mt->mem, mt->L, mt->types_base, m->type, slot, sizeof(slot))) {
		go_map_type_from_slot_type(slot, e->text, sizeof(e->text));
	} else {
		const struct go_map_types *types = target_map_types(mt->t);
		const struct go_map_type **all = types && types->n ? calloc(types->n, sizeof(*all)) : NULL;
		size_t n = all ? go_map_types_match(types, mt->L, &m->shape, all, types->n) : 0;
		uint64_t kb, eb;

		go_map_types_layout(all, n, &kb, &eb, e->text, sizeof(e->text));
		free(all);
	}
	return e->text;
}


struct walk_collect {
	struct map_tracker *mt;
	const struct go_heap *h;
	struct map_table *tables;
	size_t ntables, tcap;
	struct small_map *small;
	size_t nsmall, scap;
	uint64_t small_unattributed, unattributed_bytes, unattributed_retained; /* over SMALL_HOLDERS_MAX */
	struct holder_filter filter;
	struct type_verdict { uint64_t type; bool runtime; } seen[256];
	/* every small map by type, as the scan finds them */
	struct groups types;
	struct type_cache cache[256];
};

/* The runtime's objects (its p's saved registers, its GC's queues) and
 * globals keep words that look like pointers to anything: they hold no
 * program's map. */
static bool runtime_name(const char *s)
{
	return !strncmp(s, "runtime.", 8) || !strncmp(s, "*runtime.", 9) || !strncmp(s, "internal/runtime", 16);
}

static bool skip_type(void *ctx, uint64_t type)
{
	struct walk_collect *c = ctx;
	struct type_verdict *v = &c->seen[(type >> 4) % 256];
	char name[128];

	if (v->type != type) {
		v->type = type;
		v->runtime = go_type_name(&c->mt->mem, c->mt->L, c->mt->types_base, type, name, sizeof(name)) &&
			     runtime_name(name);
	}
	return v->runtime;
}

static bool skip_global(void *ctx, uint64_t at)
{
	struct walk_collect *c = ctx;
	const struct data_symbol *s = data_symbol_at(target_data_symbols(c->mt->t), at - c->mt->t->load_bias);

	return s && runtime_name(s->name);
}

struct walk_collect *walk_collect_new(struct map_tracker *mt, const struct go_heap *h)
{
	struct walk_collect *c = calloc(1, sizeof(*c));

	if (c && !(c->types.v = calloc(GROUPS_MAX, sizeof(*c->types.v)))) {
		free(c);
		c = NULL;
	}
	if (c) {
		c->mt = mt;
		c->h = h;
		c->filter = (struct holder_filter){ skip_type, skip_global, c };
	}
	return c;
}

static void add_table(void *ctx, const struct go_map *m, uint64_t lo, uint64_t hi)
{
	struct walk_collect *c = ctx;

	if (!lo || hi <= lo || c->ntables >= MAP_TABLES_MAX)
		return;
	if (c->ntables == c->tcap) {
		size_t nc = c->tcap ? 2 * c->tcap : 4096;
		struct map_table *v = realloc(c->tables, nc * sizeof(*v));

		if (!v)
			return;
		c->tables = v;
		c->tcap = nc;
	}
	c->tables[c->ntables++] = (struct map_table){ lo, hi, m->addr };
}

/* The table object at `a` (the program's pointer) of map m. */
static void add_object(struct walk_collect *c, const struct go_map *m, uint64_t a)
{
	struct go_object o;

	if (a && go_heap_object_at(c->h, a, &o))
		add_table(c, m, o.start, o.start + o.size);
}

void walk_collect_maps(struct walk_collect *c, const struct go_map *maps, size_t n, const bool *small)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < n; i++) {
		const struct go_map *m = &maps[i];

		/* a table without pointers holds no map */
		if (!m->array_noscan || (m->swiss && m->tables)) {
			add_object(c, m, m->table);
			add_object(c, m, m->old);
		}
		if (!small[i])
			continue;
		{
			struct small_map sm = { m->addr, m->table_bytes,
						m->table_bytes > m->needed_bytes ? m->table_bytes - m->needed_bytes : 0,
						m->type, { m->array_units, m->array_bytes, m->array_noscan } };

			group_add(&c->types, small_type(c->mt, &sm, c->cache, 256), &sm);
		}
		if (c->nsmall >= SMALL_HOLDERS_MAX) {
			c->small_unattributed++;
			c->unattributed_bytes += m->table_bytes;
			c->unattributed_retained += m->table_bytes > m->needed_bytes ? m->table_bytes - m->needed_bytes : 0;
			continue;
		}
		if (c->nsmall == c->scap) {
			size_t nc = c->scap ? 2 * c->scap : 4096;
			struct small_map *v = realloc(c->small, nc * sizeof(*v));

			if (!v)
				continue;
			c->small = v;
			c->scap = nc;
		}
		c->small[c->nsmall++] = (struct small_map){
			m->addr, m->table_bytes, m->table_bytes > m->needed_bytes ? m->table_bytes - m->needed_bytes : 0,
			m->type, { m->array_units, m->array_bytes, m->array_noscan } };
	}
	/* a Swiss map's values are in its groups' arrays, behind its directory */
	gomap_swiss_groups(c->h, maps, n, add_table, c);
}

static int cmp_table(const void *a, const void *b)
{
	const struct map_table *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void small_summary(struct walk_collect *c, const struct holder_namer *nm, const struct holder_roots *roots,
			  uint64_t deadline_ns)
{
	struct map_tracker *mt = c->mt;
	struct small_summary *ss = &mt->small;
	struct groups holders = { .v = calloc(GROUPS_MAX, sizeof(struct small_group)) };
	uint64_t *addrs = calloc(c->nsmall ? c->nsmall : 1, sizeof(*addrs));
	struct holder_search s = { 0 };
	bool searched = false;
	size_t i;

	ss->ntype = group_top(&c->types, ss->by_type);
	if (!holders.v || !addrs)
		goto out;
	for (i = 0; i < c->nsmall; i++)
		addrs[i] = c->small[i].addr;
	/* only who holds each directly: one pass */
	if (c->nsmall && (!deadline_ns || monotonic_ns() < deadline_ns))
		searched = !holders_find(nm->h, addrs, c->nsmall, roots->v, roots->n, c->tables, c->ntables, 1,
					 &c->filter, deadline_ns, &s);
	/* a global holding small maps is named by its users only if a
	 * followed map's search found them (searching the code for hundreds
	 * of globals costs seconds in a large program) */
	for (i = 0; i < c->nsmall; i++) {
		char holder[STEP_TYPE_LEN] = "";

		if (searched) {
			holder_direct(nm, &s, i, holder, sizeof(holder));
			group_add(&holders, holder[0] ? holder : "(holder not found)", &c->small[i]);
		}
	}
	if (searched && c->small_unattributed) {
		/* past the bound on maps searched: said, and summed apart */
		struct small_group g = { .maps = c->small_unattributed, .table_bytes = c->unattributed_bytes,
					 .retained_bytes = c->unattributed_retained };

		snprintf(g.key, sizeof(g.key), "(not searched: over %u small maps)", SMALL_HOLDERS_MAX);
		if (holders.n < GROUPS_MAX)
			holders.v[holders.n++] = g;
	}
	ss->nholder = group_top(&holders, ss->by_holder);
	ss->holders_searched = searched ? c->nsmall : 0;
out:
	if (searched)
		holders_free(&s);
	free(holders.v);
	free(addrs);
}

/* The followed maps: each one's chain from a root, named. */
static void followed_holders(struct walk_collect *c, const struct holder_namer *nm, const struct holder_roots *roots,
			     uint64_t deadline_ns)
{
	struct map_tracker *mt = c->mt;
	struct tracked_map **tms = calloc(mt->n ? mt->n : 1, sizeof(*tms));
	uint64_t *addrs = calloc(mt->n ? mt->n : 1, sizeof(*addrs));
	struct holder_search s;
	size_t i, n = 0;

	if (!tms || !addrs)
		goto out;
	for (i = 0; i < mt->n; i++)
		if (mt->v[i].parsed && !mt->v[i].freed) {
			tms[n] = &mt->v[i];
			addrs[n++] = mt->v[i].m.addr;
		}
	if (!n)
		goto out;
	if (!holders_find(nm->h, addrs, n, roots->v, roots->n, c->tables, c->ntables, HOLDER_MAX_DEPTH, &c->filter,
			  deadline_ns, &s)) {
		mt->holders.ran = true;
		mt->holders.ns = s.ns;
		mt->holders.bytes = s.bytes;
		mt->holders.passes = s.passes;
		mt->holders.truncated = s.truncated;
		mt->holders.over_limit = s.over_limit;
		mt->holders.maps = n;
		holder_names_prepare(nm, &s);
		for (i = 0; i < n; i++) {
			struct holder_path *p = holder_path_name(nm, &s, i);
			struct tracked_map *tm = tms[i];

			/* a search cut short keeps what the last one found */
			if (!p && s.truncated)
				continue;
			free(tm->held);
			tm->held = p;
			if (!p)
				continue;
			mt->holders.found++;
			if (p->map_type[0] && (!tm->type[0] || tm->type_from == TYPE_UNKNOWN)) {
				snprintf(tm->type, sizeof(tm->type), "%s", p->map_type);
				tm->type_from = TYPE_HOLDER;
			}
		}
		holders_free(&s);
	} else {
		ht_debug("holder search: %s", ht_last_error());
	}
out:
	free(tms);
	free(addrs);
}

void map_holders_finish(struct walk_collect *c, const struct holder_roots *roots, uint64_t deadline_ns)
{
	struct map_tracker *mt;
	struct holder_namer nm;
	uint64_t now;

	if (!c)
		return;
	mt = c->mt;
	nm = (struct holder_namer){ .t = mt->t, .mem = &mt->mem, .h = c->h, .types_base = mt->types_base,
				    .tc = { mt->t, &mt->mem, mt->types_base } };
	memset(&mt->holders, 0, sizeof(mt->holders));
	mt->holders.goroutines = roots->goroutines;
	mt->holders.goroutines_not_walked = roots->not_walked;
	snprintf(mt->holders.why_no_goroutines, sizeof(mt->holders.why_no_goroutines), "%s", roots->why_no_goroutines);
	if (c->ntables)
		qsort(c->tables, c->ntables, sizeof(*c->tables), cmp_table);
	now = monotonic_ns();
	followed_holders(c, &nm, roots, deadline_ns);
	ht_debug("pid %d: holders of %llu followed maps in %.1f ms", mt->t->pid, (unsigned long long)mt->holders.maps,
		 (double)(monotonic_ns() - now) / 1e6);
	/* the small maps' holders with a share of the time left */
	now = monotonic_ns();
	small_summary(c, &nm, roots, deadline_ns && deadline_ns > now ? now + (deadline_ns - now) / SMALL_SHARE : deadline_ns);
	ht_debug("pid %d: small maps' summary in %.1f ms", mt->t->pid, (double)(monotonic_ns() - now) / 1e6);
	walk_collect_free(c);
}

void walk_collect_free(struct walk_collect *c)
{
	if (!c)
		return;
	free(c->tables);
	free(c->small);
	free(c->types.v);
	free(c);
}
