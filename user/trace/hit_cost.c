// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes.skel.h"
#include "trace/hit_cost.h"
#include "trace/uprobe_multi.h"
#include "util/fd_closer.h"
#include "util/log.h"
#include "util/outfile.h"
#include "util/monotonic.h"
#include "util/proc_maps.h"
#include "util/version.h"

/*
 * The calibration sites, shaped like what heaptrace probes in Go code: an
 * ordinary first instruction, the conditional branch of a bound check, a
 * return. One function per measurement, so that one link holds every probe
 * and each is timed alone. Written in assembly so that the compiler cannot
 * reshape them.
 */
#if defined(__x86_64__)
#define CALIB_SITE(name)                                                                           \
	".globl " #name "\n.type " #name ", @function\n" #name ":\n"                               \
	".globl " #name "_entry\n" #name "_entry:\n	cmpq %rsp, %rdi\n"                          \
	".globl " #name "_branch\n" #name "_branch:\n	jbe 1f\n1:\n"                               \
	".globl " #name "_ret\n" #name "_ret:\n	ret\n.size " #name ", .-" #name "\n"
#elif defined(__aarch64__)
#define CALIB_SITE(name)                                                                           \
	".globl " #name "\n.type " #name ", %function\n" #name ":\n"                               \
	".globl " #name "_entry\n" #name "_entry:\n	cmp x0, #0\n"                               \
	".globl " #name "_branch\n" #name "_branch:\n	b.ls 1f\n1:\n"                              \
	".globl " #name "_ret\n" #name "_ret:\n	ret\n.size " #name ", .-" #name "\n"
#else
#error "heaptrace runs on x86-64 and arm64"
#endif

__asm__(".text\n" CALIB_SITE(ht_calib_branch) CALIB_SITE(ht_calib_entry) CALIB_SITE(ht_calib_ret));

#define SITE_DECL(name)                                                                           \
	extern void name(uint64_t);                                                                \
	extern const char name##_entry[], name##_branch[], name##_ret[]
SITE_DECL(ht_calib_branch);
SITE_DECL(ht_calib_entry);
SITE_DECL(ht_calib_ret);

struct site {
	void (*fn)(uint64_t);
	const char *probed; /* the instruction the probe sits on */
	uint64_t plain, probed_ns;
};

#define CALLS 301

/*
 * A trap's cost on this VM jumps between two levels (about 680 and 950 ns on
 * a branch) from one 0.4 s to the next, with the host's load, and one round
 * of calls catches one of them: 24 calibrations in a row ranged 673-1258 ns.
 * ROUNDS rounds ROUND_GAP_MS apart, over about a second: the mean of all but
 * the extremes is what the target pays on average.
 */
#define ROUNDS 7
#define ROUND_GAP_MS 150

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median time of one call, each timed alone: the calls the scheduler
 * interrupts (the target runs beside us) fall at the top and do not move it. */
static uint64_t time_calls(void (*fn)(uint64_t))
{
	uint64_t t[CALLS];
	int i;

	for (i = 0; i < CALLS; i++) {
		uint64_t t0 = monotonic_ns();

		fn(0);
		t[i] = monotonic_ns() - t0;
	}
	qsort(t, CALLS, sizeof(t[0]), cmp_u64);
	return t[CALLS / 2];
}

/* The mean of v[0..n) without its lowest and highest (when n >= 3). */
static uint64_t trimmed_mean(uint64_t *v, int n)
{
	uint64_t sum = 0;
	int i, lo = n >= 3;

	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	for (i = lo; i < n - lo; i++)
		sum += v[i];
	return sum / (uint64_t)(n - 2 * lo);
}

static bool stopped(const volatile int *stop)
{
	return stop && *stop;
}

/* Sleeps ms, or less if told to stop. */
static void gap(const volatile int *stop, int ms)
{
	const struct timespec step = { 0, 5 * 1000000L };

	for (; ms > 0 && !stopped(stop); ms -= 5)
		nanosleep(&step, NULL);
}

static uint64_t per_call(const struct site *s)
{
	return s->probed_ns > s->plain ? s->probed_ns - s->plain : 0;
}

/* heaptrace's own figures: the program counts a hit only in a traced
 * process. Each site is a point with no handler, the trap alone (its work
 * is timed in the target, on every hit). */
