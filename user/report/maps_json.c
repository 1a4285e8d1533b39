// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "report/json_text.h"
#include "report/maps_json.h"
#include "report/plan_print.h"
#include "target/symbolize.h"

/* Maps holding at least this much are listed one by one; the rest are counted. */
#define JSON_MAPS_MAX 1000

/* A growth stack holds 32 physical frames; inlining adds a few to each. */
#define JSON_STACK_FRAMES 256

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* maps[].stack: the growth stack's frames, inlined calls expanded,
 * innermost first; [] for a map no growth probe saw. */
static json_t *stack_json(const struct map_tracker *mt, const struct tracked_map *m)
{
	struct go_frame *fr = m->nstack ? calloc(JSON_STACK_FRAMES, sizeof(*fr)) : NULL;
	size_t i, n = fr ? go_stack_frames(mt->t, m->stack, m->nstack, fr, JSON_STACK_FRAMES) : 0;
	json_t *a = json_array();

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "function", fr[i].func ? json_text(fr[i].func) : json_null());
		json_object_set_new(o, "file", fr[i].file ? json_text(fr[i].file) : json_null());
		json_object_set_new(o, "line", fr[i].file ? jint((uint64_t)fr[i].line) : json_null());
		json_object_set_new(o, "pc", json_addr(fr[i].pc));
		json_array_append_new(a, o);
	}
	free(fr);
	return a;
}

static json_t *or_null(const char *s)
{
	return s && s[0] ? json_text(s) : json_null();
}

/* maps[].held_by_path: root first, {kind, name, type, field, addr}. */
static json_t *path_json(const struct holder_path *p)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; p && k < p->n; k++) {
		const struct holder_step *st = &p->steps[k];
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(step_kind_name(st->kind)));
		json_object_set_new(o, "name", or_null(st->name));
		json_object_set_new(o, "type", or_null(st->type));
		json_object_set_new(o, "field", or_null(st->field));
		json_object_set_new(o, "addr", json_addr(st->addr));
		if (st->kind == STEP_GOROUTINE)
			json_object_set_new(o, "goroutine", jint(st->goid));
		if (st->used_by[0])
			json_object_set_new(o, "used_by", json_text(st->used_by));
		json_array_append_new(a, o);
	}
	return a;
}

/* type: exact or null; then the candidates (never one presented as the
 * type) and the layout they all agree on. */
static void type_json(json_t *o, const struct tracked_map *m)
{
	json_t *cand = json_array(), *layout = json_object();
	uint32_t k;

	json_object_set_new(o, "type", or_null(m->type));
	json_object_set_new(o, "type_source", m->type[0] ? json_string(type_source_name(m->type_from)) : json_null());
	for (k = 0; !m->type[0] && k < m->ncand && k < TYPE_CANDIDATES; k++)
		json_array_append_new(cand, json_text(m->cand[k]->name));
	json_object_set_new(o, "type_candidates", cand);
	json_object_set_new(o, "type_candidates_total", jint(m->type[0] ? 0 : m->ncand));
	json_object_set_new(layout, "key_bytes", !m->type[0] && m->key_bytes ? jint(m->key_bytes) : json_null());
	json_object_set_new(layout, "elem_bytes", !m->type[0] && m->elem_bytes ? jint(m->elem_bytes) : json_null());
	json_object_set_new(layout, "text", m->type[0] ? json_null() : or_null(m->layout));
	json_object_set_new(o, "layout", layout);
}

json_t *maps_json(const struct map_tracker *mt)
{
	const struct tracked_map **v = calloc(JSON_MAPS_MAX, sizeof(*v));
	json_t *a = json_array();
	size_t i, n = v ? map_tracker_top(mt, v, JSON_MAPS_MAX) : 0;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "addr", json_addr(v[i]->m.addr));
		type_json(o, v[i]);
		json_object_set_new(o, "live", jint(v[i]->m.live));
		/* the most seen: a lower bound; the table's slots apart */
		json_object_set_new(o, "peak", jint(tracked_peak(v[i])));
		json_object_set_new(o, "peak_source", json_string("observed"));
		json_object_set_new(o, "capacity", jint(tracked_capacity(v[i])));
		json_object_set_new(o, "churning", json_boolean(tracked_churns(v[i])));
		json_object_set_new(o, "verdict", json_text(map_verdict_name(tracked_verdict(v[i]))));
		json_object_set_new(o, "table_bytes", jint(v[i]->m.table_bytes));
		json_object_set_new(o, "needed_bytes", jint(v[i]->m.needed_bytes));
		json_object_set_new(o, "retained_bytes", jint(tracked_retained(v[i])));
		json_object_set_new(o, "site", or_null(v[i]->site));
		json_object_set_new(o, "held_by", v[i]->held ? json_text(v[i]->held->held_by) : json_null());
		json_object_set_new(o, "held_by_path", path_json(v[i]->held));
		json_object_set_new(o, "stack", stack_json(mt, v[i]));
		json_object_set_new(o, "grows", jint(v[i]->grows));
		json_array_append_new(a, o);
	}
	free(v);
	return a;
}

