// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <string.h>
#include "report/gomap_report.h"
#include "report/hist_print.h"
#include "report/report.h"
#include "report/runtime_report.h"
#include "trace/madvise_probe.h"
#include "util/textsafe.h"

#define FMT(kind, v) fmt_##kind((char[32]){ 0 }, 32, (v))

/* "what N: p50<X p99<X max X, X in all", and the time to stop the world. */
static void pause_lines(FILE *out, const char *what, const struct ht_hist *h, const struct ht_hist *stopping)
{
	fprintf(out, "          %s %llu", what, (unsigned long long)h->count);
	if (h->count)
		fprintf(out, ": p50<%s p99<%s max %s, %s in all", FMT(ns, hist_quantile_ns(h, 0.5)),
			FMT(ns, hist_quantile_ns(h, 0.99)), FMT(ns, h->max_ns), FMT(ns, h->sum_ns));
	fputc('\n', out);
	if (stopping->count)
		fprintf(out, "            of which stopping the world: p99<%s max %s\n",
			FMT(ns, hist_quantile_ns(stopping, 0.99)), FMT(ns, stopping->max_ns));
}

/* The stops by reason (Go 1.21+), on one line. */
static void reasons_line(FILE *out, const struct trace_snapshot *r)
{
	int i, minor = r->target->bi.ver.minor, shown = 0;

	for (i = 0; i < STW_REASONS_MAX; i++) {
		const char *name = stw_reason_name(minor, (unsigned)i);

		if (!r->tally->stw_by_reason[i] || !name)
			continue;
		fprintf(out, "%s%s %llu", shown++ ? ", " : "          stops by reason: ", name,
			(unsigned long long)r->tally->stw_by_reason[i]);
	}
	if (shown)
		fputc('\n', out);
}

void print_gc_lines(FILE *out, const struct trace_snapshot *r, const struct ht_figures *d,
		    const struct ht_figures *total)
{
	fprintf(out, "GC        %llu cycles", (unsigned long long)d->gc_cycles);
	if (total)
		fprintf(out, " (total %llu)", (unsigned long long)total->gc_cycles);
	fputc('\n', out);
	pause_lines(out, "GC pauses", &d->gc_pause, &d->gc_stopping);
	if (d->other_pause.count || (total && total->other_pause.count))
		pause_lines(out, "other stops", &d->other_pause, &d->other_stopping);
	reasons_line(out, r);
}

/* Heap release first: bytes given back. Hints after it: address ranges. */
static int madvise_group(FILE *out, const struct ht_figures *d, const struct ht_figures *total, bool release,
			 int shown)
{
	const struct ht_figures *all = total ? total : d;
	int a;

	for (a = 0; a < HT_MAX_ADVICE; a++) {
		const char *name = madvise_advice_name((unsigned)a);

		if (!all->madvise[a].calls || madvise_releases((unsigned)a) != release)
			continue;
		/* a hint's length is an address range, not memory given back */
		fprintf(out, "%-9s %-10s %6llu calls %10s %-*s", shown++ ? "" : "madvise", name ? name : "other",
			(unsigned long long)d->madvise[a].calls, FMT(bytes, d->madvise[a].bytes), total ? 8 : 0,
			release ? "released" : "range");
		if (total)
			fprintf(out, " (total %llu, %s)", (unsigned long long)total->madvise[a].calls,
				FMT(bytes, total->madvise[a].bytes));
		if (d->madvise[a].errors)
			fprintf(out, "  %llu failed", (unsigned long long)d->madvise[a].errors);
		fputc('\n', out);
	}
	return shown;
}

void print_madvise_lines(FILE *out, const struct ht_figures *d, const struct ht_figures *total)
{
	const struct ht_figures *all = total ? total : d;
	int a, shown = madvise_group(out, d, total, true, 0);

	shown = madvise_group(out, d, total, false, shown);
	if (!shown)
		fprintf(out, "madvise   no calls by the runtime yet\n");
	for (a = 0; a < HT_MAX_ADVICE; a++) {
		const char *name = madvise_advice_name((unsigned)a);

		if (all->madvise_other[a].calls)
			fprintf(out, "          not the Go heap (file mappings, cgo): %s %llu calls over %s\n",
				name ? name : "other", (unsigned long long)all->madvise_other[a].calls,
				FMT(bytes, all->madvise_other[a].bytes));
	}
}

