/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Closing the last reference to a uprobe link waits for an RCU grace period
 * (tens of ms). A small process started early takes such descriptors over a
 * unix socket and closes them, so that neither heaptrace's loop nor its
 * exit waits for the kernel. When heaptrace goes (even by SIGKILL), the
 * closer reads EOF, closes what it holds and exits.
 */
#ifndef HT_UTIL_FD_CLOSER_H
#define HT_UTIL_FD_CLOSER_H

/* Starts the closer (a double fork: no zombie). Without it, closes are
 * done in place. Call before opening what it will close. */
void fd_closer_start(void);
/* Hands fd to the closer, then closes this process's copy. */
void fd_close_later(int fd);
#endif
