#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "trace/hit_cost.h"
#include "util/log.h"
#include "util/monotonic.h"
#include "probes.skel.h"

/*
 * The calibration site, shaped like what heaptrace probes in Go code: an
 * ordinary first instruction, the conditional branch of a bound check, a
 * return. Written in assembly so that the compiler cannot reshape it.
 */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl ht_calib_site\n"
	".type ht_calib_site, @function\n"
	"ht_calib_site:\n"
	".globl ht_calib_entry\n"
	"ht_calib_entry:\n"
	"	cmpq %rsp, %rdi\n"
	".globl ht_calib_branch\n"
	"ht_calib_branch:\n"
	"	jbe 1f\n"
	"1:\n"
	".globl ht_calib_ret\n"
	"ht_calib_ret:\n"
	"	ret\n"
	".size ht_calib_site, .-ht_calib_site\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl ht_calib_site\n"
	".type ht_calib_site, %function\n"
	"ht_calib_site:\n"
	".globl ht_calib_entry\n"
	"ht_calib_entry:\n"
	"	cmp x0, #0\n"
	".globl ht_calib_branch\n"
	"ht_calib_branch:\n"
	"	b.ls 1f\n"
	"1:\n"
	".globl ht_calib_ret\n"
	"ht_calib_ret:\n"
	"	ret\n"
	".size ht_calib_site, .-ht_calib_site\n");
#else
#error "heaptrace runs on x86-64 and arm64"
#endif

extern void ht_calib_site(uint64_t);
extern const char ht_calib_entry[], ht_calib_branch[], ht_calib_ret[];

#define CALLS 300
#define ROUNDS 3

/* The file offset of one of our own instructions, from /proc/self/maps. */
static int own_file_offset(const void *p, uint64_t *off)
{
	uint64_t addr = (uint64_t)(uintptr_t)p, start, end, foff;
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return ht_fail("cannot open /proc/self/maps: %s", strerror(errno));
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64, &start, &end, perms, &foff) == 4 &&
		    addr >= start && addr < end) {
			*off = addr - start + foff;
			found = 1;
		}
	fclose(f);
	return found ? 0 : ht_fail("0x%llx is not in heaptrace's own mappings", (unsigned long long)addr);
}

/* The fastest of a few rounds: the least disturbed by the scheduler. */
static uint64_t time_calls(void (*volatile site)(uint64_t))
{
	uint64_t best = UINT64_MAX;
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		uint64_t t0 = monotonic_ns(), dt;

		for (i = 0; i < CALLS; i++)
			site((uint64_t)i);
		dt = monotonic_ns() - t0;
		if (dt < best)
			best = dt;
	}
	return best;
}

static int measure_one(struct tracer *tr, const void *insn, uint64_t plain, uint64_t *ns)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = false);
	struct bpf_link *l;
	uint64_t off, probed;

	if (own_file_offset(insn, &off))
		return -1;
	l = bpf_program__attach_uprobe_opts(tr->skel->progs.ht_point, getpid(), "/proc/self/exe", off, &uo);
	if (!l)
		return ht_fail("uprobe on heaptrace's own code (file offset 0x%llx): %s", (unsigned long long)off,
			       strerror(errno));
	probed = time_calls(ht_calib_site);
	bpf_link__destroy(l);
	*ns = probed > plain ? (probed - plain) / CALLS : 0;
	return 0;
}

int hit_cost_measure(struct tracer *tr, struct hit_cost *out)
{
	uint64_t plain;

	memset(out, 0, sizeof(*out));
	time_calls(ht_calib_site); /* warm up */
	plain = time_calls(ht_calib_site);
	if (measure_one(tr, ht_calib_branch, plain, &out->branch_ns) ||
	    measure_one(tr, ht_calib_entry, plain, &out->entry_ns) || measure_one(tr, ht_calib_ret, plain, &out->ret_ns))
		return -1;
	out->measured = true;
	return 0;
}

uint64_t hit_cost_ns(const struct hit_cost *c, const struct probe_plan *plan, const struct probe_hits *hits,
		     int tier)
{
	uint64_t ns = 0;
	int i;

	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];

		if (tier >= 0 && p->spec->tier != (enum ht_tier)tier)
			continue;
		ns += hits[i].entries * (p->code.attach_kind == ATTACH_STACK_CHECK_BRANCH ? c->branch_ns : c->entry_ns);
		ns += hits[i].exits * c->ret_ns;
	}
	return ns;
}

uint64_t probe_hits_total(const struct probe_plan *plan, const struct probe_hits *hits, int tier)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < plan->n; i++)
		if (tier < 0 || plan->probes[i].spec->tier == (enum ht_tier)tier)
			n += hits[i].entries + hits[i].exits;
	return n;
}
