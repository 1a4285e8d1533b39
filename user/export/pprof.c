// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pprof builder's tables. They are kept as the protobuf-c structs
 * themselves (ids = position + 1), so that serializing (pprof_encode.c) only
 * points at them.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "util/textsafe.h"
#include "util/log.h"
#include "export/pprof_tables.h"

#define bfail(b, ...) ht_fail_sticky(&(b)->err, "pprof", __VA_ARGS__)

/* arr with room for element n: the same array, a larger copy, or NULL
 * (arr untouched) when out of memory. */
static void *grow(struct pprof_builder *b, void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? 2 * *cap : 16;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, c * elem);
	if (!p) {
		bfail(b, "out of memory for %zu table entries", c);
		return NULL;
	}
	*cap = c;
	return p;
}

/* 0 when ARR has room for element N, after moving it if need be; -1 else. */
#define GROW(b, arr, cap, n)                                                 \
	({                                                                   \
		void *grown_ = grow((b), (arr), &(cap), (n), sizeof(*(arr))); \
		if (grown_)                                                  \
			(arr) = grown_;                                      \
		grown_ ? 0 : -1;                                             \
	})

static bool str_eq(const void *ctx, uint32_t pos)
{
	const struct pprof_builder *b = ctx;

	return !strcmp(b->strings[pos], b->probe_str);
}

static int64_t str_index_valid(struct pprof_builder *b, const char *s)
{
	uint64_t h;
	int64_t pos;
	char *copy;

	h = intern_hash(INTERN_HASH_INIT, s, strlen(s));
	b->probe_str = s;
	pos = intern_find(&b->string_index, h, str_eq, b);
	if (pos >= 0)
		return pos;
	if (GROW(b, b->strings, b->strings_cap, b->n_strings))
		return -1;
	copy = strdup(s);
	if (!copy || intern_add(&b->string_index, h, (uint32_t)b->n_strings)) {
		free(copy);
		return bfail(b, "out of memory for the string table");
	}
	b->strings[b->n_strings] = copy;
	return (int64_t)b->n_strings++;
}

/* The string table index of s, added if new; index 0 is "" (and NULL).
 * proto3 strings are UTF-8, and readers that check it refuse the whole
 * profile: a name that is not UTF-8 gets U+FFFD where it fails. */
static int64_t str_index(struct pprof_builder *b, const char *s)
{
	size_t len;
	int64_t pos;
	char *lossy;

	if (b->err)
		return -1;
	if (!s)
		s = "";
	if (utf8_valid(s))
		return str_index_valid(b, s);
	len = 3 * strlen(s) + 1;
	lossy = malloc(len);
	if (!lossy)
		return bfail(b, "out of memory for the string table");
	pos = str_index_valid(b, utf8_lossy(lossy, len, s));
	free(lossy);
	return pos;
}

struct pprof_builder *pprof_new(void)
{
	struct pprof_builder *b = calloc(1, sizeof(*b));

	if (!b) {
		ht_fail("pprof: out of memory for a profile");
		return NULL;
	}
	if (str_index(b, "") != 0) {
		pprof_free(b);
		return NULL;
	}
	return b;
}

void pprof_free(struct pprof_builder *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n_strings; i++)
		free(b->strings[i]);
	for (i = 0; i < b->n_locations; i++)
		free(b->location_lines[i]);
	for (i = 0; i < b->n_samples; i++) {
		free(b->samples[i].location_id);
		free(b->samples[i].value);
		free(b->sample_labels[i]);
	}
	free(b->strings);
	free(b->sample_types);
	free(b->mappings);
	free(b->functions);
	free(b->locations);
	free(b->location_lines);
	free(b->samples);
	free(b->sample_labels);
	free(b->comments);
	intern_free(&b->string_index);
	intern_free(&b->function_index);
	intern_free(&b->location_index);
	free(b);
}

static int value_type(struct pprof_builder *b, Perftools__Profiles__ValueType *vt, const char *type, const char *unit)
{
	Perftools__Profiles__ValueType init = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;

	if (!type || !*type || !unit || !*unit)
		return bfail(b, "a value type needs a type and a unit");
	*vt = init;
	vt->type = str_index(b, type);
	vt->unit = str_index(b, unit);
	return b->err;
}

int pprof_sample_type(struct pprof_builder *b, const char *type, const char *unit)
{
	if (b->err)
		return -1;
	if (b->n_samples)
		return bfail(b, "sample type %s added after the first sample", type);
	if (GROW(b, b->sample_types, b->sample_types_cap, b->n_sample_types))
		return -1;
	if (value_type(b, &b->sample_types[b->n_sample_types], type, unit))
		return -1;
	b->n_sample_types++;
	return 0;
}

