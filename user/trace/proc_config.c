// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "gotables/runtime_probes.h"
#include "plan/decode.h"
#include "trace/proc_config.h"

static void func_range(const struct target *t, const char *name, __u64 *lo, __u64 *hi)
{
	const struct go_func *f = go_funcs_find(&t->funcs, name), *pf;

	if (!f)
		return;
	/* .symtab sizes can be 0 for assembly: pclntab has the extent */
	pf = go_funcs_at(&t->funcs, f->entry);
	*lo = f->entry + t->load_bias;
	*hi = (f->end > f->entry ? f->end : pf ? pf->end : f->entry) + t->load_bias;
}

/*
 * Before Go 1.21 stopTheWorldWithSema is given no reason. The GC calls it
 * as systemstack(stopTheWorldWithSema), so it returns into systemstack's
 * call of its argument; every other stop comes through stopTheWorld's
 * closure. Those return addresses mark the GC's stops.
 */
static void gc_stop_sites(struct ht_proc_config *c, const struct target *t)
{
	const struct go_func *f = go_funcs_find(&t->funcs, "runtime.systemstack"), *pf;
	uint64_t ret[HT_STW_SITES], end;
	const uint8_t *code;
	size_t n, i;

	if (!f || !(pf = go_funcs_at(&t->funcs, f->entry)))
		return;
	end = f->end > f->entry ? f->end : pf->end;
	code = elf_vaddr_bytes(&t->elf, f->entry, end - f->entry);
	if (!code)
		return;
	n = decode_indirect_call_returns(t->elf.machine, code, end - f->entry, f->entry, ret, HT_STW_SITES);
	/* Which of the GC's stops it is, the GC cycle probe says: mark
	 * termination runs inside the last (gc.bpf.h). */
	for (i = 0; i < n; i++)
		c->gc_stop_sites[i] = ret[i] + t->load_bias;
}

void proc_config_init(struct ht_proc_config *c, const struct target *t, uint64_t map_grow_min_bytes)
{
	const struct go_layout *L = t->layout;
	int minor = t->bi.ver.minor;

	memset(c, 0, sizeof(*c));
	func_range(t, "runtime.madvise", &c->madvise_lo, &c->madvise_hi);
	c->reason_sweep_term = stw_reason_sweep_term(minor);
	c->reason_mark_term = stw_reason_mark_term(minor);
	if (!c->reason_sweep_term)
		gc_stop_sites(c, t);
	c->map_grow_min_bytes = map_grow_min_bytes;
	c->swiss = t->swiss;
	if (L) {
		c->map_count_off = t->swiss ? L->smap_used : L->hmap_count;
		c->hmap_b_off = t->swiss ? 0 : L->hmap_b;
		c->map_slot_size_off = L->maptype_slot_size;
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
