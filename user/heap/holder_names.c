// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/gomap_parse.h"
#include "heap/gotypes.h"
#include "heap/holder_names.h"
#include "heap/type_view.h"
#include "target/global_users.h"
#include "target/godwarf.h"
#include "target/symbolize.h"
#include "util/textsafe.h"

#define MAX_KEY_TEXT 40
#define USERS_SHOWN 3
/* a word this far past an address the code takes is still that global's */
#define GLOBAL_NEAR HOLDER_GLOBAL_NEAR

const char *step_kind_name(uint8_t kind)
{
	switch (kind) {
	case STEP_GLOBAL: return "global";
	case STEP_GOROUTINE: return "goroutine";
	case STEP_MAP_VALUE: return "map_value";
	default: return "object";
	}
}

/* The function of a goroutine's frame at pc (a return address but for
 * the innermost frame: the call is one byte before). */
static const char *frame_func(const struct target *t, uint64_t pc, bool ret)
{
	struct go_func fn;

	if (go_funcs_at(&t->funcs, pc - t->load_bias - (ret ? 1 : 0), &fn, NULL))
		return fn.name;
	return NULL;
}

/* The root: a global (its name from DWARF or the symbol table, else the
 * functions that use it) or a goroutine's frame. */
static void name_root(const struct holder_namer *nm, const struct holder_search *s, const struct holder_ref *r,
		      struct holder_step *st, struct leaf *lf)
{
	const struct target *t = nm->t;
	uint64_t elf = r->at - t->load_bias;
	const struct root_range *rr = &s->roots[r->root];
	const struct dw_global *g;

	lf->via = VIA_NONE;
	if (r->kind == REF_STACK) {
		const char *fn = frame_func(t, rr->pc, rr->ret);

		st->kind = STEP_GOROUTINE;
		st->addr = r->at;
		st->goid = rr->goid;
		st->pc = rr->pc;
		st->ret = rr->ret;
		snprintf(st->name, sizeof(st->name), "%s", fn ? fn : "?");
		return;
	}
	st->kind = STEP_GLOBAL;
	if ((g = go_dwarf_global_at(target_dwarf(t), elf))) {
		st->addr = g->addr + t->load_bias;
		snprintf(st->name, sizeof(st->name), "%s", go_dwarf_name(target_dwarf(t), g->name));
		tv_name(&nm->tc, tv_dw(g->type), st->type, sizeof(st->type));
		tv_describe(&nm->tc, tv_dw(g->type), elf - g->addr, r->at, st->field, sizeof(st->field), lf);
		return;
	}
	{
		const struct data_symbol *s = data_symbol_at(target_data_symbols(t), elf);

		if (s) {
			st->addr = s->addr + t->load_bias;
			snprintf(st->name, sizeof(st->name), "%s", s->name);
			if (elf != s->addr)
				tv_append(st->field, sizeof(st->field), ".+%" PRIu64, elf - s->addr);
			return;
		}
	}
	{
		uint64_t funcs[USERS_SHOWN + 1], at = 0;
		size_t n = target_global_users_of(t, elf, GLOBAL_NEAR, &at, funcs, USERS_SHOWN + 1), k;

		st->addr = (n ? at : elf) + t->load_bias;
		snprintf(st->name, sizeof(st->name), "global 0x%" PRIx64, st->addr);
		if (n && elf != at)
			tv_append(st->field, sizeof(st->field), ".+%" PRIu64, elf - at);
		for (k = 0; k < n && k < USERS_SHOWN; k++) {
			struct go_func fn;

			if (go_funcs_at(&t->funcs, funcs[k], &fn, NULL))
				tv_append(st->used_by, sizeof(st->used_by), "%s%s", k ? ", " : "", fn.name);
		}
		if (n > USERS_SHOWN)
			tv_append(st->used_by, sizeof(st->used_by), ", ...");
	}
}

/* The runtime type a heap object carries: a large span's, or its malloc
 * header's (Go 1.22+, objects over 512 bytes with pointers). */
static uint64_t carried_type(const struct holder_namer *nm, uint64_t obj)
{
	const struct go_span *sp = go_heap_span_of(nm->h, obj);
	const struct go_layout *L = nm->t->layout;
	uint64_t ty;

	if (!sp)
		return 0;
	if (!GO_SPANCLASS_SIZECLASS(sp->spanclass))
		return sp->largetype;
	if (L->malloc_header_min == GO_ABSENT || GO_SPANCLASS_NOSCAN(sp->spanclass) || sp->elemsize <= L->malloc_header_min ||
	    (obj - sp->start) % sp->elemsize != GO_MALLOC_HEADER || !mem_word(nm->mem, obj - GO_MALLOC_HEADER, &ty))
		return 0;
	return ty & 7 ? 0 : ty;
}

