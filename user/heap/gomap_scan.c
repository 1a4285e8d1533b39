// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "util/log.h"
#include "heap/gomap_scan.h"

#define SCAN_BATCH 256 /* spans read per batch */

struct found {
	struct go_map *v;
	size_t n, cap;
};

static int push(struct found *f, const struct go_map *m)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 1024;
		struct go_map *v = realloc(f->v, nc * sizeof(*v));

		if (!v)
			return ht_fail("out of memory for %zu maps", nc);
		f->v = v;
		f->cap = nc;
	}
	f->v[f->n++] = *m;
	return 0;
}

/* Parses the allocated header-sized objects of spans[0..n), whose memory and
 * allocation bitmaps are in r[2i] and r[2i+1]. */
static int scan_batch(const struct go_heap *h, bool swiss, const struct go_span **spans, size_t n,
		      struct memrange *r, struct map_scan *s, struct found *f)
{
	size_t i;
	uint64_t j;

	f->n = 0;
	for (i = 0; i < n; i++) {
		const struct go_span *sp = spans[i];
		const uint8_t *mem = r[2 * i].buf, *bits = r[2 * i + 1].buf;

		if (!r[2 * i].ok || !r[2 * i + 1].ok)
			continue;
		s->spans_scanned++;
		for (j = 0; j < sp->nelems; j++) {
			struct go_map m;
			uint64_t addr = sp->start + j * sp->elemsize;
			bool ok;

			if (!go_span_allocated(sp, bits, j))
				continue;
			s->objects_checked++;
			ok = swiss ? gomap_parse_swiss_header(h, addr, mem + j * sp->elemsize, &m)
				   : gomap_parse_buckets(h, addr, mem + j * sp->elemsize, &m);
			if (ok && push(f, &m))
				return -1;
		}
	}
	if (swiss && f->n) {
		size_t k, w;
		bool *ok = malloc(f->n);

		if (!ok)
			return ht_fail("out of memory");
		memset(ok, 1, f->n);
		gomap_finish_swiss(h, f->v, ok, f->n);
		for (k = 0, w = 0; k < f->n; k++)
			if (ok[k])
				f->v[w++] = f->v[k];
		f->n = w;
		free(ok);
	}
	if (f->n)
		s->found(s->ctx, f->v, f->n);
	s->maps += f->n;
	return 0;
}

int map_scan(const struct go_heap *h, bool swiss, uint64_t deadline_ns, struct map_scan *out)
{
	struct found f = { 0 };
	uint16_t hdr = swiss ? h->L->smap_size : h->L->hmap_size;
	const struct go_span *batch[SCAN_BATCH];
	struct memrange r[2 * SCAN_BATCH];
	size_t i, n = 0, k;
	int err = 0;

	out->maps = out->objects_checked = out->spans_scanned = 0;
	out->truncated = false;
	memset(r, 0, sizeof(r));
	for (i = 0; i <= h->nspans && !err; i++) {
		const struct go_span *sp = i < h->nspans ? &h->spans[i] : NULL;

		if (sp && (GO_SPANCLASS_SIZECLASS(sp->spanclass) == 0 || sp->elemsize != hdr ||
			   !sp->nelems || !sp->allocbits))
			continue;
		if (sp) {
			batch[n] = sp;
			r[2 * n] = (struct memrange){ .addr = sp->start, .buf = malloc(sp->size), .len = sp->size };
			r[2 * n + 1] = (struct memrange){ .addr = sp->allocbits, .buf = malloc((sp->nelems + 7) / 8),
							  .len = (sp->nelems + 7) / 8 };
			if (!r[2 * n].buf || !r[2 * n + 1].buf)
				err = ht_fail("out of memory reading spans");
			n++;
		}
		if (n && (n == SCAN_BATCH || !sp || err)) {
			if (!err) {
				h->mem->readv(h->mem, r, 2 * n);
				err = scan_batch(h, swiss, batch, n, r, out, &f);
			}
			for (k = 0; k < 2 * n; k++)
				free(r[k].buf);
			n = 0;
			if (deadline_ns && monotonic_ns() > deadline_ns) {
				out->truncated = i < h->nspans;
				break;
			}
		}
	}
	free(f.v);
	return err;
}
