/* SPDX-License-Identifier: BSD-2-Clause */
/* The live counter on a terminal, as dumpcap shows: messages, bytes and losses so far. */
#ifndef UNIXCAP_PROGRESS_H
#define UNIXCAP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "unixcap.h"

struct uc_progress {
	FILE *out;        /* NULL: off */
	uint64_t next_ns; /* when the line is next redrawn */
	bool drawn;
};

/* On when out is a terminal and the messages themselves do not go to that terminal. */
void uc_progress_init(struct uc_progress *p, FILE *out, bool messages_on_terminal);
/* Redraws the line at most once a second. */
void uc_progress_update(struct uc_progress *p, const struct uc_stats *st, uint64_t now_ns);
/* Draws the final figures and ends the line, so that what is printed next starts on its own. */
void uc_progress_end(struct uc_progress *p, const struct uc_stats *st);

#endif