unsigned larger_ringbuf_kb(const struct trace_snapshot *r)
{
	return r->ringbuf_kb >= 1024 * 1024 / 4 ? 1024 * 1024 : r->ringbuf_kb * 4;
}

void print_memory_line(FILE *out, const struct smaps *m)
{
	fprintf(out, "memory    RSS %s   anonymous %s   LazyFree %s\n", FMT(bytes, m->rss), FMT(bytes, m->anon),
		FMT(bytes, m->lazyfree));
}

static void section_hist(FILE *out, const char *title, const struct ht_hist *h)
{
	if (!h->count)
		return;
	fprintf(out, "\n%s: %llu, total %s, max %s\n", title, (unsigned long long)h->count, FMT(ns, h->sum_ns),
		FMT(ns, h->max_ns));
	hist_print(out, h, "  ");
}

#define REPORT_TOP_MAPS 20

static void map_section(FILE *out, const struct map_tracker *mt)
{
	struct map_totals tot;

	fputc('\n', out);
	print_maps(out, mt, REPORT_TOP_MAPS, 0);
	map_tracker_totals(mt, &tot);
	if (tot.retained_by_verdict[MAP_REUSED])
		fprintf(out, "  %s of that is held by working buffers (verdict reused): emptied and refilled while traced,\n"
			     "  their tables are needed again; nothing to do.\n", FMT(bytes, tot.retained_by_verdict[MAP_REUSED]));
	if (tot.retained_by_verdict[MAP_RETAINED])
		fprintf(out, "  A Go map never gives back its table: delete() empties slots, it does not shrink.\n"
			     "  For the maps marked retained, copy the live entries into a fresh map and drop the old one.\n");
}

/* The probes' estimated cost to the target over the whole trace. */
static void print_overhead_line(FILE *out, const struct trace_snapshot *r)
{
	const struct overhead *o = r->overhead;
	unsigned long long n = probe_hits_total(r->plan, r->hits, -1);
	uint64_t ns;
	int t;

	if (!o->cost.measured) {
		fprintf(out, "probes    %llu hits; %s\n", n, o->unavailable);
		return;
	}
	ns = hit_cost_ns(&o->cost, r->plan, r->hits, -1);
	fprintf(out, "probes    %llu hits cost the target about %s, %.2f%% of a CPU\n", n, FMT(ns, ns),
		overhead_pct(ns, r->duration_ns));
	fprintf(out, "          a trap costs %s on a branch, %s on an entry, %s on a RET (%s);\n",
		FMT(ns, o->cost.branch_ns), FMT(ns, o->cost.entry_ns), FMT(ns, o->cost.ret_ns),
		o->cost.cached ? "measured earlier this boot" : "measured at start");
	fprintf(out, "          the handlers took %s a hit, timed in the target\n",
		FMT(ns, handler_ns_per_hit(r->plan, r->hits)));
	for (t = HT_TIER_WARM; t <= HT_TIER_HOT; t++)
		if (o->detached[t])
			fprintf(out, "          the %s probes were detached: over --max-overhead %g%%\n",
				tier_name((enum ht_tier)t), o->budget_pct);
}

static void probes_table(FILE *out, const struct trace_snapshot *r)
{
	int i;

	fprintf(out, "\n%-44s %-12s %12s %12s\n", "PROBE", "ATTACH", "HITS", "EXIT HITS");
	for (i = 0; i < r->plan->n; i++) {
		const struct planned_probe *p = &r->plan->probes[i];
		char a[24], ex[24] = "-";

		snprintf(a, sizeof(a), "0x%" PRIx64, p->code.attach);
		if (p->spec->exits)
			snprintf(ex, sizeof(ex), "%llu", (unsigned long long)r->hits[i].exits);
		fprintf(out, "%-44s %-12s %12llu %12s\n", p->spec->symbol, a, (unsigned long long)r->hits[i].entries,
			ex);
		if (p->spec->call_sites && p->ncalls)
			fprintf(out, "%-44s %-12s %12llu\n", "  at its calls", "", (unsigned long long)r->hits[i].calls);
	}
}

