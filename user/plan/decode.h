/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What heaptrace needs to know about a function's machine code, found by
 * decoding it from its entry with Capstone (never by guessing lengths). */
#ifndef HT_PLAN_DECODE_H
#define HT_PLAN_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "heaptrace.h"

#define HT_MAX_EXITS 64

enum attach_kind {
	ATTACH_STACK_CHECK_BRANCH, /* the conditional jump of the stack-bound check: emulated */
	ATTACH_ENTRY,		   /* first instruction: single-stepped, slower */
};

struct func_code {
	uint64_t attach;
	enum attach_kind attach_kind;
	/* At a stack-check branch: how its flags say "to morestack". */
	enum ht_morestack_cond morestack;
	uint64_t exits[HT_MAX_EXITS]; /* every RET, in address order */
	int nexits;
	size_t ninsns;
	size_t nunknown; /* arm64 words skipped undecoded (4 bytes each) */
};

/*
 * Decodes [entry, entry+len) for ELF machine `machine` (EM_X86_64 or
 * EM_AARCH64). Fails if the entry is not a recognisable Go prologue (unless
 * `assembly`: a NOSPLIT assembly function, probed at its entry), if an
 * instruction does not decode before trailing padding, or on too many RETs.
 */
int decode_function(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry, bool assembly,
		    struct func_code *out);
const char *attach_kind_name(enum attach_kind k);

/* Return addresses of the indirect calls (call through a register) in the
 * code at [entry, entry+len), at most max: where a function called through
 * a pointer returns to, e.g. runtime.systemstack's call of its argument. */
size_t decode_indirect_call_returns(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
				    uint64_t *out, size_t max);

/* Addresses of the direct calls (x86-64 CALL rel32, arm64 BL) to `target`
 * in the code at [entry, entry+len), decoded from the entry, at most max. */
size_t decode_direct_calls(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry, uint64_t target,
			   uint64_t *out, size_t max);
/* Where a direct call to `target` may be in the code at [base, base+len),
 * by its encoding alone, not decoded: each is to be checked by decoding
 * its function (decode_direct_calls). At most max. */
size_t scan_direct_calls(uint16_t machine, const uint8_t *code, size_t len, uint64_t base, uint64_t target,
			 uint64_t *out, size_t max);

/* Addresses of data the code at [entry, entry+len) takes or loads directly
 * (x86-64 RIP-relative LEA/MOV, arm64 ADRP+ADD), in code order, at most max.
 * This is how a stripped binary's runtime globals are found. */
size_t decode_data_refs(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
			uint64_t *out, size_t max);
#endif
