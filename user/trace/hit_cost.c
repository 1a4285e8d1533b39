// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes.skel.h"
#include "trace/hit_cost.h"
#include "trace/uprobe_multi.h"
#include "util/fd_closer.h"
#include "util/log.h"
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

/*
 * A map growth is seen some 16 frames deep in a server's Go code, and Go
 * keeps frame pointers down to a zero at the goroutine's first frame. The
 * stack handler is timed on the same: ht_calib_call runs a site with its
 * frame pointer on a chain of 16 frames that ends in a zero, whatever
 * heaptrace's own callers look like.
 */
#define CALIB_FRAMES 16
#if defined(__x86_64__)
#define CALIB_CALL                                                                                 \
	".globl ht_calib_call\n.type ht_calib_call, @function\nht_calib_call:\n"                 \
	"	push %rbp\n	lea ht_calib_frames(%rip), %rbp\n	mov %rdi, %rax\n	mov %rsi, %rdi\n" \
	"	call *%rax\n	pop %rbp\n	ret\n.size ht_calib_call, .-ht_calib_call\n"
#define FRAME(n) "	.quad ht_calib_frames+" #n "*16, ht_calib_call\n"
#define LAST_FRAME "	.quad 0, ht_calib_call\n"
#else
#define CALIB_CALL                                                                                 \
	".globl ht_calib_call\n.type ht_calib_call, %function\nht_calib_call:\n"                 \
	"	stp x29, x30, [sp, #-16]!\n	adrp x29, ht_calib_frames\n"                          \
	"	add x29, x29, :lo12:ht_calib_frames\n	mov x2, x0\n	mov x0, x1\n	blr x2\n"         \
	"	ldp x29, x30, [sp], #16\n	ret\n.size ht_calib_call, .-ht_calib_call\n"
#define FRAME(n) "	.quad ht_calib_frames+" #n "*16, ht_calib_call\n"
#define LAST_FRAME "	.quad 0, ht_calib_call\n"
#endif

__asm__(".text\n" CALIB_SITE(ht_calib_branch) CALIB_SITE(ht_calib_entry) CALIB_SITE(ht_calib_ret)
		CALIB_SITE(ht_calib_count) CALIB_SITE(ht_calib_record) CALIB_SITE(ht_calib_stack) CALIB_CALL
	".data\n.balign 16\nht_calib_frames:\n" FRAME(1) FRAME(2) FRAME(3) FRAME(4) FRAME(5) FRAME(6) FRAME(7)
		FRAME(8) FRAME(9) FRAME(10) FRAME(11) FRAME(12) FRAME(13) FRAME(14) FRAME(15) LAST_FRAME ".text\n");

extern void ht_calib_call(void (*fn)(uint64_t), uint64_t arg);

#define SITE_DECL(name)                                                                           \
	extern void name(uint64_t);                                                                \
	extern const char name##_entry[], name##_branch[], name##_ret[]
SITE_DECL(ht_calib_branch);
SITE_DECL(ht_calib_entry);
SITE_DECL(ht_calib_ret);
SITE_DECL(ht_calib_count);
SITE_DECL(ht_calib_record);
SITE_DECL(ht_calib_stack);

struct site {
	void (*fn)(uint64_t);
	const char *probed;	  /* the instruction the probe sits on */
	enum ht_handler handler; /* HT_H_COUNT: none, the trap alone */
	uint64_t plain, probed_ns;
};

#define CALLS 301

/* What the handlers read through their "map" and "type" arguments: readable
 * memory, as in a Go program (a failed read costs a fault). */
static uint64_t fake_map[64];

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

		ht_calib_call(fn, (uint64_t)(uintptr_t)fake_map);
		t[i] = monotonic_ns() - t0;
	}
	qsort(t, CALLS, sizeof(t[0]), cmp_u64);
	return t[CALLS / 2];
}

