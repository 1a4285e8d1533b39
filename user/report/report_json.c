// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The final report as JSON, schema 1 (design.md section 5): additions are
 * fine, renames are not. */
#include <errno.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include "report/json_text.h"
#include "report/maps_json.h"
#include "util/log.h"
#include "trace/madvise_probe.h"
#include "report/plan_print.h"
#include "report/report.h"
#include "report/runtime_report.h"
#include "oom/oom_report.h"
#include "target/symbolize.h"

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *hist_slots(const struct ht_hist *h)
{
	json_t *a = json_array();
	int s, last = -1;

	for (s = 0; s < HT_HIST_SLOTS; s++)
		if (h->slots[s])
			last = s;
	for (s = 0; s <= last; s++)
		json_array_append_new(a, jint(h->slots[s]));
	return a;
}

static json_t *hist_obj(const struct ht_hist *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", jint(h->count));
	json_object_set_new(o, "sum_ns", jint(h->sum_ns));
	json_object_set_new(o, "max_ns", jint(h->max_ns));
	json_object_set_new(o, "hist_log2_ns", hist_slots(h));
	return o;
}

/* The probes' estimated cost to the target: null figures when the per-hit
 * cost could not be measured. */
static json_t *overhead_json(const struct trace_snapshot *r)
{
	const struct overhead *o = r->overhead;
	json_t *j = json_object(), *detached = json_array(), *hit = json_object();
	uint64_t ns = o->cost.measured ? hit_cost_ns(&o->cost, r->plan, r->hits, -1) : 0;
	int t;

	json_object_set_new(hit, "branch", o->cost.measured ? jint(o->cost.branch_ns) : json_null());
	json_object_set_new(hit, "entry", o->cost.measured ? jint(o->cost.entry_ns) : json_null());
	json_object_set_new(hit, "ret", o->cost.measured ? jint(o->cost.ret_ns) : json_null());
	/* timed by the handlers themselves, whether the traps were measured or not */
	json_object_set_new(hit, "handler", probe_hits_total(r->plan, r->hits, -1) ?
					     jint(handler_ns_per_hit(r->plan, r->hits)) : json_null());
	json_object_set_new(j, "hit_ns", hit);
	json_object_set_new(j, "hit_cost_cached", json_boolean(o->cost.cached));
	json_object_set_new(j, "est_target_ns", o->cost.measured ? jint(ns) : json_null());
	json_object_set_new(j, "est_cpu_percent",
			    o->cost.measured ? json_real(overhead_pct(ns, r->duration_ns)) : json_null());
	json_object_set_new(j, "max_overhead_percent", o->budget_pct ? json_real(o->budget_pct) : json_null());
	for (t = HT_TIER_COLD; t <= HT_TIER_HOT; t++)
		if (o->detached[t])
			json_array_append_new(detached, json_text(tier_name((enum ht_tier)t)));
	json_object_set_new(j, "detached_tiers", detached);
	return j;
}

static json_t *pauses_json(const struct ht_hist *pause, const struct ht_hist *stopping)
{
	json_t *o = hist_obj(pause);

	json_object_set_new(o, "stopping", hist_obj(stopping));
	return o;
}

/* gc.stw: the GC's own stops of the world, timed as the runtime times them
 * (what go_gc_duration_seconds and /gc/pauses:seconds count); other stops
 * (ReadMemStats, profiles...) apart in gc.other_stw. */
static json_t *gc_json(const struct trace_snapshot *r)
{
	const struct ht_figures *f = r->figures;
	json_t *gc = json_object(), *stw = pauses_json(&f->gc_pause, &f->gc_stopping), *reasons = json_object();
	int i, minor = r->target->bi.ver.minor;

	for (i = 0; i < STW_REASONS_MAX; i++)
		if (r->tally->stw_by_reason[i] && stw_reason_name(minor, (unsigned)i))
			json_object_set_new(reasons, stw_reason_name(minor, (unsigned)i), jint(r->tally->stw_by_reason[i]));
	json_object_set_new(stw, "reasons", reasons);
	json_object_set_new(gc, "cycles", jint(f->gc_cycles));
	json_object_set_new(gc, "stw", stw);
	json_object_set_new(gc, "other_stw", pauses_json(&f->other_pause, &f->other_stopping));
	return gc;
}

