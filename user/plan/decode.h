/* What heaptrace needs to know about a function's machine code, found by
 * decoding it from its entry with Capstone (never by guessing lengths). */
#ifndef HT_PLAN_DECODE_H
#define HT_PLAN_DECODE_H
#include <stddef.h>
#include <stdint.h>

#define HT_MAX_EXITS 64

enum attach_kind {
	ATTACH_STACK_CHECK_BRANCH, /* the conditional jump of the stack-bound check: emulated */
	ATTACH_ENTRY,		   /* first instruction: single-stepped, slower */
};

struct func_code {
	uint64_t attach;
	enum attach_kind attach_kind;
	uint64_t exits[HT_MAX_EXITS]; /* every RET, in address order */
	int nexits;
	size_t ninsns;
	size_t nunknown; /* arm64 words skipped undecoded (4 bytes each) */
};

/*
 * Decodes [entry, entry+len) for ELF machine `machine` (EM_X86_64 or
 * EM_AARCH64). Fails if the entry is not a recognisable Go prologue, if an
 * instruction does not decode before trailing padding, or on too many RETs.
 */
int decode_function(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
		    struct func_code *out);
const char *attach_kind_name(enum attach_kind k);

/* Addresses of data the code at [entry, entry+len) takes or loads directly
 * (x86-64 RIP-relative LEA/MOV, arm64 ADRP+ADD), in code order, at most max.
 * This is how a stripped binary's runtime globals are found. */
size_t decode_data_refs(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
			uint64_t *out, size_t max);
#endif
