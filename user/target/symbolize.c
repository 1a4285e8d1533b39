#include <stdio.h>
#include <string.h>
#include "target/symbolize.h"

bool go_runtime_func(const char *name)
{
	static const char *const prefixes[] = { "runtime.", "internal/runtime/", "runtime/internal/", NULL };
	int i;

	for (i = 0; prefixes[i]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

bool go_stack_site(const struct target *t, const uint64_t *stack, size_t n, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < n && stack[i]; i++) {
		/* A return address is the instruction after the call: look up
		 * the call itself. The first frame is where the probe hit. */
		uint64_t pc = stack[i] - t->load_bias - (i ? 1 : 0);
		const struct go_func *f = go_funcs_at(&t->funcs, pc);
		const char *file;
		int line;

		if (!f || go_runtime_func(f->name))
			continue;
		if (go_funcs_line(&t->funcs, pc, &file, &line))
			snprintf(buf, len, "%s (pc 0x%llx)", f->name, (unsigned long long)(pc + t->load_bias));
		else
			snprintf(buf, len, "%s (%s:%d)", f->name, file, line);
		return true;
	}
	return false;
}
