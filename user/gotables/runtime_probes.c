// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <elf.h>
#include <stdio.h>
#include "gotables/runtime_probes.h"

#define ARG(n, s, i) { n, s, i }
#define STACK(n) (HT_ARG_STACK | (n))

/*
 * Signatures taken from each toolchain's src/runtime (1.19 to 1.27).
 * sysUnused/sysUsed are inlined from Go 1.22 on; their *OS halves, which make
 * the madvise calls, exist as functions in every supported version.
 *
 * Tiers follow the rates measured on real servers under loopback load (see
 * the comment of each entry): per GC cycle or scavenger pass is cold, per
 * growth of a large table warm; whatever runs per request (map creation,
 * small map growth, allocation) never enters the default tiers. "Rates" are
 * calls a second on Debian's etcd 3.4 and Prometheus 2 (Go 1.19), Debian's
 * caddy, and etcd 3.6, caddy 2.11 and Prometheus 3 built with Go 1.26, each
 * under load on a 2-core VM (tools/realsvc.py rates).
 */
const struct probe_spec runtime_probes[] = {
	/* GC cycles and stop-the-world (gc.bpf.h). gcStart returns early
	 * when a cycle is already running: it counts triggers, not cycles.
	 * Rates 1-24/s (a GC cycle: 1-20/s; a stop or start of the world: 2-40/s). */
	{ "runtime.gcStart", 19, 0, HT_TIER_COLD, HT_H_GC_START, false, false, false,
	  "GC cycle start", { ARG("trigger.kind", 0, 0) }, { { 0 } }, false, false },
	/* Go < 1.22: gcMarkTermination runs once per completed cycle (it
	 * increments memstats.numgc), inside the cycle's final stop; from 1.22
	 * that final stop says so itself. */
	{ "runtime.gcMarkTermination", 19, 21, HT_TIER_COLD, HT_H_GC_CYCLE, false, false, false,
	  "GC cycle completed", { { 0 } }, { { 0 } }, false, false },
	/* Go < 1.22: the start of a pause. No reason before 1.21: the GC's
	 * stops are told apart by their call site (trace/proc_config.c). */
	{ "runtime.stopTheWorldWithSema", 19, 20, HT_TIER_COLD, HT_H_STW_STOP, false, false, false,
	  "world stopping", { { 0 } }, { { 0 } }, false, false },
	{ "runtime.stopTheWorldWithSema", 21, 21, HT_TIER_COLD, HT_H_STW_STOP, false, false, false,
	  "world stopping", { ARG("reason", 0, 0) }, { { 0 } }, false, false },
	/* Returns the runtime's time of the restart. From 1.22 it is given
	 * (now, worldStop{reason, startedStopping, finishedStopping (1.23+)}):
	 * the runtime's own start, and for the final pause of a cycle its end. */
	{ "runtime.startTheWorldWithSema", 19, 21, HT_TIER_COLD, HT_H_STW_START, true, false, false,
	  "world restarted", { { 0 } }, { ARG("startTime", 0, 0) }, false, false },
	{ "runtime.startTheWorldWithSema", 22, 22, HT_TIER_COLD, HT_H_STW_START, true, false, false,
	  "world restarted", { ARG("now", 0, 0), ARG("w.reason", 1, 1), ARG("w.start", 2, 2) },
	  { ARG("now", 0, 0) }, false, false },
	{ "runtime.startTheWorldWithSema", 23, 0, HT_TIER_COLD, HT_H_STW_START, true, false, false,
	  "world restarted",
	  { ARG("now", 0, 0), ARG("w.reason", 1, 1), ARG("w.startedStopping", 2, 2), ARG("w.finishedStopping", 3, 3) },
	  { ARG("now", 0, 0) }, false, false },
	/* Page release and re-use. sysUnusedOS: rates 80-140/s. */
	{ "runtime.sysUnusedOS", 19, 0, HT_TIER_COLD, HT_H_SYS_UNUSED, false, false, false,
	  "pages returned to the OS", { ARG("v", 0, 0), ARG("n", 1, 1) }, { { 0 } }, false, false },
	/* Hot: called for every span allocated from scavenged pages (7,674
	 * times in a 0.9 s hugo build, ~10% slower when probed; rates 180-550/s,
	 * sysHugePageOS the same on Go 1.19 and 0 later). */
	{ "runtime.sysUsedOS", 19, 0, HT_TIER_HOT, HT_H_SYS_USED, false, false, false,
	  "released pages re-used", { ARG("v", 0, 0), ARG("n", 1, 1) }, { { 0 } }, false, false },
	{ "runtime.sysHugePageOS", 19, 0, HT_TIER_HOT, HT_H_SYS_HUGEPAGE, false, true, false,
	  "huge pages requested", { ARG("v", 0, 0), ARG("n", 1, 1) }, { { 0 } }, false, false },
	/* rates: scavenge 26-73/s, the background scavenger's run 5-40/s, and
	 * 780/s and 150/s in a program that collects and frees all the time:
	 * counted at their entries (branches), timed at their RETs (7 us each)
	 * in the sampled windows. */
	{ "runtime.(*pageAlloc).scavenge", 19, 0, HT_TIER_COLD, HT_H_SCAVENGE, true, false, false,
	  "scavenge pass", { ARG("p", 0, 0), ARG("nbytes", 1, 1) }, { ARG("released", 0, 0) }, false, true },
	{ "runtime.(*scavengerState).run", 19, 0, HT_TIER_COLD, HT_H_SCAVENGER_RUN, true, false, false,
	  "background scavenger pass", { ARG("s", 0, 0) }, { { 0 } }, false, true },
	{ "runtime/debug.freeOSMemory", 19, 0, HT_TIER_COLD, HT_H_FREE_OS_MEMORY, true, true, false,
	  "debug.FreeOSMemory", { { 0 } }, { { 0 } }, false, false },
	/* The runtime's madvise wrapper (sys_linux_*.s, ABI0: arguments on the
	 * stack): every madvise the runtime makes, seen in this process only.
	 * Probed when the kernel has no kprobe to see the syscall itself.
	 * Rates 100-225/s on servers, 800/s on a program that collects and
	 * frees all the time: counted at its calls (sysUnusedOS and the
	 * huge-page hints, mem_linux.go in every version), timed a part of the
	 * time at its entry and RETs, which cost 7 us each here. */
	{ "runtime.madvise.abi0", 19, 0, HT_TIER_COLD, HT_H_MADVISE, true, false, true,
	  "madvise (the runtime's)", { ARG("addr", 0, STACK(0)), ARG("n", 1, STACK(1)), ARG("flags", 2, STACK(2)) },
	  { ARG("ret", 0, 0) }, true, true },
	/* Heap growth: rates 0-0.4/s */
	{ "runtime.(*mheap).grow", 19, 0, HT_TIER_COLD, HT_H_HEAP_GROW, true, false, false,
	  "heap growth", { ARG("h", 0, 0), ARG("npage", 1, 1) }, { ARG("totalGrowth", 0, 0) }, false, false },
	/* Map growth: bucket maps up to 1.23. The handler takes the map header
	 * first and the map type second. Rates 0-28/s, 760/s on Prometheus 2
	 * under query load (0.5 a request), each ~8 us with its stack. */
	{ "runtime.hashGrow", 19, 23, HT_TIER_WARM, HT_H_MAP_GROW, false, true, false,
	  "map growth (buckets)", { ARG("h", 0, 1), ARG("t", 1, 0) }, { { 0 } }, false, false },
	/* Hot, --hot only: every map assignment (the same names in every
	 * version; from 1.24 they are linknamed from internal/runtime/maps).
	 * Rates 1,000-220,000/s: 4-230 a request. */
	{ "runtime.mapassign_fast64", 19, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true, false,
	  "map assignment (64-bit keys)", { ARG("h", 0, 1), ARG("t", 1, 0) }, { { 0 } }, false, false },
	{ "runtime.mapassign_faststr", 19, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true, false,
	  "map assignment (string keys)", { ARG("h", 0, 1), ARG("t", 1, 0) }, { { 0 } }, false, false },
	{ "runtime.mapassign", 19, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true, false,
	  "map assignment", { ARG("h", 0, 1), ARG("t", 1, 0) }, { { 0 } }, false, false },
	/* Map growth: Swiss tables from 1.24. growToSmall runs on the first
	 * insert into every new map (60,000 times in 5 s on a Go 1.26 etcd
	 * under put load; rates 2,000-44,000/s, 3-10 a request) and growToTable
	 * on the ninth (0-215/s): per request, hot. table.grow: rates 0-900/s
	 * (Prometheus 3); split: 0-0.1/s. */
	{ "internal/runtime/maps.(*Map).growToSmall", 24, 0, HT_TIER_HOT, HT_H_MAP_GROW, false, true, false,
	  "map growth (swiss, to a small group)", { ARG("m", 0, 0), ARG("typ", 1, 1) }, { { 0 } }, false, false },
	{ "internal/runtime/maps.(*Map).growToTable", 24, 0, HT_TIER_HOT, HT_H_MAP_GROW, false, true, false,
	  "map growth (swiss, to a table)", { ARG("m", 0, 0), ARG("typ", 1, 1) }, { { 0 } }, false, false },
	{ "internal/runtime/maps.(*table).grow", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true, false,
	  "map growth (swiss, table)",
	  { ARG("m", 0, 2), ARG("typ", 1, 1), ARG("newCapacity", 2, 3), ARG("t", 3, 0) }, { { 0 } }, false, false },
	{ "internal/runtime/maps.(*table).split", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true, false,
	  "map growth (swiss, table split)", { ARG("m", 0, 2), ARG("typ", 1, 1), ARG("t", 3, 0) }, { { 0 } }, false, false },
};
const size_t runtime_probes_len = sizeof(runtime_probes) / sizeof(runtime_probes[0]);