static json_t *groups_json(const struct small_group *g, size_t n, const char *key)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, key, json_text(g[i].key));
		json_object_set_new(o, "maps", jint(g[i].maps));
		json_object_set_new(o, "table_bytes", jint(g[i].table_bytes));
		json_object_set_new(o, "retained_bytes", jint(g[i].retained_bytes));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *holders_json(const struct map_tracker *mt)
{
	const struct holder_stats *h = &mt->holders;
	json_t *o = json_object();

	json_object_set_new(o, "searched", json_boolean(h->ran));
	json_object_set_new(o, "maps", h->ran ? jint(h->maps) : json_null());
	json_object_set_new(o, "found", h->ran ? jint(h->found) : json_null());
	json_object_set_new(o, "passes", jint(h->passes));
	json_object_set_new(o, "ns", h->ran ? jint(h->ns) : json_null());
	json_object_set_new(o, "bytes_scanned", h->ran ? jint(h->bytes) : json_null());
	json_object_set_new(o, "truncated", json_boolean(h->truncated || h->over_limit));
	json_object_set_new(o, "truncated_by", h->truncated ? json_string("time") :
					       h->over_limit ? json_string("node_limit") : json_null());
	json_object_set_new(o, "goroutines", jint(h->goroutines));
	json_object_set_new(o, "goroutines_not_walked", jint(h->goroutines_not_walked));
	json_object_set_new(o, "why_no_goroutines", or_null(h->why_no_goroutines));
	return o;
}

json_t *heap_walk_json(const struct map_tracker *mt)
{
	json_t *o = json_object(), *small = json_object();
	bool walked = map_tracker_complete(mt);
	struct map_totals tot;

	map_tracker_totals(mt, &tot);
	json_object_set_new(o, "available", json_boolean(mt->mheap != 0));
	if (!mt->mheap)
		json_object_set_new(o, "why_not", json_text(mt->unavailable));
	else
		json_object_set_new(o, "mheap_found_by", json_text(mt->mheap_how));
	json_object_set_new(o, "walked", json_boolean(mt->walk_done));
	json_object_set_new(o, "walks", jint(mt->walks));
	/* Before the walk, what it finds is not known: null, never 0 (maps
	 * grown while traced are followed and counted all the same). */
	json_object_set_new(o, "walk_ns", mt->walk_done ? jint(mt->walk_ns) : json_null());
	json_object_set_new(o, "truncated", json_boolean(mt->walk_truncated));
	json_object_set_new(o, "truncated_by", !mt->walk_truncated ? json_null() :
					       json_text(mt->walk_spans_over_limit ? "span_limit" : "time"));
	json_object_set_new(o, "maps_found", mt->walk_done ? jint(mt->walk_found) : json_null());
	json_object_set_new(o, "spans_in_use_bytes", mt->walk_done ? jint(mt->heap_in_use) : json_null());
	json_object_set_new(o, "followed", jint(tot.maps));
	json_object_set_new(o, "freed", jint(tot.freed));
	json_object_set_new(o, "not_followed_over_limit", jint(mt->over_limit));
	json_object_set_new(o, "follow_limit", jint(GOMAP_FOLLOW_MAX));
	json_object_set_new(o, "table_bytes", walked ? jint(tot.table_bytes) : json_null());
	json_object_set_new(o, "retained_bytes", walked ? jint(tot.retained_bytes) : json_null());
	{
		json_t *bv = json_object();
		int k;

		for (k = MAP_FITS; k <= MAP_REUSED; k++)
			json_object_set_new(bv, map_verdict_name((enum map_verdict)k),
					    walked ? jint(tot.retained_by_verdict[k]) : json_null());
		json_object_set_new(o, "retained_bytes_by_verdict", bv);
	}
	/* as the last walk found them: live objects only, refreshed by each walk */
	json_object_set_new(small, "maps", mt->walk_done ? jint(mt->small.tot.maps) : json_null());
	json_object_set_new(small, "table_bytes", mt->walk_done ? jint(mt->small.tot.table_bytes) : json_null());
	json_object_set_new(small, "retained_bytes", mt->walk_done ? jint(mt->small.tot.retained_bytes) : json_null());
	json_object_set_new(small, "by_type", groups_json(mt->small.by_type, mt->small.ntype, "type"));
	json_object_set_new(small, "by_holder", groups_json(mt->small.by_holder, mt->small.nholder, "held_by"));
	json_object_set_new(small, "holders_searched", jint(mt->small.holders_searched));
	json_object_set_new(o, "small_maps", small);
	json_object_set_new(o, "holders", holders_json(mt));
	return o;
}
