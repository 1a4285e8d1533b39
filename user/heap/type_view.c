// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "heap/gotypes.h"
#include "heap/type_view.h"
#include "target/godwarf.h"

#define MAX_DESCRIBE_DEPTH 16
#define MAX_TYPEDEFS 8
#define TV_FIELD_LEN 96



static const struct go_dwarf *dwarf_of(const struct type_ctx *nm)
{
	return target_dwarf(nm->t);
}

/* A DWARF type with its defined types' names looked through. */
static const struct dw_type *dw_under(const struct go_dwarf *d, uint32_t i)
{
	const struct dw_type *t = go_dwarf_type(d, i);
	int k;

	for (k = 0; t && !t->kind && t->elem != DW_NONE && k < MAX_TYPEDEFS; k++)
		t = go_dwarf_type(d, t->elem);
	return t && t->kind ? t : NULL;
}

struct tview tv_dw(uint32_t i)
{
	return i == DW_NONE ? (struct tview){ TV_NONE } : (struct tview){ TV_DWARF, i, 0 };
}

struct tview tv_rt(uint64_t a)
{
	return a ? (struct tview){ TV_RUNTIME, DW_NONE, a } : (struct tview){ TV_NONE };
}


bool tv_info(const struct type_ctx *nm, struct tview t, struct tinfo *o)
{
	memset(o, 0, sizeof(*o));
	if (t.src == TV_DWARF) {
		const struct go_dwarf *d = dwarf_of(nm);
		const struct dw_type *u = dw_under(d, t.dw);

		if (!u)
			return false;
		o->kind = u->kind;
		o->size = u->size;
		o->len = u->count;
		o->elem = tv_dw(u->elem);
		o->key = tv_dw(u->key);
		return true;
	}
	if (t.src == TV_RUNTIME) {
		struct go_rtype r;

		if (!go_rtype_read(nm->mem, nm->t->layout, t.rt, &r))
			return false;
		o->kind = r.kind;
		o->size = r.size;
		o->len = r.len;
		o->elem = tv_rt(r.elem);
		return true;
	}
	return false;
}

/* "main.T" with the import paths of DWARF's names left as they are. */
bool tv_name(const struct type_ctx *nm, struct tview t, char *buf, size_t len)
{
	buf[0] = '\0';
	if (t.src == TV_DWARF) {
		const struct go_dwarf *d = dwarf_of(nm);
		const struct dw_type *dt = go_dwarf_type(d, t.dw);
		const struct go_map_types *mts = target_map_types(nm->t);
		const struct go_map_type *mt;

		if (!dt)
			return false;
		/* a map: the runtime's own name for it, as every other map type heaptrace prints */
		if (dt->rtype && nm->t->facts && nm->t->facts->types_base &&
		    (mt = go_map_types_at(mts, nm->t->facts->types_base + dt->rtype))) {
			snprintf(buf, len, "%s", mt->name);
			return true;
		}
		snprintf(buf, len, "%s", go_dwarf_name(d, dt->name));
		return buf[0] != '\0';
	}
	if (t.src == TV_RUNTIME)
		return go_type_name(nm->mem, nm->t->layout, nm->types_base, t.rt, buf, len);
	return false;
}

void tv_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The struct field holding `off` in t: its name, type and offset. */
static bool field_at(const struct type_ctx *nm, struct tview t, uint64_t off, char *name, size_t len,
		     struct tview *ft, uint64_t *foff)
{
	if (t.src == TV_DWARF) {
		const struct go_dwarf *d = dwarf_of(nm);
		const struct dw_type *u = dw_under(d, t.dw);
		const struct dw_field *best = NULL;
		uint32_t k;

		for (k = 0; u && k < u->nfields && u->fields + k < d->nfields; k++) {
			const struct dw_field *f = &d->fields[u->fields + k];

			if (f->offset <= off && (!best || f->offset >= best->offset))
				best = f;
		}
		if (!best)
			return false;
		snprintf(name, len, "%s", go_dwarf_name(d, best->name));
		*ft = tv_dw(best->type);
		*foff = best->offset;
		return true;
	}
	if (t.src == TV_RUNTIME) {
		uint64_t ty;

		if (!go_rtype_field(nm->mem, nm->t->layout, t.rt, off, name, len, &ty, foff))
			return false;
		*ft = tv_rt(ty);
		return true;
	}
	return false;
}

/* The dynamic type in an interface whose data word is at `at`: the word
 * before holds a *_type (interface {}) or an *itab (its _type at +8). */
static struct tview dynamic_type(const struct type_ctx *nm, struct tview t, uint64_t at)
{
	uint64_t w, ty;
	char name[32];

	if (!mem_word(nm->mem, at - 8, &w) || !w)
		return (struct tview){ TV_NONE };
	tv_name(nm, t, name, sizeof(name));
	if (!strcmp(name, "interface {}") || !strcmp(name, "any"))
		return tv_rt(w);
	return mem_word(nm->mem, w + 8, &ty) ? tv_rt(ty) : (struct tview){ TV_NONE };
}

/*
 * Appends to `field` the path to byte `off` of a value of type t
 * (".a.b[2].c"), and says how the word there leads on. `at` is the word's
 * address (to read an interface's type word).
 */
void tv_describe(const struct type_ctx *nm, struct tview t, uint64_t off, uint64_t at, char *field,
		     size_t len, struct leaf *lf)
{
	int depth;

	lf->via = VIA_NONE;
	for (depth = 0; depth < MAX_DESCRIBE_DEPTH; depth++) {
		struct tinfo ti;
		char name[TV_FIELD_LEN];
		struct tview ft;
		uint64_t foff;

		if (!tv_info(nm, t, &ti)) {
			if (off)
				tv_append(field, len, ".+%" PRIu64, off);
			return;
		}
		switch (ti.kind) {
		case GO_KIND_STRUCT:
			if (!field_at(nm, t, off, name, sizeof(name), &ft, &foff)) {
				tv_append(field, len, ".+%" PRIu64, off);
				return;
			}
			tv_append(field, len, ".%s", name);
			off -= foff;
			t = ft;
			continue;
		case GO_KIND_ARRAY: {
			struct tinfo ei;

			if (!tv_info(nm, ti.elem, &ei) || !ei.size) {
				tv_append(field, len, ".+%" PRIu64, off);
				return;
			}
			tv_append(field, len, "[%" PRIu64 "]", off / ei.size);
			off %= ei.size;
			t = ti.elem;
			continue;
		}
		case GO_KIND_POINTER:
			if (!off)
				*lf = (struct leaf){ VIA_POINTER, ti.elem };
			return;
		case GO_KIND_SLICE:
			if (!off)
				*lf = (struct leaf){ VIA_ARRAY, ti.elem };
			return;
		case GO_KIND_MAP:
			if (!off)
				*lf = (struct leaf){ VIA_MAP, t };
			return;
		case GO_KIND_INTERFACE:
			if (off == 8) {
				struct tview dt = dynamic_type(nm, t, at);
				struct tinfo di;

				if (tv_info(nm, dt, &di) && di.kind == GO_KIND_MAP)
					*lf = (struct leaf){ VIA_MAP, dt };
				else if (di.kind == GO_KIND_POINTER)
					*lf = (struct leaf){ VIA_POINTER, di.elem };
			}
			return;
		default:
			if (off)
				tv_append(field, len, ".+%" PRIu64, off);
			return;
		}
	}
}

