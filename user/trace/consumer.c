// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "probes.skel.h"
#include "trace/consumer.h"
#include "util/log.h"

static void on_pause(struct event_tally *t, const struct ht_pause_record *r)
{
	t->stw_by_reason[r->reason < STW_REASONS_MAX ? r->reason : STW_REASONS_MAX - 1]++;
}

static void on_map_grow(struct event_tally *t, const struct ht_map_grow_record *r)
{
	t->map_grows++;
	if (t->maps)
		map_tracker_grew(t->maps, r->map, r->type, r->entries, (const uint64_t *)r->stack,
				 r->nframes < HT_STACK_DEPTH ? r->nframes : HT_STACK_DEPTH);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct consumer *c = ctx;
	const struct ht_record_header *h = data;
	struct event_tally *t;

	if (len < sizeof(*h))
		return 0;
	if (h->kind == HT_REC_EXEC) {
		if (c->on_exec)
			c->on_exec(c->ctx, (pid_t)h->tgid);
		return 0;
	}
	if (h->kind == HT_REC_OOM_VICTIM || h->kind == HT_REC_OOM_SIGKILL || h->kind == HT_REC_OOM_PRESSURE) {
		if (c->on_oom)
			c->on_oom(c->ctx, data, len);
		return 0;
	}
	t = c->tally_of(c->ctx, (pid_t)h->tgid);
	if (!t) {
		c->orphans++;
		return 0;
	}
	t->records++;
	switch (h->kind) {
	case HT_REC_PAUSE:
		if (len >= sizeof(struct ht_pause_record))
			on_pause(t, data);
		break;
	case HT_REC_MAP_GROW:
		if (len >= sizeof(struct ht_map_grow_record))
			on_map_grow(t, data);
		break;
	case HT_REC_MAP_ASSIGN:
		t->map_assigns++;
		break;
	default:
		break; /* a newer kind: counted, not understood */
	}
	return 0;
}

int consumer_open(struct consumer *c, struct probes_bpf *skel, struct event_tally *(*tally_of)(void *ctx, pid_t tgid),
		  void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->tally_of = tally_of;
	c->ctx = ctx;
	c->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, c, NULL);
	if (!c->rb)
		return ht_fail("cannot open the BPF ring buffer: %s", strerror(errno));
	return 0;
}

void consumer_drain(struct consumer *c)
{
	if (c->rb)
		ring_buffer__consume(c->rb);
}

int consumer_fd(const struct consumer *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

void consumer_close(struct consumer *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
}
