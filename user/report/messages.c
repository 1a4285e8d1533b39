// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "report/hist_print.h"
#include "report/messages.h"
#include "util/textsafe.h"

void report_started(FILE *out, const struct trace_snapshot *r, uint64_t hot_ns)
{
	const struct target *t = r->target;

	if (r->no_probes) {
		fprintf(out, "heaptrace: tracing pid %d (%s, %s) with no probes (--no-probes): the runtime's own state is read every interval; Ctrl-C to stop\n",
			t->pid, t->exe, t->bi.version);
		fflush(out);
		return;
	}
	fprintf(out, "heaptrace: tracing pid %d (%s, %s): %d probes on %d points (%s), madvise by %s; Ctrl-C to stop\n",
		t->pid, tsafe(t->exe), tsafe(t->bi.version), r->plan->n, r->plan->npoints, r->attach_method, r->madvise->method);
	if (r->madvise->host_wide)
		fprintf(out, "heaptrace: WARNING: madvise is seen through the syscall %ss: while heaptrace runs, every syscall of every process on this host takes a slower path (tens of %% for syscall-heavy programs); a kernel with kprobes, or the runtime's own madvise (HEAPTRACE_MADVISE unset), avoids it\n",
			r->madvise->method);
	if (hot_ns)
		fprintf(out, "heaptrace: hot probes on (every map assignment) for at most %.0fs: every hit traps into the kernel: the estimated cost is shown each interval and at the end\n",
			(double)hot_ns / 1e9);
	fflush(out);
}

void report_heap_walk(FILE *out, const struct map_tracker *mt, const char *error)
{
	char b[32];

	if (!mt->mheap)
		fprintf(out, "heaptrace: maps that grew before attach are not shown: %s\n", mt->unavailable);
	else if (error)
		fprintf(out, "heaptrace: heap walk failed: %s\n", error);
	else
		fprintf(out, "heaptrace: heap walk: %zu maps in %.1f ms over %s of spans (runtime.mheap_ by %s)%s\n",
			mt->walk_found, (double)mt->walk_ns / 1e6, fmt_bytes(b, sizeof(b), mt->heap_in_use),
			mt->mheap_how,
			!mt->walk_truncated	       ? "" :
			mt->walk_spans_over_limit ? "; CUT SHORT: more spans in use than heaptrace reads in one walk, some maps are missing" :
						       "; CUT SHORT at the time limit, some maps are missing");
	if (!error && mt->mheap && mt->holders.ran)
		fprintf(out, "heaptrace: holders found for %llu of %llu followed maps in %.1f ms (%u passes, %zu goroutines)%s%s\n",
			(unsigned long long)mt->holders.found, (unsigned long long)mt->holders.maps,
			(double)mt->holders.ns / 1e6, mt->holders.passes, mt->holders.goroutines,
			mt->holders.truncated ? "; CUT SHORT at the time limit" : mt->holders.over_limit ? "; CUT SHORT at the node limit" : "",
			mt->holders.why_no_goroutines[0] ? "; goroutines not read: " : "");
	if (!error && mt->mheap && mt->holders.ran && mt->holders.why_no_goroutines[0])
		fprintf(out, "heaptrace:   %s\n", tsafe(mt->holders.why_no_goroutines));
	fflush(out);
}

void report_budget_detach(FILE *out, const struct overhead *o, enum ht_tier tier)
{
	fprintf(out, "heaptrace: the probes cost the target about %.1f%% of a CPU over the last %.1fs, above --max-overhead %g%%: detached the %s probes\n",
		overhead_pct(o->window_cost_ns, o->window_ns), (double)o->window_ns / 1e9, o->budget_pct,
		tier_name(tier));
	fflush(out);
}

void report_hot_summary(FILE *out, const struct trace_snapshot *r)
{
	uint64_t hot = probe_hits_total(r->plan, r->hits, HT_TIER_HOT);

	fprintf(out, "hot probes: %llu hits, %.0f a second; %llu records consumed, %llu lost\n", (unsigned long long)hot,
		(double)hot * 1e9 / (double)(r->duration_ns ? r->duration_ns : 1), (unsigned long long)r->tally->records,
		(unsigned long long)r->figures->lost_records);
}

void report_exports(FILE *out, const struct exporter *e)
{
	char what[1024];

	if (!e)
		return;
	exporter_describe(e, what, sizeof(what));
	fprintf(out, "heaptrace: %s\n", what);
	fflush(out);
}
