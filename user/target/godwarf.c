// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gotables/runtime_layout.h"
#include "target/global_users.h"
#include "target/godwarf.h"
#include "target/target.h"
#include "util/log.h"

/* Go's own attributes (cmd/internal/dwarf) */
#define DW_AT_go_kind 0x2900
#define DW_AT_go_key 0x2901
#define DW_AT_go_elem 0x2902
#define DW_AT_go_runtime_type 0x2904

/* Bounds on what one program keeps (about 8 MiB at most), and on the
 * fields of one struct. */
#define MAX_TYPES (1u << 17)
#define MAX_FIELDS (1u << 19)
#define MAX_GLOBALS (1u << 18)
#define MAX_NAMES (4u << 20)
#define MAX_STRUCT_FIELDS 4096

struct builder {
	Dwarf *dw;
	struct go_dwarf *d;
	size_t tcap, fcap, gcap, ncap;
	/* DIE offset -> type index (open addressing, key 0 = empty) */
	Dwarf_Off *keys;
	uint32_t *vals;
	size_t hcap;
	/* types whose DIE is yet to be read */
	Dwarf_Off *todo;
	size_t ntodo, todocap;
	const struct data_sections *sec;
};

static uint32_t add_name(struct builder *b, const char *s)
{
	size_t len = s ? strlen(s) + 1 : 1;
	struct go_dwarf *d = b->d;

	if (!s)
		return 0; /* names[0] is "" */
	if (d->names_len + len > MAX_NAMES) {
		d->truncated = true;
		return 0;
	}
	if (d->names_len + len > b->ncap) {
		size_t nc = b->ncap ? 2 * b->ncap : 65536;
		char *v;

		while (nc < d->names_len + len)
			nc *= 2;
		if (!(v = realloc(d->names, nc)))
			return 0;
		d->names = v;
		b->ncap = nc;
	}
	memcpy(d->names + d->names_len, s, len);
	d->names_len += len;
	return (uint32_t)(d->names_len - len);
}

static size_t hslot(const struct builder *b, Dwarf_Off off)
{
	return (size_t)((off * 0x9e3779b97f4a7c15ull) >> 20) & (b->hcap - 1);
}

static bool hash_grow(struct builder *b)
{
	size_t nc = b->hcap ? 2 * b->hcap : 1u << 14, i, k;
	Dwarf_Off *keys = calloc(nc, sizeof(*keys));
	uint32_t *vals = calloc(nc, sizeof(*vals));
	Dwarf_Off *ok = b->keys;
	uint32_t *ov = b->vals;
	size_t oc = b->hcap;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return false;
	}
	b->keys = keys;
	b->vals = vals;
	b->hcap = nc;
	for (i = 0; i < oc; i++)
		if (ok[i]) {
			for (k = hslot(b, ok[i]); keys[k]; k = (k + 1) & (nc - 1))
				;
			keys[k] = ok[i];
			vals[k] = ov[i];
		}
	free(ok);
	free(ov);
	return true;
}

/* The index of the type at DIE offset `off`, queued to be read if new. */
static uint32_t type_ref(struct builder *b, Dwarf_Off off)
{
	struct go_dwarf *d = b->d;
	size_t k;

	if (!off)
		return DW_NONE;
	if (b->hcap) {
		for (k = hslot(b, off); b->keys[k]; k = (k + 1) & (b->hcap - 1))
			if (b->keys[k] == off)
				return b->vals[k];
	}
	if (d->ntypes >= MAX_TYPES) {
		d->truncated = true;
		return DW_NONE;
	}
	if ((2 * (d->ntypes + 1) > b->hcap && !hash_grow(b)))
		return DW_NONE;
	if (d->ntypes == b->tcap) {
		size_t nc = b->tcap ? 2 * b->tcap : 4096;
		struct dw_type *v = realloc(d->types, nc * sizeof(*v));

		if (!v)
			return DW_NONE;
		d->types = v;
		b->tcap = nc;
	}
	if (b->ntodo == b->todocap) {
		size_t nc = b->todocap ? 2 * b->todocap : 4096;
		Dwarf_Off *v = realloc(b->todo, nc * sizeof(*v));

		if (!v)
			return DW_NONE;
		b->todo = v;
		b->todocap = nc;
	}
	for (k = hslot(b, off); b->keys[k]; k = (k + 1) & (b->hcap - 1))
		;
	b->keys[k] = off;
	b->vals[k] = (uint32_t)d->ntypes;
	d->types[d->ntypes] = (struct dw_type){ .elem = DW_NONE, .key = DW_NONE };
	b->todo[b->ntodo++] = off;
	return (uint32_t)d->ntypes++;
}

