// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exe_cache.h"
#include "heap/gotypes.h"
#include "heap/holder_roots.h"
#include "heap/runtime_globals.h"
#include "target/goinline.h"
#include "trace/proc_config.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/monotonic.h"

/* How much of a file's head and tail its content key hashes. */
#define KEY_SPAN (64u * 1024u)

void exe_cache_init(struct exe_cache *c, enum ht_tier max_tier)
{
	memset(c, 0, sizeof(*c));
	c->max_tier = max_tier;
}

static bool read_fully(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static uint64_t hash_range(int fd, uint64_t off, size_t len)
{
	static uint8_t buf[KEY_SPAN];

	return read_fully(fd, buf, len, off) ? hash_bytes(off, buf, len) : 0;
}

/* The Go build id: the note's descriptor (.note.go.buildid). */
static void go_build_id(const struct elf_image *img, char *out, size_t len)
{
	struct elf_section sec;
	Elf64_Nhdr nh;

	out[0] = '\0';
	if (!elf_find_section(img, ".note.go.buildid", &sec) || !sec.data || sec.size < sizeof(nh) + 4)
		return;
	memcpy(&nh, sec.data, sizeof(nh));
	if (nh.n_namesz != 3 || nh.n_descsz >= len || sizeof(nh) + 4 + nh.n_descsz > sec.size)
		return;
	memcpy(out, sec.data + sizeof(nh) + 4, nh.n_descsz);
	out[nh.n_descsz] = '\0';
}

/* What the file's content is, read through fd (the process's own). */
static void content_key(int fd, const struct file_identity *id, struct exe_key *k)
{
	size_t span = (uint64_t)id->size < KEY_SPAN ? (size_t)id->size : KEY_SPAN;
	struct elf_image img;
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	memset(k, 0, sizeof(*k));
	k->size = id->size;
	k->head = hash_range(fd, 0, span);
	k->tail = hash_range(fd, (uint64_t)id->size - span, span);
	if (dup >= 0 && elf_image_open_fd(&img, dup, "the executable") == 0) {
		go_build_id(&img, k->build_id, sizeof(k->build_id));
		elf_image_close(&img);
	}
}

static bool same_key(const struct exe_key *a, const struct exe_key *b)
{
	return a->size == b->size && a->head == b->head && a->tail == b->tail && !strcmp(a->build_id, b->build_id);
}

bool exe_code_hash(const struct target *t, const struct probe_plan *plan, int fd, uint64_t *out)
{
	uint64_t h = 0, off;
	uint8_t *buf;
	int i;

	for (i = 0; i < plan->n; i++) {
		const struct go_func *f = &plan->probes[i].func;
		uint64_t len = f->end - f->entry;

		/* a function of a few KiB at most; refuse what is not */
		if (f->end <= f->entry || len > (1u << 20) || elf_vaddr_to_offset(&t->elf, f->entry, &off))
			return false;
		buf = malloc(len);
		if (!buf || !read_fully(fd, buf, len, off)) {
			free(buf);
			return false;
		}
		h = hash_bytes(h ^ off, buf, len);
		free(buf);
	}
	*out = h;
	return true;
}

/* Reads now what the stages after the analysis will ask of the file
 * (program_facts.h), since its bytes are freed next. */
static void read_facts(struct target *t)
{
	runtime_globals_prepare(t);
	proc_config_prepare(t);
	if (t->layout)
		go_types_base(t, t->layout);
	go_inline_prepare(t);
	target_build_id(t);
	target_map_types(t);
	target_data_symbols(t);
	holders_prepare(t); /* heap/holder_roots.c: sections, DWARF, the globals' users */
}

static size_t entry_bytes(const struct exe_entry *e)
{
	const struct go_map_types *mt = e->prog.facts ? &e->prog.facts->maptypes : NULL;
	size_t b = sizeof(*e) + (e->prog.facts ? sizeof(*e->prog.facts) : 0), i;

	for (i = 0; mt && i < mt->n; i++)
		b += sizeof(mt->v[i]) + strlen(mt->v[i].name) + 1;
	if (e->prog.facts) {
		const struct program_facts *f = e->prog.facts;

		b += f->users.n * sizeof(*f->users.v) + f->dwarf.ntypes * sizeof(*f->dwarf.types) +
		     f->dwarf.nfields * sizeof(*f->dwarf.fields) + f->dwarf.nglobals * sizeof(*f->dwarf.globals) +
		     f->dwarf.names_len;
	}
	return b + bytesrc_pool_bytes(&e->prog.funcs.tab.src) + e->nlinks * sizeof(struct exe_link);
}

/* Reads and plans the program of t into e; false (e->why says why) when
 * heaptrace will not trace it, and then e keeps nothing. */
static bool analyze(struct exe_cache *c, struct exe_entry *e, const struct target *t)
{
	e->prog = *t;
	e->prog.exe_open = false; /* the process's descriptor stays the process's */
	e->prog.facts = NULL;
	c->analyses++;
	if (target_read_program(&e->prog)) {
		snprintf(e->why, sizeof(e->why), "%s", ht_last_error());
		goto refused;
	}
	/* From now on the entry reads (and probes) its own copy of the
	 * descriptor, which outlives the process. */
	e->prog.exe_fd = e->prog.elf.fd;
	snprintf(e->prog.open_path, sizeof(e->prog.open_path), "/proc/self/fd/%d", e->prog.exe_fd);
	if (!e->prog.host_arch) {
		snprintf(e->why, sizeof(e->why), "pid %d runs %s code, not this host's", t->pid,
			 elf_machine_name(e->prog.elf.machine));
		goto refused;
	}
	if (plan_probes(&e->prog, c->max_tier, &e->plan)) {
		snprintf(e->why, sizeof(e->why), "%s", ht_last_error());
		goto refused;
	}
	if (!exe_code_hash(&e->prog, &e->plan, e->prog.exe_fd, &e->code_hash)) {
		snprintf(e->why, sizeof(e->why), "pid %d (%.400s): its probed code cannot be read back from the file",
			 t->pid, t->exe);
		goto refused;
	}
	read_facts(&e->prog);
	target_trim(&e->prog);
	e->usable = true;
	e->bytes = entry_bytes(e);
	return true;
refused:
	target_close(&e->prog);
	memset(&e->prog, 0, sizeof(e->prog));
	e->prog.exe_fd = -1;
	return false;
}

static struct exe_alias *alias_of(struct exe_cache *c, const struct file_identity *id)
{
	size_t i;

	for (i = 0; i < c->nalias; i++)
		if (file_identity_same(&c->alias[i].id, id))
			return &c->alias[i];
	return NULL;
}

static void add_alias(struct exe_cache *c, const struct file_identity *id, struct exe_entry *e,
		      struct exe_refusal *r, uint64_t now)
{
	struct exe_alias *a;
	size_t i, oldest = 0;

	if (c->nalias == c->cap_alias && c->cap_alias < EXE_MAX_ALIASES) {
		size_t nc = c->cap_alias ? 2 * c->cap_alias : 64;

		a = realloc(c->alias, nc * sizeof(*a));
		if (a) {
			c->alias = a;
			c->cap_alias = nc;
		}
	}
	if (c->nalias < c->cap_alias) {
		c->alias[c->nalias++] = (struct exe_alias){ *id, e, r, now };
		return;
	}
	if (!c->nalias)
		return;
	for (i = 1; i < c->nalias; i++) /* full: the least recently used goes */
		if (c->alias[i].last_used < c->alias[oldest].last_used)
			oldest = i;
	c->alias[oldest] = (struct exe_alias){ *id, e, r, now };
}

static void forget_aliases(struct exe_cache *c, const void *of)
{
	size_t i;

	for (i = 0; i < c->nalias;)
		if (c->alias[i].e == of || c->alias[i].r == of)
			c->alias[i] = c->alias[--c->nalias];
		else
			i++;
}

static void entry_free(struct exe_cache *c, struct exe_entry *e)
{
	forget_aliases(c, e);
	if (e->in_tracer && c->tr)
		tracer_remove_plan(c->tr, &e->pp);
	while (e->nlinks) /* none while a process uses the entry */
		exe_link_put(e, e->links[0], 0);
	free(e->links);
	target_close(&e->prog);
	free(e);
}

static void refusal_free(struct exe_cache *c, struct exe_refusal *r)
{
	forget_aliases(c, r);
	free(r->why);
	free(r);
}

/* What exe_cache_get returns for a program heaptrace will not trace. */
static struct exe_entry *refusal_entry(struct exe_cache *c, const struct exe_refusal *r)
{
	memset(&c->refusal, 0, sizeof(c->refusal));
	c->refusal.prog.exe_fd = -1;
	c->refusal.key = r->key;
	snprintf(c->refusal.why, sizeof(c->refusal.why), "%s", r->why);
	return &c->refusal;
}

/* A usable entry of the same content whose probed code this file has too. */
static struct exe_entry *by_content(struct exe_cache *c, const struct target *t, const struct exe_key *k)
{
	uint64_t h;
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct exe_entry *e = c->v[i];

		if (!same_key(&e->key, k))
			continue;
		if (exe_code_hash(&e->prog, &e->plan, t->exe_fd, &h) && h == e->code_hash) {
			c->shared_by_content++;
			return e;
		}
		c->code_mismatches++;
		ht_debug("pid %d (%s): same build id, size and ends as %s, other code: analysed apart", t->pid, t->exe,
			 e->prog.exe);
	}
	return NULL;
}

