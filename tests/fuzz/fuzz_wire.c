// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the HTTP server's decoding of what the tracer sends it
 * (serve/wire.h), which it treats as hostile: a message header, then a
 * configuration or bodies payload. The first byte chooses; the rest is the
 * input. Anything decoded must hold the rules the server relies on. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "serve/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_wire_header h;
	struct serve_config c;
	struct serve_bodies b;
	size_t i;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (serve_wire_decode_config(data + 1, size - 1, &c) == 0) {
			assert(c.nusers <= SERVE_MAX_USERS && c.nheaders <= SERVE_MAX_HEADERS);
			assert(!c.tls || (c.cert.len && c.key.len));
			for (i = 0; i < c.nusers; i++)
				assert(serve_wire_is_bcrypt(c.users[i].hash) && !strchr(c.users[i].name, ':'));
		}
		break;
	case 1:
		if (serve_wire_decode_bodies(data + 1, size - 1, &b) == 0)
			assert(b.metrics_text.len <= size && b.pprof_maps.len <= size);
		break;
	default:
		if (size >= 1 + sizeof(h)) {
			memcpy(&h, data + 1, sizeof(h));
			if (serve_wire_check_header(&h) == 0)
				assert(h.len <= SERVE_WIRE_MAX_BODIES);
		}
	}
	return 0;
}