int pprof_default_sample_type(struct pprof_builder *b, const char *type)
{
	int64_t s;
	size_t i;

	if (b->err)
		return -1;
	s = str_index(b, type);
	for (i = 0; i < b->n_sample_types; i++)
		if (b->sample_types[i].type == s) {
			b->default_sample_type = s;
			return 0;
		}
	return bfail(b, "default sample type %s is not a sample type", type);
}

int pprof_period(struct pprof_builder *b, const char *type, const char *unit, int64_t period)
{
	if (b->err || value_type(b, &b->period_type, type, unit))
		return -1;
	b->has_period = true;
	b->period = period;
	return 0;
}

void pprof_set_time(struct pprof_builder *b, int64_t time_nanos, int64_t duration_nanos)
{
	b->time_nanos = time_nanos;
	b->duration_nanos = duration_nanos;
}

int pprof_comment(struct pprof_builder *b, const char *text)
{
	int64_t s;

	if (b->err || GROW(b, b->comments, b->comments_cap, b->n_comments))
		return -1;
	s = str_index(b, text);
	if (s < 0)
		return -1;
	b->comments[b->n_comments++] = s;
	return 0;
}

uint64_t pprof_mapping(struct pprof_builder *b, const struct pprof_mapping *m)
{
	Perftools__Profiles__Mapping init = PERFTOOLS__PROFILES__MAPPING__INIT, *pm;

	if (b->err || GROW(b, b->mappings, b->mappings_cap, b->n_mappings))
		return 0;
	if (m->limit < m->start) {
		bfail(b, "mapping %s ends (0x%llx) before it starts (0x%llx)", m->filename ? m->filename : "?",
		      (unsigned long long)m->limit, (unsigned long long)m->start);
		return 0;
	}
	pm = &b->mappings[b->n_mappings];
	*pm = init;
	pm->id = b->n_mappings + 1;
	pm->memory_start = m->start;
	pm->memory_limit = m->limit;
	pm->file_offset = m->offset;
	pm->filename = str_index(b, m->filename);
	pm->build_id = str_index(b, m->build_id);
	pm->has_functions = pm->has_filenames = pm->has_line_numbers = pm->has_inline_frames = 1;
	if (b->err)
		return 0;
	return ++b->n_mappings;
}

static bool function_eq(const void *ctx, uint32_t pos)
{
	const struct pprof_builder *b = ctx;
	const Perftools__Profiles__Function *a = &b->functions[pos], *k = &b->probe_function;

	return a->name == k->name && a->system_name == k->system_name && a->filename == k->filename &&
	       a->start_line == k->start_line;
}

/* A key's hash over its fields, which are string indices and numbers. */
#define HASH_FIELD(h, f) intern_hash((h), &(f), sizeof(f))

uint64_t pprof_function(struct pprof_builder *b, const char *name, const char *system_name, const char *filename,
			int64_t start_line)
{
	Perftools__Profiles__Function init = PERFTOOLS__PROFILES__FUNCTION__INIT, *k = &b->probe_function;
	uint64_t h = INTERN_HASH_INIT;
	int64_t pos;

	if (b->err)
		return 0;
	if (!name || !*name) {
		bfail(b, "a function without a name");
		return 0;
	}
	*k = init;
	k->name = str_index(b, name);
	k->system_name = str_index(b, system_name ? system_name : name);
	k->filename = str_index(b, filename);
	k->start_line = start_line;
	if (b->err)
		return 0;
	h = HASH_FIELD(HASH_FIELD(HASH_FIELD(HASH_FIELD(h, k->name), k->system_name), k->filename), k->start_line);
	pos = intern_find(&b->function_index, h, function_eq, b);
	if (pos >= 0)
		return (uint64_t)pos + 1;
	if (GROW(b, b->functions, b->functions_cap, b->n_functions))
		return 0;
	if (intern_add(&b->function_index, h, (uint32_t)b->n_functions)) {
		bfail(b, "out of memory for the function table");
		return 0;
	}
	k->id = b->n_functions + 1;
	b->functions[b->n_functions] = *k;
	return ++b->n_functions;
}

static bool location_eq(const void *ctx, uint32_t pos)
{
	const struct pprof_builder *b = ctx;
	const Perftools__Profiles__Location *a = &b->locations[pos];
	size_t i;

	if (a->mapping_id != b->probe_mapping || a->address != b->probe_address || a->n_line != b->probe_nlines)
		return false;
	for (i = 0; i < a->n_line; i++)
		if (b->location_lines[pos][i].function_id != b->probe_lines[i].function_id ||
		    b->location_lines[pos][i].line != b->probe_lines[i].line)
			return false;
	return true;
}

