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
