/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Moving serve/wire.h messages over a stream socket: whole messages, their
 * length checked against the type's bound before a byte of payload is
 * read, a time limit on both ends, so that neither a stuck reader nor a
 * stuck writer holds the other forever.
 */
#ifndef HT_SERVE_CHANNEL_H
#define HT_SERVE_CHANNEL_H
#include <stddef.h>
#include <stdint.h>
#include "serve/wire.h"

/* A message read whole: header, then payload (malloc'ed, NUL-terminated
 * one byte past len for convenience). 1 on a message, 0 at a clean end of
 * stream (before a header), -1 after ht_fail (cut short, over a bound, a
 * read timing out after SO_RCVTIMEO). */
struct serve_msg {
	struct serve_wire_header h;
	uint8_t *payload;
};
int channel_read(int fd, struct serve_msg *m);
void channel_msg_free(struct serve_msg *m);
/* All of buf, or -1 after ht_fail (the peer gone, SO_SNDTIMEO reached). */
int channel_write(int fd, const void *buf, size_t len);
/* SO_SNDTIMEO and SO_RCVTIMEO, in milliseconds (0: leave as is). */
int channel_timeouts(int fd, unsigned send_ms, unsigned recv_ms);

/* The keeper's one-byte replies: to a CONFIG message, the server is up
 * with it or refused it; to a BODIES message, the server serves them now. */
enum { SERVE_REPLY_UP = 'U', SERVE_REPLY_REFUSED = 'R', SERVE_REPLY_PUBLISHED = 'P' };
#endif
