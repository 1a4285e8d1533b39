// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <limits.h>
#include <math.h>
#include <string.h>
#include "gotables/runtime_alloc.h"
#include "heap/runtime_decode.h"
#include "heaptrace.h"
#include "trace/figures.h"

#define GENERATIONS 3 /* consistentHeapStats.stats */
/* Sanity bounds on what a runtime can hold: 2^48 bytes of any one kind of
 * memory (the address space), a pause under 2^45 ns (9.7 hours). */
#define MAX_BYTES (1ull << 48)
#define MAX_PAUSE_NS (1ull << 45)

static uint64_t u64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static uint32_t u32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

size_t rt_memstats_bytes(const struct go_layout *L)
{
	size_t end = (size_t)L->mstats_heapstats + GENERATIONS * (size_t)L->hsd_size;
	const uint16_t tail[] = { L->mstats_last_gc_nanotime, L->mstats_gc_cpu_fraction, L->mstats_other_sys,
				  L->mstats_numgc + 8u };
	size_t i;

	if (L->mstats_pause_ns + 8u * GO_PAUSE_HISTORY > end)
		end = L->mstats_pause_ns + 8u * GO_PAUSE_HISTORY;
	for (i = 0; i < sizeof(tail) / sizeof(*tail); i++)
		if ((size_t)tail[i] + 8 > end)
			end = (size_t)tail[i] + 8;
	return end;
}

/* One heapStatsDelta field summed over the generations; 0 when absent. */
static uint64_t gens(const struct go_layout *L, const uint8_t *hs, uint16_t off)
{
	uint64_t total = 0;
	int g;

	if (off == GO_ABSENT)
		return 0;
	for (g = 0; g < GENERATIONS; g++)
		total += u64(hs, (size_t)g * L->hsd_size + off);
	return total;
}

/* metrics.go's heapStatsAggregate: allocated less freed, small objects by
 * their class's size. uint64 arithmetic wraps as the runtime's does. */
static uint64_t in_objects(const struct go_layout *L, const uint8_t *hs)
{
	uint64_t alloc = gens(L, hs, L->hsd_largealloc), freed = gens(L, hs, L->hsd_largefree);
	unsigned c;

	for (c = 0; c < GO_SIZE_CLASSES; c++) {
		alloc += gens(L, hs, (uint16_t)(L->hsd_smallalloc + 8 * c)) * go_class_size(c);
		freed += gens(L, hs, (uint16_t)(L->hsd_smallfree + 8 * c)) * go_class_size(c);
	}
	return alloc - freed;
}

static bool heap_stats(const struct go_layout *L, const uint8_t *hs, struct rt_memstats *m)
{
	int64_t committed = (int64_t)gens(L, hs, L->hsd_committed), released = (int64_t)gens(L, hs, L->hsd_released);
	int64_t inheap = (int64_t)gens(L, hs, L->hsd_inheap), stacks = (int64_t)gens(L, hs, L->hsd_instacks);
	int64_t workbufs = (int64_t)gens(L, hs, L->hsd_inworkbufs), bits = (int64_t)gens(L, hs, L->hsd_inptrscalarbits);

	/* Page accounting: whole runtime pages, the parts within the whole.
	 * A read that raced read()'s fold of one generation into another
	 * fails here (and the reader reads again). Each part is bounded
	 * before they are added. */
	if (committed <= 0 || released < 0 || inheap <= 0 || stacks < 0 || workbufs < 0 || bits < 0 ||
	    (uint64_t)committed > MAX_BYTES || (uint64_t)released > MAX_BYTES || (uint64_t)inheap > MAX_BYTES ||
	    (uint64_t)stacks > MAX_BYTES || (uint64_t)workbufs > MAX_BYTES || (uint64_t)bits > MAX_BYTES ||
	    inheap + stacks + workbufs + bits > committed || committed % HT_GO_PAGE_SIZE ||
	    released % HT_GO_PAGE_SIZE || inheap % HT_GO_PAGE_SIZE || stacks % HT_GO_PAGE_SIZE)
		return false;
	m->committed = (uint64_t)committed;
	m->released = (uint64_t)released;
	m->in_heap = (uint64_t)inheap;
	m->in_stacks = (uint64_t)stacks;
	m->in_workbufs = (uint64_t)workbufs;
	m->in_ptrscalarbits = (uint64_t)bits;
	m->in_objects = in_objects(L, hs);
	return true;
}