static Dwarf_Off ref_attr(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr(die, name, &a) || !dwarf_formref_die(&a, &t))
		return 0;
	return dwarf_dieoffset(&t);
}

static uint64_t udata_attr(Dwarf_Die *die, unsigned name, uint64_t none)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &w))
		return none;
	return w;
}

/* Type i's fields (type_ref may move d->types: i is an index). */
/* DW_AT_go_runtime_type: an address form (an offset from the types section) */
static uint64_t runtime_type(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Addr v;
	Dwarf_Word w;

	if (!dwarf_attr(die, DW_AT_go_runtime_type, &a))
		return 0;
	if (!dwarf_formaddr(&a, &v))
		return v;
	return dwarf_formudata(&a, &w) ? 0 : w;
}

static void read_fields(struct builder *b, Dwarf_Die *die, uint32_t i)
{
	struct go_dwarf *d = b->d;
	uint32_t first = (uint32_t)d->nfields, n = 0;
	Dwarf_Die c;

	if (dwarf_child(die, &c))
		return;
	do {
		struct dw_field f;

		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		if (d->nfields >= MAX_FIELDS || n >= MAX_STRUCT_FIELDS) {
			d->truncated = true;
			break;
		}
		f.offset = (uint32_t)udata_attr(&c, DW_AT_data_member_location, 0);
		f.name = add_name(b, dwarf_diename(&c));
		f.type = type_ref(b, ref_attr(&c, DW_AT_type));
		if (d->nfields == b->fcap) {
			size_t nc = b->fcap ? 2 * b->fcap : 8192;
			struct dw_field *v = realloc(d->fields, nc * sizeof(*v));

			if (!v)
				break;
			d->fields = v;
			b->fcap = nc;
		}
		d->fields[d->nfields++] = f;
		n++;
	} while (!dwarf_siblingof(&c, &c));
	d->types[i].fields = first;
	d->types[i].nfields = n;
}

/* Fills the type at index i from its DIE. */
static void read_type(struct builder *b, Dwarf_Off off, uint32_t i)
{
	struct dw_type t = { .elem = DW_NONE, .key = DW_NONE };
	Dwarf_Die die, c;
	int tag;

	if (!dwarf_offdie(b->dw, off, &die))
		return;
	tag = dwarf_tag(&die);
	t.name = add_name(b, dwarf_diename(&die));
	t.size = (uint32_t)udata_attr(&die, DW_AT_byte_size, 0);
	t.kind = (uint8_t)udata_attr(&die, DW_AT_go_kind, 0);
	t.rtype = runtime_type(&die);
	switch (tag) {
	case DW_TAG_pointer_type:
		t.kind = GO_KIND_POINTER;
		t.size = 8;
		t.elem = type_ref(b, ref_attr(&die, DW_AT_type));
		break;
	case DW_TAG_array_type:
		t.kind = GO_KIND_ARRAY;
		t.elem = type_ref(b, ref_attr(&die, DW_AT_type));
		if (!dwarf_child(&die, &c) && dwarf_tag(&c) == DW_TAG_subrange_type)
			t.count = (uint32_t)udata_attr(&c, DW_AT_count, udata_attr(&c, DW_AT_upper_bound, (uint64_t)-1) + 1);
		break;
	case DW_TAG_typedef:
		/* a map (its key and value), or a defined type: the underlying
		 * type's layout under the defined name */
		if (t.kind == GO_KIND_MAP) {
			t.size = 8;
			t.key = type_ref(b, ref_attr(&die, DW_AT_go_key));
			t.elem = type_ref(b, ref_attr(&die, DW_AT_go_elem));
		} else if (t.kind == GO_KIND_INTERFACE) {
			t.size = 16; /* a type word (or itab) and a data word */
		} else {
			t.elem = type_ref(b, ref_attr(&die, DW_AT_type));
			t.kind = 0; /* resolved through elem when used */
		}
		break;
	case DW_TAG_structure_type:
		if (!t.kind)
			t.kind = GO_KIND_STRUCT;
		if (t.kind == GO_KIND_SLICE)
			t.elem = type_ref(b, ref_attr(&die, DW_AT_go_elem));
		/* the struct's layout is what naming an offset needs */
		b->d->types[i] = t;
		read_fields(b, &die, i);
		return;
	default:
		break;
	}
	b->d->types[i] = t;
}

