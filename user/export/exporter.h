/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The exports of one trace, as the session drives them: --listen (the HTTP
 * server), --textfile (rewritten each interval) and --pprof (written at the
 * end). The session calls exporter_publish() once per interval, after its
 * snapshot is refreshed, and exporter_finish() with the final snapshot.
 *
 * Rendering runs on the caller's thread, between two ring-buffer polls:
 * render_ns says what it cost. Serving runs in the HTTP server's own
 * unprivileged processes (serve/stage.h), from the last copy handed over,
 * so a slow client never holds up the trace.
 */
#ifndef HT_EXPORT_EXPORTER_H
#define HT_EXPORT_EXPORTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report/report.h"

struct exporter_opts {
	const char *listen;	/* --listen HOST:PORT; NULL: no HTTP server */
	const char *web_config;	/* --web-config FILE: TLS, basic auth, headers; NULL: none */
	const char *textfile;	/* --textfile FILE; NULL: none */
	const char *pprof_path;	/* --pprof FILE, written at the end; NULL: none */
	unsigned top_maps;	/* --top-maps: per-map series */
	bool redact;		/* --redact: no addresses or variable names (export/redact.h) */
};

struct serve_stage;

struct exporter {
	struct exporter_opts o;
	struct serve_stage *http;	/* the HTTP server's processes (serve/stage.h) */
	bool failing;		/* the last publish failed (and said so) */
	unsigned publishes;
	uint64_t render_ns, max_render_ns; /* the last publish's rendering, and the longest */
};

/* Nothing asked for: *out is NULL and 0 is returned. Else binds --listen
 * and checks that the files can be written, so that a mistake fails before
 * anything is attached: -1 after ht_fail, *out NULL. */
int exporter_start(struct exporter **out, const struct exporter_opts *o);
/* One line for the start message: where it listens, what it writes. */
void exporter_describe(const struct exporter *e, char *buf, size_t len);
/* Renders the snapshots (one per target); serves them and rewrites --textfile. Returns -1 after
 * ht_fail when this publish failed and the one before did not: a failure
 * that lasts (a full disk) is reported once, and the trace goes on. */
int exporter_publish(struct exporter *e, const struct trace_snapshot *const *v, size_t n);
/* The final state: published, --textfile rewritten, --pprof written.
 * Every failure is returned. */
int exporter_finish(struct exporter *e, const struct trace_snapshot *const *v, size_t n);
/* SIGHUP: the next publish reads --web-config again first (a bad one is
 * said and the previous stays). Async-signal-safe. */
void exporter_request_reload(void);
/* Stops serving and frees; NULL is a no-op. */
void exporter_stop(struct exporter *e);
#endif