static bool sys_stats(const struct go_layout *L, const uint8_t *img, struct rt_memstats *m)
{
	m->stacks_sys = u64(img, L->mstats_stacks_sys);
	m->mspan_sys = u64(img, L->mstats_mspan_sys);
	m->mcache_sys = u64(img, L->mstats_mcache_sys);
	m->buckhash_sys = u64(img, L->mstats_buckhash_sys);
	m->gcmisc_sys = u64(img, L->mstats_gcmisc_sys);
	m->other_sys = u64(img, L->mstats_other_sys);
	return m->stacks_sys < MAX_BYTES && m->mspan_sys < MAX_BYTES && m->mcache_sys < MAX_BYTES &&
	       m->buckhash_sys < MAX_BYTES && m->gcmisc_sys < MAX_BYTES && m->other_sys < MAX_BYTES;
}

/* The pause ring against the count and the total: while fewer than 256
 * collections have run, the ring holds every pause and they add up to the
 * total exactly, the slots not yet used are zero; after, the 256 it holds
 * add up to no more than the total. A read between the runtime's update of
 * the total and of numgc fails this (gcMarkTermination writes the pause,
 * adds it to the total, then counts the cycle). */
static bool gc_history(const struct go_layout *L, const uint8_t *img, struct rt_memstats *m)
{
	uint64_t sum = 0;
	unsigned i;

	m->numgc = u32(img, L->mstats_numgc);
	m->numforcedgc = u32(img, L->mstats_numforcedgc);
	m->pause_total_ns = u64(img, L->mstats_pause_total_ns);
	for (i = 0; i < GO_PAUSE_HISTORY; i++) {
		m->pause_ns[i] = u64(img, L->mstats_pause_ns + 8u * i);
		if (m->pause_ns[i] >= MAX_PAUSE_NS)
			return false;
		if (m->numgc < GO_PAUSE_HISTORY && i >= m->numgc && m->pause_ns[i])
			return false;
		sum += m->pause_ns[i];
	}
	if (m->numforcedgc > m->numgc || sum > m->pause_total_ns)
		return false;
	if (m->numgc < GO_PAUSE_HISTORY && sum != m->pause_total_ns)
		return false;
	memcpy(&m->gc_cpu_fraction, img + L->mstats_gc_cpu_fraction, 8);
	m->cpu_fraction_valid = isfinite(m->gc_cpu_fraction) && m->gc_cpu_fraction >= 0 && m->gc_cpu_fraction <= 1;
	return true;
}

bool rt_decode_memstats(const struct go_layout *L, const uint8_t *img, size_t len, struct rt_memstats *out)
{
	struct rt_memstats m;

	if (!L || len < rt_memstats_bytes(L) || L->hsd_largealloc == GO_ABSENT)
		return false;
	memset(&m, 0, sizeof(m));
	if (!heap_stats(L, img + L->mstats_heapstats, &m) || !sys_stats(L, img, &m) || !gc_history(L, img, &m))
		return false;
	*out = m;
	return true;
}

/* setGCPercent: heapMinimum = defaultHeapMinimum * uint64(in) / 100, with
 * the runtime's wrapping for GOGC=off (-1). */
static bool heap_minimum_fits(int32_t gogc, uint64_t heap_minimum)
{
	uint64_t g = (uint64_t)(int64_t)gogc;

	return heap_minimum == GO_DEFAULT_HEAP_MINIMUM * g / 100 || heap_minimum == GO_HEAP_MINIMUM_512KIB * g / 100;
}

bool rt_decode_gccontroller(const struct go_layout *L, const uint8_t *img, size_t len, struct rt_gccontroller *out)
{
	struct rt_gccontroller c;

	if (!L || L->gcc_size == GO_ABSENT || len < L->gcc_size)
		return false;
	c.gogc = (int32_t)u32(img, L->gcc_gcpercent);
	c.memory_limit = (int64_t)u64(img, L->gcc_memorylimit);
	c.heap_minimum = u64(img, L->gcc_heapminimum);
	c.gcpercent_heap_goal = u64(img, L->gcc_gcpercent_heapgoal);
	c.sweepdist_min_trigger = u64(img, L->gcc_sweepdist_mintrigger);
	c.triggered = u64(img, L->gcc_triggered);
	c.heap_live = u64(img, L->gcc_heaplive);
	c.heap_marked = u64(img, L->gcc_heapmarked);
	c.heap_free = u64(img, L->gcc_heapfree);
	c.total_alloc = u64(img, L->gcc_totalalloc);
	c.total_free = u64(img, L->gcc_totalfree);
	c.mapped_ready = u64(img, L->gcc_mappedready);
	/* What init and setGCPercent leave, what the runtime's own
	 * memoryLimitHeapGoal insists on (it spins until a read satisfies
	 * it), and a runtime that has started (mapped memory). */
	if (c.gogc < -1 || c.memory_limit < 0 || !heap_minimum_fits(c.gogc, c.heap_minimum) || !c.mapped_ready ||
	    c.mapped_ready > MAX_BYTES || c.total_alloc < c.total_free ||
	    c.heap_free + (c.total_alloc - c.total_free) > c.mapped_ready || c.heap_marked > c.mapped_ready)
		return false;
	*out = c;
	return true;
}

