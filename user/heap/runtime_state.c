// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "heap/runtime_state.h"
#include "util/monotonic.h"

/* memstats up to last_gc_nanotime is 7.7 KiB in every version; a layout
 * that needs more is refused rather than read past. */
#define MEMSTATS_MAX 8192
#define CONTROLLER_MAX 512
/* Candidates validated per process_vm_readv while searching. */
#define SEARCH_BATCH 16
/* A read that raced the runtime is done again this many times, this far
 * apart: the runtime's updates (a collection's end, a heapStats fold) take
 * microseconds. */
#define READ_TRIES 6
#define RETRY_WAIT_NS 200000

/* The ranges of memstats the decoder reads: [0, pause_ns + 2 KiB) and, past
 * pause_end (2 KiB nothing reads), [numgc, end). Returns how many (1 or 2). */
static size_t memstats_ranges(const struct go_layout *L, uint64_t base, uint8_t *img, struct memrange *r)
{
	size_t end = rt_memstats_bytes(L), head = L->mstats_pause_ns + 8u * GO_PAUSE_HISTORY;

	if (head >= L->mstats_numgc) {
		r[0] = (struct memrange){ .addr = base, .buf = img, .len = end };
		return 1;
	}
	memset(img + head, 0, L->mstats_numgc - head);
	r[0] = (struct memrange){ .addr = base, .buf = img, .len = head };
	r[1] = (struct memrange){ .addr = base + L->mstats_numgc, .buf = img + L->mstats_numgc,
				  .len = end - L->mstats_numgc };
	return 2;
}

static bool all_ok(const struct memrange *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!r[i].ok)
			return false;
	return true;
}

void runtime_state_open(struct runtime_state_reader *r, const struct target *t)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->L = t->layout;
	memsrc_process(&r->mem, t->pid);
	if (!r->L) {
		snprintf(r->why, sizeof(r->why), "no runtime layout for go1.%d", t->bi.ver.minor);
		return;
	}
	if (!t->host_arch) {
		snprintf(r->why, sizeof(r->why), "the target's code is not this host's");
		return;
	}
	if (rt_memstats_bytes(r->L) > MEMSTATS_MAX || r->L->gcc_size > CONTROLLER_MAX) {
		snprintf(r->why, sizeof(r->why), "go1.%d's memstats or gcController is larger than heaptrace reads",
			 t->bi.ver.minor);
		r->L = NULL;
		return;
	}
	global_candidates(t, "runtime.memstats", 0, memstats_referrers, &r->ms_cand);
	global_candidates(t, "runtime.gcController", 0, gccontroller_referrers, &r->gc_cand);
}

/* gcController.mappedReady is what the runtime has mapped and not released:
 * memstats' total less the released heap, but for the moments between the
 * two's updates. A global that happens to decode as a GC controller (Go
 * 1.27's has zeros where GOGC and the limit would be, and a large count
 * where mappedReady would) does not also agree with memstats. */
static bool agrees(const struct rt_gccontroller *gc, uint64_t mapped)
{
	uint64_t diff = gc->mapped_ready > mapped ? gc->mapped_ready - mapped : mapped - gc->mapped_ready;

	return diff <= mapped / 10 + (1u << 20);
}

/* Which candidate holds a runtime's memstats (or gcController): the
 * symbol's when there is one; in a stripped binary the only one that does,
 * never a guess between two. mapped: for gcController, what memstats says
 * is mapped and not released. */
static uint64_t search(struct runtime_state_reader *r, const struct global_candidates *c, bool memstats,
		       uint64_t mapped, const char **how)
{
	size_t size = memstats ? MEMSTATS_MAX : CONTROLLER_MAX, i, k, nr, ncand = c->from_symbol ? 1 : c->n;
	uint8_t *buf = malloc(SEARCH_BATCH * size);
	struct memrange ranges[2 * SEARCH_BATCH];
	size_t first[SEARCH_BATCH + 1];
	uint64_t found = 0;
	int valid = 0;

	if (!buf)
		return 0;
	for (i = 0; i < ncand && valid < 2 && !r->mem.gone; i += SEARCH_BATCH) {
		size_t batch = ncand - i < SEARCH_BATCH ? ncand - i : SEARCH_BATCH;

		for (k = 0, nr = 0; k < batch; k++) {
			uint64_t base = c->addr[i + k] + r->t->load_bias;

			first[k] = nr;
			if (memstats)
				nr += memstats_ranges(r->L, base, buf + k * size, &ranges[nr]);
			else
				ranges[nr++] = (struct memrange){ .addr = base, .buf = buf + k * size, .len = r->L->gcc_size };
		}
		first[batch] = nr;
		r->mem.readv(&r->mem, ranges, nr);
		for (k = 0; k < batch && valid < 2; k++) {
			struct rt_memstats ms;
			struct rt_gccontroller gc;
			bool ok = all_ok(&ranges[first[k]], first[k + 1] - first[k]) &&
				  (memstats ? rt_decode_memstats(r->L, buf + k * size, size, &ms)
					    : rt_decode_gccontroller(r->L, buf + k * size, size, &gc) && agrees(&gc, mapped));

			if (!ok)
				continue;
			if (!valid++) {
				found = c->addr[i + k] + r->t->load_bias;
				*how = c->from_symbol ? "symbol" : "decoded";
			}
		}
	}
	free(buf);
	return valid == 1 ? found : 0;
}