/* A refusal of the same content. Shared only by files that do not claim to
 * be Go (no build id): a copy of someone's Go program, broken in the middle,
 * must not get theirs refused. */
static struct exe_refusal *refused_by_content(struct exe_cache *c, const struct exe_key *k)
{
	size_t i;

	for (i = 0; !k->build_id[0] && i < c->nrefused; i++)
		if (same_key(&c->refused[i]->key, k))
			return c->refused[i];
	return NULL;
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*v, nc * elem);
	if (!p)
		return false;
	*v = p;
	*cap = nc;
	return true;
}

static struct exe_refusal *add_refusal(struct exe_cache *c, const struct exe_key *k, const char *why, uint64_t now)
{
	struct exe_refusal *r;

	if (!grow((void **)&c->refused, &c->cap_refused, c->nrefused, sizeof(*c->refused)))
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->why = strdup(why))) {
		free(r);
		return NULL;
	}
	r->key = *k;
	r->last_used = now;
	c->refused[c->nrefused++] = r;
	return r;
}

struct exe_entry *exe_cache_get(struct exe_cache *c, const struct target *t)
{
	uint64_t now = monotonic_ns();
	struct exe_alias *a = alias_of(c, &t->id);
	struct exe_refusal *r;
	struct exe_entry *e;
	struct exe_key k;

