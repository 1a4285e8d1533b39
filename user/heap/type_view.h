/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One view of a type, whether DWARF describes it (a global's type and what
 * its pointers point at, from the program's file) or the runtime (the type
 * an object carries, read from the process): its kind, size, elements and
 * struct fields, and the path to a byte inside a value of it. */
#ifndef HT_HEAP_TYPE_VIEW_H
#define HT_HEAP_TYPE_VIEW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heap/memsrc.h"
#include "target/target.h"

struct type_ctx {
	const struct target *t;
	struct memsrc *mem;
	uint64_t types_base; /* runtime address of moduledata.types, 0 if unknown */
};

enum tv_src { TV_NONE, TV_DWARF, TV_RUNTIME };
struct tview {
	enum tv_src src;
	uint32_t dw; /* TV_DWARF: the type as named (a defined type's name) */
	uint64_t rt; /* TV_RUNTIME: its descriptor (runtime address) */
};

struct tinfo {
	uint8_t kind; /* GO_KIND_* */
	uint64_t size, len;
	struct tview elem, key;
};

/* How the next object is reached from a word: through a pointer to one
 * value, or a slice's array; or the word is a map. */
enum via { VIA_NONE, VIA_POINTER, VIA_ARRAY, VIA_MAP };
struct leaf {
	enum via via;
	struct tview t; /* the pointee (element), or the map type */
};

struct tview tv_dw(uint32_t i);
struct tview tv_rt(uint64_t a);
bool tv_info(const struct type_ctx *c, struct tview t, struct tinfo *o);
/* Its name: the runtime's for a map (as every map type heaptrace prints),
 * DWARF's (import paths and all) for the rest. */
bool tv_name(const struct type_ctx *c, struct tview t, char *buf, size_t len);
/* Appends to `field` the path to byte `off` of a value of type t
 * (".a.b[2].c"), and says how the word there leads on; `at` is the word's
 * address (to read an interface's type word). */
void tv_describe(const struct type_ctx *c, struct tview t, uint64_t off, uint64_t at, char *field, size_t len,
		 struct leaf *lf);
void tv_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
