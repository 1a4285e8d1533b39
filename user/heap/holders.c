// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "heap/holders.h"
#include "heap/span_reader.h"
#include "util/log.h"
#include "util/monotonic.h"

#define ROOT_CHUNK (4u << 20)	  /* a global range is read this much at a time */
#define PAGE_SHIFT 13
#define MAX_BITMAP_BITS (1ull << 26) /* 8 MiB: the pages between the lowest and highest target */

/* What a pass looks for: the frontier's objects by address, and a bitmap of
 * the pages they are on, so that most words cost one test. */
struct target {
	uint64_t lo, hi;
	uint32_t node;
	bool exact; /* a map header: only a pointer to its first byte */
};

struct pass {
	struct holder_search *s;
	const struct go_heap *h;
	const struct map_table *tables;
	size_t ntables;
	struct target *t;
	size_t nt;
	uint64_t lo, hi;     /* of every target */
	uint8_t *pages;	     /* bit per page from lo; NULL: none (search every word) */
	uint64_t npages;
	uint32_t *index;     /* node by lo (open addressing, node + 1) */
	size_t index_cap;
	uint8_t depth;	     /* the frontier's */
	int err;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	return k ^ (k >> 33);
}

static int index_grow(struct pass *p)
{
	size_t nc = p->index_cap ? 2 * p->index_cap : 4096, i;
	uint32_t *ix = calloc(nc, sizeof(*ix));

	if (!ix)
		return ht_fail("out of memory for the holder index");
	free(p->index);
	p->index = ix;
	p->index_cap = nc;
	for (i = 0; i < p->s->n; i++) {
		size_t k = mix(p->s->nodes[i].lo) & (nc - 1);

		while (ix[k])
			k = (k + 1) & (nc - 1);
		ix[k] = (uint32_t)i + 1;
	}
	return 0;
}

static uint32_t node_of(const struct pass *p, uint64_t lo)
{
	size_t k;

	if (!p->index_cap)
		return HOLDER_NONE;
	for (k = mix(lo) & (p->index_cap - 1); p->index[k]; k = (k + 1) & (p->index_cap - 1))
		if (p->s->nodes[p->index[k] - 1].lo == lo)
			return p->index[k] - 1;
	return HOLDER_NONE;
}

/* A new node; HOLDER_NONE at the bound (said in over_limit) or out of memory. */
static uint32_t add_node(struct pass *p, uint64_t lo, uint64_t hi, uint64_t type, bool is_map, uint8_t depth)
{
	struct holder_search *s = p->s;
	size_t k;

	if (s->n >= HOLDER_MAX_NODES) {
		s->over_limit = true;
		return HOLDER_NONE;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 1024;
		struct holder_node *v = realloc(s->nodes, nc * sizeof(*v));

		if (!v)
			return HOLDER_NONE;
		s->nodes = v;
		s->cap = nc;
	}
	if (2 * (s->n + 1) > p->index_cap && index_grow(p))
		return HOLDER_NONE;
	s->nodes[s->n] = (struct holder_node){ .lo = lo, .hi = hi, .type = type, .is_map = is_map, .depth = depth };
	for (k = mix(lo) & (p->index_cap - 1); p->index[k]; k = (k + 1) & (p->index_cap - 1))
		;
	p->index[k] = (uint32_t)s->n + 1;
	return (uint32_t)s->n++;
}

/* Globals first, then goroutines, map values, other objects. */
static int rank(uint8_t kind)
{
	return kind;
}

static bool has_root(const struct holder_node *n)
{
	return n->nrefs && (n->refs[0].kind == REF_GLOBAL || n->refs[0].kind == REF_STACK);
}

/* A global is what a reader can act on: a goroutine's frame may hold a
 * pointer it no longer uses (the scan cannot tell a dead slot), so a node a
 * frame holds is searched on for a global. */
static bool has_global(const struct holder_node *n)
{
	return n->nrefs && n->refs[0].kind == REF_GLOBAL;
}

/* Keeps the HOLDER_REFS best references of node t, best first; false
 * when r is not kept. */
