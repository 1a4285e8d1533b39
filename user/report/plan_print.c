// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include "report/json_text.h"
#include "report/plan_print.h"
#include "util/textsafe.h"

json_t *json_addr(uint64_t a)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, a);
	return json_text(buf);
}

json_t *target_to_json(const struct target *t)
{
	json_t *o = json_object();

	if (t->pid)
		json_object_set_new(o, "pid", json_integer(t->pid));
	json_object_set_new(o, "exe", json_text(t->exe));
	json_object_set_new(o, "go_version", json_text(t->bi.version));
	json_object_set_new(o, "map_impl", json_text(t->map_impl));
	json_object_set_new(o, "stripped", json_boolean(go_funcs_stripped(&t->funcs)));
	json_object_set_new(o, "arch", json_text(elf_machine_name(t->elf.machine)));
	json_object_set_new(o, "pie", json_boolean(t->elf.pie));
	json_object_set_new(o, "main_path", json_text(t->bi.main_path));
	json_object_set_new(o, "text_start", json_addr(t->funcs.text_start));
	json_object_set_new(o, "text_start_source", json_text(t->funcs.text_start_source));
	if (t->pid)
		json_object_set_new(o, "load_bias", json_addr(t->load_bias));
	return o;
}

static json_t *args_json(const struct target *t, const struct probe_arg *args)
{
	json_t *a = json_array();
	char buf[24];
	int j;

	for (j = 0; j < PROBE_MAX_ARGS && args[j].name; j++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_text(args[j].name));
		json_object_set_new(o, "reg", json_text(abi_arg_reg(t->elf.machine, args[j].index, buf, sizeof(buf))));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *plan_to_json(const struct target *t, const struct probe_plan *plan)
{
	json_t *root = json_object(), *probes = json_array(), *skipped = json_array();
	int i, j;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "target", target_to_json(t));
	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];
		json_t *o = json_object(), *exits = json_array();

		json_object_set_new(o, "symbol", json_text(p->spec->symbol));
		json_object_set_new(o, "entry", json_addr(p->func.entry));
		json_object_set_new(o, "attach", json_addr(p->code.attach));
		json_object_set_new(o, "attach_kind", json_text(attach_kind_name(p->code.attach_kind)));
		for (j = 0; j < p->code.nexits; j++)
			json_array_append_new(exits, json_addr(p->code.exits[j]));
		json_object_set_new(o, "exits", exits);
		json_object_set_new(o, "probe_exits", json_boolean(p->spec->exits));
		json_object_set_new(o, "tier", json_text(tier_name(p->spec->tier)));
		json_object_set_new(o, "what", json_text(p->spec->what));
		json_object_set_new(o, "args", args_json(t, p->spec->args));
		json_object_set_new(o, "results", args_json(t, p->spec->results));
		json_object_set_new(o, "morestack_cond", json_integer(p->code.morestack));
		if (p->spec->call_sites) {
			json_t *calls = json_array();

			for (j = 0; j < p->ncalls; j++)
				json_array_append_new(calls, json_addr(p->calls[j]));
			/* counted at its calls; entry and exits only time it, sampled */
			json_object_set_new(o, "calls", calls);
			json_object_set_new(o, "timing_tier",
					    json_text(tier_name(p->spec->timing_sampled && p->ncalls ? HT_TIER_SAMPLED :
											   p->spec->tier)));
		}
		json_array_append_new(probes, o);
	}
	for (i = 0; i < plan->nskipped; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "symbol", json_text(plan->skipped[i].spec->symbol));
		json_object_set_new(o, "reason", json_text(plan->skipped[i].why));
		json_array_append_new(skipped, o);
	}
	json_object_set_new(root, "probes", probes);
	json_object_set_new(root, "skipped", skipped);
	return root;
}

void plan_print_text(FILE *out, const struct target *t, const struct probe_plan *plan)
{
	int i, j;

	fprintf(out, "%s: %s, %s, %s maps, %s%s\n", tsafe(t->exe), tsafe(t->bi.version),
		elf_machine_name(t->elf.machine), t->map_impl,
		go_funcs_stripped(&t->funcs) ? "stripped (functions from .gopclntab)" : "functions from .symtab",
		t->elf.pie ? ", PIE" : "");
	fprintf(out, "text start 0x%" PRIx64 " (from %s)\n\n", t->funcs.text_start, t->funcs.text_start_source);
	fprintf(out, "%-5s %-44s %-12s %-12s %s\n", "TIER", "SYMBOL", "ENTRY", "ATTACH", "EXITS");
	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];
		char e[24], a[24];

		snprintf(e, sizeof(e), "0x%" PRIx64, p->func.entry);
		snprintf(a, sizeof(a), "0x%" PRIx64 "%s", p->code.attach,
			 p->code.attach_kind == ATTACH_ENTRY ? "*" : "");
		fprintf(out, "%-5s %-44s %-12s %-12s", tier_name(p->spec->tier), p->spec->symbol, e, a);
		if (!p->spec->exits)
			fprintf(out, " (%d, not probed)", p->code.nexits);
		for (j = 0; p->spec->exits && j < p->code.nexits; j++)
			fprintf(out, "%s0x%" PRIx64, j ? "," : " ", p->code.exits[j]);
		fputc('\n', out);
		if (p->spec->call_sites && p->ncalls) {
			fprintf(out, "%-5s   counted at its %d calls:", tier_name(p->spec->tier), p->ncalls);
			for (j = 0; j < p->ncalls; j++)
				fprintf(out, "%s0x%" PRIx64, j ? "," : " ", p->calls[j]);
			fprintf(out, "; entry and exits time it (%s)\n",
				tier_name(p->spec->timing_sampled ? HT_TIER_SAMPLED : p->spec->tier));
		}
	}
	for (i = 0; i < plan->nskipped; i++)
		fprintf(out, "skipped %s: %s\n", plan->skipped[i].spec->symbol, plan->skipped[i].why);
	fprintf(out, "\n%d probes, %d attach points; * = at the entry (no stack-bound check to probe after)\n",
		plan->n, plan->npoints);
}
