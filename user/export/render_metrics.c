// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The metric families, in one table: name, type, unit, HELP and how each
 * target's series are written. Figures mean what they mean in the JSON
 * report (report_json.c); HELP texts name the JSON field and, where the
 * figure equals one, the Go runtime metric (runtime/metrics, and the name
 * client_golang exports it under), so that a dashboard can put the two side
 * by side.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/log.h"
#include "trace/madvise_probe.h"
#include "export/map_select.h"
#include "export/redact.h"
#include "export/render_metrics.h"
#include "export/render_runtime.h"

/* madvise figures merged by the labels they are exported under: advice
 * values without a name share "other". */
struct advice_row {
	const char *advice, *kind;
	uint64_t calls, bytes, errors;
	struct ht_hist latency;
};

struct probe_row {
	const char *symbol;
	uint64_t hits;
};

#define MAP_LABELS 5
struct map_row {
	const struct tracked_map *m;
	char addr[24];
	char site[MAP_SITE_LEN];	/* the site, redacted */
	char held[HELD_BY_LEN];		/* the holder, redacted */
	struct metrics_label labels[MAP_LABELS];
};

/* What one target's series need, computed once per rendering. */
struct target_ctx {
	const struct trace_snapshot *s;
	char pid[16];
	struct metrics_label common[6];
	size_t ncommon;
	struct map_totals tot;
	struct map_row *maps;
	size_t nmaps;
	struct advice_row adv[HT_MAX_ADVICE];
	size_t nadv;
	struct probe_row probes[PLAN_MAX_PROBES];
	size_t nprobes;
	bool cost_known;
	uint64_t cost_ns; /* estimated target time in probes, whole run */
};

static void collect_advice(struct target_ctx *c)
{
	const struct ht_figures *f = c->s->figures;
	unsigned i;
	size_t k;

	for (i = 0; i < HT_MAX_ADVICE; i++) {
		const struct ht_madvise_figures *m = &f->madvise[i];
		const char *name = madvise_advice_name(i), *kind = madvise_releases(i) ? "release" : "hint";
		struct advice_row *r = NULL;

		if (!m->calls)
			continue;
		if (!name)
			name = "other";
		for (k = 0; k < c->nadv && !r; k++)
			if (!strcmp(c->adv[k].advice, name) && !strcmp(c->adv[k].kind, kind))
				r = &c->adv[k];
		if (!r) {
			r = &c->adv[c->nadv++];
			memset(r, 0, sizeof(*r));
			r->advice = name;
			r->kind = kind;
		}
		r->calls += m->calls;
		r->bytes += m->bytes;
		r->errors += m->errors;
		hist_merge(&r->latency, &m->latency);
	}
}

/* One series per probed function: a function probed at two points (say,
 * for two handlers) sums them. */
static void collect_probes(struct target_ctx *c)
{
	const struct probe_plan *p = c->s->plan;
	int i;
	size_t k;

	for (i = 0; i < p->n; i++) {
		const char *sym = p->probes[i].spec->symbol;

		for (k = 0; k < c->nprobes && strcmp(c->probes[k].symbol, sym); k++)
			;
		if (k == c->nprobes)
			c->probes[c->nprobes++] = (struct probe_row){ .symbol = sym };
		c->probes[k].hits += c->s->hits[i].entries;
	}
}

static int collect_maps(struct target_ctx *c, unsigned top_maps)
{
	const struct tracked_map **top;
	size_t i;

	map_tracker_totals(c->s->maps, &c->tot);
	if (!top_maps)
		return 0;
	top = calloc(top_maps, sizeof(*top));
	c->maps = calloc(top_maps, sizeof(*c->maps));
	if (!top || !c->maps) {
		free(top);
		return ht_fail("metrics: out of memory for %u per-map series", top_maps);
	}
	c->nmaps = map_select_top(c->s->maps, top, top_maps);
	for (i = 0; i < c->nmaps; i++) {
		struct map_row *r = &c->maps[i];

		r->m = top[i];
		r->labels[0] = (struct metrics_label){ "addr", redact_addr(top[i]->m.addr, r->addr, sizeof(r->addr)) };
		/* the exact type, or the layout the candidates agree on: never one of them */
		r->labels[1] = (struct metrics_label){ "type", tracked_type_text(top[i]) };
		r->labels[2] = (struct metrics_label){ "site", redact_site(top[i]->site, r->site, sizeof(r->site)) };
		r->labels[3] = (struct metrics_label){ "verdict", map_verdict_name(tracked_verdict(top[i])) };
		r->labels[4] = (struct metrics_label){ "held_by", top[i]->held ? redact_held_by(top[i]->held->held_by, r->held,
												 sizeof(r->held)) : "" };
	}
	free(top);
	return 0;
}

