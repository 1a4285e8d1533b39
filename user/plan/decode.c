// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <capstone/capstone.h>
#include <elf.h>
#include <stdbool.h>
#include <string.h>
#include "plan/decode.h"
#include "util/log.h"

/* The stack-bound check compares against g.stackguard0 (offset 16 of the g,
 * R14 on amd64, X28 on arm64) or, in functions that may run on the system
 * stack, g.stackguard1 (offset 24; seen in Go 1.26 stopTheWorldWithSema). */
#define STACKGUARD0_OFF 0x10
#define STACKGUARD1_OFF 0x18
#define ARM64_INSN_LEN 4
#define PROLOGUE_WINDOW 6 /* instructions scanned for the stack-bound check */

const char *attach_kind_name(enum attach_kind k)
{
	return k == ATTACH_STACK_CHECK_BRANCH ? "stack-check branch" : "entry";
}

enum step { STEP_OTHER, STEP_CHECK, STEP_SCRATCH, STEP_FRAME, STEP_BRANCH };

/* amd64: classify one prologue instruction. */
static enum step x86_step(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_CMP:
		/* cmp rsp|r12, [r14+0x10] */
		if (x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_R14 &&
		    (x->operands[1].mem.disp == STACKGUARD0_OFF || x->operands[1].mem.disp == STACKGUARD1_OFF))
			return STEP_CHECK;
		return STEP_OTHER;
	case X86_INS_LEA:
	case X86_INS_MOV:
	case X86_INS_SUB:
		/* large frames compute rsp-framesize into r12 first */
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    (x->operands[0].reg == X86_REG_R12 || x->operands[0].reg == X86_REG_R13))
			return STEP_SCRATCH;
		if (in->id == X86_INS_SUB && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP)
			return STEP_FRAME;
		return STEP_OTHER;
	case X86_INS_PUSH:
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
		       x->operands[0].reg == X86_REG_RBP ? STEP_FRAME : STEP_OTHER;
	case X86_INS_JBE: case X86_INS_JB: case X86_INS_JAE: case X86_INS_JA:
		return STEP_BRANCH;
	default:
		return STEP_OTHER;
	}
}

/* arm64: ldr x16,[x28,#16]; [sub x17, sp, #n]; cmp; b.ls */
static enum step arm64_step(const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;

	switch (in->id) {
	case ARM64_INS_LDR:
		if (a->op_count == 2 && a->operands[1].type == ARM64_OP_MEM &&
		    a->operands[1].mem.base == ARM64_REG_X28 &&
		    (a->operands[1].mem.disp == STACKGUARD0_OFF || a->operands[1].mem.disp == STACKGUARD1_OFF))
			return STEP_CHECK;
		return STEP_OTHER;
	case ARM64_INS_CMP:
		return STEP_SCRATCH;
	case ARM64_INS_SUB:
	case ARM64_INS_MOV:
		if (a->op_count >= 1 && a->operands[0].type == ARM64_OP_REG &&
		    (a->operands[0].reg == ARM64_REG_X16 || a->operands[0].reg == ARM64_REG_X17))
			return STEP_SCRATCH;
		if (in->id == ARM64_INS_SUB && a->operands[0].type == ARM64_OP_REG &&
		    a->operands[0].reg == ARM64_REG_SP)
			return STEP_FRAME;
		return STEP_OTHER;
	case ARM64_INS_STP:
	case ARM64_INS_STR:
		/* stp x29, x30, [sp, #-n]! / str x30, [sp, #-n]! */
		return a->writeback ? STEP_FRAME : STEP_OTHER;
	case ARM64_INS_B:
		return a->cc != ARM64_CC_INVALID && a->cc != ARM64_CC_AL ? STEP_BRANCH : STEP_OTHER;
	default:
		return STEP_OTHER;
	}
}

/* The stack check compares SP (or SP - frame) with the guard, unsigned:
 * whichever way the branch points, the call goes to morestack when SP is
 * below the guard (or equal, for the "lower or same" forms). */
static enum ht_morestack_cond morestack_cond(uint16_t machine, const cs_insn *in)
{
	if (machine == EM_AARCH64) {
		switch (in->detail->arm64.cc) {
		case ARM64_CC_LS: case ARM64_CC_HI: return HT_MORESTACK_ARM64_LS;
		case ARM64_CC_LO: case ARM64_CC_HS: return HT_MORESTACK_ARM64_LO;
		default: return HT_MORESTACK_NONE;
		}
	}
	switch (in->id) {
	case X86_INS_JBE: case X86_INS_JA: return HT_MORESTACK_X86_BE;
	case X86_INS_JB: case X86_INS_JAE: return HT_MORESTACK_X86_B;
	default: return HT_MORESTACK_NONE;
	}
}

static bool is_ret(uint16_t machine, const cs_insn *in)
{
	return machine == EM_AARCH64 ? in->id == ARM64_INS_RET : in->id == X86_INS_RET;
}

