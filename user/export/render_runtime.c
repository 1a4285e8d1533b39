// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * One table of families, as render_metrics.c has: each says what JSON field
 * it equals and which runtime/metrics figure (and client_golang name) it
 * reproduces. A figure heaptrace has not read is left out, never 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "export/render_runtime.h"
#include "report/runtime_report.h"

struct rt_ctx {
	const struct trace_snapshot *s;
	const struct runtime_watch *w;
	bool state, settings, split;
	struct rt_memory mem;
	struct advice adv[ADVICE_MAX];
	size_t nadv;
};

typedef void (*rt_emit)(struct metrics_writer *w, const struct rt_ctx *c);

struct rt_family {
	const char *name;
	enum metrics_type type;
	const char *unit, *help;
	rt_emit emit;
	bool (*known)(const struct rt_ctx *c);
};

static bool have_state(const struct rt_ctx *c)
{
	return c->state;
}

static bool have_settings(const struct rt_ctx *c)
{
	return c->settings;
}

static bool have_split(const struct rt_ctx *c)
{
	return c->split;
}

static bool have_cgroup_limit(const struct rt_ctx *c)
{
	return c->w && c->w->have_cgroup && c->w->cgroup.bytes;
}

static bool have_advice(const struct rt_ctx *c)
{
	return c->nadv > 0;
}

static void classes(struct metrics_writer *w, const struct rt_ctx *c)
{
	const struct rt_classes *k = &c->w->now.classes;
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = { { "heap_objects", k->heap_objects }, { "heap_unused", k->heap_unused },
		     { "heap_free", k->heap_free },	  { "heap_released", k->heap_released },
		     { "heap_stacks", k->heap_stacks },	  { "os_stacks", k->os_stacks },
		     { "metadata", k->metadata },	  { "other", k->other },
		     { "total", k->total } };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct metrics_label l[] = { { "class", rows[i].name } };

		metrics_sample_u64(w, l, 1, rows[i].v);
	}
}

static void runtime_cycles(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, runtime_watch_cycles(c->w));
}

static void runtime_pauses(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample(w, NULL, 0, (double)c->w->now.ms.pause_total_ns / 1e9);
}

static void gogc(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample(w, NULL, 0, c->w->now.gc.gogc);
}

static void gomemlimit(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample(w, NULL, 0, (double)c->w->now.gc.memory_limit);
}

static void heap_goal(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->w->now.heap_goal);
}

static void heap_live(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->w->now.gc.heap_marked);
}

static void go_bytes(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->mem.go_bytes);
}

static void exe_bytes(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->mem.exe_bytes);
}

static void not_go_bytes(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->mem.not_go_bytes);
}

static void released_resident(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->mem.released_resident);
}

static void cgroup_limit(struct metrics_writer *w, const struct rt_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->w->cgroup.bytes);
}

static void advice(struct metrics_writer *w, const struct rt_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nadv; i++) {
		const struct metrics_label l[] = { { "kind", c->adv[i].kind } };

		metrics_sample_u64(w, l, 1, c->adv[i].value);
	}
}

