/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --redact: the exports (/metrics, --textfile, /debug/pprof/maps, --pprof)
 * without the traced programs' addresses and variable names, for endpoints
 * that leave the host:
 *
 *   what                          exported as              with --redact
 *   map addr label (metrics,      0x<heap address>         r<16 hex>: an HMAC of the address under a
 *     pprof)                                                key drawn at start, stable for the run
 *   site naming a global          global main.cache        global
 *   site naming code              main.f (/src/x.go:42)    main.f
 *   the one frame of a map held   global main.cache        global
 *     by a global (pprof)
 *   held_by (metrics labels,      main.reg.byID,           global; goroutine main.worker (the code
 *     pprof labels and frames)    goroutine 7 main.worker    that holds it); small maps by holder
 *                                                          left out
 *   source file names (pprof)     /src/x.go                (none; functions and line numbers stay)
 *   code addresses and the        where the target maps    as in the executable file: the load
 *     mapping (pprof)             them (ASLR)              address is left out
 *
 * Kept: map types and function names (the program's code, not its data),
 * pid, exe, comm, Go version, container and pod IDs, and every figure. The
 * live view, the text report and --json stay on this host and keep all.
 */
#ifndef HT_EXPORT_REDACT_H
#define HT_EXPORT_REDACT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Once, before anything is rendered; -1 after ht_fail (no random key). */
int redact_enable(void);
bool redact_on(void);
/* The addr label of a map header. */
const char *redact_addr(uint64_t addr, char *buf, size_t len);
/* A site label (or the frame named after it). */
const char *redact_site(const char *site, char *buf, size_t len);
/* What holds a map ("main.reg.byID", "goroutine 7 main.worker"): "global",
 * or "goroutine main.worker" (its code, not its data). */
const char *redact_held_by(const char *held_by, char *buf, size_t len);
/* A source file name. */
const char *redact_file(const char *file);
/* A code address the target maps at load_bias + its address in the file. */
uint64_t redact_code_addr(uint64_t addr, uint64_t load_bias);
#endif
