// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report/gomap_report.h"
#include "report/hist_print.h"
#include "report/live_view.h"
#include "report/runtime_report.h"
#include "report/text_fit.h"
#include "util/term.h"
#include "util/textsafe.h"

/* At least this many map rows, when the screen is short. */
#define LIVE_MIN_MAPS 3

static int lines_in(const char *s, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* The screen as the terminal has room for it: each line cut to the width
 * (nothing wraps), no more lines than the rows. */
static void put_screen(FILE *out, char *screen, size_t len, int cols, int rows)
{
	char *line = screen, *nl;
	int n = 0;

	while (line < screen + len && n < rows && (nl = memchr(line, '\n', (size_t)(screen + len - line)))) {
		*nl = '\0';
		text_put_line(out, line, cols);
		line = nl + 1;
		n++;
	}
}

void live_view_init(struct live_view *v, FILE *out)
{
	memset(v, 0, sizeof(*v));
	v->out = out;
	v->tty = isatty(fileno(out));
}

void live_view_tick(struct live_view *v, const struct trace_snapshot *r)
{
	const struct ht_figures *now = r->figures;
	struct term_size ts = term_size_of(v->out);
	struct ht_figures d;
	char a[32], b[32], probes[64], *screen = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&screen, &len);
	int room;

	if (!out)
		return;
	figures_delta(now, &v->prev, &d);
	fprintf(out, "heaptrace pid %d %s at %.1fs: interval figures, then totals%s\n", r->target->pid,
		tsafe(r->target->bi.version), (double)r->duration_ns / 1e9, v->tty ? " (Ctrl-C stops)" : "");
	print_gc_lines(out, r, &d, now);
	print_madvise_lines(out, &d, now);
	fprintf(out, "scavenger %llu passes, released %s   (total %llu, %s); FreeOSMemory %llu\n",
		(unsigned long long)d.scavenger_passes, fmt_bytes(a, sizeof(a), d.unused_bytes),
		(unsigned long long)now->scavenger_passes, fmt_bytes(b, sizeof(b), now->unused_bytes),
		(unsigned long long)now->free_os_memory.count);
	overhead_describe(r->overhead, probes, sizeof(probes));
	fprintf(out, "heap      grew %s (total %s)   probes %s\n", fmt_bytes(a, sizeof(a), d.heap_grow_bytes),
		fmt_bytes(b, sizeof(b), now->heap_grow_bytes), probes);
	if (r->have_mem)
		print_memory_line(out, &r->mem);
	if (r->have_heap)
		print_pages_line(out, &r->heap);
	print_runtime_block(out, r->rt, r->target, true);
	if (now->lost_records)
		fprintf(out, "LOST      %llu event records (ring buffer full): restart with --ringbuf-kb %u or more\n",
			(unsigned long long)now->lost_records, larger_ringbuf_kb(r));
	/* the maps get the rows that are left, beside their two lines of
	 * heading and the line of advice */
	fflush(out);
	room = ts.rows - 1 - lines_in(screen, len) - 3;
	print_maps(out, r->maps, (size_t)(room > LIVE_MIN_MAPS ? room : LIVE_MIN_MAPS), ts.cols);
	print_maps_advice(out, r->maps, ts.cols);
	/* the interval's pauses, if the screen still has room for them */
	fflush(out);
	if (d.gc_pause.count && lines_in(screen, len) + 1 + hist_print_rows(&d.gc_pause) < ts.rows) {
		fprintf(out, "GC pauses in the interval:\n");
		hist_print(out, &d.gc_pause, "  ");
	}
	fclose(out);
	if (v->tty)
		fputs("\033[H\033[2J", v->out); /* home, clear: only on a terminal */
	else
		fputc('\n', v->out);
	put_screen(v->out, screen, len, ts.cols, ts.rows - 1);
	fflush(v->out);
	free(screen);
	v->prev = *now;
}
