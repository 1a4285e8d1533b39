// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "oom/oom_verdict.h"
#include "report/hist_print.h"
#include "util/textsafe.h"

const char *oom_verdict_kind_name(enum oom_verdict_kind k)
{
	switch (k) {
	case OOM_VERDICT_LIVE_HEAP: return "live_heap_growth";
	case OOM_VERDICT_FREE_HEAP: return "free_heap_not_released";
	case OOM_VERDICT_NOT_GO: return "not_go_memory";
	default: return "unknown";
	}
}

const char *oom_bytes(char *buf, size_t len, uint64_t b)
{
	if (b && !(b % (1u << 30)))
		snprintf(buf, len, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b && !(b % (1u << 20)))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
	else
		fmt_bytes(buf, len, b);
	return buf;
}

#define B(v) oom_bytes((char[32]){ 0 }, 32, (v))

/* Appends to out->text, never past its end. */
static void add(struct oom_verdict *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct oom_verdict *out, const char *fmt, ...)
{
	size_t used = strlen(out->text);
	va_list ap;

	if (used >= sizeof(out->text) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(out->text + used, sizeof(out->text) - used, fmt, ap);
	va_end(ap);
}

/* "; maps hold 120 MiB of table; the largest map: map[int64]string,
 * main.fill (main.go:42), 112 MiB of table, grown 14 times while traced" */
static void name_maps(const struct oom_verdict_in *in, struct oom_verdict *out)
{
	size_t i;

	if (!in->nmaps) {
		add(out, in->maps_known ? "; no map holds 32 KiB or more: the heap is other objects (slices, strings, structs)"
					: "; no map is known: the process was killed before heaptrace walked its heap "
					  "and no map grew while traced");
		return;
	}
	if (in->maps_known)
		add(out, "; maps hold %s of table", B(in->maps_table_bytes));
	add(out, "; the largest map%s:", in->nmaps > 1 ? "s" : "");
	for (i = 0; i < in->nmaps && i < OOM_VERDICT_MAPS; i++) {
		const struct oom_verdict_map *m = &in->maps[i];

		add(out, "%s %s", i ? ";" : "", m->type ? tsafe(m->type) : "a map");
		if (m->site)
			add(out, ", %s", tsafe(m->site));
		add(out, ", %s of table", B(m->table_bytes));
		if (m->grows)
			add(out, ", grown %llu time%s while traced", (unsigned long long)m->grows, m->grows > 1 ? "s" : "");
	}
}

void oom_verdict_decide(const struct oom_verdict_in *in, struct oom_verdict *out)
{
	uint64_t total, go;

	memset(out, 0, sizeof(*out));
	if (!in->have_heap) {
		out->kind = OOM_VERDICT_UNKNOWN;
		add(out, "unknown: the Go runtime's page accounting was not read before the kill, so heaptrace cannot "
			 "tell the Go heap from the rest%s",
		    in->have_total ? "" : " (nor was the memory at the kill known)");
		return;
	}
	go = in->heap_in_use + in->heap_free;
	/* without the cgroup's figures, the heap is all heaptrace knows of */
	total = in->have_total && in->total > go ? in->total : go;
	out->in_use = in->heap_in_use;
	out->free = in->heap_free;
	out->other = total - go;
	if (out->in_use >= out->free && out->in_use >= out->other) {
		out->kind = OOM_VERDICT_LIVE_HEAP;
		add(out, "live heap growth: the Go heap had %s in use", B(out->in_use));
		/* spans in use count what was allocated, touched or not */
		if (in->have_total && out->in_use > in->total)
			add(out, ", more than the %s %s (its newest allocations not all touched yet)", B(in->total),
			    in->total_what ? in->total_what : "counted");
		else if (in->have_total)
			add(out, " of the %s %s", B(in->total), in->total_what ? in->total_what : "counted");
		name_maps(in, out);
	} else if (out->free >= out->other) {
		out->kind = OOM_VERDICT_FREE_HEAP;
		add(out, "free heap not yet released: %s of the Go heap was free but not returned to the OS", B(out->free));
		if (in->have_total)
			add(out, " (of the %s %s)", B(in->total), in->total_what ? in->total_what : "counted");
		add(out, "; the runtime returns free pages over minutes, or sooner under GOMEMLIMIT: a GOMEMLIMIT "
			 "below the limit makes it return them in time");
	} else {
		out->kind = OOM_VERDICT_NOT_GO;
		add(out, "memory that is not Go's: of the %s %s, the Go heap held %s (%s in use, %s free); the other %s "
			 "is goroutine stacks, runtime metadata, cgo or C allocations, mapped files, or other processes "
			 "and page cache in the same cgroup",
		    B(total), in->total_what ? in->total_what : "counted", B(go), B(in->heap_in_use), B(in->heap_free),
		    B(out->other));
	}
	if (in->age_ns >= 1000000000ull)
		add(out, " (heap figures from %.1f s before the kill", (double)in->age_ns / 1e9);
	else if (in->age_ns >= 1000000ull)
		add(out, " (heap figures from %llu ms before the kill", (unsigned long long)(in->age_ns / 1000000));
	if (in->age_ns >= 1000000ull)
		add(out, in->age_ns >= OOM_VERDICT_STALE_NS ? ": the heap may have grown since)" : ")");
}
