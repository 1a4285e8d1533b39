// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "run.h"
#include "trace/attach_warmup.h"
#include "util/fd_closer.h"

int run_open(struct run *r, const struct tracer_opts *to, enum ht_tier max_tier,
	     struct event_tally *(*tally_of)(void *ctx, pid_t tgid), void *ctx)
{
	memset(r, 0, sizeof(*r));
	exe_cache_init(&r->exes, max_tier);
	/* before anything it would close is opened */
	fd_closer_start();
	attach_warmup_start(); /* while the programs load and the plan is made */
	r->opened = true;
	if (tracer_open(&r->tr, to) || consumer_open(&r->cons, r->tr.skel, tally_of, ctx))
		return -1;
	calibration_start(&r->cal, &r->tr);
	return 0;
}

void run_close(struct run *r)
{
	if (!r->opened)
		return;
	attach_warmup_stop();
	calibration_finish(&r->cal); /* before the programs go */
	consumer_close(&r->cons);
	tracer_close(&r->tr);
	exe_cache_free(&r->exes);
	r->opened = false;
}