static bool keep_ref(struct holder_node *t, const struct holder_ref *r)
{
	size_t i, at;

	for (i = 0; i < t->nrefs; i++)
		if (t->refs[i].kind == r->kind &&
		    ((r->node != HOLDER_NONE && t->refs[i].node == r->node) ||
		     r->kind == REF_GLOBAL || r->kind == REF_STACK))
			return false; /* the same holder, another word of it; one global, one frame */
	for (at = 0; at < t->nrefs && rank(t->refs[at].kind) <= rank(r->kind); at++)
		;
	if (at == HOLDER_REFS)
		return false;
	if (t->nrefs < HOLDER_REFS)
		t->nrefs++;
	memmove(&t->refs[at + 1], &t->refs[at], (t->nrefs - 1 - at) * sizeof(*r));
	t->refs[at] = *r;
	return true;
}

static const struct target *find_target(const struct pass *p, uint64_t w)
{
	size_t lo = 0, hi = p->nt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w < p->t[mid].lo)
			hi = mid;
		else if (w >= p->t[mid].hi)
			lo = mid + 1;
		else
			return p->t[mid].exact && w != p->t[mid].lo ? NULL : &p->t[mid];
	}
	return NULL;
}

static const struct map_table *table_of(const struct pass *p, uint64_t obj)
{
	size_t lo = 0, hi = p->ntables;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (obj < p->tables[mid].lo)
			hi = mid;
		else if (obj >= p->tables[mid].hi)
			lo = mid + 1;
		else
			return &p->tables[mid];
	}
	return NULL;
}

/* Where the words being scanned are: a root, or a live heap object. */
struct source {
	uint32_t root;	       /* HOLDER_NONE for a heap object */
	uint64_t lo, hi, type; /* the heap object */
};

static void found(struct pass *p, const struct source *src, uint64_t at, const struct target *tg)
{
	struct holder_node *t = &p->s->nodes[tg->node];
	struct holder_ref r = { .node = HOLDER_NONE, .root = src->root, .at = at };
	const struct map_table *tab;
	uint32_t n;
	const struct holder_filter *f = p->s->filter;

	if (src->root != HOLDER_NONE) {
		r.kind = p->s->roots[src->root].kind == ROOT_GLOBAL ? REF_GLOBAL : REF_STACK;
		if (r.kind == REF_GLOBAL && f && f->skip_global && f->skip_global(f->ctx, at))
			return;
		keep_ref(t, &r);
		return;
	}
	if (has_global(t) || (src->lo == t->lo && !t->is_map))
		return; /* held by a global already; or a pointer into itself */
	if (src->type && f && f->skip_type && f->skip_type(f->ctx, src->type))
		return;
	if ((tab = table_of(p, src->lo))) {
		if (tab->header == t->lo)
			return;
		r.kind = REF_MAP_VALUE;
		r.tab_lo = tab->lo;
		r.tab_hi = tab->hi;
		n = node_of(p, tab->header);
		if (n == HOLDER_NONE && t->nrefs == HOLDER_REFS && rank(t->refs[HOLDER_REFS - 1].kind) <= REF_MAP_VALUE)
			return;
		if (n == HOLDER_NONE)
			n = add_node(p, tab->header, tab->header + 1, 0, true, (uint8_t)(p->depth + 1));
	} else {
		r.kind = REF_OBJECT;
		n = node_of(p, src->lo);
		if (n == HOLDER_NONE && t->nrefs == HOLDER_REFS)
			return;
		if (n == HOLDER_NONE)
			n = add_node(p, src->lo, src->hi, src->type, false, (uint8_t)(p->depth + 1));
	}
	if (n == HOLDER_NONE)
		return;
	r.node = n;
	keep_ref(&p->s->nodes[tg->node], &r); /* nodes may have moved */
}

/* The scan: every aligned word of [base, base + len) that points at a target. */
static void scan_words(struct pass *p, const struct source *src, uint64_t base, const uint8_t *mem, size_t len)
{
	size_t i;

	for (i = (8 - base % 8) % 8; i + 8 <= len; i += 8) {
		uint64_t w, pg;
		const struct target *tg;

		memcpy(&w, mem + i, 8);
		if (w < p->lo || w >= p->hi)
			continue;
		pg = (w - p->lo) >> PAGE_SHIFT;
		if (p->pages && !(p->pages[pg / 8] >> (pg % 8) & 1))
			continue;
		if ((tg = find_target(p, w)))
			found(p, src, base + i, tg);
	}
}

