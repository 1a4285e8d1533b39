// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "heap/gotypes.h"
#include "util/uvarint.h"

#define MAX_NAME 512

uint64_t go_types_base(const struct target *t, const struct go_layout *L)
{
	struct program_facts *pf = t->facts;
	uint64_t v;

	if (!pf)
		return 0;
	if (!pf->types_base_done && !t->elf.trimmed) {
		pf->types_base_done = true;
		if (t->funcs.moduledata && elf_read_word(&t->elf, t->funcs.moduledata + L->md_types, &v))
			pf->types_base = v;
	}
	return pf->types_base ? pf->types_base + t->load_bias : 0;
}

bool go_type_name(struct memsrc *m, const struct go_layout *L, uint64_t types_base, uint64_t type,
		  char *buf, size_t len)
{
	uint8_t hdr[L->type_str + 4 > L->type_tflag + 1 ? L->type_str + 4 : L->type_tflag + 1];
	uint8_t name[1 + 10 + MAX_NAME];
	uint64_t n = 0, i;
	int32_t str;
	size_t skip;

	if (!types_base || !type || !len || !mem_read(m, type, hdr, sizeof(hdr)))
		return false;
	memcpy(&str, hdr + L->type_str, 4);
	if (str <= 0 || !mem_read(m, types_base + (uint64_t)str, name, 1 + 10))
		return false;
	/* runtime.name: a flags byte, then the length as a varint, then the bytes */
	i = uvarint_decode(name + 1, 10, &n);
	if (!i || n == 0 || n > MAX_NAME || !mem_read(m, types_base + (uint64_t)str + i + 1, name, n))
		return false;
	skip = (hdr[L->type_tflag] & GO_TFLAG_EXTRA_STAR) && name[0] == '*';
	snprintf(buf, len, "%.*s", (int)(n - skip), (const char *)name + skip);
	return true;
}

void go_map_type_from_slot_type(const char *slot_type, char *buf, size_t len)
{
	static const char *const prefixes[] = { "noalg.map.bucket", "map.bucket", "noalg.map.group",
						"map.group", NULL };
	int i;

	for (i = 0; prefixes[i]; i++) {
		size_t pl = strlen(prefixes[i]);

		if (!strncmp(slot_type, prefixes[i], pl) && slot_type[pl] == '[') {
			snprintf(buf, len, "map%s", slot_type + pl);
			return;
		}
	}
	snprintf(buf, len, "%s", slot_type);
}

#define MAX_FIELDS 4096
#define MAX_FIELD_NAME 128

bool go_rtype_read(struct memsrc *m, const struct go_layout *L, uint64_t type, struct go_rtype *out)
{
	uint8_t b[80];

	memset(out, 0, sizeof(*out));
	if (!type || type & 7 || L->arraytype_len + 8u > sizeof(b) || !mem_read(m, type, b, L->arraytype_len + 8u))
		return false;
	out->addr = type;
	out->size = mem_field(b, L->type_size, 8);
	out->kind = (uint8_t)(mem_field(b, L->type_kind, 1) & GO_KIND_MASK);
	if (out->size > (1ull << 40) || !out->kind)
		return false;
	switch (out->kind) {
	case GO_KIND_POINTER:
		out->elem = mem_field(b, L->ptrtype_elem, 8);
		break;
	case GO_KIND_SLICE:
		out->elem = mem_field(b, L->slicetype_elem, 8);
		break;
	case GO_KIND_ARRAY:
		out->elem = mem_field(b, L->arraytype_elem, 8);
		out->len = mem_field(b, L->arraytype_len, 8);
		break;
	default:
		break;
	}
	return true;
}

/* An abi.Name: flags, a uvarint length, the bytes. */
static bool read_name(struct memsrc *m, uint64_t at, char *buf, size_t len)
{
	uint8_t b[1 + 10 + MAX_FIELD_NAME];
	uint64_t n = 0;
	size_t i;

	if (!at || !mem_read(m, at, b, 1 + 10))
		return false;
	i = uvarint_decode(b + 1, 10, &n);
	if (!i || !n || n > MAX_FIELD_NAME || !mem_read(m, at + 1 + i, b, n))
		return false;
	snprintf(buf, len, "%.*s", (int)n, (const char *)b);
	return true;
}

bool go_rtype_field(struct memsrc *m, const struct go_layout *L, uint64_t type, uint64_t off, char *buf, size_t len,
		    uint64_t *ftype, uint64_t *foff)
{
	uint8_t hdr[80], f[32];
	uint64_t fields, n, i, best = UINT64_MAX;

	if (L->structtype_fields + 16u > sizeof(hdr) || L->structfield_size > sizeof(f) ||
	    !mem_read(m, type, hdr, L->structtype_fields + 16u) ||
	    (mem_field(hdr, L->type_kind, 1) & GO_KIND_MASK) != GO_KIND_STRUCT)
		return false;
	fields = mem_field(hdr, L->structtype_fields, 8);
	n = mem_field(hdr, L->structtype_fields + 8, 8);
	if (!fields || n > MAX_FIELDS || off >= mem_field(hdr, L->type_size, 8))
		return false;
	/* the last field starting at or before off (fields are in offset order) */
	for (i = 0; i < n; i++) {
		uint64_t fo;

		if (!mem_read(m, fields + i * L->structfield_size, f, L->structfield_size))
			return false;
		fo = mem_field(f, L->structfield_offset, 8);
		if (fo > off)
			break;
		best = i;
		*foff = fo;
		*ftype = mem_field(f, L->structfield_typ, 8);
		if (!read_name(m, mem_field(f, L->structfield_name, 8), buf, len))
			snprintf(buf, len, "+%llu", (unsigned long long)fo);
	}
	return best != UINT64_MAX;
}
