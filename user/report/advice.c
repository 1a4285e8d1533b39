// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "gotables/runtime_godebug.h"
#include "report/advice.h"
#include "report/hist_print.h"

#define MIB (1ull << 20)
#define FMT(v) fmt_bytes((char[32]){ 0 }, 32, (v))

static uint64_t headroom(uint64_t limit)
{
	return limit / 100 * ADVICE_HEADROOM_PCT;
}

uint64_t advice_limit_for_cgroup(uint64_t cgroup_limit, uint64_t not_governed)
{
	uint64_t keep = headroom(cgroup_limit) + not_governed;

	/* whole MiB, as one writes GOMEMLIMIT=NMiB */
	return cgroup_limit > keep ? (cgroup_limit - keep) / MIB * MIB : 0;
}

static struct advice *next(struct advice *out, size_t *n, size_t max, const char *kind, uint64_t value)
{
	struct advice *a;

	if (*n >= max)
		return NULL;
	a = &out[(*n)++];
	a->kind = kind;
	a->value = value;
	a->text[0] = '\0';
	return a;
}

/* "... (the cgroup limit 512.0 MiB, less 10% headroom 51.2 MiB, less 51.0
 * MiB resident that GOMEMLIMIT does not govern: 48.1 MiB not Go's, 2.9 MiB
 * the program file)" */
static void derivation(char *buf, size_t len, const struct advice_in *in)
{
	if (in->have_memory)
		snprintf(buf, len,
			 "the cgroup limit %s, less %d%% headroom %s, less %s resident that GOMEMLIMIT does not govern: %s not Go's (cgo, C libraries, other mappings), %s the program file",
			 FMT(in->cgroup_limit), ADVICE_HEADROOM_PCT, FMT(headroom(in->cgroup_limit)),
			 FMT(in->mem.not_go_bytes + in->mem.exe_bytes), FMT(in->mem.not_go_bytes),
			 FMT(in->mem.exe_bytes));
	else
		snprintf(buf, len,
			 "the cgroup limit %s, less %d%% headroom %s; RSS could not be split, so memory that is not Go's is not set aside: lower it by what cgo and C libraries hold",
			 FMT(in->cgroup_limit), ADVICE_HEADROOM_PCT, FMT(headroom(in->cgroup_limit)));
}

static void gomemlimit(const struct advice_in *in, struct advice *out, size_t *n, size_t max)
{
	bool limited = in->gomemlimit != INT64_MAX, cg = in->have_cgroup && in->cgroup_limit;
	uint64_t not_governed = in->have_memory ? in->mem.not_go_bytes + in->mem.exe_bytes : 0;
	uint64_t room = cg ? advice_limit_for_cgroup(in->cgroup_limit, not_governed) : 0;
	uint64_t need = in->heap_marked + in->non_heap, limit = (uint64_t)in->gomemlimit;
	char how[512];
	struct advice *a;

	if (!in->have_settings)
		return;
	if (cg)
		derivation(how, sizeof(how), in);
	if (cg && !limited) {
		if (!(a = next(out, n, max, "gomemlimit", room)))
			return;
		if (room)
			snprintf(a->text, sizeof(a->text),
				 "runs under a cgroup memory limit with no GOMEMLIMIT: the GC does not see the limit coming and the kernel OOM-kills the process first. Set GOMEMLIMIT=%lluMiB (%s).",
				 (unsigned long long)(room / MIB), how);
		else
			snprintf(a->text, sizeof(a->text),
				 "runs under a cgroup memory limit with no GOMEMLIMIT, and the limit leaves Go nothing (%s): raise the cgroup limit, then set GOMEMLIMIT.",
				 how);
		return;
	}
	if (cg && limited && limit + not_governed > in->cgroup_limit) {
		if (!(a = next(out, n, max, "gomemlimit", room)))
			return;
		snprintf(a->text, sizeof(a->text),
			 "GOMEMLIMIT %s%s is above what the cgroup limit %s leaves the Go runtime: the kernel OOM-kills the process before the GC holds it back. Set GOMEMLIMIT=%lluMiB (%s).",
			 FMT(limit), limit > in->cgroup_limit ? ", above the limit itself," : "", FMT(in->cgroup_limit),
			 (unsigned long long)(room / MIB), how);
		return;
	}
	/* Below what the live heap needs: the runtime's goal falls to the
	 * live heap and it collects back to back (the CPU limiter caps the
	 * GC at half the CPU). Suggest what GOGC would let it use. */
	if (limited && need && limit < need + need / 10) {
		uint64_t pct = in->gogc >= 0 ? (uint64_t)in->gogc : 100;
		uint64_t want = ((in->heap_marked + in->heap_marked / 100 * pct + in->non_heap) + MIB - 1) / MIB * MIB;

		if (cg && room && want > room)
			want = room;
		if (!(a = next(out, n, max, "gomemlimit", want)))
			return;
		snprintf(a->text, sizeof(a->text),
			 "GOMEMLIMIT %s is below what the live heap needs: %s live after the last collection and %s of the runtime's other memory. The GC runs back to back and takes up to half the CPU (golang/go#58106). Set GOMEMLIMIT=%lluMiB (the live heap grown by GOGC %llu%%, and the other memory)%s.",
			 FMT(limit), FMT(in->heap_marked), FMT(in->non_heap), (unsigned long long)(want / MIB),
			 (unsigned long long)pct,
			 cg && want == room ? ", no more than the cgroup limit leaves: the process needs a larger cgroup limit" : "");
	}
}

static void released_resident(const struct advice_in *in, struct advice *out, size_t *n, size_t max)
{
	const struct rt_memory *m = &in->mem;
	struct advice *a;

	if (!in->have_memory)
		return;
	if (m->released_lazyfree >= ADVICE_MIN_BYTES && (a = next(out, n, max, "madvdontneed", m->released_lazyfree)))
		snprintf(a->text, sizeof(a->text),
			 "%s the runtime released with MADV_FREE are still resident (LazyFree): the kernel takes them back only under memory pressure, and until then RSS and the cgroup's usage count them. GODEBUG=madvdontneed=1 releases with MADV_DONTNEED, which RSS shows at once%s.",
			 FMT(m->released_lazyfree),
			 go_has_godebug(&in->ver, "madvdontneed") ? "" : " (this Go version does not read it: upgrade)");
	if (m->released_huge >= ADVICE_MIN_BYTES && (a = next(out, n, max, "thp", m->released_huge))) {
		bool has = go_has_godebug(&in->ver, "disablethp");
		char kernel[160] = "";

		if (in->thp_max_ptes_none > 0)
			snprintf(kernel, sizeof(kernel), " (max_ptes_none is %d here)", in->thp_max_ptes_none);
		snprintf(a->text, sizeof(a->text),
			 "%s of pages the runtime released are resident again, in transparent huge pages: khugepaged collapses ranges with released holes back into huge pages%s. %s or have khugepaged fill no holes: echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none%s.",
			 FMT(m->released_huge), kernel,
			 has ? "Set GODEBUG=disablethp=1 (no huge pages for the heap)," : "Upgrade to Go 1.21.6 or later for GODEBUG=disablethp=1,",
			 in->thp_enabled && !strcmp(in->thp_enabled, "always") ? " (or transparent_hugepage/enabled to madvise)" : "");
	}
}

size_t advice_compute(const struct advice_in *in, struct advice *out, size_t max)
{
	size_t n = 0;

	gomemlimit(in, out, &n, max);
	released_resident(in, out, &n, max);
	return n;
}