static bool scan_span(void *ctx, const struct go_span *s)
{
	return !GO_SPANCLASS_NOSCAN(s->spanclass);
}

/* The live objects of one piece of a span: each is scanned as itself (a
 * malloc header is not a field: the object starts after it). */
static int visit(void *ctx, const struct go_span *s, uint64_t off, const uint8_t *mem, size_t len,
		 const struct span_bits *live)
{
	struct pass *p = ctx;
	const struct go_layout *L = p->h->L;
	bool header = L->malloc_header_min != GO_ABSENT && GO_SPANCLASS_SIZECLASS(s->spanclass) &&
		      s->elemsize > L->malloc_header_min;
	uint64_t j, first = off / s->elemsize, last = (off + len - 1) / s->elemsize;

	for (j = first; j <= last && j < s->nelems; j++) {
		uint64_t olo = j * s->elemsize, ohi = olo + s->elemsize, a, b;
		struct source src = { .root = HOLDER_NONE, .lo = s->start + olo, .hi = s->start + ohi,
				      .type = s->largetype };

		if (!go_span_bits_live(s, live, j))
			continue;
		if (header) {
			src.lo += GO_MALLOC_HEADER;
			if (olo >= off && olo + 8 <= off + len)
				memcpy(&src.type, mem + (olo - off), 8);
			else
				src.type = 0;
			olo += GO_MALLOC_HEADER;
		}
		a = olo > off ? olo : off;
		b = ohi < off + len ? ohi : off + len;
		if (a < b)
			scan_words(p, &src, s->start + a, mem + (a - off), (size_t)(b - a));
	}
	return 0;
}

static void scan_roots(struct pass *p, uint64_t deadline_ns)
{
	uint8_t *buf = NULL;
	size_t r;

	for (r = 0; r < p->s->nroots; r++) {
		const struct root_range *rr = &p->s->roots[r];
		struct source src = { .root = (uint32_t)r };
		uint64_t a;

		if (rr->hi <= rr->lo)
			continue;
		if (rr->mem) {
			scan_words(p, &src, rr->lo, rr->mem, (size_t)(rr->hi - rr->lo));
			p->s->bytes += rr->hi - rr->lo;
			continue;
		}
		if (!buf && !(buf = malloc(ROOT_CHUNK)))
			return;
		for (a = rr->lo; a < rr->hi; a += ROOT_CHUNK) {
			size_t n = rr->hi - a < ROOT_CHUNK ? (size_t)(rr->hi - a) : ROOT_CHUNK;

			if (deadline_ns && monotonic_ns() > deadline_ns) {
				p->s->truncated = true;
				break;
			}
			if (!mem_read(p->h->mem, a, buf, n))
				continue;
			scan_words(p, &src, a, buf, n);
			p->s->bytes += n;
		}
	}
	free(buf);
}