/* Go pads between functions with int3 (amd64) or zero words (arm64). */
static bool only_padding(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0xcc && p[i] != 0x00)
			return false;
	return true;
}

static int open_cs(uint16_t machine, csh *h)
{
	cs_err e;

	if (machine == EM_X86_64)
		e = cs_open(CS_ARCH_X86, CS_MODE_64, h);
	else if (machine == EM_AARCH64)
		e = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, h);
	else
		return ht_fail("no instruction decoder for ELF machine %u", machine);
	if (e != CS_ERR_OK)
		return ht_fail("capstone: %s", cs_strerror(e));
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

int decode_function(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry, bool assembly,
		    struct func_code *out)
{
	enum step (*step)(const cs_insn *) = machine == EM_AARCH64 ? arm64_step : x86_step;
	bool saw_check = false, prologue_done = assembly, prologue_ok = assembly;
	const uint8_t *p = code;
	uint64_t addr = entry;
	size_t left = len;
	cs_insn *in;
	csh h;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->attach = entry;
	out->attach_kind = ATTACH_ENTRY;
	if (open_cs(machine, &h))
		return -1;
	in = cs_malloc(h);
	while (left) {
		uint64_t at = addr;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			if (only_padding(p, left))
				break;
			/* arm64 instructions are 4 bytes: a word Capstone 4 does not
			 * know (LSE atomics) still ends where the next one starts. */
			if (machine == EM_AARCH64 && left >= ARM64_INSN_LEN && out->ninsns) {
				p += ARM64_INSN_LEN;
				left -= ARM64_INSN_LEN;
				addr += ARM64_INSN_LEN;
				out->ninsns++;
				out->nunknown++;
				continue;
			}
			err = ht_fail("instruction at 0x%llx (+0x%llx) does not decode",
				      (unsigned long long)at, (unsigned long long)(at - entry));
			goto out;
		}
		out->ninsns++;
		if (!prologue_done) {
			enum step s = step(in);

			if (s == STEP_CHECK) {
				saw_check = true;
			} else if (s == STEP_BRANCH && saw_check) {
				/* Argument registers are untouched here: only scratch
				 * registers and flags were written so far. */
				out->attach = at;
				out->attach_kind = ATTACH_STACK_CHECK_BRANCH;
				out->morestack = morestack_cond(machine, in);
				prologue_ok = true;
				prologue_done = true;
			} else if (s == STEP_FRAME && out->ninsns == 1) {
				prologue_ok = true; /* nosplit function with a frame */
				prologue_done = true;
			} else if (s == STEP_BRANCH && out->ninsns < PROLOGUE_WINDOW) {
				/* huge frames: rsp-framesize wrapped? (jb) before the check */
			} else if (s != STEP_SCRATCH || out->ninsns >= PROLOGUE_WINDOW) {
				prologue_done = true;
			}
		}
		if (is_ret(machine, in)) {
			if (out->nexits == HT_MAX_EXITS) {
				err = ht_fail("more than %d RET instructions", HT_MAX_EXITS);
				goto out;
			}
			out->exits[out->nexits++] = at;
		}
	}
	if (!prologue_ok)
		err = ht_fail("the code at 0x%llx does not start like a Go function (no stack-bound check, no frame set-up)",
			      (unsigned long long)entry);
out:
	cs_free(in, 1);
	cs_close(&h);
	return err;
}

/* Calls fn for each instruction of [entry, entry+len) until it returns
 * false; stops at the first word that does not decode (arm64 words that
 * Capstone 4 does not know are stepped over, see decode_function). */
static void decode_each(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
			bool (*fn)(void *ctx, uint16_t machine, const cs_insn *in), void *ctx)
{
	const uint8_t *p = code;
	uint64_t addr = entry;
	size_t left = len;
	cs_insn *in;
	csh h;

	if (open_cs(machine, &h))
		return;
	in = cs_malloc(h);
	while (left) {
		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			if (machine != EM_AARCH64 || left < ARM64_INSN_LEN)
				break;
			p += ARM64_INSN_LEN;
			left -= ARM64_INSN_LEN;
			addr += ARM64_INSN_LEN;
			continue;
		}
		if (!fn(ctx, machine, in))
			break;
	}
	cs_free(in, 1);
	cs_close(&h);
}

struct addr_list {
	uint64_t *out;
	size_t n, max;
	uint64_t pages[32]; /* arm64: what each register's last adrp set */
};

static bool collect_indirect_call(void *ctx, uint16_t machine, const cs_insn *in)
{
	struct addr_list *l = ctx;
	bool call = machine == EM_AARCH64 ? in->id == ARM64_INS_BLR
					  : in->id == X86_INS_CALL && in->detail->x86.op_count == 1 &&
						    in->detail->x86.operands[0].type == X86_OP_REG;

	if (call)
		l->out[l->n++] = in->address + in->size;
	return l->n < l->max;
}