bool go_minor_in(int minor, int min, int max)
{
	return (!min || minor >= min) && (!max || minor <= max);
}

bool probe_applies(const struct probe_spec *s, int minor)
{
	return go_minor_in(minor, s->min_minor, s->max_minor);
}

static const char *const amd64_regs[] = { "rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11" };
static const char *const arm64_regs[] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7",
					  "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15" };

const char *abi_arg_reg(uint16_t machine, unsigned index, char *buf, size_t len)
{
	if (index & HT_ARG_STACK) {
		snprintf(buf, len, "stack+%u", 8 + 8 * (index & 0x0f));
		return buf;
	}
	if (machine == EM_AARCH64)
		return index < sizeof(arm64_regs) / sizeof(*arm64_regs) ? arm64_regs[index] : "?";
	return index < sizeof(amd64_regs) / sizeof(*amd64_regs) ? amd64_regs[index] : "?";
}

/* runtime.stwReason (Go 1.21+; the same list through 1.27, appended to). */
static const char *const stw_reasons[] = {
	"unknown", "GC mark termination", "GC sweep termination", "write heap dump",
	"goroutine profile", "goroutine profile cleanup", "all goroutines stack trace",
	"read mem stats", "AllThreadsSyscall", "GOMAXPROCS", "start trace", "stop trace",
	"test CountPagesInUse", "test ReadMetricsSlow", "test ReadMemStatsSlow",
	"test PageCachePagesLeaked", "test ResetDebugLog",
};

const char *stw_reason_name(int go_minor, unsigned reason)
{
	if (go_minor < 21)
		return NULL; /* stopTheWorldWithSema took no reason before 1.21 */
	return reason < sizeof(stw_reasons) / sizeof(*stw_reasons) ? stw_reasons[reason] : "other";
}

unsigned stw_reason_mark_term(int go_minor)
{
	return go_minor >= 21 ? 1 : 0;
}

unsigned stw_reason_sweep_term(int go_minor)
{
	return go_minor >= 21 ? 2 : 0;
}

const char *tier_name(enum ht_tier t)
{
	switch (t) {
	case HT_TIER_COLD: return "cold";
	case HT_TIER_WARM: return "warm";
	case HT_TIER_SAMPLED: return "sampled";
	default: return "hot";
	}
}