void report_text(FILE *out, const struct trace_snapshot *r)
{
	const struct target *t = r->target;
	const struct ht_figures *f = r->figures;
	int i;

	fprintf(out, "\nheaptrace: pid %d (%s, %s, %s maps%s) traced for %.1fs; %s\n\n", t->pid, tsafe(t->exe),
		tsafe(t->bi.version), t->map_impl, go_funcs_stripped(&t->funcs) ? ", stripped" : "",
		(double)r->duration_ns / 1e9, r->stop_reason ? r->stop_reason : "still running");
	print_gc_lines(out, r, f, NULL);
	print_madvise_lines(out, f, NULL);
	if (f->process_madvise_calls)
		fprintf(out, "          of which %llu calls of process_madvise(2)\n",
			(unsigned long long)f->process_madvise_calls);
	fprintf(out, "scavenger %llu background passes, %llu scavenge calls (the %llu timed released %s); "
		"debug.FreeOSMemory %llu calls\n",
		(unsigned long long)f->scavenger_passes, (unsigned long long)f->scavenge_calls,
		(unsigned long long)f->scavenge.count, FMT(bytes, f->scavenged_bytes),
		(unsigned long long)f->free_os_memory.count);
	fprintf(out, "heap      grew %llu times by %s\n", (unsigned long long)f->heap_grow_calls,
		FMT(bytes, f->heap_grow_bytes));
	fprintf(out, "ledger    grown %s, released to the OS %s, released pages re-used %s\n",
		FMT(bytes, f->heap_grow_bytes), FMT(bytes, f->unused_bytes),
		r->reuse_probed ? FMT(bytes, f->used_bytes) : "not measured (hot-tier probe)");
	print_overhead_line(out, r);
	if (r->have_mem)
		print_memory_line(out, &r->mem);
	if (r->have_heap)
		print_pages_line(out, &r->heap);
	print_runtime_block(out, r->rt, t, false);
	section_hist(out, r->no_probes ? "GC pauses, one a collection (the runtime's record)" : "GC stop-the-world pauses",
		     &f->gc_pause);
	section_hist(out, "time to stop the world, for the GC", &f->gc_stopping);
	section_hist(out, "other stops of the world", &f->other_pause);
	for (i = 0; i < HT_MAX_ADVICE; i++) {
		char title[160], sampled[96] = "";
		const char *name = madvise_advice_name((unsigned)i);

		/* counted at every call, timed in windows (the timing traps cost
		 * more than the calls they time): say how much of the trace */
		if (r->latency_sampled && f->madvise[i].latency.count)
			snprintf(sampled, sizeof(sampled), ", %llu of %llu calls timed over %.1fs of %.1fs",
				 (unsigned long long)f->madvise[i].latency.count,
				 (unsigned long long)f->madvise[i].calls, (double)r->latency_sampled_ns / 1e9,
				 (double)r->duration_ns / 1e9);
		snprintf(title, sizeof(title), "madvise %s latency (%s%s)", name ? name : "other", r->madvise->method,
			 sampled);
		section_hist(out, title, &f->madvise[i].latency);
	}
	section_hist(out, r->latency_sampled ? "scavenger passes (background; timed in windows)" :
					       "scavenger passes (background)", &f->scavenger_run);
	section_hist(out, r->latency_sampled ? "(*pageAlloc).scavenge (timed in windows)" : "(*pageAlloc).scavenge",
		     &f->scavenge);
	section_hist(out, "debug.FreeOSMemory", &f->free_os_memory);
	section_hist(out, "heap growth", &f->heap_grow);
	map_section(out, r->maps);
	probes_table(out, r);
	if (f->lost_records)
		fprintf(out, "WARNING: %llu event records were lost (ring buffer full); counts and histograms are complete, per-event details (pause reasons, map growth stacks) are not: run with --ringbuf-kb %u or more\n",
			(unsigned long long)f->lost_records, larger_ringbuf_kb(r));
	else
		fprintf(out, "lost events: 0\n");
}
