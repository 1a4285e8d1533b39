// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <gnutls/crypto.h>
#include "export/redact.h"
#include "util/log.h"

static bool on;
static uint8_t key[32];

/* Sites that name data, and what is left of them. */
static const struct {
	const char *prefix;
	const char *as;
} DATA_SITES[] = {
	{ "global ", "global" },	/* the variable's name */
	{ "goroutine ", "goroutine" },	/* a goroutine's variables */
};

int redact_enable(void)
{
	if (on)
		return 0; /* one key for the run */
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return ht_fail("--redact: no random key for the address tokens: %s", strerror(errno));
	on = true;
	return 0;
}

bool redact_on(void)
{
	return on;
}

const char *redact_addr(uint64_t addr, char *buf, size_t len)
{
	uint8_t mac[32];

	if (!on) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return buf;
	}
	/* distinct maps keep distinct series; nothing of the address shows */
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, sizeof(key), &addr, sizeof(addr), mac);
	snprintf(buf, len, "r%02x%02x%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], mac[6],
		 mac[7]);
	return buf;
}

const char *redact_site(const char *site, char *buf, size_t len)
{
	const char *paren;
	size_t i;

	if (!on)
		return site;
	for (i = 0; i < sizeof(DATA_SITES) / sizeof(DATA_SITES[0]); i++)
		if (!strncmp(site, DATA_SITES[i].prefix, strlen(DATA_SITES[i].prefix)))
			return DATA_SITES[i].as;
	/* code: "main.f (/src/x.go:42)" keeps its function */
	paren = strstr(site, " (");
	snprintf(buf, len, "%.*s", paren ? (int)(paren - site) : (int)strlen(site), site);
	return buf;
}

const char *redact_held_by(const char *held_by, char *buf, size_t len)
{
	const char *fn;

	if (!on)
		return held_by;
	if (strncmp(held_by, "goroutine ", 10))
		return "global";
	/* "goroutine 7 main.worker": the function, not the goroutine's id */
	fn = strchr(held_by + 10, ' ');
	snprintf(buf, len, "goroutine %s", fn ? fn + 1 : "?");
	return buf;
}

const char *redact_file(const char *file)
{
	return on ? NULL : file;
}

uint64_t redact_code_addr(uint64_t addr, uint64_t load_bias)
{
	return on ? addr - load_bias : addr;
}
