// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <signal.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/log.h"
#include "util/monotonic.h"
#include "export/render_metrics.h"
#include "export/render_pprof.h"
#include "export/textfile.h"
#include "export/exporter.h"
#include "export/redact.h"
#include "serve/stage.h"

/* Whether the directory's mode lets this process create files without
 * CAP_DAC_OVERRIDE, which the tracer drops after attaching (priv/caps.h):
 * its files are written later, without it. */
static bool writable_by_mode(const struct stat *st)
{
	gid_t groups[256];
	int n, i;

	if (st->st_uid == geteuid())
		return (st->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
	n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	for (i = -1; i < n; i++)
		if ((i < 0 ? getegid() : groups[i]) == st->st_gid)
			return (st->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* A file heaptrace will write later: its directory must take a new file
 * (textfile_write creates one beside it), and it is not a directory. */
static int check_writable(const char *opt, const char *path)
{
	char copy[PATH_MAX];
	struct stat st;
	const char *dir;

	if (!*path)
		return ht_fail("%s: empty file name", opt);
	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return ht_fail("%s %s: the path is too long", opt, path);
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return ht_fail("%s %s: that is a directory: give a file name, e.g. %s/heaptrace.%s", opt, path, path,
			       strcmp(opt, "--pprof") ? "prom" : "pb.gz");
	dir = dirname(copy);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return ht_fail("%s %s: directory %s does not exist", opt, path, dir);
	if (access(dir, W_OK | X_OK))
		return ht_fail("%s %s: cannot create files in %s: %s", opt, path, dir, strerror(errno));
	if (!writable_by_mode(&st))
		return ht_fail("%s %s: %s is writable by root only through CAP_DAC_OVERRIDE, which heaptrace gives up once "
			       "attached (it keeps BPF, PERFMON and SYS_PTRACE): choose a directory uid %u may write to",
			       opt, path, dir, (unsigned)geteuid());
	return 0;
}

int exporter_start(struct exporter **out, const struct exporter_opts *o)
{
	struct exporter *e;

	*out = NULL;
	if (!o->listen && !o->textfile && !o->pprof_path)
		return 0;
	if ((o->textfile && check_writable("--textfile", o->textfile)) ||
	    (o->pprof_path && check_writable("--pprof", o->pprof_path)) || (o->redact && redact_enable()))
		return -1;
	e = calloc(1, sizeof(*e));
	if (!e)
		return ht_fail("out of memory");
	e->o = *o;
	if (o->listen && !(e->http = serve_stage_start(o->listen, o->web_config))) {
		free(e);
		return -1;
	}
	*out = e;
	return 0;
}

void exporter_describe(const struct exporter *e, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (e->http)
		n += (size_t)snprintf(buf + n, len - n, "serving %s://%s/metrics and /debug/pprof/maps%s%s",
				      serve_stage_scheme(e->http), serve_stage_address(e->http),
				      e->o.web_config ? " as --web-config " : "", e->o.web_config ? e->o.web_config : "");
	if (e->o.textfile && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%swriting %s each interval", n ? "; " : "", e->o.textfile);
	if (e->o.pprof_path && n < len)
		snprintf(buf + n, len - n, "%sthe map profile goes to %s at the end", n ? "; " : "", e->o.pprof_path);
}

static volatile sig_atomic_t reload_requested;

void exporter_request_reload(void)
{
	reload_requested = 1;
}

/* SIGHUP: --web-config read again and handed to the server. */
static void reload(struct exporter *e)
{
	if (!reload_requested || !e->http || !e->o.web_config)
		return;
	reload_requested = 0;
	if (serve_stage_reload(e->http))
		ht_err("%s: the previous web configuration stays", ht_last_error());
	else
		ht_err("--web-config %s reloaded", e->o.web_config);
}

/* Renders what is asked for and hands it over; every failure returned. */
static int publish(struct exporter *e, const struct trace_snapshot *const *v, size_t n)
{
	struct serve_bodies b = { 0 };
	size_t text_len = 0;
	char *text = NULL, *om = NULL;
	struct pprof_builder *pb = NULL;
	void *gz = NULL;
	uint64_t t0 = monotonic_ns();
	int err;

	if (!e->http && !e->o.textfile)
		return 0; /* --pprof alone: only at the end */
	err = render_metrics_text(v, n, e->o.top_maps, METRICS_PROMETHEUS, &text, &text_len);
	if (!err && e->http) {
		err = render_metrics_text(v, n, e->o.top_maps, METRICS_OPENMETRICS, &om, &b.metrics_openmetrics.len);
		/* no process (yet, in host mode): no profile, 503 for it */
		pb = err || !n ? NULL : render_pprof(v, n);
		err = err || (n && (!pb || pprof_serialize(pb, &gz, &b.pprof_maps.len))) ? -1 : 0;
	}
	e->render_ns = monotonic_ns() - t0;
	if (e->render_ns > e->max_render_ns)
		e->max_render_ns = e->render_ns;
	e->publishes++;
	if (!err && e->http) {
		b.metrics_text = (struct serve_bytes){ (const uint8_t *)text, text_len };
		b.metrics_openmetrics.p = (const uint8_t *)om;
		b.pprof_maps.p = gz;
		b.have_text = b.have_openmetrics = true;
		b.have_pprof = gz != NULL;
		err = serve_stage_publish(e->http, &b);
	}
	if (!err && e->o.textfile)
		err = textfile_write(e->o.textfile, text, text_len);
	pprof_free(pb);
	free(gz);
	free(om);
	free(text);
	return err;
}

int exporter_publish(struct exporter *e, const struct trace_snapshot *const *v, size_t n)
{
	bool was_failing;

	if (!e)
		return 0;
	reload(e);
	was_failing = e->failing;
	e->failing = publish(e, v, n) != 0;
	return e->failing && !was_failing ? -1 : 0;
}

int exporter_finish(struct exporter *e, const struct trace_snapshot *const *v, size_t n)
{
	struct pprof_builder *b;
	char first[512] = "";
	int err;

	if (!e)
		return 0;
	err = publish(e, v, n);
	if (!e->o.pprof_path || !n)
		return err;
	/* A failed publish does not keep the profile from being written. */
	if (err)
		snprintf(first, sizeof(first), "%s", ht_last_error());
	b = render_pprof(v, n);
	if (!b || pprof_write_file(b, e->o.pprof_path))
		err = *first ? ht_fail("%s; and --pprof: %s", first, ht_last_error())
			     : ht_fail("--pprof: %s", ht_last_error());
	else if (err)
		err = ht_fail("%s", first);
	pprof_free(b);
	return err;
}

void exporter_stop(struct exporter *e)
{
	if (!e)
		return;
	serve_stage_stop(e->http);
	free(e);
}
