// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "gotables/runtime_probes.h"
#include "plan/decode.h"
#include "trace/proc_config.h"

/* runtime.madvise's code, ELF addresses (read once: program_facts.h) */
static void madvise_range(const struct target *t, uint64_t *lo, uint64_t *hi)
{
	struct program_facts *pf = t->facts;
	const struct go_func *f;
	struct go_func p;

	if (pf && !pf->madvise_done && !t->elf.trimmed) {
		pf->madvise_done = true;
		f = go_funcs_find(&t->funcs, "runtime.madvise");
		if (f) {
			/* .symtab sizes can be 0 for assembly: pclntab has the extent */
			pf->madvise_lo = f->entry;
			pf->madvise_hi = f->end > f->entry ? f->end :
					 go_funcs_at(&t->funcs, f->entry, &p, NULL) ? p.end : f->entry;
		}
	}
	*lo = pf ? pf->madvise_lo : 0;
	*hi = pf ? pf->madvise_hi : 0;
}

/*
 * Before Go 1.21 stopTheWorldWithSema is given no reason. The GC calls it
 * as systemstack(stopTheWorldWithSema), so it returns into systemstack's
 * call of its argument; every other stop comes through stopTheWorld's
 * closure. Those return addresses mark the GC's stops.
 */
static void find_stop_sites(const struct target *t, uint64_t ret[HT_STW_SITES])
{
	const struct go_func *f = go_funcs_find(&t->funcs, "runtime.systemstack");
	const uint8_t *code;
	struct go_func pf;
	uint64_t end;

	if (!f || !go_funcs_at(&t->funcs, f->entry, &pf, NULL))
		return;
	end = f->end > f->entry ? f->end : pf.end;
	code = elf_vaddr_bytes(&t->elf, f->entry, end - f->entry);
	if (code)
		decode_indirect_call_returns(t->elf.machine, code, end - f->entry, f->entry, ret, HT_STW_SITES);
}

static void gc_stop_sites(struct ht_proc_config *c, const struct target *t)
{
	struct program_facts *pf = t->facts;
	size_t i;

	if (!pf)
		return;
	if (!pf->stop_sites_done && !t->elf.trimmed) {
		pf->stop_sites_done = true;
		find_stop_sites(t, pf->stop_sites);
	}
	/* Which of the GC's stops it is, the GC cycle probe says: mark
	 * termination runs inside the last (gc.bpf.h). */
	for (i = 0; i < HT_STW_SITES; i++)
		c->gc_stop_sites[i] = pf->stop_sites[i] ? pf->stop_sites[i] + t->load_bias : 0;
}

void proc_config_init(struct ht_proc_config *c, const struct target *t, uint64_t map_grow_min_bytes)
{
	const struct go_layout *L = t->layout;
	int minor = t->bi.ver.minor;

	uint64_t lo, hi;

	memset(c, 0, sizeof(*c));
	madvise_range(t, &lo, &hi);
	if (lo) {
		c->madvise_lo = lo + t->load_bias;
		c->madvise_hi = hi + t->load_bias;
	}
	c->reason_sweep_term = stw_reason_sweep_term(minor);
	c->reason_mark_term = stw_reason_mark_term(minor);
	if (!c->reason_sweep_term)
		gc_stop_sites(c, t);
	c->map_grow_min_bytes = map_grow_min_bytes;
	c->swiss = t->swiss;
	if (L) {
		c->map_count_off = t->swiss ? L->smap_used : L->hmap_count;
		c->map_seed_off = t->swiss ? L->smap_seed : L->hmap_hash0;
		c->hmap_b_off = t->swiss ? 0 : L->hmap_b;
		c->map_slot_size_off = L->maptype_slot_size;
	}
}

void proc_config_prepare(const struct target *t)
{
	struct ht_proc_config c;

	proc_config_init(&c, t, 0);
	if (t->facts && !t->facts->stop_sites_done && !t->elf.trimmed) {
		/* from Go 1.21 the reason says it; earlier ones need the sites */
		t->facts->stop_sites_done = true;
		find_stop_sites(t, t->facts->stop_sites);
	}
}

void proc_config_set_memstats(struct ht_proc_config *c, const struct target *t, uint64_t memstats)
{
	const struct go_layout *L = t->layout;

	/* From 1.22 startTheWorldWithSema is given the end (its `now`). */
	if (!L || !memstats || t->bi.ver.minor >= 22)
		return;
	c->numgc_addr = memstats + L->mstats_numgc;
	c->pause_ring_addr = memstats + L->mstats_pause_ns;
	c->last_gc_nanotime_addr = memstats + L->mstats_last_gc_nanotime;
}