/* The per-read ranges: memstats and gcController, each twice. */
struct images {
	uint8_t ms[2][MEMSTATS_MAX];
	uint8_t gc[2][CONTROLLER_MAX];
};

static bool read_once(struct runtime_state_reader *r, struct images *im, struct runtime_state *out)
{
	struct memrange ranges[6];
	size_t n = 0, nms, i;
	bool ms_ok, gc_ok = false;

	for (i = 0; i < 2 && r->memstats; i++)
		n += memstats_ranges(r->L, r->memstats, im->ms[i], &ranges[n]);
	nms = n;
	for (i = 0; i < 2 && r->controller; i++)
		ranges[n++] = (struct memrange){ .addr = r->controller, .buf = im->gc[i], .len = r->L->gcc_size };
	r->mem.readv(&r->mem, ranges, n);
	r->reads++;
	out->read_ns = monotonic_ns();
	/* each part read whole, twice the same, and what a runtime holds */
	ms_ok = all_ok(ranges, nms) && !memcmp(im->ms[0], im->ms[1], rt_memstats_bytes(r->L)) &&
		rt_decode_memstats(r->L, im->ms[0], MEMSTATS_MAX, &out->ms);
	if (r->controller)
		gc_ok = all_ok(ranges + nms, n - nms) && !memcmp(im->gc[0], im->gc[1], r->L->gcc_size) &&
			rt_decode_gccontroller(r->L, im->gc[0], CONTROLLER_MAX, &out->gc);
	out->have_memstats = ms_ok;
	out->have_controller = gc_ok;
	return ms_ok && (gc_ok || !r->controller);
}

/* Reads until a reading is whole and consistent, READ_TRIES at most. */
static void read_consistent(struct runtime_state_reader *r, struct images *im, struct runtime_state *out)
{
	int tries;

	for (tries = 0; tries < READ_TRIES && !r->mem.gone; tries++) {
		if (tries) {
			r->retries++;
			nanosleep(&(struct timespec){ .tv_nsec = RETRY_WAIT_NS }, NULL);
		}
		if (read_once(r, im, out))
			return;
	}
	r->torn++;
}

bool runtime_state_read(struct runtime_state_reader *r, struct runtime_state *out)
{
	struct images *im;

	memset(out, 0, sizeof(*out));
	if (!r->L || r->mem.gone)
		return false;
	if (!r->memstats)
		r->memstats = search(r, &r->ms_cand, true, 0, &r->memstats_how);
	if (!r->memstats) {
		snprintf(r->why, sizeof(r->why), "runtime.memstats not found (%zu candidates from %s)", r->ms_cand.n,
			 r->ms_cand.from_symbol ? "the symbol table and code" : "code");
		return false;
	}
	im = malloc(sizeof(*im));
	if (!im)
		return false;
	read_consistent(r, im, out);
	/* the controller is looked for once memstats is read: they must agree */
	if (!r->controller && out->have_memstats) {
		struct rt_classes c;

		rt_classes_of(&out->ms, &c);
		r->controller = search(r, &r->gc_cand, false, c.total - c.heap_released, &r->controller_how);
		if (r->controller)
			read_consistent(r, im, out);
	}
	free(im);
	if (out->have_memstats)
		rt_classes_of(&out->ms, &out->classes);
	if (out->have_controller)
		out->heap_goal = rt_heap_goal(r->L, &out->gc);
	if (!r->controller)
		snprintf(r->why, sizeof(r->why), "runtime.gcController not found (%zu candidates from %s): GOGC, GOMEMLIMIT and the heap goal are not shown",
			 r->gc_cand.n, r->gc_cand.from_symbol ? "the symbol table and code" : "code");
	else
		r->why[0] = '\0';
	return out->have_memstats;
}

void runtime_state_close(struct runtime_state_reader *r)
{
	memset(r, 0, sizeof(*r));
}