/* A heap object: its type (carried, or what the pointer to it says), and
 * where in it the next pointer is. */
static void name_object(const struct holder_namer *nm, const struct holder_node *nd, const struct holder_ref *r,
			struct holder_step *st, struct leaf *lf)
{
	uint64_t off = r->at - nd->lo, ty = nd->type ? nd->type : carried_type(nm, nd->lo);
	struct tview t = lf->t;
	bool array = lf->via == VIA_ARRAY;
	struct tinfo ti;

	st->kind = STEP_OBJECT;
	st->addr = nd->lo;
	if (ty) {
		t = tv_rt(ty);
		array = false;
		if (tv_info(&nm->tc, t, &ti) && ti.size && nd->hi - nd->lo >= 2 * ti.size)
			array = true; /* a slice's array of them, or make([]T) */
	} else if (lf->via != VIA_POINTER && lf->via != VIA_ARRAY) {
		t = (struct tview){ TV_NONE };
	}
	tv_name(&nm->tc, t, st->type, sizeof(st->type));
	if (t.src != TV_NONE && tv_info(&nm->tc, t, &ti) && ti.size && (array || off >= ti.size)) {
		tv_append(st->field, sizeof(st->field), "[%" PRIu64 "]", off / ti.size);
		off %= ti.size;
	}
	tv_describe(&nm->tc, t, off, r->at, st->field, sizeof(st->field), lf);
	if (st->field[0] == '.')
		memmove(st->field, st->field + 1, strlen(st->field));
}

/* The key of the slot holding word `at` of a map's table, as Go source
 * would write it; "?" when the type does not say how. */
static void map_key(const struct holder_namer *nm, const struct go_map_type *mt, const struct holder_ref *r,
		    char *buf, size_t len)
{
	const struct target *t = nm->t;
	uint64_t o = r->at - r->tab_lo, unit = mt->group_size, in, key;
	uint8_t k[16];
	char text[MAX_KEY_TEXT + 1];

	snprintf(buf, len, "[?]");
	if (!unit || !mt->slot_size || !mt->key_stored)
		return;
	in = o % unit;
	if (t->swiss) {
		/* a control word, then 8 slots of key and value */
		if (in < 8)
			return;
		key = r->at - in + 8 + (in - 8) / mt->slot_size * mt->slot_size;
	} else {
		/* 8 tophash bytes, 8 keys, 8 values, the overflow pointer */
		uint64_t es = (mt->slot_size - mt->key_stored);

		if (in < 8 + 8 * mt->key_stored || !es)
			return;
		key = r->at - in + 8 + (in - 8 - 8 * mt->key_stored) / es * mt->key_stored;
	}
	if (mt->key_stored != mt->key_size || !mem_read(nm->mem, key, k, mt->key_size < 16 ? mt->key_size : 16))
		return;
	if (mt->key_kind == GO_KIND_STRING && mt->key_size == 16) {
		uint64_t p, n;

		memcpy(&p, k, 8);
		memcpy(&n, k + 8, 8);
		if (n > (1u << 30) || !mem_read(nm->mem, p, text, n < MAX_KEY_TEXT ? n : MAX_KEY_TEXT))
			return;
		text[n < MAX_KEY_TEXT ? n : MAX_KEY_TEXT] = '\0';
		snprintf(buf, len, "[\"%s%s\"]", tsafe(text), n > MAX_KEY_TEXT ? "..." : "");
	} else if (mt->key_kind >= 2 && mt->key_kind <= 12 && mt->key_size <= 8) { /* int..uintptr */
		uint64_t v = 0;
		bool sign = mt->key_kind <= 6;

		memcpy(&v, k, mt->key_size);
		if (sign && mt->key_size < 8 && v >> (mt->key_size * 8 - 1))
			v |= ~0ull << (mt->key_size * 8);
		if (sign)
			snprintf(buf, len, "[%" PRId64 "]", (int64_t)v);
		else
			snprintf(buf, len, "[%" PRIu64 "]", v);
	}
}

/* A map of no known type whose candidates (the binary's map types its
 * table's shape fits) all store their keys alike: one of them, to read a
 * key with, never to name the map. NULL when they differ. */
