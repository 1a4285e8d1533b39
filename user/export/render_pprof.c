// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <elf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/log.h"
#include "target/symbolize.h"
#include "export/intern.h"
#include "export/pprof_tables.h"
#include "export/map_select.h"
#include "export/redact.h"
#include "export/render_pprof.h"

/* Maps with a sample of their own (and their address); the rest are grouped. */
#define PPROF_MAPS_EACH 1000

/* One source frame at a code address. */
struct src_frame {
	const char *func, *file;
	int line;
};

/* Inlined frames at most per address. */
#define MAX_INLINE 16

/*
 * The frames at code address pc of the target (a runtime address; ret: it is
 * a return address, so the call before it is meant), leaf first: the
 * functions inlined there, each at its own line, then the function they were
 * inlined into, at the line of the call. pprof wants them as one Location
 * with several Lines, innermost first: `go tool pprof -top` then names the
 * inlined function.
 */
static size_t frames_at(const struct target *t, uint64_t pc, bool ret, struct src_frame *out, size_t max)
{
	struct go_frame fr[MAX_INLINE];
	uint64_t at = pc - t->load_bias - (ret ? 1 : 0);
	size_t n = go_inline_frames(t, t->layout, at, fr, max < MAX_INLINE ? max : MAX_INLINE), i;

	for (i = 0; i < n; i++)
		out[i] = (struct src_frame){ .func = fr[i].func, .file = fr[i].file, .line = fr[i].file ? fr[i].line : 0 };
	return n;
}

/* The main binary's text, where the target maps it. */
static uint64_t add_mapping(struct pprof_builder *b, const struct target *t)
{
	struct pprof_mapping m = { .filename = t->exe };
	int i;

	for (i = 0; i < t->elf.nsegs; i++)
		if (t->elf.segs[i].flags & PF_X) {
			m.start = redact_code_addr(t->elf.segs[i].vaddr + t->load_bias, t->load_bias);
			m.limit = m.start + t->elf.segs[i].memsz;
			m.offset = t->elf.segs[i].offset;
			break;
		}
	m.build_id = target_build_id(t);
	return pprof_mapping(b, &m);
}

/*
 * Per rendering: a location per (address, return address or not), so that
 * maps grown from the same code are symbolized once; and whether its
 * frames are all the runtime's (dropped at the leaf of a growth stack).
 */
struct loc_slot {
	uint64_t key; /* pc << 1 | ret; 0 = empty */
	uint64_t id;
	bool runtime;
};

struct render {
	struct pprof_builder *b;
	const struct target *t;
	uint64_t mapping;
	struct loc_slot *locs;
	size_t locs_cap, nlocs; /* a power of two, at most half full */
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	return k ^ (k >> 33);
}

static struct loc_slot *loc_slot(struct render *r, uint64_t key)
{
	size_t mask, i;

	if (2 * (r->nlocs + 1) > r->locs_cap) {
		size_t nc = r->locs_cap ? 2 * r->locs_cap : 1024, j;
		struct loc_slot *nv = calloc(nc, sizeof(*nv));

		if (!nv)
			return NULL;
		for (j = 0; j < r->locs_cap; j++)
			if (r->locs[j].key) {
				for (i = mix(r->locs[j].key) & (nc - 1); nv[i].key; i = (i + 1) & (nc - 1))
					;
				nv[i] = r->locs[j];
			}
		free(r->locs);
		r->locs = nv;
		r->locs_cap = nc;
	}
	mask = r->locs_cap - 1;
	for (i = mix(key) & mask; r->locs[i].key && r->locs[i].key != key; i = (i + 1) & mask)
		;
	return &r->locs[i];
}

/* The location of one stack frame; *runtime: every frame there is the
 * runtime's. 0 after an error, or for the runtime's code when skip_runtime
 * (no location is made that no sample uses). */
static uint64_t frame_location(struct render *r, uint64_t pc, bool ret, bool skip_runtime, bool *runtime)
{
	struct src_frame fr[MAX_INLINE];
	struct pprof_line lines[MAX_INLINE];
	struct loc_slot *slot = loc_slot(r, pc << 1 | ret);
	size_t n, i;

	if (!slot) {
		ht_fail("pprof: out of memory for the location cache");
		return 0;
	}
	if (slot->key && (slot->id || (skip_runtime && slot->runtime))) {
		*runtime = slot->runtime;
		return *runtime && skip_runtime ? 0 : slot->id;
	}
	n = frames_at(r->t, pc, ret, fr, MAX_INLINE);
	*runtime = n > 0;
	for (i = 0; i < n; i++)
		*runtime = *runtime && go_runtime_func(fr[i].func);
	if (!slot->key)
		r->nlocs++;
	*slot = (struct loc_slot){ .key = pc << 1 | ret, .runtime = *runtime };
	if (*runtime && skip_runtime)
		return 0;
	for (i = 0; i < n; i++)
		lines[i] = (struct pprof_line){ pprof_function(r->b, fr[i].func, NULL, redact_file(fr[i].file), 0),
						fr[i].line };
	/* Unnamed code keeps its address: a reader with the binary may name it. */
	slot->id = pprof_location(r->b, r->mapping, redact_code_addr(pc, r->t->load_bias), lines, n);
	return slot->id;
}