static uint64_t per_call(const struct site *s)
{
	return s->probed_ns > s->plain ? s->probed_ns - s->plain : 0;
}

/* heaptrace's own figures and configuration, for the handlers that need a
 * traced process: records go to a ring buffer of their own (probes.bpf.c). */
static int trace_self(struct tracer *tr)
{
	struct ht_proc_config cfg = { .map_grow_min_bytes = 0 };

	return tracer_add_process(tr, getpid(), &cfg);
}

static int set_point(struct tracer *tr, __u32 point, enum ht_handler handler)
{
	struct ht_point_info pi = { .handler = handler, .morestack = HT_MORESTACK_NONE };

	memset(pi.arg, HT_ARG_ABSENT, sizeof(pi.arg));
	/* the site's first C argument (rdi, x0), at its register-ABI position */
#if defined(__x86_64__)
	pi.arg[0] = pi.arg[1] = 3;
#else
	pi.arg[0] = pi.arg[1] = 0;
#endif
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
		{ ht_calib_branch, ht_calib_branch_branch, HT_H_COUNT, 0, 0 },
		{ ht_calib_entry, ht_calib_entry_entry, HT_H_COUNT, 0, 0 },
		{ ht_calib_ret, ht_calib_ret_ret, HT_H_COUNT, 0, 0 },
		{ ht_calib_count, ht_calib_count_branch, HT_H_GC_CYCLE, 0, 0 },
		{ ht_calib_record, ht_calib_record_branch, HT_H_MAP_ASSIGN, 0, 0 },
		{ ht_calib_stack, ht_calib_stack_branch, HT_H_MAP_GROW, 0, 0 },
	};
	enum { NSITES = sizeof(sites) / sizeof(sites[0]) };
	uint64_t offsets[NSITES], cookies[NSITES];
	struct bpf_link *links[NSITES] = { 0 };
	size_t i;
	int fd = -1;

	_Static_assert(NSITES <= HT_EXE_POINTS, "calibration points");
	memset(out, 0, sizeof(*out));
	if (trace_self(tr))
		return -1;
	for (i = 0; i < NSITES; i++) {
		cookies[i] = i; /* executable 0: heaptrace's own */
		if (own_file_offset(sites[i].probed, &offsets[i]) ||
		    set_point(tr, (__u32)cookies[i], sites[i].handler))
			return -1;
		time_calls(sites[i].fn); /* warm up */
		sites[i].plain = time_calls(sites[i].fn);
	}
	if (attach_sites(tr, offsets, cookies, NSITES, &fd, links))
		return -1;
	for (i = 0; i < NSITES && !(stop && *stop); i++)
		sites[i].probed_ns = time_calls(sites[i].fn);
	detach_sites(fd, links, NSITES);
	if (i < NSITES)
		return ht_fail("the per-hit cost was not measured: the trace ended first");
	out->branch_ns = per_call(&sites[0]);
	out->entry_ns = per_call(&sites[1]);
	out->ret_ns = per_call(&sites[2]);
	out->work_ns[WORK_NONE] = 0;
	for (i = 0; i < 3; i++) {
		uint64_t with = per_call(&sites[3 + i]);

		out->work_ns[WORK_COUNT + i] = with > out->branch_ns ? with - out->branch_ns : 0;
	}
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
	snprintf(buf, len, "v2 %s %s %s", boot, u.release, HEAPTRACE_VERSION);
	return true;
}

bool hit_cost_load_cached(struct hit_cost *out)
{
	char key[256], line[512];
	unsigned long long v[3 + WORK_KINDS];
	size_t klen;
	FILE *f;
	int i, n;

	if (!cache_key(key, sizeof(key)) || !(f = fopen(CACHE_FILE, "re")))
		return false;
	n = fgets(line, sizeof(line), f) ? 0 : -1;
	fclose(f);
	klen = strlen(key);
	if (n || strncmp(line, key, klen) || line[klen] != ' ' ||
	    sscanf(line + klen, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) !=
		    3 + WORK_KINDS)
		return false;
	memset(out, 0, sizeof(*out));
	out->branch_ns = v[0];
	out->entry_ns = v[1];
	out->ret_ns = v[2];
	for (i = 0; i < WORK_KINDS; i++)
		out->work_ns[i] = v[3 + i];
	out->measured = out->cached = true;
	return true;
}

