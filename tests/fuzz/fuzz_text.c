// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: text a target or a host controls, through every parser that
 * reads it (/proc/PID/stat, maps, smaps_rollup, cgroup) and every writer
 * that passes it on (the terminal and log escaping, JSON's and pprof's
 * UTF-8, Prometheus label values): parsers stay in bounds, writers never
 * let a control character or a byte that is not UTF-8 through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "export/metrics_text.h"
#include "export/pprof.h"
#include "heap/smaps.h"
#include "target/labels.h"
#include "util/proc_maps.h"
#include "util/proc_stat.h"
#include "util/textsafe.h"

static void check_escaped(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!utf8_valid(s))
		__builtin_trap();
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			__builtin_trap();
}

/* A label value may hold no newline: a sample line must not end early. */
static void check_exposition(const char *text, size_t len)
{
	size_t i;

	if (!utf8_valid(text) || strlen(text) != len)
		__builtin_trap();
	for (i = 0; i + 1 < len; i++)
		if (text[i] == '\n' && text[i + 1] == '\n')
			__builtin_trap();
}

static void writers(const char *s)
{
	char esc[4 * 1024 + 1], lossy[3 * 1024 + 1];
	struct metrics_writer w;
	struct metrics_label l[2] = { { "exe", s }, { "type", s } };
	struct pprof_builder *b;
	char *text;
	size_t len;
	void *gz;

	check_escaped(text_escape(esc, sizeof(esc), s));
	if (!utf8_valid(utf8_lossy(lossy, sizeof(lossy), s)))
		__builtin_trap();
	for (int f = METRICS_PROMETHEUS; f <= METRICS_OPENMETRICS; f++) {
		if (metrics_writer_init(&w, (enum metrics_format)f))
			continue;
		metrics_family(&w, "heaptrace_fuzz_bytes", METRICS_GAUGE, s, "bytes");
		metrics_sample_u64(&w, l, 2, 1);
		if (metrics_finish(&w, &text, &len) == 0) {
			check_exposition(text, len);
			free(text);
		} else {
			metrics_writer_free(&w);
		}
	}
	b = pprof_new();
	if (b) {
		uint64_t m = pprof_mapping(b, &(struct pprof_mapping){ .start = 0x1000, .limit = 0x2000, .filename = s });
		uint64_t fn = pprof_function(b, s, NULL, s, 1);
		struct pprof_line ln = { fn, 1 };
		uint64_t loc = pprof_location(b, m, 0x1001, &ln, 1);
		int64_t v = 1;
		struct pprof_label lab = { "type", s, 0, NULL };

		pprof_sample_type(b, "maps", "count");
		pprof_sample(b, &loc, 1, &v, 1, &lab, 1);
		if (pprof_serialize(b, &gz, &len) == 0)
			free(gz);
		pprof_free(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *line, *save;
	struct proc_labels labels;
	struct proc_stat st;
	struct proc_mapping m;
	struct smaps sm = { 0 };

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	proc_stat_parse(s, &st);
	memset(&labels, 0, sizeof(labels));
	cgroup_ids(s, &labels);
	check_escaped(text_escape((char[256]){ 0 }, 256, labels.container_id));
	if (size <= 1024)
		writers(s);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		proc_maps_parse_line(line, &m);
		smaps_parse_line(line, &sm);
	}
	free(s);
	return 0;
}
