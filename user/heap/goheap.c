// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap/goheap.h"
#include "util/log.h"

#define MAX_SPANS (1ull << 26)	   /* 512 GiB of 8 KiB spans: a plausible allspans */
#define MAX_SPAN_PAGES (1ull << 24) /* 128 GiB in one span */
#define SPAN_BATCH 4096
/* Spans heaptrace keeps of one walk (80 bytes each: 80 MiB): a heap of
 * millions of small spans is walked in part, and says so. The span list is
 * the target's to write: whatever length it claims, heaptrace reads it in
 * batches and keeps only spans in use, within this bound. */
#define MAX_KEPT_SPANS (1ull << 20)

/* Says why, when the caller wants to know (why != NULL); returns false. */
static bool __attribute__((format(printf, 3, 4))) reject(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Decodes one mspan; false when it is not in use or not plausible, with the
 * field that failed in `why` (may be NULL). */
static bool parse_span_why(const struct go_layout *L, const uint8_t *p, struct go_span *s, char *why, size_t len)
{
	uint64_t npages = mem_field(p, L->span_npages, 8), state = mem_field(p, L->span_state, 1);

	if (state != GO_SPAN_IN_USE)
		return reject(why, len, "state (+%u) is %llu, not mSpanInUse", L->span_state, (unsigned long long)state);
	s->start = mem_field(p, L->span_startaddr, 8);
	s->size = npages * HT_GO_PAGE_SIZE;
	s->elemsize = mem_field(p, L->span_elemsize, 8);
	s->spanclass = (uint8_t)mem_field(p, L->span_spanclass, 1);
	s->freeindex = mem_field(p, L->span_freeindex, L->span_index_size);
	s->nelems = mem_field(p, L->span_nelems, L->span_index_size);
	s->allocbits = mem_field(p, L->span_allocbits, 8);
	s->gcmarkbits = mem_field(p, L->span_gcmarkbits, 8);
	s->sweepgen = (uint32_t)mem_field(p, L->span_sweepgen, 4);
	s->largetype = L->span_largetype == GO_ABSENT ? 0 : mem_field(p, L->span_largetype, 8);
	if (!s->start || s->start % HT_GO_PAGE_SIZE)
		return reject(why, len, "startAddr (+%u) 0x%llx is not a page address", L->span_startaddr,
			      (unsigned long long)s->start);
	if (!npages || npages > MAX_SPAN_PAGES || s->start + s->size < s->start)
		return reject(why, len, "npages (+%u) is %llu", L->span_npages, (unsigned long long)npages);
	if (!s->elemsize || s->elemsize > s->size)
		return reject(why, len, "elemsize (+%u) %llu does not fit its %llu pages", L->span_elemsize,
			      (unsigned long long)s->elemsize, (unsigned long long)npages);
	if (s->nelems > s->size / s->elemsize)
		return reject(why, len, "nelems (+%u) %llu is more than %llu pages of %llu-byte objects hold",
			      L->span_nelems, (unsigned long long)s->nelems, (unsigned long long)npages,
			      (unsigned long long)s->elemsize);
	if (s->freeindex > s->nelems)
		return reject(why, len, "freeindex (+%u) %llu is past nelems %llu", L->span_freeindex,
			      (unsigned long long)s->freeindex, (unsigned long long)s->nelems);
	/* Only a large object with pointers has its type there: Go 1.22 and
	 * 1.23 leave a stale one in a noscan span (mspan.init does not clear
	 * it), and small spans use the field for something else. */
	if (GO_SPANCLASS_SIZECLASS(s->spanclass) == 0 && !GO_SPANCLASS_NOSCAN(s->spanclass))
		s->largetype = s->largetype & 7 ? 0 : s->largetype;
	else
		s->largetype = 0;
	return true;
}

static bool parse_span(const struct go_layout *L, const uint8_t *p, struct go_span *s)
{
	return parse_span_why(L, p, s, NULL, 0);
}

struct span_list {
	uint64_t ptr, len, cap;
};

/* mheap.allspans, checked; `why` (may be NULL) says what did not fit. */
static bool read_span_list_why(struct memsrc *mem, const struct go_layout *L, uint64_t mheap,
			       struct span_list *l, char *why, size_t len, int *score)
{
	uint64_t w[3];

	*score = 0;
	if (!mem_read(mem, mheap + L->mheap_allspans, w, sizeof(w)))
		return reject(why, len, "mheap.allspans (+%u) cannot be read", L->mheap_allspans);
	*l = (struct span_list){ w[0], w[1], w[2] };
	if (l->len > l->cap || l->cap > MAX_SPANS)
		return reject(why, len, "mheap.allspans (+%u) is not a slice: len %llu, cap %llu", L->mheap_allspans,
			      (unsigned long long)l->len, (unsigned long long)l->cap);
	*score = 1;
	if (!l->len)
		return reject(why, len, "mheap.allspans (+%u) is empty (len 0, cap %llu)", L->mheap_allspans,
			      (unsigned long long)l->cap);
	*score = 2;
	if (!l->ptr || l->ptr & 7)
		return reject(why, len, "mheap.allspans (+%u) array pointer 0x%llx (len %llu) is not a pointer",
			      L->mheap_allspans, (unsigned long long)l->ptr, (unsigned long long)l->len);
	*score = 3;
	return true;
}

static bool read_span_list(struct memsrc *mem, const struct go_layout *L, uint64_t mheap, struct span_list *l)
{
	int score;

	return read_span_list_why(mem, L, mheap, l, NULL, 0, &score);
}

/* Reads spans ptrs[0..n) into out (in use only); returns how many were kept. */
static size_t read_spans(struct memsrc *mem, const struct go_layout *L, const uint64_t *ptrs, size_t n,
			 struct go_span *out, size_t *bad)
{
	struct memrange *r = calloc(n, sizeof(*r));
	uint8_t *buf = malloc(n * L->span_size);
	size_t i, kept = 0, nr = 0;

	if (!r || !buf) {
		free(r);
		free(buf);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!ptrs[i] || ptrs[i] & 7)
			continue;
		r[nr] = (struct memrange){ .addr = ptrs[i], .buf = buf + nr * L->span_size, .len = L->span_size };
		nr++;
	}
	mem->readv(mem, r, nr);
	for (i = 0; i < nr; i++) {
		if (!r[i].ok) {
			(*bad)++;
			continue;
		}
		if (parse_span(L, r[i].buf, &out[kept])) {
			out[kept].self = r[i].addr;
			kept++;
		}
	}
	free(r);
	free(buf);
	return kept;
}

