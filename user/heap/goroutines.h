/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A Go program's goroutines read from outside: runtime.allgs, each g's stack
 * bounds, status, id and the registers saved when it stopped, and its frames
 * unwound with pclntab's pc-sp tables (stripped binaries too). A goroutine
 * running on a CPU has no saved registers to start from: it is counted, not
 * walked. Every value read is the target's: bounded and checked. */
#ifndef HT_HEAP_GOROUTINES_H
#define HT_HEAP_GOROUTINES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heap/memsrc.h"
#include "gotables/runtime_layout.h"
#include "target/target.h"

/* At most this many goroutines are read, and this much of one's stack. */
#define GOROUTINES_MAX (1u << 20)
#define GOROUTINE_STACK_MAX (16u << 20)

struct goroutine {
	uint64_t g, goid;
	uint32_t status;     /* without the _Gscan bit */
	uint64_t lo, hi;     /* its stack */
	uint64_t sp, pc;     /* where its frames start; sp 0: not walkable (running) */
};

struct goroutines {
	struct goroutine *v; /* the walkable ones and the others, dead ones left out */
	size_t n;
	size_t dead, running, unreadable;
	bool truncated;	     /* more than GOROUTINES_MAX */
};

/* One frame: its function's code at pc (runtime address; a return address
 * after the first frame) owns [sp, end). */
struct stack_frame {
	uint64_t pc, sp, end;
};

/* Is there a plausible runtime.allgs at addr (runtime address)? */
bool goroutines_check_allgs(struct memsrc *mem, const struct go_layout *L, uint64_t addr);
/* runtime.allgs by symbol, or by the code of the functions that use it;
 * 0 when none of the candidates fits (why says so). */
uint64_t goroutines_locate(struct memsrc *mem, const struct target *t, char *why, size_t len);
/* Reads every goroutine of allgs. On failure nothing is left to free. */
int goroutines_read(struct memsrc *mem, const struct go_layout *L, uint64_t allgs, struct goroutines *out);
void goroutines_free(struct goroutines *gs);
/* Unwinds g's frames over `stack`, its bytes [g->sp, g->sp + len), with
 * pclntab's pc-sp tables; returns how many of out[0..max) it filled. */
size_t goroutine_unwind(const struct target *t, const struct goroutine *g, const uint8_t *stack, size_t len,
			struct stack_frame *out, size_t max);
#endif
