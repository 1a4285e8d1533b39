/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The HTTP server's connection limits, beside libmicrohttpd's own:
 *
 *   - a whole-request deadline. libmicrohttpd's timeout is an idle
 *     timeout: a client that sends a header byte every few seconds keeps
 *     its connection forever. Here each connection must have its request
 *     answered within the deadline, counted from its accept (or from its
 *     previous response, on a kept-alive connection), whatever it sends;
 *     an overdue one is shut down (the server's own thread then closes it).
 *   - per-address and total connection counts, for the accept policy, so
 *     that a refusal can be logged (libmicrohttpd refuses silently).
 *
 * Each limit's first refusal or cut is reported once (the caller logs it);
 * later ones are counted.
 */
#ifndef HT_SERVE_CONN_GUARD_H
#define HT_SERVE_CONN_GUARD_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct conn_slot {
	bool used;
	int fd;
	uint8_t ip[16];
	uint8_t iplen;
	uint64_t deadline_ns;
};

struct conn_guard {
	pthread_mutex_t lock;
	struct conn_slot *slots;
	unsigned max_conns, per_ip, open;
	uint64_t deadline_ns;
	uint64_t refused_total, refused_per_ip, cut;
};

enum conn_verdict { CONN_ADMIT, CONN_REFUSED_TOTAL, CONN_REFUSED_PER_IP };

int conn_guard_init(struct conn_guard *g, unsigned max_conns, unsigned per_ip, uint64_t deadline_ns);
void conn_guard_free(struct conn_guard *g);
/* Whether a connection from sa may be taken now; *first is set when this
 * is the first refusal of its kind (to be logged). */
enum conn_verdict conn_guard_admit(struct conn_guard *g, const struct sockaddr *sa, socklen_t len, bool *first);
/* A taken connection: its slot + 1 (0: no slot, a race past the limit; the
 * connection is then served without a deadline of its own, and libmicrohttpd's
 * limits still hold). */
int conn_guard_open(struct conn_guard *g, int fd, const struct sockaddr *sa, socklen_t len, uint64_t now_ns);
/* A response sent: the next request's deadline counts from now. */
void conn_guard_answered(struct conn_guard *g, int slot, uint64_t now_ns);
void conn_guard_close(struct conn_guard *g, int slot);
/* Shuts down every connection past its deadline; how many. *first is set
 * when these are the first cuts (to be logged). */
unsigned conn_guard_sweep(struct conn_guard *g, uint64_t now_ns, bool *first);
#endif
