/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Every map type of a Go executable, from its type descriptors (read from
 * the ELF file, stripped and PIE included), and the matcher that names a
 * map found on the heap by the shape of its table. */
#ifndef HT_TARGET_GOMAPTYPES_H
#define HT_TARGET_GOMAPTYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "target/elf_image.h"
#include "gotables/runtime_layout.h"

struct go_map_type {
	char *name;		/* "map[string]main.value", or a defined type's "main.Cache" */
	uint64_t addr;		/* the descriptor (ELF address) */
	uint64_t group_size;	/* bucket (bucket maps) or group (Swiss tables) size */
	uint64_t slot_size;	/* one key and elem as stored (indirect ones are pointers) */
	uint64_t key_size, elem_size;
	bool key_pointers, elem_pointers;
	bool pointers;		/* the bucket/group type has pointers (PtrBytes > 0) */
	bool named;		/* a defined type: not in typelinks */
	bool shape;		/* a generic shape type (go.shape.*): never a map's type */
	uint8_t key_kind;	/* GO_KIND_* of the key */
	uint64_t key_stored;	/* bytes of a key in a slot (a pointer when stored indirectly) */
	uint64_t key_type, elem_type; /* descriptors (ELF addresses) */
};

struct go_map_types {
	struct go_map_type *v;
	size_t n;
	size_t from_typelinks;	/* how many of v came from moduledata.typelinks */
};

/* Enumerates the map types of the module whose runtime.firstmoduledata is
 * at `moduledata` (ELF address): up to Go 1.26 the typelinks list every
 * unnamed one; a scan of the type section [types, etypes) adds the defined
 * map types (and, from 1.27, which has no typelinks, finds them all). */
int go_map_types_load(const struct elf_image *img, uint64_t moduledata, const struct go_layout *L,
		      struct go_map_types *out);
void go_map_types_free(struct go_map_types *mt);
const struct go_map_type *go_map_types_find(const struct go_map_types *mt, const char *name);

/* What the heap walk knows of one table array of a map: how many buckets
 * or groups it holds, the size of the heap object holding them (as the
 * program sees it: without a malloc header) and whether its span is noscan. */
struct map_table_shape {
	uint64_t units;
	uint64_t object_bytes;
	bool noscan;
};

/* The map types whose table of shape s would be that object: pointer-free
 * exactly when the span is noscan, and `units` buckets or groups of the
 * type allocated by mallocgc round up to object_bytes. Fills out[0..max),
 * types of the program's own packages first, and returns how many match. */
size_t go_map_types_match(const struct go_map_types *mt, const struct go_layout *L, const struct map_table_shape *s,
			  const struct go_map_type **out, size_t max);
/* The map type whose descriptor is at `addr` (ELF address), or NULL. */
const struct go_map_type *go_map_types_at(const struct go_map_types *mt, uint64_t addr);
/* What every candidate (all n of them) says of the layout: key and value
 * sizes where they all agree (else 0), and as text: "16 B key, 8 B value
 * (147 types fit)", or with the slot's size alone when they disagree. */
void go_map_types_layout(const struct go_map_type *const *cand, size_t n, uint64_t *key_bytes, uint64_t *elem_bytes,
			 char *buf, size_t len);
#endif