static int ctx_init(struct target_ctx *c, const struct trace_snapshot *s, unsigned top_maps)
{
	const struct overhead *o = s->overhead;

	memset(c, 0, sizeof(*c));
	c->s = s;
	snprintf(c->pid, sizeof(c->pid), "%d", (int)s->target->pid);
	c->common[c->ncommon++] = (struct metrics_label){ "pid", c->pid };
	/* host mode: which service each process is */
	if (s->labels) {
		c->common[c->ncommon++] = (struct metrics_label){ "exe", s->target->exe };
		c->common[c->ncommon++] = (struct metrics_label){ "comm", s->labels->comm };
		c->common[c->ncommon++] = (struct metrics_label){ "go_version", s->target->bi.version };
		if (s->labels->container_id[0])
			c->common[c->ncommon++] = (struct metrics_label){ "container_id", s->labels->container_id };
		if (s->labels->pod_uid[0])
			c->common[c->ncommon++] = (struct metrics_label){ "pod_uid", s->labels->pod_uid };
	}
	/* an ended process writes only the families kept after an exit */
	if (s->gone)
		return 0;
	collect_advice(c);
	collect_probes(c);
	c->cost_known = o && o->cost.measured;
	if (c->cost_known)
		c->cost_ns = hit_cost_ns(&o->cost, s->plan, s->hits, -1);
	return collect_maps(c, top_maps);
}

/* ---- the families ---- */

typedef void (*emit_fn)(struct metrics_writer *w, const struct target_ctx *c);
typedef bool (*known_fn)(const struct target_ctx *c);

struct family {
	const char *name;
	enum metrics_type type;
	const char *unit;
	const char *help;
	emit_fn emit;
	known_fn known; /* NULL: always */
};

#define F (c->s->figures)

static void target_info(struct metrics_writer *w, const struct target_ctx *c)
{
	const struct target *t = c->s->target;
	const struct metrics_label l[] = { { "exe", t->exe }, { "go_version", t->bi.version },
					   { "map_impl", t->map_impl ? t->map_impl : "" } };

	/* in host mode exe and go_version are on every series already */
	if (c->s->labels)
		metrics_sample(w, &l[2], 1, 1);
	else
		metrics_sample(w, l, 3, 1);
}

static void trace_seconds(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample(w, NULL, 0, (double)c->s->duration_ns / 1e9);
}

static void gc_cycles(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, F->gc_cycles);
}

static void gc_pause(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_histogram(w, NULL, 0, &F->gc_pause);
}

static void other_pause(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_histogram(w, NULL, 0, &F->other_pause);
}

enum advice_field { ADV_CALLS, ADV_BYTES, ADV_ERRORS, ADV_LATENCY };

static void advice_series(struct metrics_writer *w, const struct target_ctx *c, enum advice_field what)
{
	size_t i;

	for (i = 0; i < c->nadv; i++) {
		const struct advice_row *r = &c->adv[i];
		const struct metrics_label l[] = { { "advice", r->advice }, { "kind", r->kind } };

		if (what == ADV_LATENCY)
			metrics_histogram(w, l, 2, &r->latency);
		else
			metrics_sample_u64(w, l, 2, what == ADV_CALLS ? r->calls : what == ADV_BYTES ? r->bytes : r->errors);
	}
}

static void madvise_calls(struct metrics_writer *w, const struct target_ctx *c)
{
	advice_series(w, c, ADV_CALLS);
}

static void madvise_bytes(struct metrics_writer *w, const struct target_ctx *c)
{
	advice_series(w, c, ADV_BYTES);
}

static void madvise_errors(struct metrics_writer *w, const struct target_ctx *c)
{
	advice_series(w, c, ADV_ERRORS);
}