uint64_t pprof_location(struct pprof_builder *b, uint64_t mapping_id, uint64_t address, const struct pprof_line *lines,
			size_t nlines)
{
	Perftools__Profiles__Location init = PERFTOOLS__PROFILES__LOCATION__INIT, *loc;
	Perftools__Profiles__Line line_init = PERFTOOLS__PROFILES__LINE__INIT, *copy;
	uint64_t h = INTERN_HASH_INIT;
	int64_t pos;
	size_t i;

	if (b->err)
		return 0;
	if (mapping_id > b->n_mappings) {
		bfail(b, "location 0x%llx: no mapping %llu", (unsigned long long)address, (unsigned long long)mapping_id);
		return 0;
	}
	h = HASH_FIELD(HASH_FIELD(h, mapping_id), address);
	for (i = 0; i < nlines; i++) {
		if (!lines[i].function_id || lines[i].function_id > b->n_functions) {
			bfail(b, "location 0x%llx: no function %llu", (unsigned long long)address,
			      (unsigned long long)lines[i].function_id);
			return 0;
		}
		h = HASH_FIELD(HASH_FIELD(h, lines[i].function_id), lines[i].line);
	}
	b->probe_mapping = mapping_id;
	b->probe_address = address;
	b->probe_lines = lines;
	b->probe_nlines = nlines;
	pos = intern_find(&b->location_index, h, location_eq, b);
	if (pos >= 0)
		return (uint64_t)pos + 1;
	if (GROW(b, b->locations, b->locations_cap, b->n_locations) ||
	    GROW(b, b->location_lines, b->location_lines_cap, b->n_locations))
		return 0;
	copy = calloc(nlines ? nlines : 1, sizeof(*copy));
	if (!copy || intern_add(&b->location_index, h, (uint32_t)b->n_locations)) {
		free(copy);
		bfail(b, "out of memory for the location table");
		return 0;
	}
	for (i = 0; i < nlines; i++) {
		copy[i] = line_init;
		copy[i].function_id = lines[i].function_id;
		copy[i].line = lines[i].line;
	}
	loc = &b->locations[b->n_locations];
	*loc = init;
	loc->id = b->n_locations + 1;
	loc->mapping_id = mapping_id;
	loc->address = address;
	loc->n_line = nlines; /* loc->line is pointed at location_lines when encoding */
	b->location_lines[b->n_locations] = copy;
	return ++b->n_locations;
}

static int sample_labels(struct pprof_builder *b, Perftools__Profiles__Label *out, const struct pprof_label *labels,
			 size_t n)
{
	Perftools__Profiles__Label init = PERFTOOLS__PROFILES__LABEL__INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!labels[i].key || !*labels[i].key)
			return bfail(b, "a sample label without a key");
		out[i] = init;
		out[i].key = str_index(b, labels[i].key);
		if (labels[i].str) {
			out[i].str = str_index(b, labels[i].str);
		} else {
			out[i].num = labels[i].num;
			out[i].num_unit = labels[i].unit ? str_index(b, labels[i].unit) : 0;
		}
	}
	return b->err;
}

int pprof_sample(struct pprof_builder *b, const uint64_t *location_ids, size_t nlocations, const int64_t *values,
		 size_t nvalues, const struct pprof_label *labels, size_t nlabels)
{
	Perftools__Profiles__Sample init = PERFTOOLS__PROFILES__SAMPLE__INIT, *s;
	Perftools__Profiles__Label *l;
	size_t i;

	if (b->err)
		return -1;
	if (!nvalues || nvalues != b->n_sample_types)
		return bfail(b, "a sample has %zu values for %zu sample types", nvalues, b->n_sample_types);
	for (i = 0; i < nlocations; i++)
		if (!location_ids[i] || location_ids[i] > b->n_locations)
			return bfail(b, "a sample refers to location %llu, of %zu", (unsigned long long)location_ids[i],
				     b->n_locations);
	if (GROW(b, b->samples, b->samples_cap, b->n_samples) ||
	    GROW(b, b->sample_labels, b->sample_labels_cap, b->n_samples))
		return -1;
	s = &b->samples[b->n_samples];
	*s = init;
	s->location_id = malloc((nlocations ? nlocations : 1) * sizeof(*s->location_id));
	s->value = malloc(nvalues * sizeof(*s->value));
	l = calloc(nlabels ? nlabels : 1, sizeof(*l));
	if (!s->location_id || !s->value || !l) {
		free(s->location_id);
		free(s->value);
		free(l);
		return bfail(b, "out of memory for a sample");
	}
	memcpy(s->location_id, location_ids, nlocations * sizeof(*s->location_id));
	memcpy(s->value, values, nvalues * sizeof(*s->value));
	s->n_location_id = nlocations;
	s->n_value = nvalues;
	s->n_label = nlabels; /* s->label is pointed at sample_labels when encoding */
	b->sample_labels[b->n_samples++] = l;
	return sample_labels(b, l, labels, nlabels);
}
