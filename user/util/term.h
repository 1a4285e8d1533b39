/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The size of the terminal a stream writes to: 80x24 when it is not one. */
#ifndef HT_UTIL_TERM_H
#define HT_UTIL_TERM_H
#include <stdbool.h>
#include <stdio.h>

struct term_size {
	int cols, rows;
	bool tty;
};

struct term_size term_size_of(FILE *out);
#endif
