// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/goroutines.h"
#include "heap/runtime_globals.h"
#include "util/log.h"

#define G_BATCH 1024		/* g structs read per call */
#define MAX_G_SIZE 1024		/* runtime.g is 392-456 bytes in 1.19-1.27 */
#define MAX_STATUS 9		/* _Gpreempted */
#define MAX_GOID (1ull << 48)
#define MAX_FRAMES_DEPTH 4096

struct slice {
	uint64_t ptr, len, cap;
};

static bool read_slice(struct memsrc *mem, uint64_t addr, struct slice *s)
{
	uint64_t w[3];

	if (!mem_read(mem, addr, w, sizeof(w)))
		return false;
	*s = (struct slice){ w[0], w[1], w[2] };
	return s->len <= s->cap && s->cap <= GOROUTINES_MAX * 4ull && s->ptr && !(s->ptr & 7) && s->len;
}

/* A g as read: false when it is not plausibly one. */
static bool parse_g(const struct go_layout *L, uint64_t addr, const uint8_t *p, struct goroutine *g)
{
	uint32_t st = (uint32_t)mem_field(p, L->g_atomicstatus, 4) & ~(uint32_t)GO_G_SCAN;

	memset(g, 0, sizeof(*g));
	g->g = addr;
	g->status = st;
	g->goid = mem_field(p, L->g_goid, 8);
	g->lo = mem_field(p, L->g_stack_lo, 8);
	g->hi = mem_field(p, L->g_stack_hi, 8);
	if (st > MAX_STATUS || g->goid > MAX_GOID)
		return false;
	if (st == GO_G_DEAD)
		return true; /* its stack may be gone: nothing more to check */
	if (g->lo >= g->hi || g->hi - g->lo > (1ull << 30))
		return false;
	if (st == GO_G_SYSCALL) {
		g->sp = mem_field(p, L->g_syscallsp, 8);
		g->pc = mem_field(p, L->g_syscallpc, 8);
	} else if (st == GO_G_WAITING || st == GO_G_RUNNABLE || st == GO_G_PREEMPTED) {
		g->sp = mem_field(p, L->g_sched_sp, 8);
		g->pc = mem_field(p, L->g_sched_pc, 8);
	}
	if (g->sp && (g->sp < g->lo || g->sp >= g->hi || !g->pc))
		g->sp = g->pc = 0; /* not where its stack is: not walked */
	return true;
}

bool goroutines_check_allgs(struct memsrc *mem, const struct go_layout *L, uint64_t addr)
{
	uint8_t buf[MAX_G_SIZE];
	uint64_t first[4];
	struct goroutine g;
	struct slice s;
	size_t i, n, live = 0;

	if (L->g_size > sizeof(buf) || !read_slice(mem, addr, &s))
		return false;
	n = s.len < 4 ? s.len : 4;
	if (!mem_read(mem, s.ptr, first, n * 8))
		return false;
	for (i = 0; i < n; i++) {
		if (!first[i] || first[i] & 7 || !mem_read(mem, first[i], buf, L->g_size) ||
		    !parse_g(L, first[i], buf, &g))
			return false;
		live += g.status != GO_G_DEAD;
	}
	/* the main goroutine (or g0's successors) is there and alive */
	return live > 0;
}

uint64_t goroutines_locate(struct memsrc *mem, const struct target *t, char *why, size_t len)
{
	struct global_candidates c;
	size_t i;

	if (!t->layout) {
		snprintf(why, len, "no runtime layout for this Go version");
		return 0;
	}
	global_candidates(t, "runtime.allgs", 0, allgs_referrers, &c);
	for (i = 0; i < c.n; i++)
		if (goroutines_check_allgs(mem, t->layout, c.addr[i] + t->load_bias))
			return c.addr[i] + t->load_bias;
	snprintf(why, len, "runtime.allgs not found: none of %zu candidate addresses (from %s) holds goroutines", c.n,
		 c.from_symbol ? "the symbol table and code" : "code");
	return 0;
}

