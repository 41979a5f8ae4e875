/* SPDX-License-Identifier: BSD-2-Clause */
/* The live counter on a terminal, as dumpcap shows: messages, bytes and losses so far. */
#include "cli/progress.h"

#include <unistd.h>

#define REDRAW_NS 1000000000ull

void uc_progress_init(struct uc_progress *p, FILE *out, bool messages_on_terminal)
{
	p->out = out && isatty(fileno(out)) && !messages_on_terminal ? out : NULL;
	p->next_ns = 0;
	p->drawn = false;
}

/* 1234567 -> "1.2 MB": the line keeps its width while the figure grows. */
static void human_bytes(uint64_t n, char *out, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void draw(struct uc_progress *p, const struct uc_stats *st)
{
	char bytes[32];

	human_bytes(st->bytes, bytes, sizeof(bytes));
	/* \r back to the start, \033[K clears what a longer earlier line left */
	fprintf(p->out, "\rmessages: %llu  bytes: %s  lost: %llu\033[K",
		(unsigned long long)st->messages, bytes, (unsigned long long)st->lost_msgs);
	fflush(p->out);
	p->drawn = true;
}

void uc_progress_update(struct uc_progress *p, const struct uc_stats *st, uint64_t now_ns)
{
	if (!p->out || now_ns < p->next_ns)
		return;
	p->next_ns = now_ns + REDRAW_NS;
	draw(p, st);
}

void uc_progress_end(struct uc_progress *p, const struct uc_stats *st)
{
	if (!p->out || !p->drawn)
		return;
	draw(p, st);
	fputc('\n', p->out);
}