static const struct go_map_type *unanimous_key(const struct holder_namer *nm, uint64_t header)
{
	const struct go_map_types *mts = target_map_types(nm->t);
	const struct go_layout *L = nm->t->layout;
	const struct go_map_type **all, *one = NULL;
	struct map_table_shape shape;
	uint8_t hdr[64];
	struct go_map m;
	bool ok = true;
	size_t n, k;

	if (!mts->n || (nm->t->swiss ? L->smap_size : L->hmap_size) > sizeof(hdr) ||
	    !mem_read(nm->mem, header, hdr, nm->t->swiss ? L->smap_size : L->hmap_size))
		return NULL;
	if (nm->t->swiss) {
		if (!gomap_parse_swiss_header(nm->h, header, hdr, &m))
			return NULL;
		gomap_finish_swiss(nm->h, &m, &ok, 1);
	} else {
		ok = gomap_parse_buckets(nm->h, header, hdr, &m);
	}
	if (!ok && !m.counts_moving)
		return NULL;
	shape = (struct map_table_shape){ m.array_units, m.array_bytes, m.array_noscan };
	if (!(all = calloc(mts->n, sizeof(*all))))
		return NULL;
	n = go_map_types_match(mts, L, &shape, all, mts->n);
	for (k = 1; k < n; k++)
		if (all[k]->key_kind != all[0]->key_kind || all[k]->key_size != all[0]->key_size ||
		    all[k]->key_stored != all[0]->key_stored || all[k]->slot_size != all[0]->slot_size ||
		    all[k]->group_size != all[0]->group_size)
			break;
	if (n && k == n)
		one = all[0];
	free(all);
	return one;
}

/* The map type of a table: the type the pointer to the map declares, else
 * the bucket or group type its table carries, else what all the types
 * its shape fits agree on. */
static const struct go_map_type *table_map_type(const struct holder_namer *nm, const struct leaf *lf,
						const struct holder_ref *r, uint64_t header, char *name, size_t len)
{
	const struct go_map_types *mts = target_map_types(nm->t);
	const struct go_map_type *mt = NULL;
	uint64_t ty;
	char slot[STEP_TYPE_LEN];

	name[0] = '\0';
	if (lf->via == VIA_MAP) {
		tv_name(&nm->tc, lf->t, name, len);
		if (lf->t.src == TV_RUNTIME)
			mt = go_map_types_at(mts, lf->t.rt - nm->t->load_bias);
		if (!mt && name[0])
			mt = go_map_types_find(mts, name);
	}
	if (!mt && (ty = carried_type(nm, r->tab_lo)) &&
	    go_type_name(nm->mem, nm->t->layout, nm->types_base, ty, slot, sizeof(slot))) {
		go_map_type_from_slot_type(slot, name, len);
		mt = go_map_types_find(mts, name);
	}
	if (!mt)
		mt = unanimous_key(nm, header);
	return mt;
}

static void name_map_value(const struct holder_namer *nm, const struct holder_node *nd, const struct holder_ref *r,
			   struct holder_step *st, struct leaf *lf)
{
	const struct go_map_type *mt = table_map_type(nm, lf, r, nd->lo, st->type, sizeof(st->type));

	st->kind = STEP_MAP_VALUE;
	st->addr = nd->lo;
	if (mt)
		map_key(nm, mt, r, st->field, sizeof(st->field));
	else
		snprintf(st->field, sizeof(st->field), "[?]");
	/* the value's type leads on: a map of maps, or of pointers */
	lf->via = VIA_NONE;
	if (lf->t.src == TV_DWARF && lf->t.dw != DW_NONE) {
		struct tinfo mi, ei;

		if (tv_info(&nm->tc, lf->t, &mi) && tv_info(&nm->tc, mi.elem, &ei))
			*lf = ei.kind == GO_KIND_MAP ? (struct leaf){ VIA_MAP, mi.elem } :
			      ei.kind == GO_KIND_POINTER ? (struct leaf){ VIA_POINTER, ei.elem } : (struct leaf){ VIA_NONE };
		return;
	}
	if (mt && mt->elem_type && st->type[0]) { /* the map's own type, not a candidate's */
		struct tview et = tv_rt(mt->elem_type + nm->t->load_bias);
		struct tinfo ei;

		if (tv_info(&nm->tc, et, &ei))
			*lf = ei.kind == GO_KIND_MAP ? (struct leaf){ VIA_MAP, et } :
			      ei.kind == GO_KIND_POINTER ? (struct leaf){ VIA_POINTER, ei.elem } : (struct leaf){ VIA_NONE };
	}
}

/* The text of steps [0, upto]. */
static void compose(const struct holder_path *p, size_t upto, bool goid, char *b, size_t len)
{
	const struct holder_step *root = &p->steps[0];
	size_t k;

	b[0] = '\0';
	if (root->kind == STEP_GOROUTINE && goid)
		snprintf(b, len, "goroutine %" PRIu64 " %s", root->goid, root->name);
	else if (root->kind == STEP_GOROUTINE)
		snprintf(b, len, "goroutine %s", root->name);
	else
		snprintf(b, len, "%s%s", root->name, root->field);
	for (k = 1; k <= upto && k < p->n; k++) {
		const struct holder_step *st = &p->steps[k];

		if (root->kind == STEP_GOROUTINE && k == 1)
			tv_append(b, len, " -> %s", st->type[0] ? st->type : "object");
		/* an object of no known type: "->+16" (16 bytes into what the
		 * pointer before points at), not a field of the step before */
		if (st->kind == STEP_MAP_VALUE || !st->field[0])
			tv_append(b, len, "%s", st->field);
		else if (st->kind == STEP_OBJECT && !st->type[0])
			tv_append(b, len, "->%s", st->field);
		else
			tv_append(b, len, "%s%s", st->field[0] == '[' ? "" : ".", st->field);
	}
	if (root->used_by[0])
		tv_append(b, len, " (used by %s)", root->used_by);
}

