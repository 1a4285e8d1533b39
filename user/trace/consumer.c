#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "trace/consumer.h"
#include "util/log.h"
#include "probes.skel.h"
#include "target/symbolize.h"

static void on_map_grow(struct event_tally *t, const struct ht_map_event *m)
{
	char site[MAP_SITE_LEN] = "";
	size_t frames = (size_t)m->e.ret / sizeof(m->stack[0]);

	t->map_grows++;
	if (!t->maps)
		return;
	if (t->target && frames)
		go_stack_site(t->target, (const uint64_t *)m->stack, frames < HT_STACK_DEPTH ? frames : HT_STACK_DEPTH, site,
			      sizeof(site));
	map_tracker_grew(t->maps, m->e.a0, m->e.a1, m->e.a2, site);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct event_tally *t = ctx;
	const struct ht_event *e = data;

	if (len < sizeof(*e))
		return 0;
	t->events++;
	if (e->kind == HT_EV_STW)
		t->stw_by_reason[e->a0 < STW_REASONS_MAX ? e->a0 : STW_REASONS_MAX - 1]++;
	else if (e->kind == HT_EV_MAP_GROW && len >= sizeof(struct ht_map_event))
		on_map_grow(t, data);
	return 0;
}

struct ring_buffer *events_open(struct probes_bpf *skel, struct event_tally *tally)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, tally, NULL);

	if (!rb)
		ht_fail("cannot open the BPF ring buffer: %s", strerror(errno));
	return rb;
}
