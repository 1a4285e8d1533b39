/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The first uprobe registered after a quiet spell waits for an RCU grace
 * period: registration takes the kernel's dup_mmap_sem for writing, and
 * that percpu rwsem first moves its readers to the slow path (rcu_sync).
 * The switch stays in force for a grace period after the last writer, so a
 * registration that follows another closely does not wait. Measured here:
 * the first uprobe_multi link of a launch took 10-19 ms, all of it asleep;
 * with another registration a few ms before, 0.1 ms.
 *
 * So while the BPF programs load and the plan is made (20-40 ms), a thread
 * attaches a throwaway uprobe every few ms to a heaptrace function that
 * never runs, and the real attach finds the switch warm. They stay open
 * until then (150 ms at most); the fd closer closes them (a close waits for
 * the kernel too).
 */
#ifndef HT_TRACE_ATTACH_WARMUP_H
#define HT_TRACE_ATTACH_WARMUP_H

/* Starts the thread; after fd_closer_start. Without uprobe_multi links or
 * a thread, it does nothing (the attach then waits as before). */
void attach_warmup_start(void);
/* Stops and joins it: once the real probes are attached, or at the end.
 * Idempotent. */
void attach_warmup_stop(void);
#endif
