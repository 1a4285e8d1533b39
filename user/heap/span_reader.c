// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "heap/span_reader.h"
#include "util/log.h"
#include "util/monotonic.h"

#define BATCH_SPANS 256		   /* spans read per batch */
#define BATCH_BYTES (16u << 20)	   /* bytes of span memory held per batch */
#define PIECE_BYTES (4u << 20)	   /* a large span is read this much at a time */
#define RANGES_PER_SPAN 4	   /* its memory and up to three bitmaps */

/* One piece of a span, with the bits that say which of its objects are
 * live: read again for each piece of a large span (a few bytes), so that
 * every piece owns what it is visited with. */
struct piece {
	const struct go_span *s;
	uint64_t off;
	size_t len;
	struct span_bits bits;
	size_t r0, nr; /* its ranges in the batch */
};

struct batch {
	struct piece p[BATCH_SPANS];
	struct memrange r[BATCH_SPANS * RANGES_PER_SPAN];
	size_t n, nr, bytes;
};

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->r[b->p[i].r0].buf);
		go_span_bits_free(&b->p[i].bits);
	}
	b->n = b->nr = b->bytes = 0;
}

static int batch_run(const struct go_heap *h, struct batch *b, struct span_visit *v)
{
	size_t i;
	int err = 0;

	h->mem->readv(h->mem, b->r, b->nr);
	for (i = 0; i < b->n && !err; i++) {
		struct piece *p = &b->p[i];
		const struct memrange *mr = &b->r[p->r0];

		go_span_bits_done(&p->bits, mr + 1, p->nr - 1);
		if (!mr->ok) {
			v->unreadable++;
			continue;
		}
		v->bytes += p->len;
		err = v->visit(v->ctx, p->s, p->off, mr->buf, p->len, &p->bits);
	}
	batch_free(b);
	return err;
}

int go_heap_visit_spans(const struct go_heap *h, struct span_visit *v)
{
	struct batch *b = calloc(1, sizeof(*b));
	size_t i;
	int err = 0;

	v->spans = v->bytes = v->unreadable = 0;
	v->truncated = false;
	if (!b)
		return ht_fail("out of memory reading spans");
	for (i = 0; i < h->nspans && !err; i++) {
		const struct go_span *s = &h->spans[i];
		uint64_t off;

		if (!s->nelems || (v->want && !v->want(v->ctx, s)))
			continue;
		if (v->deadline_ns && monotonic_ns() > v->deadline_ns) {
			v->truncated = true;
			break;
		}
		v->spans++;
		for (off = 0; off < s->size && !err; off += PIECE_BYTES) {
			struct piece *p;
			size_t len = s->size - off < PIECE_BYTES ? (size_t)(s->size - off) : PIECE_BYTES;
			void *buf;

			if (b->n == BATCH_SPANS || b->bytes + len > BATCH_BYTES)
				err = batch_run(h, b, v);
			if (err)
				break;
			buf = malloc(len);
			if (!buf) {
				err = ht_fail("out of memory reading spans");
				break;
			}
			p = &b->p[b->n++];
			*p = (struct piece){ .s = s, .off = off, .len = len, .r0 = b->nr };
			b->r[b->nr++] = (struct memrange){ .addr = s->start + off, .buf = buf, .len = len };
			b->nr += go_span_bits_ranges(h, s, &p->bits, &b->r[b->nr]);
			p->nr = b->nr - p->r0;
			b->bytes += len;
		}
	}
	if (!err && b->n)
		err = batch_run(h, b, v);
	batch_free(b);
	free(b);
	return err;
}