static const struct rt_family families[] = {
	{ "heaptrace_go_memory_classes_bytes", METRICS_GAUGE, "bytes",
	  "The Go runtime's memory by class, read from its own accounting in the target's memory: what "
	  "runtime/metrics /memory/classes/... reports (go_memory_classes_*_bytes); metadata sums the metadata "
	  "classes, other adds profiling/buckets to other, and the classes add up to total (JSON memory.classes).",
	  classes, have_state },
	{ "heaptrace_gc_runtime_cycles_total", METRICS_COUNTER, NULL,
	  "GC cycles since the process started, the runtime's own count: go_gc_cycles_total_gc_cycles_total, "
	  "/gc/cycles/total:gc-cycles (JSON gc.since_start.cycles).",
	  runtime_cycles, have_state },
	{ "heaptrace_gc_runtime_pause_seconds_total", METRICS_COUNTER, "seconds",
	  "The GC's pauses since the process started, as the runtime sums them: debug.ReadGCStats' PauseTotal, "
	  "go_gc_duration_seconds_sum (JSON gc.since_start.pause_total_ns).",
	  runtime_pauses, have_state },
	{ "heaptrace_gc_gogc", METRICS_GAUGE, NULL,
	  "GOGC as the runtime has it now (-1: off): /gc/gogc:percent (JSON gc.gogc).", gogc, have_settings },
	{ "heaptrace_gc_gomemlimit_bytes", METRICS_GAUGE, "bytes",
	  "GOMEMLIMIT as the runtime has it now (9223372036854775807: none): /gc/gomemlimit:bytes, "
	  "go_gc_gomemlimit_bytes (JSON gc.gomemlimit_bytes).",
	  gomemlimit, have_settings },
	{ "heaptrace_gc_heap_goal_bytes", METRICS_GAUGE, "bytes",
	  "The heap size the GC aims to finish its cycle at, computed as gcController.heapGoal() does: "
	  "/gc/heap/goal:bytes, go_gc_heap_goal_bytes (JSON gc.heap_goal_bytes).",
	  heap_goal, have_settings },
	{ "heaptrace_gc_heap_live_bytes", METRICS_GAUGE, "bytes",
	  "Heap bytes marked live by the last collection: /gc/heap/live:bytes (JSON gc.heap_live_bytes).",
	  heap_live, have_settings },
	{ "heaptrace_memory_go_bytes", METRICS_GAUGE, "bytes",
	  "Resident memory that is the Go runtime's: measured on its named mappings (Go 1.25+, JSON "
	  "memory.go_bytes_source vma_names), else what it has mapped and not released (JSON memory.go_bytes).",
	  go_bytes, have_split },
	{ "heaptrace_memory_executable_bytes", METRICS_GAUGE, "bytes",
	  "Resident pages of the program file and its bss (JSON memory.executable_bytes).", exe_bytes, have_split },
	{ "heaptrace_memory_not_go_bytes", METRICS_GAUGE, "bytes",
	  "Resident memory that is neither the Go runtime's nor the program file's: C allocators (cgo), C "
	  "libraries, other mappings; RSS less the two (JSON memory.not_go_bytes).",
	  not_go_bytes, have_split },
	{ "heaptrace_memory_released_resident_bytes", METRICS_GAUGE, "bytes",
	  "Pages the runtime released to the OS that are still resident: MADV_FREE's LazyFree, or refilled as "
	  "transparent huge pages (JSON memory.released_resident_bytes).",
	  released_resident, have_split },
	{ "heaptrace_memory_cgroup_limit_bytes", METRICS_GAUGE, "bytes",
	  "The memory limit of the process's cgroup (v2 memory.max, v1 memory.limit_in_bytes, the lowest of "
	  "its ancestors'); absent when there is none (JSON memory.limits.cgroup_bytes).",
	  cgroup_limit, have_cgroup_limit },
	{ "heaptrace_advice", METRICS_GAUGE, NULL,
	  "heaptrace's advice by kind, with its value in bytes: gomemlimit (the GOMEMLIMIT to set), "
	  "madvdontneed and thp (released bytes still resident); the text is in the JSON report's advice[].",
	  advice, have_advice },
};

int render_runtime_metrics(struct metrics_writer *w, const struct trace_snapshot *const *v, size_t n,
			   const struct metrics_label *const *common, const size_t *ncommon)
{
	struct rt_ctx *ctx = calloc(n ? n : 1, sizeof(*ctx));
	size_t f, i;

	if (!ctx)
		return -1;
	for (i = 0; i < n; i++) {
		struct rt_ctx *c = &ctx[i];

		c->s = v[i];
		c->w = v[i]->rt;
		c->state = c->w && c->w->have_now;
		c->settings = c->state && c->w->now.have_controller;
		c->split = c->w && runtime_watch_memory(c->w, &c->mem);
		c->nadv = c->w ? runtime_advice(c->w, v[i]->target, c->adv, ADVICE_MAX) : 0;
	}
	for (f = 0; f < sizeof(families) / sizeof(*families) && !w->err; f++) {
		const struct rt_family *fam = &families[f];
		bool any = false;

		for (i = 0; i < n && !any; i++)
			any = fam->known(&ctx[i]);
		if (!any)
			continue;
		metrics_family(w, fam->name, fam->type, fam->help, fam->unit);
		for (i = 0; i < n; i++) {
			if (!fam->known(&ctx[i]))
				continue;
			metrics_common_labels(w, common[i], ncommon[i]);
			fam->emit(w, &ctx[i]);
		}
		metrics_common_labels(w, NULL, 0);
	}
	free(ctx);
	return w->err;
}
