// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include "trace/attach_warmup.h"
#include "trace/uprobe_multi.h"
#include "util/fd_closer.h"
#include "util/log.h"
#include "util/proc_maps.h"

/* Well inside a grace period (several ms here), so the switch never lapses. */
#define WARMUP_PERIOD_NS (3 * 1000000L)
/* A bound (150 ms), should the attach not come soon (host mode with no Go
 * program yet): then stop anyway. */
#define WARMUP_MAX_LINKS 50

static pthread_t warmup_thread;
static bool warmup_running;
static pthread_mutex_t warmup_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t warmup_wake;
static bool warmup_done; /* under warmup_lock */
static int warmup_prog = -1;
static uint64_t warmup_offset;
/* Kept until the thread stops (closing one waits for the kernel), then
 * handed to the fd closer. */
static int warmup_links[WARMUP_MAX_LINKS];
static int warmup_nlinks;

/* Where the throwaway uprobes go: never called, so never hit. */
__attribute__((noinline, used)) void attach_warmup_never_called(void)
{
	__asm__ volatile("");
}

/* Sleeps one period, or less if told to stop; true if told. */
static bool wait_period(void)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += WARMUP_PERIOD_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&warmup_lock);
	while (!warmup_done && pthread_cond_timedwait(&warmup_wake, &warmup_lock, &until) == 0)
		;
	done = warmup_done;
	pthread_mutex_unlock(&warmup_lock);
	return done;
}

static void *warmup_loop(void *arg)
{
	int fd;

	(void)arg;
	while (warmup_nlinks < WARMUP_MAX_LINKS) {
		fd = uprobe_multi_link(warmup_prog, "/proc/self/exe", &warmup_offset, NULL, 1, getpid());
		if (fd < 0) {
			ht_debug("attach warm-up: %s (the attach will wait a grace period)", ht_last_error());
			break;
		}
		warmup_links[warmup_nlinks++] = fd;
		if (wait_period())
			break;
	}
	while (warmup_nlinks > 0)
		fd_close_later(warmup_links[--warmup_nlinks]);
	return NULL;
}

void attach_warmup_start(void)
{
	pthread_condattr_t ca;

	if (warmup_running || own_file_offset((const void *)attach_warmup_never_called, &warmup_offset))
		return;
	/* uprobe_multi links (Linux 6.6+): a perf uprobe would do as well, but
	 * closing one holds the kernel's event_mutex across a grace period,
	 * which stalls the next heaptrace's warm-up. */
	warmup_prog = uprobe_multi_noop_program();
	if (warmup_prog < 0)
		return;
	warmup_done = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&warmup_wake, &ca);
	pthread_condattr_destroy(&ca);
	warmup_running = !pthread_create(&warmup_thread, NULL, warmup_loop, NULL);
	if (!warmup_running) {
		close(warmup_prog);
		warmup_prog = -1;
	}
}

void attach_warmup_stop(void)
{
	if (!warmup_running)
		return;
	pthread_mutex_lock(&warmup_lock);
	warmup_done = true;
	pthread_cond_signal(&warmup_wake);
	pthread_mutex_unlock(&warmup_lock);
	pthread_join(warmup_thread, NULL);
	warmup_running = false;
	close(warmup_prog);
	warmup_prog = -1;
}