#define MHEAP_CHECK_SPANS 16

bool go_heap_check_mheap(struct memsrc *mem, const struct go_layout *L, uint64_t addr, struct mheap_check *c)
{
	struct memrange r[MHEAP_CHECK_SPANS];
	uint8_t buf[MHEAP_CHECK_SPANS][512];
	uint64_t ptrs[MHEAP_CHECK_SPANS];
	struct go_span s;
	struct span_list l;
	size_t n, i;
	char why[96], first[160] = "";

	memset(c, 0, sizeof(*c));
	if (L->span_size > sizeof(buf[0]))
		return reject(c->why, sizeof(c->why), "mspan size %u is beyond what heaptrace reads", L->span_size);
	if (!read_span_list_why(mem, L, addr, &l, c->why, sizeof(c->why), &c->score))
		return false;
	n = l.len < MHEAP_CHECK_SPANS ? l.len : MHEAP_CHECK_SPANS;
	if (!mem_read(mem, l.ptr, ptrs, n * 8))
		return reject(c->why, sizeof(c->why), "mheap.allspans (+%u) array at 0x%llx (len %llu) cannot be read",
			      L->mheap_allspans, (unsigned long long)l.ptr, (unsigned long long)l.len);
	c->score = 4;
	for (i = 0; i < n; i++) {
		if (!ptrs[i] || ptrs[i] & 7)
			return reject(c->why, sizeof(c->why), "allspans[%zu] 0x%llx is not a pointer", i,
				      (unsigned long long)ptrs[i]);
		r[i] = (struct memrange){ .addr = ptrs[i], .buf = buf[i], .len = L->span_size };
	}
	mem->readv(mem, r, n);
	for (i = 0; i < n; i++)
		if (!r[i].ok)
			return reject(c->why, sizeof(c->why), "allspans[%zu], the mspan at 0x%llx, cannot be read", i,
				      (unsigned long long)ptrs[i]);
	c->score = 5;
	/* Spans not in use are normal there; one that is in use and
	 * plausible is enough. Otherwise say what the first in use failed. */
	for (i = 0; i < n; i++) {
		if (parse_span_why(L, buf[i], &s, why, sizeof(why)))
			return true;
		if (!first[0] && mem_field(buf[i], L->span_state, 1) == GO_SPAN_IN_USE)
			snprintf(first, sizeof(first), "allspans[%zu], the mspan at 0x%llx: %s", i,
				 (unsigned long long)ptrs[i], why);
	}
	if (first[0])
		return reject(c->why, sizeof(c->why), "%s", first);
	parse_span_why(L, buf[0], &s, why, sizeof(why));
	return reject(c->why, sizeof(c->why), "none of the first %zu spans is in use (allspans[0] at 0x%llx: %s)", n,
		      (unsigned long long)ptrs[0], why);
}

