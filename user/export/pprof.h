/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A builder for pprof profiles (google/pprof's profile.proto, see
 * user/export/profile.proto), serialized gzipped as every reader expects:
 * go tool pprof, Pyroscope, Parca, the OpenTelemetry Collector.
 *
 *	struct pprof_builder *b = pprof_new();
 *	pprof_sample_type(b, "maps", "count");
 *	pprof_sample_type(b, "retained_space", "bytes");
 *	pprof_default_sample_type(b, "retained_space");
 *	pprof_period(b, "space", "bytes", 1);
 *	m = pprof_mapping(b, &(struct pprof_mapping){ .start = ..., .filename = exe });
 *	f = pprof_function(b, "main.(*cache).put", NULL, "cache.go", 40);
 *	loc = pprof_location(b, m, pc, lines, nlines);   // inlined frames, leaf first
 *	pprof_sample(b, locs, nlocs, values, 2, labels, nlabels);   // locs leaf first
 *	pprof_serialize(b, &gz, &len);  or  pprof_write_file(b, path);
 *	pprof_free(b);
 *
 * Strings, functions and locations are deduplicated: adding an equal one
 * again returns the id it already has. Ids are nonzero; 0 means failure.
 * Errors are sticky (ht_fail at the first, then every call fails), so a
 * caller may check only the serialization.
 */
#ifndef HT_EXPORT_PPROF_H
#define HT_EXPORT_PPROF_H
#include <stddef.h>
#include <stdint.h>

struct pprof_builder;

struct pprof_mapping {
	uint64_t start, limit, offset;	/* address range and file offset of the text */
	const char *filename;		/* the binary, as the target sees it */
	const char *build_id;		/* Go's or GNU's build id; NULL if none */
};

/* One frame of a location: function_id from pprof_function(). */
struct pprof_line {
	uint64_t function_id;
	int64_t line;
};

/* A string label when str is set, else numeric: num with an optional unit
 * ("bytes", "count"...). */
struct pprof_label {
	const char *key;
	const char *str;
	int64_t num;
	const char *unit;
};

struct pprof_builder *pprof_new(void);	/* NULL after ht_fail */
void pprof_free(struct pprof_builder *b);

/* Sample value types in the order of each sample's values; all come before
 * the first sample. */
int pprof_sample_type(struct pprof_builder *b, const char *type, const char *unit);
/* The type that readers show unless told otherwise (-sample_index). */
int pprof_default_sample_type(struct pprof_builder *b, const char *type);
int pprof_period(struct pprof_builder *b, const char *type, const char *unit, int64_t period);
/* time_nanos: wall clock of the collection; duration_nanos: how long it took. */
void pprof_set_time(struct pprof_builder *b, int64_t time_nanos, int64_t duration_nanos);
int pprof_comment(struct pprof_builder *b, const char *text);

/* The first mapping is the main binary. Frames are symbolized by heaptrace,
 * so the mapping says it has functions, files, lines and inlined frames
 * (readers then do not look for the binary). */
uint64_t pprof_mapping(struct pprof_builder *b, const struct pprof_mapping *m);
/* system_name NULL: the same as name; filename NULL: unknown. */
uint64_t pprof_function(struct pprof_builder *b, const char *name, const char *system_name, const char *filename,
			int64_t start_line);
/* mapping_id 0: none; address 0: none (a synthetic frame). lines: the
 * inlined frames at this address, leaf first, the caller they were inlined
 * into last. */
uint64_t pprof_location(struct pprof_builder *b, uint64_t mapping_id, uint64_t address, const struct pprof_line *lines,
			size_t nlines);
/* location ids leaf first; one value per sample type. */
int pprof_sample(struct pprof_builder *b, const uint64_t *location_ids, size_t nlocations, const int64_t *values,
		 size_t nvalues, const struct pprof_label *labels, size_t nlabels);

/* The profile, gzipped, in a buffer the caller frees. */
int pprof_serialize(struct pprof_builder *b, void **gz, size_t *len);
/* The same, written atomically (textfile_write). */
int pprof_write_file(struct pprof_builder *b, const char *path);
#endif
