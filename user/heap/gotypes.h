/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names of Go runtime types (*_type) in a running process, resolved through
 * runtime.firstmoduledata.types as reflect does. */
#ifndef HT_HEAP_GOTYPES_H
#define HT_HEAP_GOTYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heap/memsrc.h"
#include "gotables/runtime_layout.h"
#include "target/target.h"

/* The runtime address of the types section (0 if unknown). */
uint64_t go_types_base(const struct target *t, const struct go_layout *L);
/* Writes the type's name ("map.bucket[string]int"); false if unreadable. */
bool go_type_name(struct memsrc *m, const struct go_layout *L, uint64_t types_base, uint64_t type,
		  char *buf, size_t len);
/* What naming an offset inside an object of a runtime type needs: its
 * size and kind, a pointer's, slice's or array's element (0: none), an
 * array's length. */
struct go_rtype {
	uint64_t addr, size, elem, len;
	uint8_t kind; /* GO_KIND_* */
};
bool go_rtype_read(struct memsrc *m, const struct go_layout *L, uint64_t type, struct go_rtype *out);
/* The field of struct type `type` that holds byte `off`: its name (buf),
 * type and offset; false if none (or not a struct). */
bool go_rtype_field(struct memsrc *m, const struct go_layout *L, uint64_t type, uint64_t off, char *buf, size_t len,
		    uint64_t *ftype, uint64_t *foff);
/* The map type's key/element part, from a bucket or group type's name
 * ("map.bucket[string]int" -> "map[string]int"); copies other names as they are. */
void go_map_type_from_slot_type(const char *slot_type, char *buf, size_t len);
#endif
