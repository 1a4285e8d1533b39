#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include "report/hist_print.h"
#include "report/live_view.h"
#include "report/gomap_report.h"
#include "report/report.h"
#include "heap/smaps.h"

/* With the histogram below, this keeps one screen within 24 lines. */
#define LIVE_TOP_MAPS 3
#define LIVE_WIDTH 80

void live_view_init(struct live_view *v, FILE *out)
{
	memset(v, 0, sizeof(*v));
	v->out = out;
	v->tty = isatty(fileno(out));
}

void live_view_tick(struct live_view *v, const struct target *t, const struct stats *now,
		    const struct smaps *m, const struct map_tracker *maps, const struct heap_stats *hs,
		    const struct overhead *ovh, uint64_t elapsed_ns)
{
	struct stats d;
	char a[32], b[32], probes[64];
	FILE *out = v->out;

	stats_delta(now, &v->prev, &d);
	if (v->tty)
		fputs("\033[H\033[2J", out); /* home, clear: only on a terminal */
	else
		fputc('\n', out);
	fprintf(out, "heaptrace pid %d %s at %.1fs: interval figures, then totals%s\n", t->pid, t->bi.version,
		(double)elapsed_ns / 1e9, v->tty ? " (Ctrl-C stops)" : "");
	print_gc_line(out, &d, now);
	print_madvise_lines(out, &d, now);
	fprintf(out, "scavenger %llu passes, released %s   (total %llu, %s); FreeOSMemory %llu\n",
		d.h[HT_HIST_SCAVENGER_RUN].count, fmt_bytes(a, sizeof(a), d.c[HT_C_SCAVENGED_BYTES]),
		now->h[HT_HIST_SCAVENGER_RUN].count, fmt_bytes(b, sizeof(b), now->c[HT_C_SCAVENGED_BYTES]),
		now->h[HT_HIST_FREE_OS_MEMORY].count);
	overhead_describe(ovh, probes, sizeof(probes));
	fprintf(out, "heap      grew %s (total %s)   probes %s\n", fmt_bytes(a, sizeof(a), d.c[HT_C_HEAP_GROW_BYTES]),
		fmt_bytes(b, sizeof(b), now->c[HT_C_HEAP_GROW_BYTES]), probes);
	if (m->rss)
		print_memory_line(out, m);
	if (hs)
		print_pages_line(out, hs);
	print_maps(out, maps, LIVE_TOP_MAPS, LIVE_WIDTH);
	if (now->c[HT_C_LOST_EVENTS])
		fprintf(out, "LOST      %llu event records (ring buffer full)\n", now->c[HT_C_LOST_EVENTS]);
	if (d.h[HT_HIST_STW].count) {
		fprintf(out, "stop-the-world pauses in the interval:\n");
		hist_print(out, &d.h[HT_HIST_STW], "  ");
	}
	fflush(out);
	v->prev = *now;
}
