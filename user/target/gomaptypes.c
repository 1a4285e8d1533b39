// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/gomaptypes.h"
#include "gotables/runtime_alloc.h"
#include "util/log.h"
#include "util/uvarint.h"

#define MAX_NAME 1024
#define ABI_TYPE_SIZE 48 /* abi.Type, every version: the map part follows */
#define KIND_STRUCT 25

/* The type section as the file holds it: descriptors are read from its
 * bytes, pointers in it through the relocations (PIE). */
struct typesec {
	const struct elf_image *img;
	const struct go_layout *L;
	uint64_t types, etypes;
	const uint8_t *bytes;
	uint64_t desc_len; /* bytes of a map type descriptor that we read */
};

static bool in_section(const struct typesec *ts, uint64_t a, uint64_t len)
{
	return a >= ts->types && a < ts->etypes && ts->etypes - a >= len;
}

static uint64_t field(const struct typesec *ts, uint64_t a, uint16_t off, unsigned width)
{
	uint64_t v = 0;

	memcpy(&v, ts->bytes + (a - ts->types) + off, width);
	return v;
}

static bool pointer(const struct typesec *ts, uint64_t a, uint16_t off, uint64_t *out)
{
	return elf_read_word(ts->img, a + off, out) && in_section(ts, *out, ABI_TYPE_SIZE);
}

/* abi.Type.Str: a NameOff from types to an abi.Name (flags byte, uvarint
 * length, bytes); TFlagExtraStar names are shared with the pointer type. */
static char *type_name(const struct typesec *ts, uint64_t a)
{
	int32_t str = (int32_t)field(ts, a, ts->L->type_str, 4);
	uint64_t at, n;
	size_t vl;
	bool star = field(ts, a, ts->L->type_tflag, 1) & GO_TFLAG_EXTRA_STAR;
	char *s;

	if (str <= 0 || !in_section(ts, ts->types + (uint64_t)str, 2))
		return NULL;
	at = ts->types + (uint64_t)str + 1;
	vl = uvarint_decode(ts->bytes + (at - ts->types), ts->etypes - at, &n);
	if (!vl || !n || n > MAX_NAME || !in_section(ts, at + vl, n))
		return NULL;
	at += vl;
	if (star && ts->bytes[at - ts->types] == '*') {
		at++;
		n--;
	}
	s = malloc(n + 1);
	if (s) {
		memcpy(s, ts->bytes + (at - ts->types), n);
		s[n] = '\0';
	}
	return s;
}

/* Is there a map type descriptor at a? What a descriptor must be (kind,
 * one pointer word, name, key/elem/group inside the section, the group's
 * size repeated in the map type), so that a scan finds nothing else. */
static bool read_map_type(const struct typesec *ts, uint64_t a, struct go_map_type *m)
{
	const struct go_layout *L = ts->L;
	bool swiss = L->maptype_swiss_slot != GO_ABSENT;
	uint64_t key, elem, group;

	if (!in_section(ts, a, ts->desc_len) || (field(ts, a, L->type_kind, 1) & GO_KIND_MASK) != GO_KIND_MAP ||
	    field(ts, a, L->type_size, 8) != 8 || field(ts, a, L->type_ptrbytes, 8) != 8)
		return false;
	if (!pointer(ts, a, L->maptype_key, &key) || !pointer(ts, a, L->maptype_elem, &elem) ||
	    !pointer(ts, a, L->maptype_group, &group) ||
	    (field(ts, group, L->type_kind, 1) & GO_KIND_MASK) != KIND_STRUCT)
		return false;
	memset(m, 0, sizeof(*m));
	m->addr = a;
	m->group_size = field(ts, a, L->maptype_slot_size, swiss ? 8 : 2);
	if (!m->group_size || m->group_size != field(ts, group, L->type_size, 8))
		return false;
	m->pointers = field(ts, group, L->type_ptrbytes, 8) != 0;
	m->key_size = field(ts, key, L->type_size, 8);
	m->elem_size = field(ts, elem, L->type_size, 8);
	m->key_pointers = field(ts, key, L->type_ptrbytes, 8) != 0;
	m->elem_pointers = field(ts, elem, L->type_ptrbytes, 8) != 0;
	m->slot_size = swiss ? field(ts, a, L->maptype_swiss_slot, 8) :
			       field(ts, a, L->maptype_keysize, 1) + field(ts, a, L->maptype_elemsize, 1);
	m->named = field(ts, a, L->type_tflag, 1) & GO_TFLAG_NAMED;
	m->key_kind = (uint8_t)(field(ts, key, L->type_kind, 1) & GO_KIND_MASK);
	m->key_type = key;
	m->elem_type = elem;
	/* keys over 128 bytes are stored as pointers (abi.MapMaxKeyBytes) */
	m->key_stored = swiss ? (m->key_size > 128 ? 8 : m->key_size) : field(ts, a, L->maptype_keysize, 1);
	m->name = type_name(ts, a);
	m->shape = m->name && strstr(m->name, "go.shape.");
	return m->name != NULL;
}

