#include <elf.h>
#include "plan/runtime_probes.h"

/* Signatures taken from each toolchain's src/runtime (1.19, 1.22, 1.26).
 * sysUnused/sysUsed are inlined from Go 1.22 on; their *OS halves, which make
 * the madvise calls, exist as functions in every supported version. */
const struct probe_spec runtime_probes[] = {
	/* GC cycles and stop-the-world. gcStart returns early when a cycle is
	 * already running; gcMarkTermination runs once per completed cycle (it
	 * increments memstats.numgc), so it is what counts cycles. */
	{ "runtime.gcMarkTermination", 18, 0, HT_TIER_COLD, HT_H_GC_CYCLE, false, false,
	  "GC cycle completed", { { 0 } } },
	{ "runtime.gcStart", 18, 0, HT_TIER_COLD, HT_H_GC_START, false, false,
	  "GC cycle start", { { "trigger.kind", 0 } } },
	{ "runtime.stopTheWorldWithSema", 18, 20, HT_TIER_COLD, HT_H_STW_STOP, true, false,
	  "world stopped", { { 0 } } },
	{ "runtime.stopTheWorldWithSema", 21, 0, HT_TIER_COLD, HT_H_STW_STOP, true, false,
	  "world stopped", { { "reason", 0 } } },
	{ "runtime.startTheWorldWithSema", 18, 0, HT_TIER_COLD, HT_H_STW_START, true, false,
	  "world restarted", { { 0 } } },
	/* Page release and re-use */
	{ "runtime.sysUnusedOS", 18, 0, HT_TIER_COLD, HT_H_SYS_UNUSED, false, false,
	  "pages returned to the OS", { { "v", 0 }, { "n", 1 } } },
	/* Hot: called for every span allocated from scavenged pages (7,674
	 * times in a 0.9 s hugo build, ~10% slower when probed). */
	{ "runtime.sysUsedOS", 18, 0, HT_TIER_HOT, HT_H_SYS_USED, false, false,
	  "released pages re-used", { { "v", 0 }, { "n", 1 } } },
	{ "runtime.sysHugePageOS", 18, 0, HT_TIER_HOT, HT_H_SYS_HUGEPAGE, false, true,
	  "huge pages requested", { { "v", 0 }, { "n", 1 } } },
	{ "runtime.(*pageAlloc).scavenge", 18, 0, HT_TIER_COLD, HT_H_SCAVENGE, true, false,
	  "scavenge pass", { { "p", 0 }, { "nbytes", 1 } } },
	{ "runtime.(*scavengerState).run", 19, 0, HT_TIER_COLD, HT_H_SCAVENGER_RUN, true, false,
	  "background scavenger pass", { { "s", 0 } } },
	{ "runtime/debug.freeOSMemory", 18, 0, HT_TIER_COLD, HT_H_FREE_OS_MEMORY, true, true,
	  "debug.FreeOSMemory", { { 0 } } },
	/* Heap growth */
	{ "runtime.(*mheap).grow", 18, 0, HT_TIER_COLD, HT_H_HEAP_GROW, true, false,
	  "heap growth", { { "h", 0 }, { "npage", 1 } } },
	/* Map growth: bucket maps up to 1.23. The handler takes the map header
	 * first and the map type second. */
	{ "runtime.hashGrow", 18, 23, HT_TIER_WARM, HT_H_MAP_GROW, false, true,
	  "map growth (buckets)", { { "h", 1 }, { "t", 0 } } },
	/* Hot, --hot only: every map assignment (the same names in every
	 * version; from 1.24 they are linknamed from internal/runtime/maps). */
	{ "runtime.mapassign_fast64", 18, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true,
	  "map assignment (64-bit keys)", { { "h", 1 }, { "t", 0 } } },
	{ "runtime.mapassign_faststr", 18, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true,
	  "map assignment (string keys)", { { "h", 1 }, { "t", 0 } } },
	{ "runtime.mapassign", 18, 0, HT_TIER_HOT, HT_H_MAP_ASSIGN, false, true,
	  "map assignment", { { "h", 1 }, { "t", 0 } } },
	/* Map growth: Swiss tables from 1.24 */
	{ "internal/runtime/maps.(*Map).growToSmall", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true,
	  "map growth (swiss, to a small group)", { { "m", 0 }, { "typ", 1 } } },
	{ "internal/runtime/maps.(*Map).growToTable", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true,
	  "map growth (swiss, to a table)", { { "m", 0 }, { "typ", 1 } } },
	{ "internal/runtime/maps.(*table).grow", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true,
	  "map growth (swiss, table)", { { "m", 2 }, { "typ", 1 }, { "t", 0 }, { "newCapacity", 3 } } },
	{ "internal/runtime/maps.(*table).split", 24, 0, HT_TIER_WARM, HT_H_MAP_GROW, false, true,
	  "map growth (swiss, table split)", { { "m", 2 }, { "typ", 1 }, { "t", 0 } } },
};
const size_t runtime_probes_len = sizeof(runtime_probes) / sizeof(runtime_probes[0]);

static const char *const amd64_regs[] = { "rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11" };
static const char *const arm64_regs[] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7",
					  "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15" };

const char *abi_arg_reg(uint16_t machine, unsigned index)
{
	if (machine == EM_AARCH64)
		return index < sizeof(arm64_regs) / sizeof(*arm64_regs) ? arm64_regs[index] : "?";
	return index < sizeof(amd64_regs) / sizeof(*amd64_regs) ? amd64_regs[index] : "?";
}

/* runtime.stwReason (Go 1.21+; the same list through 1.26). */
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

const char *tier_name(enum ht_tier t)
{
	switch (t) {
	case HT_TIER_COLD: return "cold";
	case HT_TIER_WARM: return "warm";
	default: return "hot";
	}
}
