/* Names code addresses of a running Go program: function and file:line,
 * from pclntab (present even in stripped binaries). */
#ifndef HT_TARGET_SYMBOLIZE_H
#define HT_TARGET_SYMBOLIZE_H
#include <stddef.h>
#include <stdint.h>
#include "target/target.h"

/* The first frame of a user stack (innermost first, runtime addresses;
 * frames after the first are return addresses) that is not the Go runtime's,
 * as "pkg.Func (file.go:line)". False if every frame is the runtime's. */
bool go_stack_site(const struct target *t, const uint64_t *stack, size_t n, char *buf, size_t len);
/* True for functions of the runtime and its internal packages. */
bool go_runtime_func(const char *name);
#endif