static bool known(const struct go_map_types *mt, uint64_t a)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		if (mt->v[i].addr == a)
			return true;
	return false;
}

static int add(struct go_map_types *mt, size_t *cap, const struct go_map_type *m)
{
	if (mt->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct go_map_type *v = realloc(mt->v, nc * sizeof(*v));

		if (!v)
			return ht_fail("out of memory for %zu map types", nc);
		mt->v = v;
		*cap = nc;
	}
	mt->v[mt->n++] = *m;
	return 0;
}

/* moduledata.typelinks: a []int32 of offsets from types, every unnamed
 * type reflect may look up by name (maps included), none of the defined ones. */
static int from_typelinks(const struct typesec *ts, uint64_t moduledata, struct go_map_types *mt, size_t *cap)
{
	uint64_t ptr, len, i;
	const uint8_t *links;

	if (ts->L->md_typelinks == GO_ABSENT)
		return 0;
	if (!elf_read_word(ts->img, moduledata + ts->L->md_typelinks, &ptr) ||
	    !elf_read_word(ts->img, moduledata + ts->L->md_typelinks + 8, &len) || len > (1u << 24) ||
	    !(links = elf_vaddr_bytes(ts->img, ptr, len * 4)))
		return ht_fail("moduledata.typelinks is unreadable");
	for (i = 0; i < len; i++) {
		struct go_map_type m;
		int32_t off;

		memcpy(&off, links + i * 4, 4);
		if (off >= 0 && read_map_type(ts, ts->types + (uint64_t)off, &m) && add(mt, cap, &m)) {
			free(m.name);
			return -1;
		}
	}
	mt->from_typelinks = mt->n;
	return 0;
}

int go_map_types_load(const struct elf_image *img, uint64_t moduledata, const struct go_layout *L,
		      struct go_map_types *out)
{
	struct typesec ts = { .img = img, .L = L };
	size_t cap = 0;
	uint64_t a;

	memset(out, 0, sizeof(*out));
	if (!moduledata || !L)
		return ht_fail("no runtime.firstmoduledata or runtime layout: the binary's types cannot be read");
	if (!elf_read_word(img, moduledata + L->md_types, &ts.types) ||
	    !elf_read_word(img, moduledata + L->md_etypes, &ts.etypes) || ts.etypes <= ts.types ||
	    !(ts.bytes = elf_vaddr_bytes(img, ts.types, ts.etypes - ts.types)))
		return ht_fail("moduledata's type section is not in the file");
	ts.desc_len = L->maptype_swiss_slot != GO_ABSENT ? L->maptype_swiss_slot + 8u : L->maptype_slot_size + 2u;
	if (from_typelinks(&ts, moduledata, out, &cap))
		goto fail;
	/* Descriptors are 8-byte aligned. With typelinks, what the scan adds
	 * must be a defined type: those are what typelinks leave out. */
	for (a = (ts.types + 7) & ~7ull; a + ts.desc_len <= ts.etypes; a += 8) {
		struct go_map_type m;

		if (!read_map_type(&ts, a, &m))
			continue;
		if ((out->from_typelinks && !m.named) || known(out, a)) {
			free(m.name);
			continue;
		}
		if (add(out, &cap, &m)) {
			free(m.name);
			goto fail;
		}
	}
	return 0;
fail:
	go_map_types_free(out);
	return -1;
}