bool go_heap_is_mheap(struct memsrc *mem, const struct go_layout *L, uint64_t addr)
{
	struct mheap_check c;

	return go_heap_check_mheap(mem, L, addr, &c);
}

int go_heap_find_mheap(struct memsrc *mem, const struct go_layout *L, const uint64_t *addr, size_t n, uint64_t bias,
		       char *why, size_t len)
{
	struct mheap_check c, best = { .score = -1 };
	uint64_t best_addr = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (go_heap_check_mheap(mem, L, addr[i] + bias, &c))
			return (int)i;
		if (c.score > best.score) {
			best = c;
			best_addr = addr[i] + bias;
		}
	}
	if (!n)
		snprintf(why, len, "no candidate address");
	else
		snprintf(why, len, "the most plausible, 0x%llx: %s", (unsigned long long)best_addr, best.why);
	return -1;
}

static int cmp_span(const void *a, const void *b)
{
	const struct go_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Room for n more spans in h->spans; false at the bound or out of memory. */
static bool spans_room(struct go_heap *h, size_t *cap, size_t n)
{
	struct go_span *v;
	size_t nc;

	if (h->nspans + n <= *cap)
		return true;
	if (h->nspans + n > MAX_KEPT_SPANS)
		return false;
	for (nc = *cap ? *cap : SPAN_BATCH; nc < h->nspans + n; nc *= 2)
		;
	if (nc > MAX_KEPT_SPANS)
		nc = MAX_KEPT_SPANS;
	v = realloc(h->spans, nc * sizeof(*v));
	if (!v)
		return false;
	h->spans = v;
	*cap = nc;
	return true;
}

static int load_spans(struct go_heap *h, struct memsrc *mem, const struct go_layout *L, uint64_t mheap,
		      uint64_t deadline_ns)
{
	uint64_t ptrs[SPAN_BATCH];
	struct span_list l;
	size_t i, bad = 0, cap = 0;

	memset(h, 0, sizeof(*h));
	h->mem = mem;
	h->L = L;
	h->mheap = mheap;
	if (!read_span_list(mem, L, mheap, &l))
		return ht_fail("cannot read the span list of runtime.mheap_ at 0x%llx",
			       (unsigned long long)mheap);
	h->sweepgen_known = mem_read(mem, mheap + L->mheap_sweepgen, &h->sweepgen, 4);
	for (i = 0; i < l.len; i += SPAN_BATCH) {
		size_t n = l.len - i < SPAN_BATCH ? l.len - i : SPAN_BATCH;

		if (deadline_ns && monotonic_ns() > deadline_ns) {
			h->truncated = true;
			break;
		}
		if (!spans_room(h, &cap, n)) {
			h->truncated = h->over_limit = true;
			break;
		}
		if (!mem_read(mem, l.ptr + i * 8, ptrs, n * 8))
			return ht_fail("cannot read span pointers %zu-%zu of %llu at 0x%llx", i, i + n,
				       (unsigned long long)l.len, (unsigned long long)(l.ptr + i * 8));
		h->nspans += read_spans(mem, L, ptrs, n, h->spans + h->nspans, &bad);
	}
	if (h->nspans)
		qsort(h->spans, h->nspans, sizeof(*h->spans), cmp_span);
	/* Spans never overlap; if they do, this is not a heap we understand. */
	for (i = 0; i < h->nspans; i++) {
		if (i && h->spans[i].start < h->spans[i - 1].start + h->spans[i - 1].size)
			return ht_fail("spans overlap at 0x%llx: the runtime layout does not match this program",
				       (unsigned long long)h->spans[i].start);
		h->in_use_bytes += h->spans[i].size;
	}
	if (bad > l.len / 100 + 1)
		return ht_fail("%zu of %llu spans could not be read", bad, (unsigned long long)l.len);
	return 0;
}

int go_heap_load(struct go_heap *h, struct memsrc *mem, const struct go_layout *L, uint64_t mheap,
		 uint64_t deadline_ns)
{
	if (load_spans(h, mem, L, mheap, deadline_ns)) {
		go_heap_free(h);
		return -1;
	}
	return 0;
}

void go_heap_free(struct go_heap *h)
{
	free(h->spans);
	h->spans = NULL;
	h->nspans = 0;
}

const struct go_span *go_heap_span_of(const struct go_heap *h, uint64_t addr)
{
	size_t lo = 0, hi = h->nspans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct go_span *s = &h->spans[mid];

		if (addr < s->start)
			hi = mid;
		else if (addr - s->start >= s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

bool go_heap_object_at(const struct go_heap *h, uint64_t addr, struct go_object *o)
{
	const struct go_span *s = go_heap_span_of(h, addr);
	uint64_t off;

	if (!s)
		return false;
	off = addr - s->start;
	if (off / s->elemsize >= s->nelems)
		return false;
	if (off % s->elemsize == 0) {
		*o = (struct go_object){ .start = addr, .size = s->elemsize, .type = s->largetype,
					 .noscan = GO_SPANCLASS_NOSCAN(s->spanclass) };
		return true;
	}
	/* Go 1.22+: small objects with pointers over 512 bytes start with an
	 * 8-byte type header; the program's pointer is just past it. */
	if (off % s->elemsize == GO_MALLOC_HEADER && h->L->malloc_header_min != GO_ABSENT &&
	    GO_SPANCLASS_SIZECLASS(s->spanclass) && !GO_SPANCLASS_NOSCAN(s->spanclass) &&
	    s->elemsize > h->L->malloc_header_min) {
		*o = (struct go_object){ .start = addr, .size = s->elemsize - GO_MALLOC_HEADER, .header = true };
		return true;
	}
	return false;
}

uint64_t go_heap_object_type(const struct go_heap *h, const struct go_object *o)
{
	uint64_t t;

	if (o->type || !o->header)
		return o->type;
	return mem_word(h->mem, o->start - GO_MALLOC_HEADER, &t) && !(t & 7) ? t : 0;
}

bool go_span_allocated(const struct go_span *s, const uint8_t *allocbits, uint64_t i)
{
	if (!allocbits)
		return i < s->freeindex;
	/* Below freeindex every slot has been handed out since the last sweep;
	 * from freeindex on, allocBits says. */
	return i < s->freeindex || (allocbits[i / 8] >> (i % 8) & 1);
}

void go_objects_allocated(struct memsrc *mem, const struct go_layout *L, const uint64_t *span,
			  const uint64_t *addr, size_t n, int8_t *live)
{
	struct memrange *r = calloc(n ? n : 1, sizeof(*r));
	uint8_t *buf = calloc(n ? n : 1, L->span_size), *bits = calloc(n ? n : 1, 1);
	uint64_t *slot = calloc(n ? n : 1, sizeof(*slot));
	size_t i;

	for (i = 0; i < n; i++)
		live[i] = -1;
	if (!r || !buf || !bits || !slot)
		goto out;
	for (i = 0; i < n; i++)
		r[i] = (struct memrange){ .addr = span[i], .buf = buf + i * L->span_size,
					  .len = span[i] ? L->span_size : 0 };
	mem->readv(mem, r, n);
	for (i = 0; i < n; i++) {
		struct go_span s;
		uint64_t off;

		r[i].len = 0;
		if (!span[i] || !r[i].ok)
			continue;
		/* A span no longer in use, or re-used for other objects, no
		 * longer holds the object. */
		live[i] = 0;
		if (!parse_span(L, r[i].buf, &s) || addr[i] < s.start || addr[i] - s.start >= s.size)
			continue;
		off = addr[i] - s.start;
		slot[i] = off / s.elemsize;
		if (off % s.elemsize || slot[i] >= s.nelems)
			continue;
		live[i] = 1;
		if (slot[i] < s.freeindex || GO_SPANCLASS_SIZECLASS(s.spanclass) == 0)
			continue;
		live[i] = -1;
		r[i] = (struct memrange){ .addr = s.allocbits + slot[i] / 8, .buf = bits + i, .len = 1 };
	}
	mem->readv(mem, r, n);
	for (i = 0; i < n; i++)
		if (r[i].len && r[i].ok)
			live[i] = bits[i] >> (slot[i] % 8) & 1;
out:
	free(r);
	free(buf);
	free(bits);
	free(slot);
}

void go_span_live_plan(const struct go_heap *h, const struct go_span *s, struct span_live *lv)
{
	const struct go_layout *L = h->L;
	uint32_t g = h->sweepgen;

	memset(lv, 0, sizeof(*lv));
	lv->len = (s->nelems + 7) / 8;
	if (!h->sweepgen_known || s->sweepgen == g - 1 || !s->gcmarkbits ||
	    (s->sweepgen != g && s->sweepgen != g + 3 && s->sweepgen != g - 2 && s->sweepgen != g + 1)) {
		/* being swept (its bitmaps are being swapped), or not a
		 * generation of this cycle: live by either */
		lv->how = SPAN_LIVE_BOTH;
		lv->bits = s->gcmarkbits;
		lv->alloc = s->allocbits;
	} else if (s->sweepgen == g || s->sweepgen == g + 3) {
		lv->how = SPAN_LIVE_ALLOC;
		lv->bits = s->allocbits;
	} else {
		lv->how = SPAN_LIVE_MARKS;
		lv->bits = s->gcmarkbits;
	}
	if (!lv->bits)
		lv->how = SPAN_LIVE_ALLOC, lv->bits = s->allocbits;
	/* gcUsesSpanInlineMarkBits: 16-512-byte objects, one page */
	if (lv->how != SPAN_LIVE_ALLOC && L->inline_marks_size != GO_ABSENT && s->elemsize >= 16 &&
	    s->elemsize <= L->malloc_header_min && s->size == HT_GO_PAGE_SIZE && GO_SPANCLASS_SIZECLASS(s->spanclass))
		lv->inline_marks = s->start + HT_GO_PAGE_SIZE - L->inline_marks_size + L->inline_marks_off;
}

static bool bit(const uint8_t *b, uint64_t i)
{
	return b && (b[i / 8] >> (i % 8) & 1);
}

bool go_span_live(const struct go_span *s, const struct span_live *lv, const uint8_t *bits, const uint8_t *alloc,
		  const uint8_t *inline_marks, uint64_t i)
{
	/* inline marks: 63 bytes, the last one's top byte of its word is the class */
	bool marked = bit(bits, i) || (inline_marks && i < 63 * 8 && bit(inline_marks, i));

	if (i >= s->nelems)
		return false;
	switch (lv->how) {
	case SPAN_LIVE_ALLOC:
		return go_span_allocated(s, bits, i);
	case SPAN_LIVE_MARKS:
		return marked;
	default:
		return marked || (alloc && go_span_allocated(s, alloc, i));
	}
}

size_t go_span_bits_ranges(const struct go_heap *h, const struct go_span *s, struct span_bits *b, struct memrange *r)
{
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	go_span_live_plan(h, s, &b->lv);
	b->bits = calloc(1, b->lv.len ? b->lv.len : 1);
	b->alloc = b->lv.alloc ? calloc(1, b->lv.len ? b->lv.len : 1) : NULL;
	if (!b->bits || (b->lv.alloc && !b->alloc))
		return 0;
	r[n++] = (struct memrange){ .addr = b->lv.bits, .buf = b->bits, .len = b->lv.len };
	if (b->alloc)
		r[n++] = (struct memrange){ .addr = b->lv.alloc, .buf = b->alloc, .len = b->lv.len };
	if (b->lv.inline_marks)
		r[n++] = (struct memrange){ .addr = b->lv.inline_marks, .buf = b->inline_marks, .len = 63 };
	return n;
}

void go_span_bits_done(struct span_bits *b, const struct memrange *r, size_t n)
{
	size_t i;

	b->ok = n > 0;
	for (i = 0; i < n; i++)
		b->ok = b->ok && r[i].ok;
}

bool go_span_bits_live(const struct go_span *s, const struct span_bits *b, uint64_t i)
{
	return b->ok && go_span_live(s, &b->lv, b->bits, b->alloc, b->lv.inline_marks ? b->inline_marks : NULL, i);
}

void go_span_bits_free(struct span_bits *b)
{
	free(b->bits);
	free(b->alloc);
	b->bits = b->alloc = NULL;
}