void holder_path_prefix(const struct holder_path *p, size_t k, char *buf, size_t len)
{
	compose(p, k, false, buf, len);
}

struct holder_path *holder_path_name(const struct holder_namer *nm, const struct holder_search *s, size_t i)
{
	const struct holder_ref *refs[HOLDER_MAX_DEPTH + 2];
	size_t n = holders_path(s, i, refs, sizeof(refs) / sizeof(refs[0])), k;
	struct holder_path *p;
	struct leaf lf = { VIA_NONE };

	if (!n || !(p = calloc(1, sizeof(*p) + n * sizeof(p->steps[0]))))
		return NULL;
	p->n = (uint8_t)n;
	name_root(nm, s, refs[0], &p->steps[0], &lf);
	for (k = 1; k < n; k++) {
		const struct holder_node *nd = &s->nodes[refs[k]->node];

		if (refs[k]->kind == REF_MAP_VALUE)
			name_map_value(nm, nd, refs[k], &p->steps[k], &lf);
		else
			name_object(nm, nd, refs[k], &p->steps[k], &lf);
	}
	/* the word that holds the map: its declared type is the map's */
	if (lf.via == VIA_MAP)
		tv_name(&nm->tc, lf.t, p->map_type, sizeof(p->map_type));
	compose(p, p->n - 1, true, p->held_by, sizeof(p->held_by));
	return p;
}

void holder_direct(const struct holder_namer *nm, const struct holder_search *s, size_t i, char *buf, size_t len)
{
	const struct holder_node *nd = i < s->nmaps ? &s->nodes[i] : NULL;
	const struct holder_ref *r = nd && nd->nrefs ? &nd->refs[0] : NULL;
	char type[STEP_TYPE_LEN];

	buf[0] = '\0';
	if (!r)
		return;
	if (r->kind == REF_GLOBAL || r->kind == REF_STACK) {
		struct holder_step st = { 0 };
		struct leaf lf;

		name_root(nm, s, r, &st, &lf);
		if (st.kind == STEP_GOROUTINE)
			snprintf(buf, len, "goroutine %s", st.name);
		else
			snprintf(buf, len, "%s%s%s%s%s", st.name, st.field, st.used_by[0] ? " (used by " : "", st.used_by,
				 st.used_by[0] ? ")" : "");
		return;
	}
	if (r->kind == REF_MAP_VALUE) {
		struct leaf lf = { VIA_NONE };

		table_map_type(nm, &lf, r, r->node != HOLDER_NONE ? s->nodes[r->node].lo : 0, type, sizeof(type));
		snprintf(buf, len, "%s values", type[0] ? type : "map");
		return;
	}
	if (r->node != HOLDER_NONE && tv_name(&nm->tc, tv_rt(s->nodes[r->node].type ? s->nodes[r->node].type :
						     carried_type(nm, s->nodes[r->node].lo)), type, sizeof(type)))
		snprintf(buf, len, "%s objects", type);
	else
		snprintf(buf, len, "objects of unknown type");
}

void holder_names_prepare(const struct holder_namer *nm, const struct holder_search *s)
{
	const struct target *t = nm->t;
	const struct holder_ref *refs[HOLDER_MAX_DEPTH + 2];
	uint64_t *addrs;
	size_t i, n = 0;

	if (!go_funcs_stripped(&t->funcs) || target_data_symbols(t)->n)
		return;
	if (!(addrs = calloc(s->nmaps ? s->nmaps : 1, sizeof(*addrs))))
		return;
	for (i = 0; i < s->nmaps; i++) {
		const struct holder_node *nd = &s->nodes[i];
		const struct holder_ref *r = NULL;

		if (holders_path(s, i, refs, HOLDER_MAX_DEPTH + 2))
			r = refs[0];
		else if (nd->nrefs) /* the direct holder, for a breakdown */
			r = &nd->refs[0];
		if (r && r->kind == REF_GLOBAL)
			addrs[n++] = r->at - t->load_bias;
	}
	target_global_users_find(t, addrs, n, HOLDER_GLOBAL_NEAR);
	free(addrs);
}