size_t decode_indirect_call_returns(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
				    uint64_t *out, size_t max)
{
	struct addr_list l = { .out = out, .max = max };

	if (max)
		decode_each(machine, code, len, entry, collect_indirect_call, &l);
	return l.n;
}

/* x86-64: [rip+disp] operands; the address is relative to the next instruction. */
static bool x86_data_ref(const cs_insn *in, uint64_t *target)
{
	const cs_x86 *x = &in->detail->x86;
	int i;

	if (in->id != X86_INS_LEA && in->id != X86_INS_MOV)
		return false;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_RIP) {
			*target = in->address + in->size + (uint64_t)x->operands[i].mem.disp;
			return true;
		}
	return false;
}

/* arm64: adrp xN, page then add xN, xN, #lo (or a load/store at [xN, #lo]).
 * pages[] holds what each register's last adrp set, 0 when unknown. */
static bool arm64_data_ref(const cs_insn *in, uint64_t pages[32], uint64_t *target)
{
	const cs_arm64 *a = &in->detail->arm64;
	unsigned r;

	if (a->op_count < 2 || a->operands[0].type != ARM64_OP_REG)
		return false;
	r = (unsigned)(a->operands[0].reg - ARM64_REG_X0);
	if (in->id == ARM64_INS_ADRP && a->operands[1].type == ARM64_OP_IMM) {
		if (r < 32)
			pages[r] = (uint64_t)a->operands[1].imm;
		return false;
	}
	if (in->id == ARM64_INS_ADD && a->op_count == 3 && a->operands[1].type == ARM64_OP_REG &&
	    a->operands[2].type == ARM64_OP_IMM) {
		unsigned src = (unsigned)(a->operands[1].reg - ARM64_REG_X0);

		if (src < 32 && pages[src]) {
			*target = pages[src] + (uint64_t)a->operands[2].imm;
			return true;
		}
	}
	return false;
}

static bool collect_data_ref(void *ctx, uint16_t machine, const cs_insn *in)
{
	struct addr_list *l = ctx;
	uint64_t target;

	if (machine == EM_AARCH64 ? arm64_data_ref(in, l->pages, &target) : x86_data_ref(in, &target))
		l->out[l->n++] = target;
	return l->n < l->max;
}

size_t decode_data_refs(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry,
			uint64_t *out, size_t max)
{
	struct addr_list l = { .out = out, .max = max };

	if (max)
		decode_each(machine, code, len, entry, collect_data_ref, &l);
	return l.n;
}

struct call_list {
	struct addr_list l;
	uint64_t target;
};

static bool collect_direct_call(void *ctx, uint16_t machine, const cs_insn *in)
{
	struct call_list *c = ctx;
	bool call;

	if (machine == EM_AARCH64)
		call = in->id == ARM64_INS_BL && in->detail->arm64.op_count == 1 &&
		       in->detail->arm64.operands[0].type == ARM64_OP_IMM &&
		       (uint64_t)in->detail->arm64.operands[0].imm == c->target;
	else
		call = in->id == X86_INS_CALL && in->detail->x86.op_count == 1 &&
		       in->detail->x86.operands[0].type == X86_OP_IMM &&
		       (uint64_t)in->detail->x86.operands[0].imm == c->target;
	if (call)
		c->l.out[c->l.n++] = in->address;
	return c->l.n < c->l.max;
}

size_t decode_direct_calls(uint16_t machine, const uint8_t *code, size_t len, uint64_t entry, uint64_t target,
			   uint64_t *out, size_t max)
{
	struct call_list c = { .l = { .out = out, .max = max }, .target = target };

	if (max)
		decode_each(machine, code, len, entry, collect_direct_call, &c);
	return c.l.n;
}

size_t scan_direct_calls(uint16_t machine, const uint8_t *code, size_t len, uint64_t base, uint64_t target,
			 uint64_t *out, size_t max)
{
	size_t i, n = 0;

	if (machine == EM_AARCH64) {
		/* BL: 100101 imm26, a word offset from the instruction */
		for (i = 0; i + 4 <= len && n < max; i += 4) {
			uint32_t w;
			int64_t off;

			memcpy(&w, code + i, 4);
			if ((w & 0xfc000000u) != 0x94000000u)
				continue;
			off = (int64_t)((int32_t)(w << 6) >> 6) * 4;
			if (base + i + (uint64_t)off == target)
				out[n++] = base + i;
		}
		return n;
	}
	/* E8 rel32, relative to the next instruction */
	for (i = 0; i + 5 <= len && n < max; i++) {
		int32_t rel;

		if (code[i] != 0xe8)
			continue;
		memcpy(&rel, code + i + 1, 4);
		if (base + i + 5 + (uint64_t)(int64_t)rel == target)
			out[n++] = base + i;
	}
	return n;
}