uint64_t rt_memory_limit_heap_goal(const struct go_layout *L, const struct rt_gccontroller *c)
{
	uint64_t limit = (uint64_t)c->memory_limit, heap_alloc = c->total_alloc - c->total_free;
	uint64_t non_heap = c->mapped_ready - c->heap_free - heap_alloc, overage = 0, goal, headroom;

	if (c->mapped_ready > limit)
		overage = c->mapped_ready - limit;
	/* non-heap memory alone over the limit: the lowest goal there is */
	if (non_heap + overage >= limit)
		return c->heap_marked;
	goal = limit - (non_heap + overage);
	/* 1.19-1.20: a fixed headroom; 1.21+: a percentage, at least that */
	headroom = L->gc_limit_min_headroom;
	if (L->gc_limit_headroom_pct != GO_ABSENT && goal / 100 * L->gc_limit_headroom_pct > headroom)
		headroom = goal / 100 * L->gc_limit_headroom_pct;
	if (goal < headroom || goal - headroom < headroom)
		goal = headroom;
	else
		goal -= headroom;
	return goal < c->heap_marked ? c->heap_marked : goal;
}

uint64_t rt_heap_goal(const struct go_layout *L, const struct rt_gccontroller *c)
{
	uint64_t goal = c->gcpercent_heap_goal, limited = rt_memory_limit_heap_goal(L, c);

	if (limited < goal)
		return limited;
	/* not limited by the memory limit: the sweep distance and the minimum
	 * runway over the trigger push the goal out */
	if (c->sweepdist_min_trigger > goal)
		goal = c->sweepdist_min_trigger;
	if (c->triggered != UINT64_MAX && goal < c->triggered + GO_HEAP_GOAL_MIN_RUNWAY)
		goal = c->triggered + GO_HEAP_GOAL_MIN_RUNWAY;
	return goal;
}

size_t rt_recent_pauses(const struct rt_memstats *m, uint64_t *out, size_t max)
{
	size_t n = m->numgc < GO_PAUSE_HISTORY ? m->numgc : GO_PAUSE_HISTORY, i;

	if (n > max)
		n = max;
	/* readGCStats_m: the newest at (numgc-1) % 256, then backwards */
	for (i = 0; i < n; i++)
		out[i] = m->pause_ns[(m->numgc - 1 - (uint32_t)i) % GO_PAUSE_HISTORY];
	return n;
}

void rt_classes_of(const struct rt_memstats *m, struct rt_classes *c)
{
	c->heap_objects = m->in_objects;
	/* inObjects counts whole spans handed to the Ps' caches, so it stays
	 * within inHeap; a read that says otherwise shows no unused bytes
	 * rather than a wrapped figure */
	c->heap_unused = m->in_heap > m->in_objects ? m->in_heap - m->in_objects : 0;
	c->heap_free = m->committed - m->in_heap - m->in_stacks - m->in_workbufs - m->in_ptrscalarbits;
	c->heap_released = m->released;
	c->heap_stacks = m->in_stacks;
	c->os_stacks = m->stacks_sys;
	c->metadata = m->mcache_sys + m->mspan_sys + m->in_workbufs + m->in_ptrscalarbits + m->gcmisc_sys;
	c->other = m->other_sys + m->buckhash_sys;
	c->total = m->committed + m->released + m->stacks_sys + m->mspan_sys + m->mcache_sys + m->buckhash_sys +
		   m->gcmisc_sys + m->other_sys;
}

void rt_window_add(struct rt_window *w, const struct rt_memstats *prev, const struct rt_memstats *now)
{
	uint32_t n = now->numgc - prev->numgc, i; /* u32, as the runtime counts: wraps */

	w->cycles += n;
	w->forced += now->numforcedgc - prev->numforcedgc;
	w->pause_total_ns += now->pause_total_ns - prev->pause_total_ns;
	for (i = 0; i < n && i < GO_PAUSE_HISTORY; i++)
		hist_record(&w->pauses, now->pause_ns[(now->numgc - 1 - i) % GO_PAUSE_HISTORY]);
	if (n > GO_PAUSE_HISTORY)
		w->pauses_missed += n - GO_PAUSE_HISTORY;
}