	if (a) {
		a->last_used = now;
		if (a->r) {
			a->r->last_used = now;
			return refusal_entry(c, a->r);
		}
		a->e->last_used = now;
		return a->e;
	}
	content_key(t->exe_fd, &t->id, &k);
	if ((r = refused_by_content(c, &k))) {
		r->last_used = now;
		add_alias(c, &t->id, NULL, r, now);
		return refusal_entry(c, r);
	}
	e = by_content(c, t, &k);
	if (!e) {
		if (!grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v)) || !(e = calloc(1, sizeof(*e))))
			return NULL;
		e->key = k;
		if (!analyze(c, e, t)) {
			r = add_refusal(c, &k, e->why, now);
			free(e);
			if (!r)
				return NULL;
			add_alias(c, &t->id, NULL, r, now);
			exe_cache_expire(c, now);
			return refusal_entry(c, r);
		}
		c->v[c->n++] = e;
	}
	e->last_used = now;
	add_alias(c, &t->id, e, NULL, now);
	exe_cache_expire(c, now);
	return e;
}

int exe_entry_add_to_tracer(struct exe_entry *e, struct tracer *tr)
{
	if (e->in_tracer)
		return 0;
	if (tracer_add_plan(tr, &e->prog, &e->plan, &e->pp))
		return -1;
	e->in_tracer = true;
	return 0;
}

size_t exe_cache_bytes(const struct exe_cache *c)
{
	size_t b = c->cap * sizeof(*c->v) + c->cap_alias * sizeof(*c->alias) + c->cap_refused * sizeof(*c->refused), i;

	for (i = 0; i < c->n; i++)
		b += c->v[i]->bytes;
	for (i = 0; i < c->nrefused; i++)
		b += sizeof(*c->refused[i]) + strlen(c->refused[i]->why) + 1;
	return b;
}

/* The idle entry used least recently, or -1. */
static ssize_t lru_idle(const struct exe_cache *c)
{
	ssize_t best = -1;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!c->v[i]->users && (best < 0 || c->v[i]->last_used < c->v[best]->last_used))
			best = (ssize_t)i;
	return best;
}

static ssize_t lru_refusal(const struct exe_cache *c)
{
	ssize_t best = -1;
	size_t i;

	for (i = 0; i < c->nrefused; i++)
		if (best < 0 || c->refused[i]->last_used < c->refused[best]->last_used)
			best = (ssize_t)i;
	return best;
}

static void evict(struct exe_cache *c, size_t i)
{
	ht_debug("executable cache: forgetting %s", c->v[i]->prog.exe);
	entry_free(c, c->v[i]);
	c->v[i] = c->v[--c->n];
	c->evicted++;
}

static void evict_refusal(struct exe_cache *c, size_t i)
{
	refusal_free(c, c->refused[i]);
	c->refused[i] = c->refused[--c->nrefused];
	c->evicted++;
}

void exe_cache_expire(struct exe_cache *c, uint64_t now)
{
	ssize_t k;
	size_t i;

	for (i = 0; i < c->n;)
		if (!c->v[i]->users && now - c->v[i]->last_used > EXE_IDLE_NS)
			evict(c, i);
		else
			i++;
	for (i = 0; i < c->nrefused;)
		if (now - c->refused[i]->last_used > EXE_IDLE_NS)
			evict_refusal(c, i);
		else
			i++;
	while (c->n > EXE_MAX_ENTRIES && (k = lru_idle(c)) >= 0)
		evict(c, (size_t)k);
	while (c->nrefused > EXE_MAX_REFUSED && (k = lru_refusal(c)) >= 0)
		evict_refusal(c, (size_t)k);
	while (exe_cache_bytes(c) > EXE_MAX_BYTES && (k = lru_idle(c)) >= 0)
		evict(c, (size_t)k);
}

void exe_cache_free(struct exe_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		entry_free(c, c->v[i]);
	for (i = 0; i < c->nrefused; i++)
		refusal_free(c, c->refused[i]);
	free(c->v);
	free(c->refused);
	free(c->alias);
	memset(c, 0, sizeof(*c));
}
