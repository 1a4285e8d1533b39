/* Which Go runtime functions heaptrace probes, per Go version family, and
 * which integer arguments (by register-ABI position) each handler reads.
 * This table is the only place that knows runtime symbol names. */
#ifndef HT_PLAN_RUNTIME_PROBES_H
#define HT_PLAN_RUNTIME_PROBES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

#define PROBE_MAX_ARGS 4

struct probe_arg {
	const char *name;
	uint8_t index; /* position among integer arguments (receiver first) */
};

struct probe_spec {
	const char *symbol;
	int min_minor, max_minor; /* Go 1.min .. 1.max inclusive; 0 = unbounded */
	enum ht_tier tier;
	enum ht_handler handler;
	bool exits;    /* handler measures exits (latency): probe every RET */
	bool optional; /* absent when the program never calls it; no warning */
	const char *what;
	struct probe_arg args[PROBE_MAX_ARGS];
};

extern const struct probe_spec runtime_probes[];
extern const size_t runtime_probes_len;

/* Register names of the Go register ABI's integer arguments (Go 1.17+). */
const char *abi_arg_reg(uint16_t machine, unsigned index);
const char *tier_name(enum ht_tier t);
/* The name of a stopTheWorldWithSema reason, or NULL where the version
 * passes none. */
const char *stw_reason_name(int go_minor, unsigned reason);
#define STW_REASONS_MAX 32
/* Oldest Go minor version with a table entry. */
#define GO_MIN_SUPPORTED_MINOR 18
#endif
