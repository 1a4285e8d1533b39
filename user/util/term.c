// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <sys/ioctl.h>
#include <unistd.h>
#include "util/term.h"

#define DEFAULT_COLS 80
#define DEFAULT_ROWS 24
#define MIN_COLS 60
#define MIN_ROWS 12

struct term_size term_size_of(FILE *out)
{
	struct term_size t = { DEFAULT_COLS, DEFAULT_ROWS, isatty(fileno(out)) };
	struct winsize ws;

	if (t.tty && !ioctl(fileno(out), TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		t.cols = ws.ws_col < MIN_COLS ? MIN_COLS : ws.ws_col;
		t.rows = ws.ws_row < MIN_ROWS ? MIN_ROWS : ws.ws_row;
	}
	return t;
}
