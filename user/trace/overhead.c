// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "util/log.h"
#include "trace/overhead.h"

static void *measure(void *arg)
{
	struct calibration *c = arg;

	if (hit_cost_measure(c->tr, &c->cost, &c->stop))
		snprintf(c->unavailable, sizeof(c->unavailable), "no overhead estimate: %s", ht_last_error());
	__atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
	return NULL;
}

void calibration_start(struct calibration *c, struct tracer *tr)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->tr = tr;
	snprintf(c->unavailable, sizeof(c->unavailable), "no overhead estimate yet: the per-hit cost is being measured");
	if (hit_cost_load_cached(&c->cost)) {
		c->ready = 1;
		return;
	}
	err = pthread_create(&c->thread, NULL, measure, c);
	if (err) {
		snprintf(c->unavailable, sizeof(c->unavailable), "no overhead estimate: cannot start a thread: %s",
			 strerror(err));
		__atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
		return;
	}
	c->thread_started = true;
}

void calibration_finish(struct calibration *c)
{
	if (!c->thread_started)
		return;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	pthread_join(c->thread, NULL);
	c->thread_started = false;
	if (!c->cost.measured)
		return;
	hit_cost_save_cached(&c->cost);
	ht_debug("one probe hit's trap costs %llu ns on a branch, %llu ns on an entry, %llu ns on a RET; its handler is timed in the target",
		 (unsigned long long)c->cost.branch_ns, (unsigned long long)c->cost.entry_ns,
		 (unsigned long long)c->cost.ret_ns);
}

/* The calibration's result, once its thread is done. */
static bool have_cost(struct overhead *o)
{
	if (!o->cost.measured && o->cal && __atomic_load_n(&o->cal->ready, __ATOMIC_ACQUIRE)) {
		o->cost = o->cal->cost;
		snprintf(o->unavailable, sizeof(o->unavailable), "%s", o->cal->unavailable);
	}
	return o->cost.measured;
}

void overhead_start(struct overhead *o, const struct calibration *cal, double budget_pct)
{
	memset(o, 0, sizeof(*o));
	o->cal = cal;
	o->budget_pct = budget_pct;
	have_cost(o);
	if (!o->cost.measured)
		snprintf(o->unavailable, sizeof(o->unavailable), "%s", cal->unavailable);
}

void overhead_finish(struct overhead *o)
{
	have_cost(o);
}

double overhead_pct(uint64_t cost_ns, uint64_t window_ns)
{
	return window_ns ? 100.0 * (double)cost_ns / (double)window_ns : 0;
}

int overhead_tick(struct overhead *o, const struct probe_plan *plan, const struct probe_hits *now,
		  uint64_t window_ns)
{
	struct probe_hits d[PLAN_MAX_PROBES];
	uint64_t worst_ns = 0, attached_ns = 0;
	int i, tier, worst = -1;

	for (i = 0; i < plan->n; i++) {
		d[i].entries = now[i].entries - o->prev[i].entries;
		d[i].exits = now[i].exits - o->prev[i].exits;
		d[i].calls = now[i].calls - o->prev[i].calls;
		d[i].restarts = now[i].restarts - o->prev[i].restarts;
		d[i].work_ns = now[i].work_ns - o->prev[i].work_ns;
		o->prev[i] = now[i];
	}
	o->window_hits = probe_hits_total(plan, d, -1);
	o->window_ns = window_ns;
	if (!have_cost(o))
		return -1;
	o->window_cost_ns = hit_cost_ns(&o->cost, plan, d, -1);
	if (!o->budget_pct)
		return -1;
	/* Only what is still attached counts: a tier being detached goes on
	 * firing for a moment. The cold tier (per GC cycle, scavenger pass)
	 * stays: it is what heaptrace is for, and the cheapest. */
	for (tier = HT_TIER_COLD; tier <= HT_TIER_HOT; tier++) {
		uint64_t ns = o->detached[tier] ? 0 : hit_cost_ns(&o->cost, plan, d, tier);

		attached_ns += ns;
		if (tier > HT_TIER_COLD && ns > worst_ns) {
			worst_ns = ns;
			worst = tier;
		}
	}
	if (worst < 0 || overhead_pct(attached_ns, window_ns) <= o->budget_pct)
		return -1;
	o->detached[worst] = true;
	return worst;
}

void overhead_describe(const struct overhead *o, char *buf, size_t len)
{
	double per_s = o->window_ns ? (double)o->window_hits * 1e9 / (double)o->window_ns : 0;
	char rate[16];

	/* short: it shares a line of the 80-column live view */
	if (per_s < 10000)
		snprintf(rate, sizeof(rate), "%.0f", per_s);
	else if (per_s < 1e6)
		snprintf(rate, sizeof(rate), "%.0fk", per_s / 1e3);
	else
		snprintf(rate, sizeof(rate), "%.1fM", per_s / 1e6);
	if (!o->cost.measured)
		snprintf(buf, len, "%s hits/s", rate);
	else
		snprintf(buf, len, "%s hits/s ~%.1f%% CPU", rate, overhead_pct(o->window_cost_ns, o->window_ns));
}
