/* SPDX-License-Identifier: BSD-2-Clause */
/* -r: the messages of a unixcap pcapng, delivered as the live capture delivered them. */
#ifndef UNIXCAP_REPLAY_H
#define UNIXCAP_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include "capture/capture.h"

struct uc_replay_stats {
	uint64_t messages; /* data messages delivered */
	uint64_t blocks;   /* blocks read */
};

/* Reads the pcapng in (a file or a pipe) and calls fn for each message it holds that passes
 * filter (NULL: all), in file order, until fn returns non-zero. Returns 0, or -1 with a one-line
 * reason in err naming the block and its offset (a foreign, damaged or truncated file; messages
 * before the damage have been delivered). */
int uc_replay(FILE *in, const struct uc_filter *filter, uc_message_fn fn, void *ctx,
	      struct uc_replay_stats *stats, char *err, size_t errlen);

#endif