void hit_cost_save_cached(const struct hit_cost *c)
{
	char key[256], tmp[] = CACHE_DIR "/.hit-cost.XXXXXX";
	FILE *f;
	int fd;

	if (!c->measured || c->cached || !cache_key(key, sizeof(key)))
		return;
	if (mkdir(CACHE_DIR, 0755) && errno != EEXIST)
		return;
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	fprintf(f, "%s %llu %llu %llu %llu %llu %llu %llu\n", key, (unsigned long long)c->branch_ns,
		(unsigned long long)c->entry_ns, (unsigned long long)c->ret_ns,
		(unsigned long long)c->work_ns[WORK_NONE], (unsigned long long)c->work_ns[WORK_COUNT],
		(unsigned long long)c->work_ns[WORK_RECORD], (unsigned long long)c->work_ns[WORK_STACK]);
	if (fclose(f) || chmod(tmp, 0644) || rename(tmp, CACHE_FILE))
		unlink(tmp);
}

/* ---- the estimate ---- */

enum handler_work handler_work_of(enum ht_handler h, bool exit)
{
	switch (h) {
	case HT_H_GC_START:
		return WORK_NONE;
	case HT_H_GC_CYCLE:
	case HT_H_SYS_UNUSED:
	case HT_H_SYS_USED:
	case HT_H_SYS_HUGEPAGE:
		return WORK_COUNT;
	case HT_H_STW_STOP:
		return exit ? WORK_COUNT : WORK_RECORD; /* an in-flight entry */
	case HT_H_STW_START:
		return exit ? WORK_RECORD : WORK_COUNT;
	case HT_H_MAP_GROW:
		return WORK_STACK;
	default:
		return WORK_RECORD; /* timed calls: an in-flight entry, then a histogram */
	}
}

static uint64_t trap_ns(const struct hit_cost *c, const struct planned_probe *p)
{
	return p->code.attach_kind == ATTACH_STACK_CHECK_BRANCH ? c->branch_ns : c->entry_ns;
}

uint64_t hit_cost_ns(const struct hit_cost *c, const struct probe_plan *plan, const struct probe_hits *hits,
		     const struct ht_figures *f, int tier)
{
	uint64_t ns = 0, grows = f ? f->map_grows + f->map_grows_small : 0;
	int i;

	for (i = 0; i < plan->n; i++) {
		const struct planned_probe *p = &plan->probes[i];
		enum ht_handler h = p->spec->handler;
		uint64_t entry_work = c->work_ns[handler_work_of(h, false)];

		if (tier >= 0 && p->spec->tier != (enum ht_tier)tier)
			continue;
		/* Growths too small to follow are counted, not recorded. */
		if (h == HT_H_MAP_GROW && grows)
			entry_work = (c->work_ns[WORK_STACK] * f->map_grows + c->work_ns[WORK_COUNT] * f->map_grows_small) /
				     grows;
		ns += hits[i].entries * (trap_ns(c, p) + entry_work);
		ns += hits[i].restarts * trap_ns(c, p);
		ns += hits[i].exits * (c->ret_ns + c->work_ns[handler_work_of(h, true)]);
	}
	return ns;
}

uint64_t probe_hits_total(const struct probe_plan *plan, const struct probe_hits *hits, int tier)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < plan->n; i++)
		if (tier < 0 || plan->probes[i].spec->tier == (enum ht_tier)tier)
			n += hits[i].entries + hits[i].restarts + hits[i].exits;
	return n;
}
