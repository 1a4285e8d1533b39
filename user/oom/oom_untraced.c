// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "oom/oom_capture.h"
#include "oom/oom_report.h"
#include "oom/oom_untraced.h"
#include "oom/postmortem_dir.h"
#include "report/json_text.h"
#include "util/log.h"

static void drop_oldest(struct oom_untraced **v, int *n)
{
	free(v[0]);
	memmove(&v[0], &v[1], (size_t)(*n - 1) * sizeof(v[0]));
	(*n)--;
}

void oom_untraced_remember(struct oom_untraced_list *l, const struct target *t, const struct target *prog,
			   const struct proc_labels *labels, unsigned long long starttime)
{
	struct oom_untraced *u;
	int i;

	for (i = 0; i < l->nknown; i++)
		if (l->known[i]->t.pid == t->pid && l->known[i]->starttime == starttime)
			return;
	u = calloc(1, sizeof(*u));
	if (!u)
		return;
	if (l->nknown == OOM_UNTRACED_KEEP)
		drop_oldest(l->known, &l->nknown);
	/* what the reports read of a target, and nothing to close */
	u->t.pid = t->pid;
	u->t.exe_fd = -1;
	snprintf(u->t.exe, sizeof(u->t.exe), "%s", t->exe);
	u->t.bi = prog->bi;
	u->t.map_impl = prog->map_impl;
	u->t.swiss = prog->swiss;
	u->labels = *labels;
	u->starttime = starttime;
	l->known[l->nknown++] = u;
}

/* The record of a process without a trace: its program, and the kill. */
static void write_record(struct oom_untraced *u, const char *dir)
{
	json_t *root = json_object(), *t = json_object();
	char *text;

	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(t, "pid", json_integer(u->t.pid));
	json_object_set_new(t, "exe", json_text(u->t.exe));
	json_object_set_new(t, "go_version", json_text(u->t.bi.version));
	json_object_set_new(t, "map_impl", json_text(u->t.map_impl));
	json_object_set_new(root, "target", t);
	json_object_set_new(root, "stop_reason", json_string(OOM_STOP_REASON));
	json_object_set_new(root, "maps", json_array());
	if (postmortem_base(u->ev.base, sizeof(u->ev.base), dir, u->t.pid, &u->ev.killed_at)) {
		snprintf(u->ev.error, sizeof(u->ev.error), "%s", ht_last_error());
		u->ev.base[0] = '\0';
		json_decref(root);
		return;
	}
	oom_report_json(root, &u->snap);
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		snprintf(u->ev.error, sizeof(u->ev.error), "out of memory for the JSON text");
	else if (postmortem_write(dir, u->ev.base, text, strlen(text), NULL, 0))
		snprintf(u->ev.error, sizeof(u->ev.error), "%s", ht_last_error());
	else
		u->ev.written = true;
	free(text);
}

struct oom_untraced *oom_untraced_kill(struct oom_untraced_list *l, const void *data, size_t len)
{
	const struct ht_oom_record *r = data;
	pid_t pid = oom_record_pid(data, len);
	struct oom_untraced *u;
	int i;

	if (len < sizeof(*r) || r->h.kind != HT_REC_OOM_VICTIM || !pid)
		return NULL;
	for (i = l->nknown - 1; i >= 0 && l->known[i]->t.pid != pid; i--)
		;
	if (i < 0)
		return NULL;
	/* from the processes known to the kills kept */
	u = l->known[i];
	memmove(&l->known[i], &l->known[i + 1], (size_t)(l->nknown - i - 1) * sizeof(l->known[0]));
	l->nknown--;
	if (l->nkills == OOM_UNTRACED_KEEP)
		drop_oldest(l->kills, &l->nkills);
	l->kills[l->nkills++] = u;
	l->kills_total++;
	u->killed = true;
	oom_event_from_record(&u->ev, pid, r);
	u->ev.traced = false;
	snprintf(u->ev.verdict.text, sizeof(u->ev.verdict.text),
		 "unknown: heaptrace had not attached to the process, and has none of its figures");
	u->snap = (struct trace_snapshot){ .target = &u->t, .labels = &u->labels, .oom = &u->ev, .gone = true,
					   .stop_reason = OOM_STOP_REASON };
	return u;
}

void oom_untraced_write(struct oom_untraced *u, const char *dir, FILE *out)
{
	if (dir)
		write_record(u, dir);
	oom_report_text(out, &u->ev, u->t.exe);
}

size_t oom_untraced_snapshots(const struct oom_untraced_list *l, const struct trace_snapshot **v, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 0; i < l->nkills && n < max; i++)
		v[n++] = &l->kills[i]->snap;
	return n;
}

void oom_untraced_free(struct oom_untraced_list *l)
{
	while (l->nknown)
		drop_oldest(l->known, &l->nknown);
	while (l->nkills)
		drop_oldest(l->kills, &l->nkills);
}
