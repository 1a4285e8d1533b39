#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "log.h"
#include "plan_print.h"
#include "report.h"

void report_text(FILE *out, const struct trace_result *r)
{
	const struct target *t = r->target;
	int i;

	fprintf(out, "\nheaptrace: pid %d (%s, %s, %s maps%s) traced for %.1fs; %s\n", t->pid, t->exe,
		t->bi.version, t->map_impl, go_funcs_stripped(&t->funcs) ? ", stripped" : "",
		(double)r->duration_ns / 1e9, r->stop_reason);
	fprintf(out, "%-44s %-12s %12s %12s\n", "PROBE", "ATTACH", "HITS", "EXIT HITS");
	for (i = 0; i < r->plan->n; i++) {
		const struct planned_probe *p = &r->plan->probes[i];
		char a[24], ex[24] = "-";

		snprintf(a, sizeof(a), "0x%" PRIx64, p->code.attach);
		if (p->spec->exits)
			snprintf(ex, sizeof(ex), "%" PRIu64, r->hits[i].exits);
		fprintf(out, "%-44s %-12s %12" PRIu64 " %12s\n", p->spec->symbol, a, r->hits[i].entries, ex);
	}
	if (r->lost_events)
		fprintf(out, "WARNING: %" PRIu64 " events were lost (ring buffer full)\n", r->lost_events);
}

int report_json(FILE *out, const struct trace_result *r)
{
	json_t *root = json_object(), *probes = json_array();
	int i, err;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "target", target_to_json(r->target));
	json_object_set_new(root, "duration_ns", json_integer((json_int_t)r->duration_ns));
	json_object_set_new(root, "stop_reason", json_string(r->stop_reason));
	json_object_set_new(root, "lost_events", json_integer((json_int_t)r->lost_events));
	json_object_set_new(root, "attach_method", json_string(r->attach_method));
	for (i = 0; i < r->plan->n; i++) {
		const struct planned_probe *p = &r->plan->probes[i];
		json_t *o = json_object();

		json_object_set_new(o, "symbol", json_string(p->spec->symbol));
		json_object_set_new(o, "attach", json_addr(p->code.attach));
		json_object_set_new(o, "tier", json_string(tier_name(p->spec->tier)));
		json_object_set_new(o, "hits", json_integer((json_int_t)r->hits[i].entries));
		if (p->spec->exits)
			json_object_set_new(o, "exit_hits", json_integer((json_int_t)r->hits[i].exits));
		json_array_append_new(probes, o);
	}
	json_object_set_new(root, "probes", probes);
	err = json_dumpf(root, out, JSON_INDENT(2));
	json_decref(root);
	fputc('\n', out);
	if (err || fflush(out))
		return ht_fail("cannot write the JSON report: %s", strerror(errno));
	return 0;
}