static void madvise_seconds(struct metrics_writer *w, const struct target_ctx *c)
{
	advice_series(w, c, ADV_LATENCY);
}

static bool any_advice(const struct target_ctx *c)
{
	return c->nadv > 0;
}

static void scavenger_passes(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, F->scavenger_passes);
}

static void scavenger_seconds(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_histogram(w, NULL, 0, &F->scavenger_run);
}

static void heap_grown(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, F->heap_grow_bytes);
}

static void heap_returned(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, F->unused_bytes);
}

static bool have_heap(const struct target_ctx *c)
{
	return c->s->have_heap;
}

static void heap_free_unreleased(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->heap.free_unreleased);
}

static void heap_released(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->heap.released);
}

static void heap_in_use(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->heap.in_heap);
}

static bool have_mem(const struct target_ctx *c)
{
	return c->s->have_mem;
}

static void rss(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->mem.rss);
}

static void anon(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->mem.anon);
}

static void lazyfree(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->mem.lazyfree);
}

/* Map totals before the heap walk miss the maps that predate the probes:
 * absent until known. */
static bool maps_complete(const struct target_ctx *c)
{
	return map_tracker_complete(c->s->maps);
}

static void maps_followed(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->tot.maps);
}

static void maps_table(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->tot.table_bytes);
}

static void maps_retained(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->tot.retained_bytes);
}

static void maps_freed(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->tot.freed);
}

enum map_field { MAP_RETAINED_BYTES, MAP_TABLE_BYTES, MAP_LIVE, MAP_PEAK };

static void map_series(struct metrics_writer *w, const struct target_ctx *c, enum map_field what)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++) {
		const struct tracked_map *m = c->maps[i].m;
		uint64_t v = what == MAP_RETAINED_BYTES ? tracked_retained(m)
			     : what == MAP_TABLE_BYTES	? m->m.table_bytes
			     : what == MAP_LIVE		? m->m.live
							: tracked_peak(m);

		metrics_sample_u64(w, c->maps[i].labels, MAP_LABELS, v);
	}
}

/* The small maps, as the last walk found them, and the types and holders
 * that hold most of their bytes. */
static bool small_known(const struct target_ctx *c)
{
	return c->s->maps->walk_done;
}

static void small_maps(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->maps->small.tot.maps);
}

static void small_table(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->maps->small.tot.table_bytes);
}

static void small_groups(struct metrics_writer *w, const struct small_group *g, size_t n, const char *label)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct metrics_label l = { label, g[i].key };

		metrics_sample_u64(w, &l, 1, g[i].table_bytes);
	}
}

static void small_by_type(struct metrics_writer *w, const struct target_ctx *c)
{
	small_groups(w, c->s->maps->small.by_type, c->s->maps->small.ntype, "type");
}

static void small_by_holder(struct metrics_writer *w, const struct target_ctx *c)
{
	/* --redact: the holders' names stay on the host (and, all "global",
	 * they would be one series many times) */
	if (!redact_on())
		small_groups(w, c->s->maps->small.by_holder, c->s->maps->small.nholder, "held_by");
}

static void map_retained(struct metrics_writer *w, const struct target_ctx *c)
{
	map_series(w, c, MAP_RETAINED_BYTES);
}

static void map_table(struct metrics_writer *w, const struct target_ctx *c)
{
	map_series(w, c, MAP_TABLE_BYTES);
}

static void map_live(struct metrics_writer *w, const struct target_ctx *c)
{
	map_series(w, c, MAP_LIVE);
}

static void map_peak(struct metrics_writer *w, const struct target_ctx *c)
{
	map_series(w, c, MAP_PEAK);
}

static bool any_map(const struct target_ctx *c)
{
	return c->nmaps > 0;
}

static void lost_events(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, F->lost_records);
}

static void probe_hits(struct metrics_writer *w, const struct target_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nprobes; i++) {
		const struct metrics_label l[] = { { "probe", c->probes[i].symbol } };

		metrics_sample_u64(w, l, 1, c->probes[i].hits);
	}
}

static bool cost_known(const struct target_ctx *c)
{
	return c->cost_known;
}

static void overhead_ratio(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample(w, NULL, 0, overhead_pct(c->cost_ns, c->s->duration_ns) / 100);
}

