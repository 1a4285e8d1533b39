/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * DNS rebinding: a web page can make a browser send requests to a name that
 * the attacker then points at 127.0.0.1, and read what a loopback-only
 * server answers. The browser still says the attacker's name in the Host
 * header. So when heaptrace listens on a loopback address, it answers only
 * requests whose Host is that server: localhost, 127.0.0.1, [::1] or the
 * address it is bound to, with its port (the port may be left out only
 * where it is the scheme's default). An HTTP/1.0 request without a Host is
 * not a browser's and passes.
 */
#ifndef HT_SERVE_HOST_CHECK_H
#define HT_SERVE_HOST_CHECK_H
#include <stdbool.h>
#include <sys/socket.h>

struct host_check {
	bool active;		/* bound to a loopback address */
	unsigned port;
	bool tls;
	char bound[64];		/* the bound address as a Host names it: 127.0.0.5, [::1] */
};

/* From the listening socket's address. */
void host_check_init(struct host_check *h, const struct sockaddr *sa, socklen_t len, bool tls);
bool host_check_ok(const struct host_check *h, const char *host, bool http10);
#endif