/* A synthetic frame: a function named `name`, no address. */
static uint64_t named_location(struct pprof_builder *b, const char *name)
{
	struct pprof_line line = { pprof_function(b, name, NULL, NULL, 0), 0 };

	return line.function_id ? pprof_location(b, 0, 0, &line, 1) : 0;
}

/*
 * The stack of a map no growth probe saw: its holder path, leaf first, one
 * frame per step named by the path up to it ("main.reg.byID", then
 * "main.reg"), so that a flame graph groups maps by owner; a goroutine's
 * frame is its code's location (inlined frames and all). Without a holder,
 * one frame naming its type.
 */
static size_t holder_stack(struct render *r, const struct tracked_map *m, uint64_t *locs, size_t max)
{
	const struct holder_path *p = m->held;
	char name[HELD_BY_LEN + 64];
	size_t n = 0;
	int k;

	if (!p || !p->n) {
		/* no parentheses: readers take them for a signature and cut them */
		snprintf(name, sizeof(name), "%s grown before attach", tracked_type_text(m));
		locs[n] = named_location(r->b, name);
		return locs[n] ? 1 : 0;
	}
	if (redact_on()) {
		/* the variables' names stay on the host: one frame, the root's kind */
		locs[n] = named_location(r->b, redact_held_by(p->held_by, name, sizeof(name)));
		return locs[n] ? 1 : 0;
	}
	for (k = p->n - 1; k >= 0 && n < max; k--) {
		if (k == 0 && p->steps[0].kind == STEP_GOROUTINE && p->steps[0].pc) {
			bool runtime;

			locs[n] = frame_location(r, p->steps[0].pc, p->steps[0].ret, false, &runtime);
		} else {
			holder_path_prefix(p, (size_t)k, name, sizeof(name));
			locs[n] = named_location(r->b, name);
		}
		n += locs[n] != 0;
	}
	return n;
}

/* A sample's stack: the growth stack from the first frame that is not the
 * runtime's, or the one frame of a map grown before attach. */
static size_t map_stack(struct render *r, const struct tracked_map *m, uint64_t *locs)
{
	size_t n = 0, i;

	for (i = 0; i < m->nstack && i < GOMAP_STACK_DEPTH && m->stack[i]; i++) {
		bool runtime;
		/* the runtime's frames at the leaf are how a map grows, not who grew it */
		uint64_t loc = frame_location(r, m->stack[i], i > 0, n == 0, &runtime);

		if (loc)
			locs[n++] = loc;
	}
	if (!n) /* grown before attach, or every frame the runtime's */
		n = holder_stack(r, m, locs, GOMAP_STACK_DEPTH);
	return n;
}

/* What a sample adds up: one map, or a group of them. */
struct sample_sum {
	const struct tracked_map *m; /* the map, or the group's first */
	uint64_t maps, table, retained, live, peak, capacity;
};

static void sum_add(struct sample_sum *s, const struct tracked_map *m)
{
	if (!s->m)
		s->m = m;
	s->maps++;
	s->table += m->m.table_bytes;
	s->retained += tracked_retained(m);
	s->live += m->m.live;
	s->peak += tracked_peak(m);
	s->capacity += tracked_capacity(m);
}

