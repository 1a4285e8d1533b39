// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "util/log.h"
#include "heap/gomap_scan.h"
#include "heap/span_reader.h"


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

/* Maps to read again against a newer span table: a Swiss map that split or
 * grew between the span table's load and the read of its header or tables
 * (a cache that churns does so every few seconds). Bounded: the rest wait
 * for the next walk. */
#define RETRY_MAX 256

struct scan_ctx {
	const struct go_heap *h;
	bool swiss;
	uint16_t hdr;
	struct map_scan *s;
	struct found f;
	uint64_t retry[RETRY_MAX];
	size_t nretry;
	bool retrying; /* what fails now is not queued again */
};

static void queue_retry(struct scan_ctx *c, uint64_t addr)
{
	if (!c->retrying && c->nretry < RETRY_MAX)
		c->retry[c->nretry++] = addr;
}

static bool header_span(void *ctx, const struct go_span *sp)
{
	const struct scan_ctx *c = ctx;

	return GO_SPANCLASS_SIZECLASS(sp->spanclass) != 0 && sp->elemsize == c->hdr && sp->allocbits;
}

/* Hands the maps found so far on (Swiss ones finished in one batch). */
static int flush(struct scan_ctx *c)
{
	struct found *f = &c->f;

	if (c->swiss && f->n) {
		size_t k, w;
		bool *ok = malloc(f->n);

		if (!ok)
			return ht_fail("out of memory");
		memset(ok, 1, f->n);
		gomap_finish_swiss(c->h, f->v, ok, f->n);
		for (k = 0, w = 0; k < f->n; k++)
			if (ok[k])
				f->v[w++] = f->v[k];
			else
				queue_retry(c, f->v[k].addr);
		f->n = w;
		free(ok);
	}
	if (f->n)
		c->s->found(c->s->ctx, f->v, f->n);
	c->s->maps += f->n;
	f->n = 0;
	return 0;
}

/* Parses the live header-sized objects of one span. */
static int scan_span(void *ctx, const struct go_span *sp, uint64_t off, const uint8_t *mem, size_t len,
		     const struct span_bits *live)
{
	struct scan_ctx *c = ctx;
	uint64_t j;

	for (j = 0; j < sp->nelems && (j + 1) * sp->elemsize <= len; j++) {
		struct go_map m;
		uint64_t addr = sp->start + j * sp->elemsize;
		bool ok;

		if (!go_span_bits_live(sp, live, j))
			continue;
		c->s->objects_checked++;
		ok = c->swiss ? gomap_parse_swiss_header(c->h, addr, mem + j * sp->elemsize, &m)
			      : gomap_parse_buckets(c->h, addr, mem + j * sp->elemsize, &m);
		if (ok && push(&c->f, &m))
			return -1;
		if (!ok && c->swiss && gomap_swiss_dir_newer(c->h, mem + j * sp->elemsize))
			queue_retry(c, addr);
	}
	return c->f.n >= 4096 ? flush(c) : 0;
}

/* The queued maps, their headers read again and parsed against a span table
 * loaded now. A failure here leaves the scan's result as it was. */
static int retry_newer(struct scan_ctx *c, uint64_t deadline_ns)
{
	const struct go_heap *old = c->h;
	struct go_heap fresh;
	uint8_t hdr[512];
	size_t i;
	int err;

	if (!c->nretry || c->hdr > sizeof(hdr))
		return 0;
	if (go_heap_load(&fresh, old->mem, old->L, old->mheap, deadline_ns))
		return 0;
	c->h = &fresh;
	c->retrying = true;
	for (i = 0, err = 0; i < c->nretry && !err; i++) {
		struct go_map m;

		if (mem_read(old->mem, c->retry[i], hdr, c->hdr) &&
		    gomap_parse_swiss_header(&fresh, c->retry[i], hdr, &m))
			err = push(&c->f, &m);
	}
	ht_debug("heap walk: %zu maps changed while read, read again", c->nretry);
	if (!err)
		err = flush(c);
	c->h = old;
	go_heap_free(&fresh);
	return err;
}

int map_scan(const struct go_heap *h, bool swiss, uint64_t deadline_ns, struct map_scan *out)
{
	struct scan_ctx c = { .h = h, .swiss = swiss, .hdr = swiss ? h->L->smap_size : h->L->hmap_size, .s = out };
	struct span_visit v = { .want = header_span, .visit = scan_span, .ctx = &c, .deadline_ns = deadline_ns };
	int err;

	out->maps = out->objects_checked = out->spans_scanned = 0;
	out->truncated = false;
	err = go_heap_visit_spans(h, &v);
	if (!err)
		err = flush(&c);
	if (!err && c.swiss)
		err = retry_newer(&c, deadline_ns);
	out->spans_scanned = v.spans - v.unreadable;
	out->truncated = v.truncated;
	free(c.f.v);
	return err;
}

int map_scan_memory(const struct go_heap *h, bool swiss, uint64_t base, const uint8_t *mem, size_t len,
		    struct map_scan *s)
{
	struct scan_ctx c = { .h = h, .swiss = swiss, .hdr = swiss ? h->L->smap_size : h->L->hmap_size, .s = s };
	size_t off;
	int err = 0;

	for (off = (8 - base % 8) % 8; off + c.hdr <= len && !err; off += 8) {
		struct go_map m;
		bool ok = swiss ? gomap_parse_swiss_header(h, base + off, mem + off, &m)
				: gomap_parse_buckets(h, base + off, mem + off, &m);

		s->objects_checked++;
		if (ok)
			err = push(&c.f, &m);
	}
	if (!err)
		err = flush(&c);
	free(c.f.v);
	return err;
}
