/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --listen: the HTTP server is a stage of its own, in processes of its own,
 * across a privilege boundary from the tracer:
 *
 *   tracer (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE)
 *     binds --listen before anything is attached, reads --web-config, then
 *     forks and execs itself as the stage, with no capability in any set,
 *     no_new_privs, uid 65534 when root, an empty environment, and only
 *     the listening socket (fd 3), one end of a socketpair (fd 4) and
 *     stderr; it keeps no copy of the listening socket. Then it sends, over
 *     that socketpair only, the messages of serve/wire.h: the web
 *     configuration at start and on SIGHUP, the rendered bodies each
 *     interval. The keeper answers each configuration with one byte: up,
 *     or refused.
 *   keeper (heaptrace-serve): Landlock (no file, no TCP bind or connect),
 *     its seccomp allow-list; keeps the last configuration and bodies, and
 *     forks a worker. A worker that dies (a crash, seccomp) is logged and
 *     replaced, after a delay that grows while it keeps dying; a new
 *     configuration replaces the worker.
 *   worker (heaptrace-http): stacks a narrower allow-list (no fork, no
 *     signal, no wait), answers HTTP (serve/http.h) from what it inherited
 *     and what the keeper forwards.
 *
 * Neither can reach the tracer: no capability, another uid (or, as a
 * non-root service, the tracer's capabilities out of ptrace's reach and
 * seccomp refusing ptrace, kill and process_vm_*), no file, and what comes
 * from the tracer is decoded as hostile input.
 */
#ifndef HT_SERVE_STAGE_H
#define HT_SERVE_STAGE_H
#include "serve/wire.h"

/* argv[1] of the exec'd stage: main() hands over to serve_stage_main(). */
#define SERVE_STAGE_ARG "--internal-http-stage"
/* The stage's descriptors. */
#define SERVE_STAGE_FD_LISTEN 3
#define SERVE_STAGE_FD_CHANNEL 4

/* The stage's process: the keeper's loop. Returns the exit status. */
int serve_stage_main(void);

struct serve_stage;

/* Reads web_config (NULL: plain HTTP, no authentication), binds listen
 * (a port in use is refused), starts the stage and waits for it to serve.
 * NULL after ht_fail. */
struct serve_stage *serve_stage_start(const char *listen, const char *web_config);
/* Where it listens, e.g. "127.0.0.1:9464" (port 0 resolved). */
const char *serve_stage_address(const struct serve_stage *s);
/* "https" or "http". */
const char *serve_stage_scheme(const struct serve_stage *s);
/* Hands the bodies to the server. -1 after ht_fail when the stage is
 * gone (said once; later calls return 0 and do nothing). */
int serve_stage_publish(struct serve_stage *s, const struct serve_bodies *b);
/* Reads --web-config again and, if it is good, makes the server use it.
 * -1 after ht_fail: the previous configuration stays. */
int serve_stage_reload(struct serve_stage *s);
/* Ends the stage (closing the socketpair ends it) and reaps it. NULL is a
 * no-op. */
void serve_stage_stop(struct serve_stage *s);
#endif