static int trace_self(struct tracer *tr)
{
	struct ht_proc_config cfg = { .map_grow_min_bytes = 0 };

	return tracer_add_process(tr, getpid(), &cfg);
}

static int set_point(struct tracer *tr, __u32 point)
{
	struct ht_point_info pi = { .handler = HT_H_COUNT, .morestack = HT_MORESTACK_NONE };

	memset(pi.arg, HT_ARG_ABSENT, sizeof(pi.arg));
	if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.point_info), &point, &pi, BPF_ANY))
		return ht_fail("cannot configure calibration point %u: %s", point, strerror(errno));
	return 0;
}

/* Every site with the program the tracer loaded: one uprobe_multi link,
 * or (older kernels) one perf uprobe each. */
static int attach_sites(struct tracer *tr, const uint64_t *offsets, const uint64_t *cookies, size_t n, int *fd,
			struct bpf_link **links)
{
	size_t i;

	if (tr->multi) {
		*fd = uprobe_multi_link(bpf_program__fd(tr->skel->progs.ht_point_multi), "/proc/self/exe", offsets,
					cookies, (unsigned)n, getpid());
		return *fd < 0 ? -1 : 0;
	}
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookies[i], .retprobe = false);

		links[i] = bpf_program__attach_uprobe_opts(tr->skel->progs.ht_point, getpid(), "/proc/self/exe",
							   offsets[i], &uo);
		if (!links[i]) {
			ht_fail("uprobe on heaptrace's own code (file offset 0x%llx): %s",
				(unsigned long long)offsets[i], strerror(errno));
			while (i--)
				bpf_link__destroy(links[i]);
			return -1;
		}
	}
	return 0;
}

static void detach_sites(int fd, struct bpf_link **links, size_t n)
{
	size_t i;

	fd_close_later(fd);
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
}

int hit_cost_measure(struct tracer *tr, struct hit_cost *out, const volatile int *stop)
{
	struct site sites[] = {
		{ ht_calib_branch, ht_calib_branch_branch, 0, 0 },
		{ ht_calib_entry, ht_calib_entry_entry, 0, 0 },
		{ ht_calib_ret, ht_calib_ret_ret, 0, 0 },
	};
	enum { NSITES = sizeof(sites) / sizeof(sites[0]) };
	uint64_t offsets[NSITES], cookies[NSITES], probed[NSITES][ROUNDS];
	struct bpf_link *links[NSITES] = { 0 };
	size_t i;
	int fd = -1, rounds;

	_Static_assert(NSITES <= HT_EXE_POINTS, "calibration points");
	memset(out, 0, sizeof(*out));
	if (trace_self(tr))
		return -1;
	for (i = 0; i < NSITES; i++) {
		cookies[i] = i; /* executable 0: heaptrace's own */
		if (own_file_offset(sites[i].probed, &offsets[i]) ||
		    set_point(tr, (__u32)cookies[i]))
			return -1;
		time_calls(sites[i].fn); /* warm up */
		sites[i].plain = time_calls(sites[i].fn);
	}
	if (attach_sites(tr, offsets, cookies, NSITES, &fd, links))
		return -1;
	for (rounds = 0; rounds < ROUNDS && !stopped(stop); rounds++) {
		if (rounds)
			gap(stop, ROUND_GAP_MS);
		for (i = 0; i < NSITES && !stopped(stop); i++)
			probed[i][rounds] = time_calls(sites[i].fn);
		if (i < NSITES)
			break;
	}
	detach_sites(fd, links, NSITES);
	if (!rounds)
		return ht_fail("the per-hit cost was not measured: the trace ended first");
	for (i = 0; i < NSITES; i++)
		sites[i].probed_ns = trimmed_mean(probed[i], rounds);
	out->partial = rounds < ROUNDS;
	out->branch_ns = per_call(&sites[0]);
	out->entry_ns = per_call(&sites[1]);
	out->ret_ns = per_call(&sites[2]);
	out->measured = true;
	return 0;
}

/* ---- this boot's measurement ---- */

#define CACHE_DIR "/run/heaptrace"
#define CACHE_FILE CACHE_DIR "/hit-cost"