static void overhead_seconds(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample(w, NULL, 0, (double)c->cost_ns / 1e9);
}

/* 0 while it runs, so that the kill is an increase a rate() sees */
static void oom_kills(struct metrics_writer *w, const struct target_ctx *c)
{
	metrics_sample_u64(w, NULL, 0, c->s->oom ? 1 : 0);
}

#undef F

#define MAP_HELP_LABELS                                                                             \
	" Top --top-maps maps by retained bytes (default 20); addr is the map header, type the map " \
	"type (or, when not known, the layout of its slots), site the code that grew it, held_by "   \
	"what holds it (a global, its field, a goroutine), verdict retained, reused or fits (JSON maps[])."

static const struct family families[] = {
	{ "heaptrace_target_info", METRICS_INFO, NULL,
	  "The traced Go process: its executable, Go version and map implementation (buckets up to Go 1.23, "
	  "swiss from 1.24).",
	  target_info, NULL },
	{ "heaptrace_trace_seconds", METRICS_GAUGE, "seconds", "How long heaptrace has traced the process (JSON duration_ns).",
	  trace_seconds, NULL },
	{ "heaptrace_gc_cycles_total", METRICS_COUNTER, NULL,
	  "GC cycles completed while traced: the increase of go_gc_cycles_total_gc_cycles_total "
	  "(/gc/cycles/total:gc-cycles) over the trace (JSON gc.cycles).",
	  gc_cycles, NULL },
	{ "heaptrace_gc_pause_seconds", METRICS_HISTOGRAM, "seconds",
	  "The GC's stop-the-world pauses while traced, timed as the runtime times them: the pauses that "
	  "go_gc_duration_seconds summarises and /gc/pauses:seconds (/sched/pauses/total/gc:seconds) counts "
	  "(JSON gc.stw). Buckets are powers of two nanoseconds.",
	  gc_pause, NULL },
	{ "heaptrace_other_pause_seconds", METRICS_HISTOGRAM, "seconds",
	  "Stops of the world that are not the GC's (ReadMemStats, profiles, GOMAXPROCS...): "
	  "/sched/pauses/total/other:seconds (JSON gc.other_stw).",
	  other_pause, NULL },
	{ "heaptrace_madvise_calls_total", METRICS_COUNTER, NULL,
	  "madvise calls the Go runtime made while traced, by advice; kind is release for advice that gives "
	  "pages back (DONTNEED, FREE...), hint for the others (HUGEPAGE...) (JSON release.madvise[].calls).",
	  madvise_calls, any_advice },
	{ "heaptrace_madvise_bytes_total", METRICS_COUNTER, "bytes",
	  "Bytes passed to the runtime's successful madvise calls, by advice: memory handed back to the OS for "
	  "kind=release, the length of an address range (not memory released) for kind=hint "
	  "(JSON release.madvise[].bytes).",
	  madvise_bytes, any_advice },
	{ "heaptrace_madvise_errors_total", METRICS_COUNTER, NULL,
	  "The runtime's madvise calls that failed, by advice (JSON release.madvise[].errors).", madvise_errors,
	  any_advice },
	{ "heaptrace_madvise_seconds", METRICS_HISTOGRAM, "seconds",
	  "Latency of the runtime's madvise calls, by advice (JSON release.madvise[].hist_log2_ns).",
	  madvise_seconds, any_advice },
	{ "heaptrace_scavenger_passes_total", METRICS_COUNTER, NULL,
	  "Passes of the runtime's background scavenger, which returns free pages to the OS "
	  "(JSON release.scavenger.passes).",
	  scavenger_passes, NULL },
	{ "heaptrace_scavenger_pass_seconds", METRICS_HISTOGRAM, "seconds",
	  "How long each background scavenger pass took, of the passes timed (in windows: JSON "
	  "release.latency_sampled_ns; release.scavenger.hist_log2_ns).", scavenger_seconds,
	  NULL },
	{ "heaptrace_heap_grown_bytes_total", METRICS_COUNTER, "bytes",
	  "Bytes the Go heap grew by while traced ((*mheap).grow; JSON release.ledger.grown_bytes).", heap_grown,
	  NULL },
	{ "heaptrace_heap_returned_bytes_total", METRICS_COUNTER, "bytes",
	  "Bytes the runtime handed back to the OS while traced (sysUnusedOS; JSON release.ledger.released_bytes).",
	  heap_returned, NULL },
	{ "heaptrace_heap_free_unreleased_bytes", METRICS_GAUGE, "bytes",
	  "Heap bytes free but not returned to the OS, from the runtime's page accounting read in the target's "
	  "memory: equals go_memory_classes_heap_free_bytes (/memory/classes/heap/free:bytes) "
	  "(JSON release.ledger.free_unreleased_bytes). Absent until the accounting is found.",
	  heap_free_unreleased, have_heap },
	{ "heaptrace_heap_released_bytes", METRICS_GAUGE, "bytes",
	  "Heap bytes free and returned to the OS: equals go_memory_classes_heap_released_bytes "
	  "(/memory/classes/heap/released:bytes, MemStats.HeapReleased) "
	  "(JSON release.ledger.runtime_released_bytes). Absent until the accounting is found.",
	  heap_released, have_heap },
	{ "heaptrace_heap_in_use_bytes", METRICS_GAUGE, "bytes",
	  "Heap bytes in spans in use: MemStats.HeapInuse, go_memory_classes_heap_objects_bytes plus "
	  "go_memory_classes_heap_unused_bytes (JSON heap.in_use_bytes).",
	  heap_in_use, have_heap },
	{ "heaptrace_process_rss_bytes", METRICS_GAUGE, "bytes",
	  "Resident set size, from /proc/PID/smaps: process_resident_memory_bytes (JSON memory.rss_bytes).",
	  rss, have_mem },
	{ "heaptrace_process_anon_bytes", METRICS_GAUGE, "bytes",
	  "Anonymous resident memory, from /proc/PID/smaps (JSON memory.anon_bytes).", anon, have_mem },
	{ "heaptrace_process_lazyfree_bytes", METRICS_GAUGE, "bytes",
	  "Memory given back with MADV_FREE that the kernel has not reclaimed yet: still in RSS "
	  "(smaps LazyFree; JSON memory.lazyfree_bytes).",
	  lazyfree, have_mem },
	{ "heaptrace_maps_followed", METRICS_GAUGE, NULL,
	  "Maps heaptrace follows one by one (tables of 32 KiB or more; JSON maps_summary.followed).",
	  maps_followed, NULL },
	{ "heaptrace_maps_freed", METRICS_GAUGE, NULL,
	  "Followed maps the GC has freed since heaptrace attached (JSON maps_summary.freed).", maps_freed, NULL },
	{ "heaptrace_maps_table_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes of the followed maps (JSON maps_summary.table_bytes).", maps_table, maps_complete },
	{ "heaptrace_maps_retained_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes the followed maps hold beyond what fresh maps of their live entries would need "
	  "(JSON maps_summary.retained_bytes).",
	  maps_retained, maps_complete },
	{ "heaptrace_map_retained_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes one map holds beyond what a fresh map of its live entries would need." MAP_HELP_LABELS,
	  map_retained, any_map },
	{ "heaptrace_map_table_bytes", METRICS_GAUGE, "bytes", "Heap bytes one map's tables hold." MAP_HELP_LABELS,
	  map_table, any_map },
	{ "heaptrace_map_live_entries", METRICS_GAUGE, NULL, "Entries one map holds now." MAP_HELP_LABELS, map_live,
	  any_map },
	{ "heaptrace_map_peak_entries", METRICS_GAUGE, NULL,
	  "The most entries heaptrace saw one map hold, a lower bound of its peak (JSON maps[].peak)." MAP_HELP_LABELS,
	  map_peak, any_map },
	{ "heaptrace_small_maps", METRICS_GAUGE, NULL,
	  "Maps under 32 KiB, summed rather than followed, as the last heap walk found them (live objects "
	  "only; JSON maps_summary.small_maps.maps).",
	  small_maps, small_known },
	{ "heaptrace_small_maps_table_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes of the small maps (JSON maps_summary.small_maps.table_bytes).", small_table, small_known },
	{ "heaptrace_small_maps_by_type_table_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes of the small maps of the types that hold most (type: the map type, or its slots' layout "
	  "when not known; JSON maps_summary.small_maps.by_type).",
	  small_by_type, small_known },
	{ "heaptrace_small_maps_by_holder_table_bytes", METRICS_GAUGE, "bytes",
	  "Table bytes of the small maps by what holds them directly, the holders that hold most "
	  "(JSON maps_summary.small_maps.by_holder).",
	  small_by_holder, small_known },
	{ "heaptrace_lost_events_total", METRICS_COUNTER, NULL,
	  "Ring-buffer records lost because the buffer was full (--ringbuf-kb; JSON lost_events).", lost_events,
	  NULL },
	{ "heaptrace_probe_hits_total", METRICS_COUNTER, NULL,
	  "Hits of each probed runtime function (JSON probes[].hits).", probe_hits, NULL },
	{ "heaptrace_overhead_cpu_ratio", METRICS_GAUGE, "ratio",
	  "The probes' estimated cost to the target over the trace, in CPUs (0.01 = 1% of one CPU; "
	  "JSON overhead.est_cpu_percent / 100). Absent when the per-hit cost is not measured.",
	  overhead_ratio, cost_known },
	{ "heaptrace_overhead_cpu_seconds_total", METRICS_COUNTER, "seconds",
	  "The probes' estimated cost to the target, in CPU seconds (JSON overhead.est_target_ns): its rate is "
	  "the current overhead in CPUs.",
	  overhead_seconds, cost_known },
	{ "heaptrace_oom_kills_total", METRICS_COUNTER, NULL,
	  "Times the kernel's OOM killer chose the process (oom:mark_victim): 0 while it runs, 1 once killed. "
	  "In host mode a killed process keeps this series (its others go) while heaptrace keeps its report "
	  "(JSON oom; the post-mortem record in --postmortem-dir).",
	  oom_kills, NULL },
};