/* one: the sample of one map, with its address; else of a group. */
static int add_sample(struct render *r, const struct sample_sum *s, bool one)
{
	const struct tracked_map *m = s->m;
	uint64_t locs[GOMAP_STACK_DEPTH];
	size_t n = map_stack(r, m, locs), nl = 0;
	char addr[24], site[MAP_SITE_LEN], held[HELD_BY_LEN];
	const int64_t values[] = { (int64_t)s->maps, (int64_t)s->table, (int64_t)s->retained };
	struct pprof_label labels[10];

	redact_addr(m->m.addr, addr, sizeof(addr));
	if (one)
		labels[nl++] = (struct pprof_label){ .key = "addr", .str = addr };
	labels[nl++] = (struct pprof_label){ .key = "pid", .num = r->t->pid, .unit = "" };
	labels[nl++] = (struct pprof_label){ .key = "type", .str = tracked_type_text(m) };
	labels[nl++] = (struct pprof_label){ .key = "verdict", .str = map_verdict_name(tracked_verdict(m)) };
	labels[nl++] = (struct pprof_label){ .key = "live", .num = (int64_t)s->live, .unit = "count" };
	labels[nl++] = (struct pprof_label){ .key = "peak", .num = (int64_t)s->peak, .unit = "count" };
	labels[nl++] = (struct pprof_label){ .key = "capacity", .num = (int64_t)s->capacity, .unit = "count" };
	if (m->site[0])
		labels[nl++] = (struct pprof_label){ .key = "site", .str = redact_site(m->site, site, sizeof(site)) };
	if (m->held)
		labels[nl++] = (struct pprof_label){ .key = "held_by",
						     .str = redact_held_by(m->held->held_by, held, sizeof(held)) };
	return pprof_sample(r->b, locs, n, values, 3, labels, nl);
}

/*
 * The maps after the first PPROF_MAPS_EACH, grouped by what their samples
 * would show but the address: stack, type, site, verdict.
 */
struct group_slot {
	uint64_t hash;
	size_t pos1; /* groups index + 1; 0 = empty */
};

static bool same_group(const struct tracked_map *a, const struct tracked_map *b)
{
	return a->nstack == b->nstack && !memcmp(a->stack, b->stack, a->nstack * sizeof(a->stack[0])) &&
	       tracked_verdict(a) == tracked_verdict(b) && !strcmp(tracked_type_text(a), tracked_type_text(b)) &&
	       !strcmp(a->site, b->site) && !strcmp(a->held ? a->held->held_by : "", b->held ? b->held->held_by : "");
}

static uint64_t group_hash(const struct tracked_map *m)
{
	uint64_t h = intern_hash(INTERN_HASH_INIT, m->stack, m->nstack * sizeof(m->stack[0]));
	enum map_verdict v = tracked_verdict(m);

	h = intern_hash(h, tracked_type_text(m), strlen(tracked_type_text(m)) + 1);
	h = intern_hash(h, m->site, strlen(m->site) + 1);
	if (m->held)
		h = intern_hash(h, m->held->held_by, strlen(m->held->held_by) + 1);
	return intern_hash(h, &v, sizeof(v));
}

static int add_groups(struct render *r, const struct map_tracker *mt, const struct tracked_map *last)
{
	size_t cap = 1024, ngroups = 0, i, k, mask;
	struct group_slot *slots = calloc(cap, sizeof(*slots));
	struct sample_sum *groups = calloc(cap / 2, sizeof(*groups));
	int err = 0;

	if (!slots || !groups)
		goto oom;
	for (i = 0; i < mt->n; i++) {
		const struct tracked_map *m = &mt->v[i];
		uint64_t h;

		if (!m->parsed || m->freed || !map_ranks_before(last, m))
			continue; /* not live, or has a sample of its own */
		if (2 * (ngroups + 1) > cap) {
			struct group_slot *ns = calloc(2 * cap, sizeof(*ns));
			struct sample_sum *ng = realloc(groups, cap * sizeof(*groups));

			if (ng)
				groups = ng;
			if (!ns || !ng) {
				free(ns);
				goto oom;
			}
			cap *= 2;
			for (k = 0; k < cap / 2; k++)
				if (slots[k].pos1) {
					size_t j;

					for (j = slots[k].hash & (cap - 1); ns[j].pos1; j = (j + 1) & (cap - 1))
						;
					ns[j] = slots[k];
				}
			free(slots);
			slots = ns;
		}
		h = group_hash(m);
		mask = cap - 1;
		for (k = h & mask; slots[k].pos1; k = (k + 1) & mask)
			if (slots[k].hash == h && same_group(groups[slots[k].pos1 - 1].m, m))
				break;
		if (!slots[k].pos1) {
			slots[k] = (struct group_slot){ .hash = h, .pos1 = ++ngroups };
			groups[ngroups - 1] = (struct sample_sum){ 0 };
		}
		sum_add(&groups[slots[k].pos1 - 1], m);
	}
	for (i = 0; i < ngroups && !err; i++)
		err = add_sample(r, &groups[i], false);
	free(slots);
	free(groups);
	return err;
oom:
	free(slots);
	free(groups);
	return ht_fail("pprof: out of memory for grouping %zu maps", mt->n);
}