/* What a measurement is valid for: this boot, this kernel, this heaptrace. */
static bool cache_key(char *buf, size_t len)
{
	char boot[64] = "";
	struct utsname u;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (!f)
		return false;
	if (!fgets(boot, sizeof(boot), f))
		boot[0] = '\0';
	fclose(f);
	boot[strcspn(boot, "\n")] = '\0';
	if (!boot[0] || uname(&u))
		return false;
	snprintf(buf, len, "v3 %s %s %s", boot, u.release, HEAPTRACE_VERSION);
	return true;
}

/* The cache is trusted only in a directory and a file that heaptrace's own
 * user alone can have written: another user's figures would bend every
 * estimate (and --max-overhead's detaching). */
static FILE *open_cache(void)
{
	int dir = open(CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd;

	if (dir < 0)
		return NULL;
	fd = outfile_private(dir, true) ? openat(dir, "hit-cost", O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	close(dir);
	if (fd >= 0 && !outfile_private(fd, false)) {
		ht_debug("%s is not heaptrace's own (owner or mode): measuring again", CACHE_FILE);
		close(fd);
		fd = -1;
	}
	return fd >= 0 ? fdopen(fd, "r") : NULL;
}

bool hit_cost_load_cached(struct hit_cost *out)
{
	char key[256], line[512];
	unsigned long long v[3];
	size_t klen;
	FILE *f;
	int n;

	if (!cache_key(key, sizeof(key)) || !(f = open_cache()))
		return false;
	n = fgets(line, sizeof(line), f) ? 0 : -1;
	fclose(f);
	klen = strlen(key);
	if (n || strncmp(line, key, klen) || line[klen] != ' ' ||
	    sscanf(line + klen, "%llu %llu %llu", &v[0], &v[1], &v[2]) != 3)
		return false;
	memset(out, 0, sizeof(*out));
	out->branch_ns = v[0];
	out->entry_ns = v[1];
	out->ret_ns = v[2];
	out->measured = out->cached = true;
	return true;
}

void hit_cost_save_cached(const struct hit_cost *c)
{
	char key[256], tmp[] = CACHE_DIR "/.hit-cost.XXXXXX";
	bool private;
	FILE *f;
	int fd, dir;

	if (!c->measured || c->cached || c->partial || !cache_key(key, sizeof(key)))
		return;
	if (mkdir(CACHE_DIR, 0755) && errno != EEXIST)
		return;
	dir = open(CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	private = dir >= 0 && outfile_private(dir, true);
	if (dir >= 0)
		close(dir);
	if (!private)
		return; /* someone else's: neither read nor written */
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	fprintf(f, "%s %llu %llu %llu\n", key, (unsigned long long)c->branch_ns, (unsigned long long)c->entry_ns,
		(unsigned long long)c->ret_ns);
	if (fclose(f) || chmod(tmp, 0644) || rename(tmp, CACHE_FILE))
		unlink(tmp);
}

/* ---- the estimate ---- */

static uint64_t trap_ns(const struct hit_cost *c, const struct planned_probe *p)
{
	return p->code.attach_kind == ATTACH_STACK_CHECK_BRANCH ? c->branch_ns : c->entry_ns;
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
		/* a pass on the way to morestack costs the trap and no work */
		ns += (hits[i].entries + hits[i].restarts) * trap_ns(c, p);
		ns += hits[i].exits * c->ret_ns;
		/* a call instruction is emulated, as the stack-check branch */
		ns += hits[i].calls * c->branch_ns;
		ns += hits[i].work_ns;
	}
	return ns;
}

uint64_t probe_hits_total(const struct probe_plan *plan, const struct probe_hits *hits, int tier)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < plan->n; i++)
		if (tier < 0 || plan->probes[i].spec->tier == (enum ht_tier)tier)
			n += hits[i].entries + hits[i].restarts + hits[i].exits + hits[i].calls;
	return n;
}

uint64_t probe_work_ns(const struct probe_plan *plan, const struct probe_hits *hits, int tier)
{
	uint64_t ns = 0;
	int i;

	for (i = 0; i < plan->n; i++)
		if (tier < 0 || plan->probes[i].spec->tier == (enum ht_tier)tier)
			ns += hits[i].work_ns;
	return ns;
}

uint64_t handler_ns_per_hit(const struct probe_plan *plan, const struct probe_hits *hits)
{
	uint64_t n = probe_hits_total(plan, hits, -1);

	return n ? probe_work_ns(plan, hits, -1) / n : 0;
}
