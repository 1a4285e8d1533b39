#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "probes.skel.h"
#include "trace/bpf_stats.h"

int stats_read(struct probes_bpf *skel, struct stats *out)
{
	int cfd = bpf_map__fd(skel->maps.counters), hfd = bpf_map__fd(skel->maps.hists);
	__u32 i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < HT_C_COUNT; i++)
		if (bpf_map_lookup_elem(cfd, &i, &out->c[i]))
			return ht_fail("cannot read BPF counter %u", i);
	for (i = 0; i < HT_HIST_COUNT; i++)
		if (bpf_map_lookup_elem(hfd, &i, &out->h[i]))
			return ht_fail("cannot read BPF histogram %u", i);
	return 0;
}

void stats_delta(const struct stats *now, const struct stats *before, struct stats *out)
{
	int i, s;

	for (i = 0; i < HT_C_COUNT; i++)
		out->c[i] = now->c[i] - before->c[i];
	for (i = 0; i < HT_HIST_COUNT; i++) {
		const struct ht_hist *a = &now->h[i], *b = &before->h[i];

		out->h[i].count = a->count - b->count;
		out->h[i].sum_ns = a->sum_ns - b->sum_ns;
		out->h[i].max_ns = a->max_ns;
		for (s = 0; s < HT_HIST_SLOTS; s++)
			out->h[i].slots[s] = a->slots[s] - b->slots[s];
	}
}

uint64_t hist_quantile_ns(const struct ht_hist *h, double q)
{
	uint64_t seen = 0, total = 0;
	int s;

	for (s = 0; s < HT_HIST_SLOTS; s++)
		total += h->slots[s];
	if (!total)
		return 0;
	for (s = 0; s < HT_HIST_SLOTS; s++) {
		seen += h->slots[s];
		if ((double)seen >= q * (double)total)
			return 1ull << (s + 1);
	}
	return h->max_ns;
}