int goroutines_read(struct memsrc *mem, const struct go_layout *L, uint64_t allgs, struct goroutines *out)
{
	struct memrange r[G_BATCH];
	uint8_t *buf = NULL;
	uint64_t *ptrs = NULL;
	struct slice s;
	size_t i, k, n, cap = 0;

	memset(out, 0, sizeof(*out));
	if (L->g_size > MAX_G_SIZE || !read_slice(mem, allgs, &s))
		return ht_fail("runtime.allgs at 0x%llx is not a slice of goroutines", (unsigned long long)allgs);
	n = s.len;
	if (n > GOROUTINES_MAX) {
		n = GOROUTINES_MAX;
		out->truncated = true;
	}
	ptrs = malloc(n * 8);
	buf = malloc((size_t)G_BATCH * L->g_size);
	if (!ptrs || !buf)
		goto oom;
	if (!mem_read(mem, s.ptr, ptrs, n * 8)) {
		free(ptrs);
		free(buf);
		return ht_fail("runtime.allgs' array at 0x%llx (%zu goroutines) cannot be read",
			       (unsigned long long)s.ptr, n);
	}
	for (i = 0; i < n; i += G_BATCH) {
		size_t m = n - i < G_BATCH ? n - i : G_BATCH;

		for (k = 0; k < m; k++)
			r[k] = (struct memrange){ .addr = ptrs[i + k], .buf = buf + k * L->g_size,
						  .len = ptrs[i + k] && !(ptrs[i + k] & 7) ? L->g_size : 0 };
		mem->readv(mem, r, m);
		for (k = 0; k < m; k++) {
			struct goroutine g;

			if (!r[k].len || !r[k].ok || !parse_g(L, ptrs[i + k], r[k].buf, &g)) {
				out->unreadable++;
				continue;
			}
			if (g.status == GO_G_DEAD) {
				out->dead++;
				continue;
			}
			out->running += !g.sp;
			if (out->n == cap) {
				size_t nc = cap ? 2 * cap : 256;
				struct goroutine *v = realloc(out->v, nc * sizeof(*v));

				if (!v)
					goto oom;
				out->v = v;
				cap = nc;
			}
			out->v[out->n++] = g;
		}
	}
	free(ptrs);
	free(buf);
	return 0;
oom:
	free(ptrs);
	free(buf);
	goroutines_free(out);
	return ht_fail("out of memory reading %zu goroutines", n);
}

void goroutines_free(struct goroutines *gs)
{
	free(gs->v);
	memset(gs, 0, sizeof(*gs));
}

/* The function at pc and its frame size there; false if pclntab has none. */
static bool frame_size(const struct target *t, uint64_t pc, struct go_func *fn, int32_t *delta)
{
	uint64_t i;

	if (!go_funcs_at(&t->funcs, pc, fn, &i))
		return false;
	return !pclntab_spdelta(&t->funcs.tab, i, (uint32_t)(pc - fn->entry), delta) && *delta >= 0;
}

size_t goroutine_unwind(const struct target *t, const struct goroutine *g, const uint8_t *stack, size_t len,
			struct stack_frame *out, size_t max)
{
	uint64_t pc = g->pc, sp = g->sp;
	size_t n = 0;

	if (!sp)
		return 0;
	while (n < max && n < MAX_FRAMES_DEPTH) {
		struct go_func fn;
		int32_t delta;
		uint64_t elf_pc = pc - t->load_bias, ret;

		/* a return address after a call at the very end of a function
		 * (one that does not return) belongs to the call's function */
		if (!frame_size(t, elf_pc, &fn, &delta) && !(n && frame_size(t, elf_pc - 1, &fn, &delta)))
			break;
		if (sp < g->sp || sp - g->sp + (uint64_t)delta + 8 > len)
			break;
		out[n++] = (struct stack_frame){ .pc = pc, .sp = sp, .end = sp + (uint64_t)delta };
		if (!strcmp(fn.name, "runtime.goexit") || !strcmp(fn.name, "runtime.mstart"))
			break;
		memcpy(&ret, stack + (sp - g->sp) + (uint64_t)delta, 8);
		if (!ret)
			break;
		pc = ret;
		sp += (uint64_t)delta + 8;
	}
	return n;
}
