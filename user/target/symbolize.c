// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "target/symbolize.h"

/* Enough for a growth stack's 32 physical frames, each a few inlined deep. */
#define SITE_FRAMES 256

bool go_runtime_func(const char *name)
{
	static const char *const prefixes[] = { "runtime.", "internal/runtime/", "runtime/internal/", NULL };
	int i;

	for (i = 0; prefixes[i]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

size_t go_stack_frames(const struct target *t, const uint64_t *stack, size_t n, struct go_frame *out, size_t max)
{
	size_t i, k, got = 0;

	for (i = 0; i < n && stack[i] && got < max; i++) {
		/* A return address is the instruction after the call: look up
		 * the call itself. The first frame is where the probe hit. */
		uint64_t pc = stack[i] - t->load_bias - (i ? 1 : 0);
		size_t m = go_inline_frames(t, t->layout, pc, out + got, max - got);

		if (!m) {
			out[got++] = (struct go_frame){ .pc = pc };
			m = 1;
		} else {
			got += m;
		}
		for (k = got - m; k < got; k++)
			out[k].pc += t->load_bias;
	}
	return got;
}

bool go_stack_site(const struct target *t, const uint64_t *stack, size_t n, char *buf, size_t len)
{
	struct go_frame fr[SITE_FRAMES];
	size_t i, nf = go_stack_frames(t, stack, n, fr, SITE_FRAMES);

	for (i = 0; i < nf; i++) {
		if (!fr[i].func || go_runtime_func(fr[i].func))
			continue;
		if (!fr[i].file)
			snprintf(buf, len, "%s (pc 0x%llx)", fr[i].func, (unsigned long long)fr[i].pc);
		else
			snprintf(buf, len, "%s (%s:%d)", fr[i].func, fr[i].file, fr[i].line);
		return true;
	}
	return false;
}