/* The families also written for a process that has ended (trace_snapshot.gone). */
static bool after_exit(const struct family *f, const struct target_ctx *c)
{
	return !c->s->gone || f->emit == oom_kills;
}

int render_metrics(struct metrics_writer *w, const struct trace_snapshot *const *v, size_t n, unsigned top_maps)
{
	struct target_ctx *ctx = calloc(n ? n : 1, sizeof(*ctx));
	size_t f, i, ready = 0;
	int err = 0;

	if (!ctx)
		return ht_fail("metrics: out of memory for %zu targets", n);
	for (; ready < n && !err; ready++)
		err = ctx_init(&ctx[ready], v[ready], top_maps);
	for (f = 0; f < sizeof(families) / sizeof(families[0]) && !err; f++) {
		const struct family *fam = &families[f];
		bool any = false;

		for (i = 0; i < n && !any; i++)
			any = after_exit(fam, &ctx[i]) && (!fam->known || fam->known(&ctx[i]));
		if (!any)
			continue;
		metrics_family(w, fam->name, fam->type, fam->help, fam->unit);
		for (i = 0; i < n; i++) {
			if (!after_exit(fam, &ctx[i]) || (fam->known && !fam->known(&ctx[i])))
				continue;
			metrics_common_labels(w, ctx[i].common, ctx[i].ncommon);
			fam->emit(w, &ctx[i]);
		}
		metrics_common_labels(w, NULL, 0);
		err = w->err;
	}
	if (!err) {
		/* the runtime's own state, with each target's labels */
		const struct metrics_label **common = calloc(n ? n : 1, sizeof(*common));
		size_t *ncommon = calloc(n ? n : 1, sizeof(*ncommon));

		for (i = 0; common && ncommon && i < n; i++) {
			common[i] = ctx[i].common;
			ncommon[i] = ctx[i].ncommon;
		}
		err = common && ncommon ? render_runtime_metrics(w, v, n, common, ncommon)
					: ht_fail("metrics: out of memory for %zu targets", n);
		free(common);
		free(ncommon);
	}
	for (i = 0; i < ready; i++)
		free(ctx[i].maps);
	free(ctx);
	return err ? -1 : w->err;
}

int render_metrics_text(const struct trace_snapshot *const *v, size_t n, unsigned top_maps, enum metrics_format format,
			char **text, size_t *len)
{
	struct metrics_writer w;

	if (metrics_writer_init(&w, format))
		return -1;
	if (render_metrics(&w, v, n, top_maps)) {
		metrics_writer_free(&w);
		return -1;
	}
	return metrics_finish(&w, text, len);
}
