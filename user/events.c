#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "log.h"
#include "probes.skel.h"

static int on_event(void *ctx, void *data, size_t len)
{
	struct event_tally *t = ctx;
	const struct ht_event *e = data;

	if (len < sizeof(*e))
		return 0;
	t->events++;
	if (e->kind == HT_EV_STW)
		t->stw_by_reason[e->a0 < STW_REASONS_MAX ? e->a0 : STW_REASONS_MAX - 1]++;
	return 0;
}

struct ring_buffer *events_open(struct probes_bpf *skel, struct event_tally *tally)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, tally, NULL);

	if (!rb)
		ht_fail("cannot open the BPF ring buffer: %s", strerror(errno));
	return rb;
}
