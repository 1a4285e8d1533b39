// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "run.h"
#include "trace/attach_warmup.h"
#include "util/fd_closer.h"
#include "util/log.h"

/* The loader: BPF load (the verifier: most of a launch's CPU) and the
 * consumer, beside the caller's analysis of the program. */
static void *load(void *arg)
{
	struct run *r = arg;

	r->load_err = tracer_open(&r->tr, &r->to) || consumer_open(&r->cons, r->tr.skel, r->tally_of, r->ctx);
	if (r->load_err)
		snprintf(r->load_why, sizeof(r->load_why), "%s", ht_last_error());
	return NULL;
}

int run_open(struct run *r, const struct tracer_opts *to, enum ht_tier max_tier,
	     struct event_tally *(*tally_of)(void *ctx, pid_t tgid), void *ctx)
{
	memset(r, 0, sizeof(*r));
	exe_cache_init(&r->exes, max_tier);
	r->exes.tr = &r->tr; /* an evicted executable gives its cookies back */
	/* before anything it would close is opened */
	fd_closer_start();
	attach_warmup_start(); /* while the programs load and the plan is made */
	r->opened = true;
	r->to = *to;
	r->tally_of = tally_of;
	r->ctx = ctx;
	r->loading = !pthread_create(&r->loader, NULL, load, r);
	if (!r->loading)
		load(r);
	return 0;
}

static void wait_loader(struct run *r)
{
	if (r->loading) {
		pthread_join(r->loader, NULL);
		r->loading = false;
	}
}

int run_ready(struct run *r)
{
	wait_loader(r);
	if (r->load_err)
		return ht_fail("%s", r->load_why);
	calibration_start(&r->cal, &r->tr);
	return 0;
}

void run_close(struct run *r)
{
	if (!r->opened)
		return;
	wait_loader(r);
	attach_warmup_stop();
	calibration_finish(&r->cal); /* before the programs go; nothing if never started */
	consumer_close(&r->cons);
	tracer_close(&r->tr);
	exe_cache_free(&r->exes);
	r->opened = false;
}