/* The small maps, by what holds them directly (the holders that hold
 * most, then the rest in one sample): a stack of two frames, "small maps"
 * at the root, the holder at the leaf. */
static int add_small(struct render *r, const struct map_tracker *mt)
{
	const struct small_summary *ss = &mt->small;
	uint64_t maps = 0, table = 0, retained = 0, root = named_location(r->b, "small maps");
	struct pprof_label labels[2] = { { .key = "pid", .num = r->t->pid, .unit = "" }, { .key = "small", .str = "true" } };
	size_t i;
	int err = 0;

	if (!mt->walk_done || !ss->tot.maps)
		return 0;
	for (i = 0; i <= ss->nholder && !err; i++) {
		const struct small_group *g = i < ss->nholder ? &ss->by_holder[i] : NULL;
		int64_t v[3];
		uint64_t locs[2];

		if (!g && ss->tot.maps <= maps)
			break;
		v[0] = (int64_t)(g ? g->maps : ss->tot.maps - maps);
		v[1] = (int64_t)(g ? g->table_bytes : ss->tot.table_bytes - table);
		v[2] = (int64_t)(g ? g->retained_bytes : ss->tot.retained_bytes - retained);
		if (g) {
			maps += g->maps;
			table += g->table_bytes;
			retained += g->retained_bytes;
		}
		locs[0] = named_location(r->b, g ? g->key : ss->nholder ? "(other holders)" : "(holders not searched)");
		locs[1] = root;
		err = pprof_sample(r->b, locs, 2, v, 3, labels, 2);
	}
	return err;
}

/* One target's maps into the profile, with a mapping of its own. */
static int render_target(struct pprof_builder *b, const struct trace_snapshot *s, const struct tracked_map **v)
{
	const struct map_tracker *mt = s->maps;
	struct render r = { .b = b, .t = s->target };
	size_t i, n;
	int err = 0;

	r.mapping = add_mapping(b, s->target);
	n = map_select_top(mt, v, PPROF_MAPS_EACH);
	for (i = 0; i < n && !err; i++) {
		struct sample_sum one = { 0 };

		sum_add(&one, v[i]);
		err = add_sample(&r, &one, true);
	}
	if (!err && n == PPROF_MAPS_EACH)
		err = add_groups(&r, mt, v[n - 1]);
	if (!err)
		err = add_small(&r, mt);
	free(r.locs);
	return err;
}

struct pprof_builder *render_pprof(const struct trace_snapshot *const *snaps, size_t nsnaps)
{
	const struct trace_snapshot *s = nsnaps ? snaps[0] : NULL;
	const struct tracked_map **v = calloc(PPROF_MAPS_EACH, sizeof(*v));
	struct pprof_builder *b = v && s ? pprof_new() : NULL;
	struct timespec now;
	char comment[PATH_MAX + 128];
	size_t k;
	int err = 0;

	if (!b) {
		free(v);
		if (!v)
			ht_fail("pprof: out of memory for %d maps", PPROF_MAPS_EACH);
		else if (!s)
			ht_fail("pprof: no target");
		return NULL;
	}
	pprof_sample_type(b, "maps", "count");
	pprof_sample_type(b, "table_space", "bytes");
	pprof_sample_type(b, "retained_space", "bytes");
	pprof_default_sample_type(b, "retained_space");
	pprof_period(b, "space", "bytes", 1);
	if (s->ended_at.tv_sec)
		now = s->ended_at;
	else
		clock_gettime(CLOCK_REALTIME, &now);
	pprof_set_time(b, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, (int64_t)s->duration_ns);
	if (nsnaps == 1)
		snprintf(comment, sizeof(comment),
			 "heaptrace map retention of pid %d (%s): a sample per map for the %d retaining most, then per "
			 "stack, type, site and verdict",
			 (int)s->target->pid, s->target->exe, PPROF_MAPS_EACH);
	else
		snprintf(comment, sizeof(comment),
			 "heaptrace map retention of %zu processes (label pid): per process, a sample per map for the %d "
			 "retaining most, then per stack, type, site and verdict", nsnaps, PPROF_MAPS_EACH);
	pprof_comment(b, comment);
	for (k = 0; k < nsnaps && !err; k++)
		if (!snaps[k]->gone) /* an ended process kept for its OOM kill's metric alone */
			err = render_target(b, snaps[k], v);
	free(v);
	if (err && !b->err) { /* failed outside the builder: it would serialize a part */
		pprof_free(b);
		return NULL;
	}
	return b;
}
