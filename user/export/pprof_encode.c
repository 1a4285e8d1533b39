// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A built profile to gzipped profile.proto bytes: the tables' structs are
 * pointed at from the arrays of pointers protobuf-c packs, then the packed
 * message is gzipped (pprof's on-disk form; every reader accepts it).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "util/log.h"
#include "export/textfile.h"
#include "export/pprof_tables.h"

/* The pointer arrays of one encoding, freed together. */
struct refs {
	Perftools__Profiles__ValueType **sample_types;
	Perftools__Profiles__Sample **samples;
	Perftools__Profiles__Mapping **mappings;
	Perftools__Profiles__Location **locations;
	Perftools__Profiles__Function **functions;
	Perftools__Profiles__Label **labels;	/* all samples' label pointers */
	Perftools__Profiles__Line **lines;	/* all locations' line pointers */
};

static void refs_free(struct refs *r)
{
	free(r->sample_types);
	free(r->samples);
	free(r->mappings);
	free(r->locations);
	free(r->functions);
	free(r->labels);
	free(r->lines);
}

/* &arr[i] for each i, in a new array (one element when n is 0, so that
 * malloc's NULL means failure). */
#define POINT_AT(arr, n)                                                       \
	({                                                                     \
		__typeof__(&(arr)[0]) *ptrs_ = malloc(((n) ? (n) : 1) * sizeof(*ptrs_)); \
		for (size_t i_ = 0; ptrs_ && i_ < (n); i_++)                   \
			ptrs_[i_] = &(arr)[i_];                                \
		ptrs_;                                                         \
	})

static int link_tables(struct pprof_builder *b, struct refs *r)
{
	size_t i, j, nlabels = 0, nlines = 0;
	Perftools__Profiles__Label **l;
	Perftools__Profiles__Line **ln;

	for (i = 0; i < b->n_samples; i++)
		nlabels += b->samples[i].n_label;
	for (i = 0; i < b->n_locations; i++)
		nlines += b->locations[i].n_line;
	r->sample_types = POINT_AT(b->sample_types, b->n_sample_types);
	r->samples = POINT_AT(b->samples, b->n_samples);
	r->mappings = POINT_AT(b->mappings, b->n_mappings);
	r->locations = POINT_AT(b->locations, b->n_locations);
	r->functions = POINT_AT(b->functions, b->n_functions);
	r->labels = malloc((nlabels ? nlabels : 1) * sizeof(*r->labels));
	r->lines = malloc((nlines ? nlines : 1) * sizeof(*r->lines));
	if (!r->sample_types || !r->samples || !r->mappings || !r->locations || !r->functions || !r->labels || !r->lines)
		return ht_fail("pprof: out of memory encoding the profile");
	for (i = 0, l = r->labels; i < b->n_samples; i++) {
		b->samples[i].label = l;
		for (j = 0; j < b->samples[i].n_label; j++)
			*l++ = &b->sample_labels[i][j];
	}
	for (i = 0, ln = r->lines; i < b->n_locations; i++) {
		b->locations[i].line = ln;
		for (j = 0; j < b->locations[i].n_line; j++)
			*ln++ = &b->location_lines[i][j];
	}
	return 0;
}

static int gzip_buf(const void *in, size_t len, void **out, size_t *out_len)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer rather than zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return ht_fail("pprof: cannot start gzip: %s", z.msg ? z.msg : "out of memory");
	*out_len = deflateBound(&z, len);
	*out = malloc(*out_len);
	if (!*out) {
		deflateEnd(&z);
		return ht_fail("pprof: out of memory for a %zu-byte gzipped profile", *out_len);
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)*out_len;
	rc = deflate(&z, Z_FINISH); /* deflateBound room: one call finishes */
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return ht_fail("pprof: gzip failed (%d)", rc);
	}
	return 0;
}

int pprof_serialize(struct pprof_builder *b, void **gz, size_t *len)
{
	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct refs r;
	uint8_t *packed;
	size_t size;
	int rc;

	if (b->err)
		return -1;
	if (!b->n_sample_types)
		return ht_fail("pprof: a profile without sample types");
	memset(&r, 0, sizeof(r));
	if (link_tables(b, &r)) {
		refs_free(&r);
		return -1;
	}
	p.n_sample_type = b->n_sample_types;
	p.sample_type = r.sample_types;
	p.n_sample = b->n_samples;
	p.sample = r.samples;
	p.n_mapping = b->n_mappings;
	p.mapping = r.mappings;
	p.n_location = b->n_locations;
	p.location = r.locations;
	p.n_function = b->n_functions;
	p.function = r.functions;
	p.n_string_table = b->n_strings;
	p.string_table = b->strings;
	p.time_nanos = b->time_nanos;
	p.duration_nanos = b->duration_nanos;
	p.period_type = b->has_period ? &b->period_type : NULL;
	p.period = b->period;
	p.n_comment = b->n_comments;
	p.comment = b->comments;
	p.default_sample_type = b->default_sample_type;
	size = perftools__profiles__profile__get_packed_size(&p);
	packed = malloc(size ? size : 1);
	if (!packed) {
		refs_free(&r);
		return ht_fail("pprof: out of memory for a %zu-byte profile", size);
	}
	perftools__profiles__profile__pack(&p, packed);
	refs_free(&r);
	rc = gzip_buf(packed, size, gz, len);
	free(packed);
	return rc;
}

int pprof_write_file(struct pprof_builder *b, const char *path)
{
	size_t len;
	void *gz;
	int rc;

	if (pprof_serialize(b, &gz, &len))
		return -1;
	rc = textfile_write(path, gz, len);
	free(gz);
	return rc;
}