void go_map_types_free(struct go_map_types *mt)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		free(mt->v[i].name);
	free(mt->v);
	memset(mt, 0, sizeof(*mt));
}

const struct go_map_type *go_map_types_find(const struct go_map_types *mt, const char *name)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		if (!strcmp(mt->v[i].name, name))
			return &mt->v[i];
	return NULL;
}

/* Does the name mention a package outside the standard library ("main." or
 * a module path, which has a dot before its first slash)? */
static bool user_type(const char *name)
{
	const char *p;

	if (strstr(name, "main."))
		return true;
	for (p = name; (p = strchr(p, '/')); p++) {
		const char *q = p;

		while (q > name && !strchr("[]*(), ", q[-1]))
			q--;
		if (memchr(q, '.', (size_t)(p - q)))
			return true;
	}
	return false;
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct go_map_type *x = *(const struct go_map_type *const *)a, *y = *(const struct go_map_type *const *)b;
	bool ux = user_type(x->name), uy = user_type(y->name);

	if (ux != uy)
		return ux ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t go_map_types_match(const struct go_map_types *mt, const struct go_layout *L, const struct map_table_shape *s,
			  const struct go_map_type **out, size_t max)
{
	const struct go_map_type **all;
	size_t i, n = 0;

	if (!mt->n || !s->units || !s->object_bytes)
		return 0;
	all = calloc(mt->n, sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < mt->n; i++) {
		const struct go_map_type *m = &mt->v[i];

		/* a generic shape type is the compiler's, never a map's own */
		if (m->shape || m->pointers == s->noscan || s->units > UINT64_MAX / m->group_size)
			continue;
		if (go_alloc_usable(L, s->units * m->group_size, s->noscan) == s->object_bytes)
			all[n++] = m;
	}
	qsort(all, n, sizeof(*all), cmp_candidate);
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	free(all);
	return n;
}

const struct go_map_type *go_map_types_at(const struct go_map_types *mt, uint64_t addr)
{
	size_t i;

	for (i = 0; addr && i < mt->n; i++)
		if (mt->v[i].addr == addr)
			return &mt->v[i];
	return NULL;
}

void go_map_types_layout(const struct go_map_type *const *cand, size_t n, uint64_t *key_bytes, uint64_t *elem_bytes,
			 char *buf, size_t len)
{
	bool same_slot = true;
	size_t i;

	*key_bytes = n ? cand[0]->key_size : 0;
	*elem_bytes = n ? cand[0]->elem_size : 0;
	for (i = 1; i < n; i++) {
		if (cand[i]->key_size != *key_bytes || cand[i]->elem_size != *elem_bytes)
			*key_bytes = *elem_bytes = 0;
		same_slot = same_slot && cand[i]->slot_size == cand[0]->slot_size;
	}
	if (!n)
		snprintf(buf, len, "map");
	else if (*key_bytes || *elem_bytes)
		snprintf(buf, len, "%llu B key, %llu B value (%zu type%s fit)", (unsigned long long)*key_bytes,
			 (unsigned long long)*elem_bytes, n, n == 1 ? "" : "s");
	else if (same_slot)
		snprintf(buf, len, "%llu B key and value (%zu types fit)", (unsigned long long)cand[0]->slot_size, n);
	else
		snprintf(buf, len, "map (%zu types fit)", n);
}
