#include <inttypes.h>
#include <string.h>
#include "report/hist_print.h"
#include "trace/madvise_probe.h"
#include "report/gomap_report.h"
#include "report/report.h"

#define FMT(kind, v) fmt_##kind((char[32]){ 0 }, 32, (v))

void print_gc_line(FILE *out, const struct stats *d, const struct stats *total)
{
	const struct ht_hist *h = &d->h[HT_HIST_STW];

	fprintf(out, "GC        %llu cycles", d->c[HT_C_GC_CYCLES]);
	if (total)
		fprintf(out, " (total %llu)", total->c[HT_C_GC_CYCLES]);
	fprintf(out, "  STW %llu", h->count);
	if (h->count)
		fprintf(out, ": p50<%s p99<%s max %s", FMT(ns, hist_quantile_ns(h, 0.5)),
			FMT(ns, hist_quantile_ns(h, 0.99)), FMT(ns, h->max_ns));
	fputc('\n', out);
}

void print_madvise_lines(FILE *out, const struct stats *d, const struct stats *total)
{
	const struct stats *all = total ? total : d;
	int a, shown = 0;

	for (a = 0; a < HT_MAX_ADVICE; a++) {
		const char *name = madvise_advice_name((unsigned)a);

		if (!all->c[HT_C_MADVISE_CALLS + a])
			continue;
		fprintf(out, "%-9s %-10s %6llu calls %10s", shown++ ? "" : "madvise", name ? name : "other",
			d->c[HT_C_MADVISE_CALLS + a], FMT(bytes, d->c[HT_C_MADVISE_BYTES + a]));
		if (total)
			fprintf(out, "  (total %llu calls, %s)", total->c[HT_C_MADVISE_CALLS + a],
				FMT(bytes, total->c[HT_C_MADVISE_BYTES + a]));
		fputc('\n', out);
	}
	if (!shown)
		fprintf(out, "madvise   no calls yet\n");
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
	fprintf(out, "\n%s: %llu calls, total %s, max %s\n", title, h->count, FMT(ns, h->sum_ns),
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
	if (tot.retained_bytes)
		fprintf(out, "  A Go map never gives back its table: delete() empties slots, it does not shrink.\n"
			     "  To free the retained memory, copy the live entries into a fresh map and drop the old one.\n");
}

/* The probes' estimated cost to the target over the whole trace. */
static void print_overhead_line(FILE *out, const struct trace_result *r)
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
	fprintf(out, "          a hit costs %s on a branch, %s on an entry, %s on a RET here (measured at start)\n",
		FMT(ns, o->cost.branch_ns), FMT(ns, o->cost.entry_ns), FMT(ns, o->cost.ret_ns));
	for (t = HT_TIER_WARM; t <= HT_TIER_HOT; t++)
		if (o->detached[t])
			fprintf(out, "          the %s probes were detached: over --max-overhead %g%%\n",
				tier_name((enum ht_tier)t), o->budget_pct);
}

void report_text(FILE *out, const struct trace_result *r)
{
	const struct target *t = r->target;
	const struct stats *s = r->total;
	int i, minor = t->bi.ver.minor;

	fprintf(out, "\nheaptrace: pid %d (%s, %s, %s maps%s) traced for %.1fs; %s\n\n", t->pid, t->exe,
		t->bi.version, t->map_impl, go_funcs_stripped(&t->funcs) ? ", stripped" : "",
		(double)r->duration_ns / 1e9, r->stop_reason);
	print_gc_line(out, s, NULL);
	for (i = 0; i < STW_REASONS_MAX; i++)
		if (r->tally->stw_by_reason[i] && stw_reason_name(minor, (unsigned)i))
			fprintf(out, "          %llu stopped for %s\n", r->tally->stw_by_reason[i],
				stw_reason_name(minor, (unsigned)i));
	print_madvise_lines(out, s, NULL);
	fprintf(out, "scavenger %llu background passes, %llu scavenge calls released %s; "
		"debug.FreeOSMemory %llu calls\n",
		s->h[HT_HIST_SCAVENGER_RUN].count, s->h[HT_HIST_SCAVENGE].count, FMT(bytes, s->c[HT_C_SCAVENGED_BYTES]),
		s->h[HT_HIST_FREE_OS_MEMORY].count);
	fprintf(out, "heap      grew %llu times by %s\n", s->c[HT_C_HEAP_GROW_CALLS],
		FMT(bytes, s->c[HT_C_HEAP_GROW_BYTES]));
	fprintf(out, "ledger    grown %s, released to the OS %s, released pages re-used %s\n",
		FMT(bytes, s->c[HT_C_HEAP_GROW_BYTES]), FMT(bytes, s->c[HT_C_UNUSED_BYTES]),
		r->reuse_probed ? FMT(bytes, s->c[HT_C_USED_BYTES]) : "not measured (hot-tier probe)");
	print_overhead_line(out, r);
	if (r->have_mem)
		print_memory_line(out, &r->mem);
	if (r->have_heap)
		print_pages_line(out, &r->heap);
	section_hist(out, "stop-the-world pauses", &s->h[HT_HIST_STW]);
	for (i = 0; i < HT_MAX_ADVICE; i++) {
		char title[64];
		const char *name = madvise_advice_name((unsigned)i);

		snprintf(title, sizeof(title), "madvise %s latency (%s)", name ? name : "other", r->madvise_method);
		section_hist(out, title, &s->h[HT_HIST_MADVISE + i]);
	}
	section_hist(out, "scavenger passes (background)", &s->h[HT_HIST_SCAVENGER_RUN]);
	section_hist(out, "(*pageAlloc).scavenge", &s->h[HT_HIST_SCAVENGE]);
	section_hist(out, "debug.FreeOSMemory", &s->h[HT_HIST_FREE_OS_MEMORY]);
	section_hist(out, "heap growth", &s->h[HT_HIST_HEAP_GROW]);

	map_section(out, r->maps);
	fprintf(out, "\n%-44s %-12s %12s %12s\n", "PROBE", "ATTACH", "HITS", "EXIT HITS");
	for (i = 0; i < r->plan->n; i++) {
		const struct planned_probe *p = &r->plan->probes[i];
		char a[24], ex[24] = "-";

		snprintf(a, sizeof(a), "0x%" PRIx64, p->code.attach);
		if (p->spec->exits)
			snprintf(ex, sizeof(ex), "%llu", (unsigned long long)r->hits[i].exits);
		fprintf(out, "%-44s %-12s %12llu %12s\n", p->spec->symbol, a, (unsigned long long)r->hits[i].entries, ex);
	}
	if (s->c[HT_C_LOST_EVENTS])
		fprintf(out, "WARNING: %llu event records were lost (ring buffer full); counts and histograms are complete, per-event details (STW reasons) are not\n",
			s->c[HT_C_LOST_EVENTS]);
	else
		fprintf(out, "lost events: 0\n");
}