static int cmp_global(const void *a, const void *b)
{
	const struct dw_global *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool pointerful(const struct data_sections *s, uint64_t a)
{
	return (a >= s->data && a - s->data < s->data_size) || (a >= s->bss && a - s->bss < s->bss_size);
}

static void add_global(struct builder *b, Dwarf_Die *die)
{
	struct go_dwarf *d = b->d;
	Dwarf_Attribute a;
	Dwarf_Block blk;
	struct dw_global g;
	uint64_t addr;

	/* DW_OP_addr ADDR: Go writes it as a block, which dwarf_getlocation
	 * refuses in DWARF 5 units; one operation is all a global has */
	if (!dwarf_attr(die, DW_AT_location, &a) || dwarf_formblock(&a, &blk) || blk.length != 9 ||
	    blk.data[0] != DW_OP_addr)
		return;
	memcpy(&addr, blk.data + 1, 8);
	if (!pointerful(b->sec, addr))
		return;
	if (d->nglobals >= MAX_GLOBALS) {
		d->truncated = true;
		return;
	}
	if (d->nglobals == b->gcap) {
		size_t nc = b->gcap ? 2 * b->gcap : 1024;
		struct dw_global *v = realloc(d->globals, nc * sizeof(*v));

		if (!v)
			return;
		d->globals = v;
		b->gcap = nc;
	}
	g.addr = addr;
	g.name = add_name(b, dwarf_diename(die));
	g.type = type_ref(b, ref_attr(die, DW_AT_type));
	g.size = 0;
	d->globals[d->nglobals++] = g;
}

static void read_dwarf(const struct target *t, struct go_dwarf *d)
{
	struct builder b = { .d = d, .sec = target_data_sections(t) };
	Dwarf_Off off = 0, next;
	size_t hsize, i;
	int fd = dup(t->elf.fd);

	memset(d, 0, sizeof(*d));
	if (fd < 0)
		return;
	b.dw = dwarf_begin(fd, DWARF_C_READ);
	if (!b.dw) {
		close(fd);
		return;
	}
	add_name(&b, ""); /* offset 0 is the empty name */
	while (!dwarf_nextcu(b.dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, c;

		if (dwarf_offdie(b.dw, off + hsize, &cu) && !dwarf_child(&cu, &c)) {
			do {
				if (dwarf_tag(&c) == DW_TAG_variable)
					add_global(&b, &c);
			} while (!dwarf_siblingof(&c, &c));
		}
		off = next;
	}
	/* the types the globals reach, breadth first (read_type queues more) */
	for (i = 0; i < b.ntodo; i++)
		read_type(&b, b.todo[i], (uint32_t)i);
	for (i = 0; i < d->nglobals; i++) {
		const struct dw_type *ty = go_dwarf_type(d, d->globals[i].type);

		while (ty && !ty->kind && ty->elem != DW_NONE) /* a defined type's underlying size */
			ty = go_dwarf_type(d, ty->elem);
		d->globals[i].size = ty && ty->size ? ty->size : 8;
	}
	qsort(d->globals, d->nglobals, sizeof(*d->globals), cmp_global);
	free(b.keys);
	free(b.vals);
	free(b.todo);
	dwarf_end(b.dw);
	close(fd);
	if (d->truncated)
		ht_debug("%s: DWARF: kept %zu globals, %zu types, %zu fields (bounds reached)", t->exe, d->nglobals,
			 d->ntypes, d->nfields);
}

const struct go_dwarf *target_dwarf(const struct target *t)
{
	static const struct go_dwarf none;
	struct program_facts *f = t->facts;

	if (!f)
		return &none;
	if (!f->dwarf_done && !t->elf.trimmed) {
		f->dwarf_done = true;
		read_dwarf(t, &f->dwarf);
	}
	return &f->dwarf;
}

const struct dw_global *go_dwarf_global_at(const struct go_dwarf *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nglobals;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->globals[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - d->globals[lo - 1].addr >= d->globals[lo - 1].size)
		return NULL;
	return &d->globals[lo - 1];
}

const char *go_dwarf_name(const struct go_dwarf *d, uint32_t off)
{
	return d->names && off < d->names_len ? d->names + off : "";
}

const struct dw_type *go_dwarf_type(const struct go_dwarf *d, uint32_t i)
{
	return i < d->ntypes ? &d->types[i] : NULL;
}

void go_dwarf_free(struct go_dwarf *d)
{
	free(d->types);
	free(d->fields);
	free(d->globals);
	free(d->names);
	memset(d, 0, sizeof(*d));
}
