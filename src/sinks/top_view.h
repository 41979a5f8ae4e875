/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap top's refresh: a screen redrawn in place on a terminal, or plain lines. */
#ifndef UNIXCAP_TOP_VIEW_H
#define UNIXCAP_TOP_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conversations/traffic_table.h"

struct uc_top_view {
	bool tty;                  /* a full screen redrawn in place; otherwise plain lines */
	unsigned short rows, cols; /* the terminal's size (tty only) */
	bool cleared;              /* the screen was cleared at this size */
	uint64_t start_ns;         /* CLOCK_MONOTONIC when the hooks were attached */
};

/* The size is 24 x 80 until uc_top_view_resize gives the terminal's own. */
void uc_top_view_init(struct uc_top_view *v, bool tty, uint64_t start_ns);
/* The terminal's size now; a change has the next draw clear the whole screen. */
void uc_top_view_resize(struct uc_top_view *v, unsigned short rows, unsigned short cols);
/* One refresh, in one write to out, then flushed: the header from st (elapsed time up to
 * mono_ns, CLOCK_MONOTONIC; the clock from wall_ns, ns since the epoch, in local time), the
 * tables from table. Returns 0, or -1 with errno (EPIPE when the reader left). */
int uc_top_view_draw(struct uc_top_view *v, FILE *out, struct uc_traffic_table *table,
		     const struct uc_stats *st, uint64_t mono_ns, uint64_t wall_ns);
/* After the last refresh, on a terminal: attributes reset, the cursor shown again and the
 * prompt below the screen. Nothing in plain mode. */
void uc_top_view_end(const struct uc_top_view *v, FILE *out);

#endif