static json_t *madvise_json(const struct trace_snapshot *r)
{
	const struct ht_figures *f = r->figures;
	json_t *a = json_array();
	int i;

	for (i = 0; i < HT_MAX_ADVICE; i++) {
		const char *name = madvise_advice_name((unsigned)i);
		const struct ht_madvise_figures *m = &f->madvise[i];
		json_t *o;

		if (!m->calls)
			continue;
		o = json_object();
		json_object_set_new(o, "advice", json_text(name ? name : "other"));
		/* a hint's length is an address range, not memory given back */
		json_object_set_new(o, "kind", json_text(madvise_releases((unsigned)i) ? "release" : "hint"));
		json_object_set_new(o, "calls", jint(m->calls));
		json_object_set_new(o, "bytes", jint(m->bytes));
		/* errors and latency come from the timed calls: with sampling,
		 * `timed` of `calls`, over latency_sampled_ns of the trace */
		json_object_set_new(o, "errors", jint(m->errors));
		json_object_set_new(o, "timed", jint(m->latency.count));
		json_object_set_new(o, "max_ns", jint(m->latency.max_ns));
		json_object_set_new(o, "hist_log2_ns", hist_slots(&m->latency));
		json_array_append_new(a, o);
	}
	return a;
}

/* madvise calls that were not the Go runtime's (file mappings, cgo). */
static json_t *madvise_other_json(const struct ht_figures *f)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < HT_MAX_ADVICE; i++) {
		const char *name = madvise_advice_name((unsigned)i);
		json_t *o;

		if (!f->madvise_other[i].calls)
			continue;
		o = json_object();
		json_object_set_new(o, "advice", json_text(name ? name : "other"));
		json_object_set_new(o, "calls", jint(f->madvise_other[i].calls));
		json_object_set_new(o, "bytes", jint(f->madvise_other[i].bytes));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *release_json(const struct trace_snapshot *r)
{
	const struct ht_figures *f = r->figures;
	json_t *rel = json_object(), *scav = json_object(), *ledger = json_object();

	/* counts at the entries; the histograms and released bytes of the
	 * calls timed (in the sampled windows: latency_sampled_ns) */
	json_object_set_new(scav, "passes", jint(f->scavenger_passes));
	json_object_set_new(scav, "hist_log2_ns", hist_slots(&f->scavenger_run));
	json_object_set_new(scav, "scavenge_calls", jint(f->scavenge_calls));
	json_object_set_new(scav, "scavenge", hist_obj(&f->scavenge));
	json_object_set_new(scav, "released_bytes", jint(f->scavenged_bytes));
	json_object_set_new(scav, "free_os_memory", hist_obj(&f->free_os_memory));
	json_object_set_new(ledger, "grown_bytes", jint(f->heap_grow_bytes));
	json_object_set_new(ledger, "released_bytes", jint(f->unused_bytes));
	json_object_set_new(ledger, "reused_bytes", r->reuse_probed ? jint(f->used_bytes) : json_null());
	/* From the runtime's own statistics in the target's memory; null
	 * when they could not be read, rather than a guess. */
	json_object_set_new(ledger, "free_unreleased_bytes", r->have_heap ? jint(r->heap.free_unreleased) : json_null());
	json_object_set_new(ledger, "runtime_released_bytes", r->have_heap ? jint(r->heap.released) : json_null());
	json_object_set_new(rel, "madvise", madvise_json(r));
	json_object_set_new(rel, "latency_sampled", json_boolean(r->latency_sampled));
	json_object_set_new(rel, "latency_sampled_ns", r->latency_sampled ? jint(r->latency_sampled_ns) : json_null());
	json_object_set_new(rel, "madvise_not_runtime", madvise_other_json(f));
	/* of release.madvise, the calls made with process_madvise(2); null
	 * where the method does not see it (the runtime's madvise wrapper) */
	json_object_set_new(rel, "process_madvise_calls",
			    r->madvise->process_madvise ? jint(f->process_madvise_calls) : json_null());
	json_object_set_new(rel, "scavenger", scav);
	json_object_set_new(rel, "ledger", ledger);
	return rel;
}

json_t *report_json_object(const struct trace_snapshot *r)
{
	const struct ht_figures *f = r->figures;
	json_t *root = json_object(), *probes = json_array(), *heap = json_object();
	int i;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "target", target_to_json(r->target));
	json_object_set_new(root, "duration_ns", jint(r->duration_ns));
	json_object_set_new(root, "stop_reason", r->stop_reason ? json_text(r->stop_reason) : json_null());
	json_object_set_new(root, "started_at", json_time(&r->started_at));
	json_object_set_new(root, "ended_at", r->ended_at.tv_sec ? json_time(&r->ended_at) : json_null());
	json_object_set_new(root, "lost_events", jint(f->lost_records));
	json_object_set_new(root, "events_consumed", jint(r->tally->records));
	json_object_set_new(root, "ringbuf_kb", jint(r->ringbuf_kb));
	json_object_set_new(root, "attach_method", json_text(r->attach_method));
	json_object_set_new(root, "madvise_probe", json_text(r->madvise->method));
	json_object_set_new(root, "madvise_probe_host_wide", json_boolean(r->madvise->host_wide));
	for (i = 0; i < r->plan->n; i++) {
		const struct planned_probe *p = &r->plan->probes[i];
		json_t *o = json_object();

		json_object_set_new(o, "symbol", json_text(p->spec->symbol));
		json_object_set_new(o, "attach", json_addr(p->code.attach));
		json_object_set_new(o, "tier", json_text(tier_name(p->spec->tier)));
		json_object_set_new(o, "hits", jint(r->hits[i].entries));
		json_object_set_new(o, "handler_ns", jint(r->hits[i].work_ns));
		if (p->code.attach_kind == ATTACH_STACK_CHECK_BRANCH)
			json_object_set_new(o, "morestack_passes", jint(r->hits[i].restarts));
		if (p->spec->exits)
			json_object_set_new(o, "exit_hits", jint(r->hits[i].exits));
		if (p->spec->call_sites)
			json_object_set_new(o, "call_hits", jint(r->hits[i].calls));
		json_array_append_new(probes, o);
	}
	json_object_set_new(root, "probes", probes);
	json_object_set_new(root, "overhead", overhead_json(r));
	json_object_set_new(root, "gc", gc_json(r));
	json_object_set_new(root, "release", release_json(r));
	json_object_set_new(heap, "grow_calls", jint(f->heap_grow_calls));
	json_object_set_new(heap, "grown_bytes", jint(f->heap_grow_bytes));
	json_object_set_new(heap, "grow", hist_obj(&f->heap_grow));
	/* the runtime's heap in use (HeapInuse, /memory/classes/heap/objects
	 * plus unused), from its own page accounting */
	json_object_set_new(heap, "in_use_bytes", r->have_heap ? jint(r->heap.in_heap) : json_null());
	json_object_set_new(heap, "map_grows", jint(f->map_grows));
	json_object_set_new(heap, "map_grows_small", jint(f->map_grows_small));
	json_object_set_new(heap, "map_assigns", jint(f->map_assigns));
	json_object_set_new(root, "heap", heap);
	json_object_set_new(root, "maps", maps_json(r->maps));
	json_object_set_new(root, "maps_summary", heap_walk_json(r->maps));
	if (r->have_mem) {
		json_t *m = json_object();

		json_object_set_new(m, "rss_bytes", jint(r->mem.rss));
		json_object_set_new(m, "anon_bytes", jint(r->mem.anon));
		json_object_set_new(m, "lazyfree_bytes", jint(r->mem.lazyfree));
		json_object_set_new(root, "memory", m);
	}
	/* the runtime's own state: settings, history, classes, RSS split */
	if (!json_object_get(root, "memory"))
		json_object_set_new(root, "memory", json_object());
	runtime_gc_json(json_object_get(root, "gc"), r->rt, r->no_probes);
	runtime_memory_json(json_object_get(root, "memory"), r->rt);
	json_object_set_new(root, "advice", runtime_advice_json(r->rt, r->target));
	json_object_set_new(root, "runtime_state", runtime_state_json(r->rt));
	oom_report_json(root, r); /* killed by the OOM killer: `oom` */
	return root;
}

int report_json_write(FILE *out, json_t *root)
{
	int err = json_dumpf(root, out, JSON_INDENT(2));

	json_decref(root);
	fputc('\n', out);
	if (err || fflush(out))
		return ht_fail("cannot write the JSON report: %s", strerror(errno));
	return 0;
}

int report_json(FILE *out, const struct trace_snapshot *r)
{
	return report_json_write(out, report_json_object(r));
}
