/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Go map growth (warm tier) and assignment (hot tier). A growth record
 * carries the stack that grew the map, at its first growth; it is taken
 * only for tables that reach the size user space follows, so that the many
 * small maps a server creates per request cost a counter and no record.
 */
#ifndef HT_MAPS_BPF_H
#define HT_MAPS_BPF_H

/* Maps whose growth stack was taken: a map grows a dozen times on its way
 * to a large table (a Swiss map splits its tables one by one), and the
 * stack that grew it the first time names its site. The seed tells a map
 * from the next one at the same address. */
struct grown_key {
	__u32 tgid;
	__u32 pad;
	__u64 map, seed;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct grown_key);
	__type(value, __u8);
} grown_maps SEC(".maps");

/* First growth of this map seen (its stack is to be taken)? */
static __always_inline bool first_growth(const struct hit *h, const struct ht_proc_config *c, __u64 map)
{
	struct grown_key k = { .tgid = h->tgid, .map = map };
	__u8 one = 1;

	if (c->swiss)
		bpf_probe_read_user(&k.seed, 8, (void *)(map + c->map_seed_off));
	else
		bpf_probe_read_user(&k.seed, 4, (void *)(map + c->map_seed_off));
	if (bpf_map_lookup_elem(&grown_maps, &k))
		return false;
	bpf_map_update_elem(&grown_maps, &k, &one, BPF_ANY);
	return true;
}

/* Table bytes after the growth, or 0 when the probe cannot tell (a Swiss
 * table split, which only happens to full-size tables). a1 = the map type;
 * a2 = the new capacity in slots where the function takes one. */
static __always_inline __u64 grown_table_bytes(const struct hit *h, const struct ht_proc_config *c, __u64 map,
					       __u64 type)
{
	__u64 slot_size = 0;
	__u8 b = 0;

	if (c->swiss) {
		if (!has_arg(h, 2))
			return 0;
		bpf_probe_read_user(&slot_size, sizeof(slot_size), (void *)(type + c->map_slot_size_off));
		/* GroupSize holds 8 slots */
		return (go_arg(h, 2) & 0xffff) / 8 * slot_size;
	}
	/* hashGrow doubles the buckets (or keeps their number, for a map with
	 * too many overflow buckets): at most 2^(B+1) buckets */
	bpf_probe_read_user(&slot_size, 2, (void *)(type + c->map_slot_size_off));
	bpf_probe_read_user(&b, 1, (void *)(map + c->hmap_b_off));
	if (b > 48)
		return 0;
	return (1ull << (b + 1)) * (slot_size & 0xffff);
}

/* At a function's stack-check branch its frame is not set up yet: a
 * frame-pointer walk goes from the probed pc to its caller's caller, and
 * the caller itself (its return address is at SP, or in LR) is missing.
 * Puts it back as frame 1; returns the frames now filled. */
static __always_inline long with_caller(const struct hit *h, __u64 *stack, long n)
{
	__u64 ra = caller_pc(h->ctx);
	int i;

	if (n < 1 || !ra || (n > 1 && stack[1] == ra))
		return n;
#pragma unroll
	for (i = HT_STACK_DEPTH - 1; i > 1; i--)
		stack[i] = stack[i - 1];
	stack[1] = ra;
	return n < HT_STACK_DEPTH ? n + 1 : HT_STACK_DEPTH;
}

static __always_inline void on_map_grow(struct hit *h)
{
	const struct ht_proc_config *c = h->cfg;
	__u64 map = go_arg(h, 0), type = go_arg(h, 1), bytes;
	struct ht_map_grow_record *m;
	long n;

	bytes = grown_table_bytes(h, c, map, type);
	if (bytes && bytes < c->map_grow_min_bytes) {
		__sync_fetch_and_add(&h->f->map_grows_small, 1);
		return;
	}
	__sync_fetch_and_add(&h->f->map_grows, 1);
	m = reserve(h->f, sizeof(*m), HT_REC_MAP_GROW, h->tgid);
	if (!m)
		return;
	m->entries = 0;
	bpf_probe_read_user(&m->entries, sizeof(m->entries), (void *)(map + c->map_count_off));
	/* the stack walk is most of a record's cost: once a map */
	n = first_growth(h, c, map) ? bpf_get_stack(h->ctx, m->stack, sizeof(m->stack), BPF_F_USER_STACK) : 0;
	if (n > 0)
		n = with_caller(h, m->stack, n / sizeof(m->stack[0])) * sizeof(m->stack[0]);
	m->map = map;
	m->type = type;
	m->capacity = has_arg(h, 2) ? go_arg(h, 2) & 0xffff : 0;
	m->nframes = n > 0 ? (__u32)(n / sizeof(m->stack[0])) : 0;
	m->pad = 0;
	submit(m);
}

static __always_inline void on_map_assign(struct hit *h)
{
	struct ht_map_assign_record *r;

	__sync_fetch_and_add(&h->f->map_assigns, 1);
	r = reserve(h->f, sizeof(*r), HT_REC_MAP_ASSIGN, h->tgid);
	if (!r)
		return;
	r->map = go_arg(h, 0);
	submit(r);
}
#endif