static int cmp_target(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Each node's distance to a global, and to any root, through its
 * references (HOLDER_FAR: none known): relaxed until nothing changes, at
 * most as many rounds as there are passes. */
static void relax(struct holder_search *s, bool global)
{
	bool changed = true;
	size_t i, round;

	for (i = 0; i < s->n; i++) {
		struct holder_node *nd = &s->nodes[i];
		uint8_t d = (global ? has_global(nd) : has_root(nd)) ? 0 : HOLDER_FAR;

		if (global)
			nd->gdist = d;
		else
			nd->dist = d;
	}
	for (round = 0; changed && round <= HOLDER_MAX_DEPTH + 1; round++) {
		changed = false;
		for (i = 0; i < s->n; i++) {
			struct holder_node *nd = &s->nodes[i];
			uint8_t *d = global ? &nd->gdist : &nd->dist;
			unsigned k;

			for (k = 0; k < nd->nrefs; k++) {
				uint32_t m = nd->refs[k].node;
				uint8_t dm;

				if (m == HOLDER_NONE)
					continue;
				dm = global ? s->nodes[m].gdist : s->nodes[m].dist;
				if (dm != HOLDER_FAR && dm + 1 < *d) {
					*d = (uint8_t)(dm + 1);
					changed = true;
				}
			}
		}
	}
}

static void distances(struct holder_search *s)
{
	relax(s, true);
	relax(s, false);
}

/* Marks the nodes that maps without a root so far reach through their
 * references: only those are worth a pass. */
static void needed(struct holder_search *s, uint8_t *need)
{
	uint32_t *queue = malloc(s->n * sizeof(*queue));
	size_t i, head = 0, tail = 0;

	memset(need, 0, s->n);
	if (!queue)
		return;
	distances(s);
	for (i = 0; i < s->nmaps; i++)
		if (s->nodes[i].gdist == HOLDER_FAR && !need[i]) {
			need[i] = 1;
			queue[tail++] = (uint32_t)i;
		}
	while (head < tail) {
		const struct holder_node *nd = &s->nodes[queue[head++]];
		unsigned k;

		for (k = 0; k < nd->nrefs; k++) {
			uint32_t m = nd->refs[k].node;

			if (m != HOLDER_NONE && !need[m]) {
				need[m] = 1;
				queue[tail++] = m;
			}
		}
	}
	free(queue);
}

/* The frontier of pass `depth`: needed nodes of that depth without a root. */
static int build_targets(struct pass *p, const uint8_t *need)
{
	size_t i;
	uint64_t span;

	free(p->t);
	free(p->pages);
	p->t = NULL;
	p->pages = NULL;
	p->nt = 0;
	p->lo = UINT64_MAX;
	p->hi = 0;
	/* an empty range (a "map" at the last address: the caller's input
	 * is the target's) is never a target */
	for (i = 0; i < p->s->n; i++)
		p->nt += need[i] && p->s->nodes[i].depth == p->depth && !has_global(&p->s->nodes[i]) &&
			 p->s->nodes[i].hi > p->s->nodes[i].lo;
	if (!p->nt)
		return 0;
	p->t = malloc(p->nt * sizeof(*p->t));
	if (!p->t)
		return ht_fail("out of memory for %zu holder targets", p->nt);
	p->nt = 0;
	for (i = 0; i < p->s->n; i++) {
		const struct holder_node *n = &p->s->nodes[i];

		if (!need[i] || n->depth != p->depth || has_global(n) || n->hi <= n->lo)
			continue;
		p->t[p->nt++] = (struct target){ n->lo, n->hi, (uint32_t)i, n->is_map };
		p->lo = n->lo < p->lo ? n->lo : p->lo;
		p->hi = n->hi > p->hi ? n->hi : p->hi;
	}
	qsort(p->t, p->nt, sizeof(*p->t), cmp_target);
	span = ((p->hi - p->lo) >> PAGE_SHIFT) + 1;
	if (span <= MAX_BITMAP_BITS && (p->pages = calloc(1, (size_t)(span + 7) / 8))) {
		p->npages = span;
		for (i = 0; i < p->nt; i++) {
			uint64_t pg;

			for (pg = (p->t[i].lo - p->lo) >> PAGE_SHIFT; pg <= (p->t[i].hi - 1 - p->lo) >> PAGE_SHIFT; pg++)
				p->pages[pg / 8] |= (uint8_t)(1u << (pg % 8));
		}
	}
	return 0;
}

struct frame_ix {
	uint64_t lo;
	uint32_t root;
};

static int cmp_frame(const void *a, const void *b)
{
	const struct frame_ix *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A map whose header is in a goroutine's frame (one that does not escape)
 * is that frame's: its own word is the reference. */
static void in_frames(struct holder_search *s)
{
	struct frame_ix *frames = malloc((s->nroots ? s->nroots : 1) * sizeof(*frames));
	size_t i, n = 0;

	if (!frames)
		return;
	for (i = 0; i < s->nroots; i++)
		if (s->roots[i].kind == ROOT_STACK)
			frames[n++] = (struct frame_ix){ s->roots[i].lo, (uint32_t)i };
	qsort(frames, n, sizeof(*frames), cmp_frame);
	for (i = 0; i < s->nmaps && n; i++) {
		struct holder_node *nd = &s->nodes[i];
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (frames[mid].lo <= nd->lo)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && nd->lo < s->roots[frames[lo - 1].root].hi) {
			struct holder_ref ref = { .kind = REF_STACK, .node = HOLDER_NONE, .root = frames[lo - 1].root,
						  .at = nd->lo };

			keep_ref(nd, &ref);
		}
	}
	free(frames);
}

int holders_find(const struct go_heap *h, const uint64_t *maps, size_t nmaps, const struct root_range *roots,
		 size_t nroots, const struct map_table *tables, size_t ntables, unsigned max_depth,
		 const struct holder_filter *filter, uint64_t deadline_ns, struct holder_search *s)
{
	struct pass p = { .s = s, .h = h, .tables = tables, .ntables = ntables };
	uint64_t start = monotonic_ns();
	uint8_t *need = NULL;
	size_t i;
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->roots = roots;
	s->nroots = nroots;
	s->filter = filter;
	for (i = 0; i < nmaps; i++)
		if (add_node(&p, maps[i], maps[i] + 1, 0, true, 0) == HOLDER_NONE)
			break;
	s->nmaps = s->n;
	in_frames(s);
	if (max_depth > HOLDER_MAX_DEPTH)
		max_depth = HOLDER_MAX_DEPTH;
	for (p.depth = 0; p.depth < max_depth && !err; p.depth++) {
		struct span_visit v = { .want = scan_span, .visit = visit, .ctx = &p, .deadline_ns = deadline_ns };

		free(need);
		if (!(need = malloc(s->n ? s->n : 1))) {
			err = ht_fail("out of memory for %zu holder nodes", s->n);
			break;
		}
		needed(s, need);
		if ((err = build_targets(&p, need)) || !p.nt)
			break;
		if (deadline_ns && monotonic_ns() > deadline_ns) {
			s->truncated = true;
			break;
		}
		s->passes++;
		/* roots first: a node a root holds needs no heap referrer */
		scan_roots(&p, deadline_ns);
		err = go_heap_visit_spans(h, &v);
		s->bytes += v.bytes;
		if (v.truncated) {
			s->truncated = true;
			break;
		}
	}
	free(need);
	free(p.t);
	free(p.pages);
	free(p.index);
	distances(s);
	s->ns = monotonic_ns() - start;
	if (err)
		holders_free(s);
	return err;
}

void holders_free(struct holder_search *s)
{
	free(s->nodes);
	s->nodes = NULL;
	s->n = s->cap = 0;
}

size_t holders_path(const struct holder_search *s, size_t i, const struct holder_ref **out, size_t max)
{
	const struct holder_ref *chain[HOLDER_MAX_DEPTH + 2];
	size_t n = 0, k;
	uint32_t u = (uint32_t)i;
	/* a path to a global when there is one, else to a goroutine's frame */
	bool global;

	if (i >= s->nmaps || s->nodes[i].dist == HOLDER_FAR)
		return 0;
	global = s->nodes[i].gdist != HOLDER_FAR;
	while (n < sizeof(chain) / sizeof(chain[0])) {
		const struct holder_node *nd = &s->nodes[u];
		uint8_t d = global ? nd->gdist : nd->dist;
		const struct holder_ref *best = NULL;
		unsigned r;

		if (d == 0) {
			for (r = 0; r < nd->nrefs && !best; r++)
				if (nd->refs[r].kind == REF_GLOBAL || (!global && nd->refs[r].kind == REF_STACK))
					best = &nd->refs[r];
			if (!best)
				return 0;
			chain[n++] = best;
			break;
		}
		for (r = 0; r < nd->nrefs; r++) {
			uint32_t m = nd->refs[r].node;

			if (m != HOLDER_NONE && (global ? s->nodes[m].gdist : s->nodes[m].dist) + 1 == d) {
				best = &nd->refs[r];
				break;
			}
		}
		if (!best)
			return 0;
		chain[n++] = best;
		u = best->node;
	}
	if (!n || (chain[n - 1]->kind != REF_GLOBAL && chain[n - 1]->kind != REF_STACK) || n > max)
		return 0;
	for (k = 0; k < n; k++)
		out[k] = chain[n - 1 - k];
	return n;
}
