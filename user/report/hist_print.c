// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdint.h>
#include "report/hist_print.h"

#define BAR_WIDTH 30

const char *fmt_ns(char *buf, size_t len, unsigned long long ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

const char *fmt_bytes(char *buf, size_t len, unsigned long long b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

int hist_print_rows(const struct ht_hist *h)
{
	int lo = -1, hi = -1, s;

	for (s = 0; s < HT_HIST_SLOTS; s++)
		if (h->slots[s]) {
			if (lo < 0)
				lo = s;
			hi = s;
		}
	return lo < 0 ? 1 : hi - lo + 2;
}

void hist_print(FILE *out, const struct ht_hist *h, const char *indent)
{
	int lo = -1, hi = -1, s, i;
	uint64_t max = 0;

	for (s = 0; s < HT_HIST_SLOTS; s++) {
		if (!h->slots[s])
			continue;
		if (lo < 0)
			lo = s;
		hi = s;
		if (h->slots[s] > max)
			max = h->slots[s];
	}
	if (lo < 0) {
		fprintf(out, "%s(no samples)\n", indent);
		return;
	}
	fprintf(out, "%s%-21s : %-8s %s\n", indent, "duration", "count", "distribution");
	for (s = lo; s <= hi; s++) {
		char a[16], b[16];
		int stars = (int)((h->slots[s] * BAR_WIDTH + max - 1) / max);

		fmt_ns(a, sizeof(a), s ? 1ull << s : 0);
		fmt_ns(b, sizeof(b), (1ull << (s + 1)) - 1);
		fprintf(out, "%s%9s -> %-9s : %-8llu |", indent, a, b, (unsigned long long)h->slots[s]);
		for (i = 0; i < BAR_WIDTH; i++)
			fputc(i < stars ? '*' : ' ', out);
		fputs("|\n", out);
	}
}
