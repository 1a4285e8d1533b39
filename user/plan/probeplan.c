// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "util/log.h"
#include "plan/probeplan.h"

static void skip(struct probe_plan *plan, const struct probe_spec *s, bool absent, const char *why)
{
	struct skipped_probe *k = &plan->skipped[plan->nskipped++];

	k->spec = s;
	k->absent = absent;
	snprintf(k->why, sizeof(k->why), "%s", why);
}

/* Decodes the function and checks that every address we would probe lies in
 * it and in the file's executable part. */
static int plan_one(const struct target *t, const struct probe_spec *s, struct planned_probe *p)
{
	const struct go_func *f = go_funcs_find(&t->funcs, s->symbol);
	const uint8_t *code;
	uint64_t len, off;

	if (!f)
		return ht_fail("not in this binary%s", s->optional ? " (the program does not use it)" : "");
	p->spec = s;
	p->func = *f;
	/* the table's own name: f's points into the file's bytes, which go
	 * once the program is analysed */
	p->func.name = s->symbol;
	/* .symtab sizes can be 0 for assembly; fall back on pclntab's extent. */
	if (p->func.end <= p->func.entry) {
		struct go_func pf;

		if (!go_funcs_at(&t->funcs, f->entry, &pf, NULL) || pf.entry != f->entry)
			return ht_fail("entry 0x%llx is not a pclntab function entry", (unsigned long long)f->entry);
		p->func.end = pf.end;
	}
	len = p->func.end - p->func.entry;
	code = elf_vaddr_bytes(&t->elf, p->func.entry, len);
	if (!code || elf_vaddr_to_offset(&t->elf, p->func.entry, &off))
		return ht_fail("code at 0x%llx is not in an executable segment of the file",
			       (unsigned long long)p->func.entry);
	if (decode_function(t->elf.machine, code, len, p->func.entry, s->assembly, &p->code))
		return ht_fail("not probed: %s", ht_last_error());
	return 0;
}

/* Candidates for the calls found in text by their encoding, at most. */
#define CALL_CANDIDATES 256

/* Every direct call of p's function in the program, each checked by
 * decoding the function it is in from that function's entry: a call is
 * probed only where an instruction starts. None is no failure: the
 * function is then counted at its own entry and exits. */
static void find_call_sites(const struct target *t, struct planned_probe *p)
{
	uint64_t cand[CALL_CANDIDATES], done[CALL_CANDIDATES];
	size_t n = 0, ndone = 0, i, k;
	int s;

	for (s = 0; s < t->elf.nsegs && n < CALL_CANDIDATES; s++) {
		const struct elf_segment *seg = &t->elf.segs[s];
		const uint8_t *text;

		if (!(seg->flags & PF_X) || !(text = elf_vaddr_bytes(&t->elf, seg->vaddr, seg->filesz)))
			continue;
		n += scan_direct_calls(t->elf.machine, text, seg->filesz, seg->vaddr, p->func.entry, cand + n,
				       CALL_CANDIDATES - n);
	}
	for (i = 0; i < n; i++) {
		struct go_func f;
		const uint8_t *code;

		/* each function once: it yields all its calls */
		if (!go_funcs_at(&t->funcs, cand[i], &f, NULL) || f.end <= f.entry)
			continue;
		for (k = 0; k < ndone && done[k] != f.entry; k++)
			;
		if (k < ndone)
			continue;
		done[ndone++] = f.entry;
		code = elf_vaddr_bytes(&t->elf, f.entry, f.end - f.entry);
		if (code)
			p->ncalls += (int)decode_direct_calls(t->elf.machine, code, f.end - f.entry, f.entry, p->func.entry,
							      p->calls + p->ncalls,
							      (size_t)(PLAN_MAX_CALL_SITES - p->ncalls));
		if (p->ncalls == PLAN_MAX_CALL_SITES)
			break;
	}
}

bool plan_has_handler(const struct probe_plan *plan, enum ht_handler h)
{
	int i;

	for (i = 0; i < plan->n; i++)
		if (plan->probes[i].spec->handler == h)
			return true;
	return false;
}

bool plan_covers_handler(const struct probe_plan *plan, enum ht_handler h)
{
	int i;

	for (i = 0; i < plan->nskipped; i++)
		if (plan->skipped[i].spec->handler == h && !plan->skipped[i].absent)
			return false;
	return plan_has_handler(plan, h);
}

int plan_probes(const struct target *t, enum ht_tier max_tier, struct probe_plan *plan)
{
	size_t i;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < runtime_probes_len; i++) {
		const struct probe_spec *s = &runtime_probes[i];
		struct planned_probe *p = &plan->probes[plan->n];
		int points;

		if (s->tier > max_tier || !probe_applies(s, t->bi.ver.minor))
			continue;
		if (plan->n == PLAN_MAX_PROBES)
			break;
		if (plan_one(t, s, p)) {
			skip(plan, s, !go_funcs_find(&t->funcs, s->symbol), ht_last_error());
			continue;
		}
		if (s->call_sites)
			find_call_sites(t, p);
		points = 1 + (s->exits ? p->code.nexits : 0) + p->ncalls;
		if (plan->npoints + points > HT_PLAN_POINTS) {
			skip(plan, s, false, "too many attach points");
			continue;
		}
		plan->npoints += points;
		plan->n++;
	}
	if (!plan->n)
		return ht_fail("no runtime function of %s could be planned for probing", t->exe);
	return 0;
}
