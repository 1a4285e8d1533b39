/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The pprof builder's state, shared by the builder (pprof.c) and the
 * encoder (pprof_encode.c) only. Tables hold protobuf-c structs whose id is
 * their position + 1; their pointer fields (a location's lines, a sample's
 * labels) are set when encoding, because the arrays move as they grow.
 */
#ifndef HT_EXPORT_PPROF_TABLES_H
#define HT_EXPORT_PPROF_TABLES_H
#include <stdbool.h>
#include "export/profile.pb-c.h"
#include "export/intern.h"
#include "export/pprof.h"

struct pprof_builder {
	int err; /* sticky */
	char **strings;
	size_t n_strings, strings_cap;
	struct intern string_index;

	Perftools__Profiles__ValueType *sample_types, period_type;
	size_t n_sample_types, sample_types_cap;
	int64_t default_sample_type, period, time_nanos, duration_nanos;
	bool has_period;
	int64_t *comments;
	size_t n_comments, comments_cap;

	Perftools__Profiles__Mapping *mappings;
	size_t n_mappings, mappings_cap;
	Perftools__Profiles__Function *functions;
	size_t n_functions, functions_cap;
	struct intern function_index;
	Perftools__Profiles__Location *locations;
	Perftools__Profiles__Line **location_lines; /* per location, n_line each */
	size_t n_locations, locations_cap, location_lines_cap;
	struct intern location_index;
	Perftools__Profiles__Sample *samples;
	Perftools__Profiles__Label **sample_labels; /* per sample, n_label each */
	size_t n_samples, samples_cap, sample_labels_cap;

	/* the key being looked up, for the intern equality callbacks */
	const char *probe_str;
	Perftools__Profiles__Function probe_function;
	uint64_t probe_mapping, probe_address;
	const struct pprof_line *probe_lines;
	size_t probe_nlines;
};
#endif
