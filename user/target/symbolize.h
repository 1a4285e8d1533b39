/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names code addresses of a running Go program: function and file:line,
 * from pclntab (present even in stripped binaries), inlined calls expanded. */
#ifndef HT_TARGET_SYMBOLIZE_H
#define HT_TARGET_SYMBOLIZE_H
#include <stddef.h>
#include <stdint.h>
#include "target/goinline.h"
#include "target/target.h"

/* The logical frames of a user stack (innermost first, runtime addresses;
 * frames after the first are return addresses, looked up at the call, one
 * byte before). Each address gives its inlined frames, innermost first, then
 * its function's; one it cannot name gives a frame with func NULL. Frame pcs
 * are runtime addresses. Returns how many of out[0..max) were filled. */
size_t go_stack_frames(const struct target *t, const uint64_t *stack, size_t n, struct go_frame *out, size_t max);
/* The first of those frames that is not the Go runtime's, as
 * "pkg.Func (file.go:line)": the inlined function with its own line. False
 * if every frame is the runtime's. */
bool go_stack_site(const struct target *t, const uint64_t *stack, size_t n, char *buf, size_t len);
/* True for functions of the runtime and its internal packages. */
bool go_runtime_func(const char *name);
#endif
