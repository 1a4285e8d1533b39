// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report/hist_print.h"
#include "report/host_view.h"
#include "util/term.h"
#include "util/textsafe.h"

#define FMT(kind, v) fmt_##kind((char[32]){ 0 }, 32, (v))

void host_view_init(struct host_view *v, FILE *out)
{
	v->out = out;
	v->tty = isatty(fileno(out));
}

static uint64_t retained(const struct host_row *r)
{
	struct map_totals t;

	map_tracker_totals(r->snap->maps, &t);
	return t.retained_bytes;
}

static int by_retained(const void *a, const void *b)
{
	uint64_t x = retained(a), y = retained(b);

	return x > y ? -1 : x < y;
}

static uint64_t released(const struct ht_figures *f)
{
	uint64_t b = 0;
	int a;

	for (a = 0; a < HT_MAX_ADVICE; a++)
		if (madvise_releases((unsigned)a))
			b += f->madvise[a].bytes;
	return b;
}

/* The free-but-kept column goes first when the terminal is narrow. */
#define WIDE_COLS 96

static void row(FILE *out, const struct host_row *r, int cols)
{
	const struct trace_snapshot *s = r->snap;
	const char *exe = strrchr(s->target->exe, '/');
	double secs = r->window_ns ? (double)r->window_ns / 1e9 : 1;
	struct ht_figures d;
	char line[512], ctr[16];

	figures_delta(s->figures, r->prev, &d);
	snprintf(ctr, sizeof(ctr), "%.12s", r->container_id[0] ? r->container_id : "-");
	snprintf(line, sizeof(line), "%7d %-12.12s %-12s %5.1f %8s %9s %*s%s %9s %9s", s->target->pid,
		 tsafe(exe ? exe + 1 : s->target->exe), tsafe(ctr), (double)d.gc_cycles / secs,
		 d.gc_pause.count ? FMT(ns, hist_quantile_ns(&d.gc_pause, 0.99)) : "-",
		 FMT(bytes, (uint64_t)((double)released(&d) / secs)), cols >= WIDE_COLS ? 9 : 0,
		 cols >= WIDE_COLS ? (s->have_heap ? FMT(bytes, s->heap.free_unreleased) : "-") : "",
		 cols >= WIDE_COLS ? " " : "", s->have_mem ? FMT(bytes, s->mem.rss) : "-", FMT(bytes, retained(r)));
	fprintf(out, "%.*s\n", cols, line);
}

void host_view_tick(struct host_view *v, struct host_row *rows, size_t n, const char *summary)
{
	struct term_size ts = term_size_of(v->out);
	size_t i, fit = ts.rows > 4 ? (size_t)ts.rows - 4 : 1;
	FILE *out = v->out;

	qsort(rows, n, sizeof(*rows), by_retained);
	fputs(v->tty ? "\033[H\033[2J" : "\n", out);
	fprintf(out, "%.*s\n", ts.cols, summary);
	fprintf(out, "%s\n", ts.cols >= WIDE_COLS ?
		"    PID EXE          CONTAINER     GC/s  STW p99 RELEASED/s FREE-KEPT       RSS  RETAINED" :
		"    PID EXE          CONTAINER     GC/s  STW p99 RELEASED/s       RSS  RETAINED");
	for (i = 0; i < n && i < fit; i++)
		row(out, &rows[i], ts.cols);
	if (n > fit)
		fprintf(out, "... %zu more processes (the JSON report and the exports have every one)\n", n - fit);
	fflush(out);
}
