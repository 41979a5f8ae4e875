/* SPDX-License-Identifier: BSD-2-Clause */
/* --children: enter the processes to follow, and those they have started already, in the
 * kernel's table of followed tgids; the fork hook enters the ones they start later. */
#ifndef UNIXCAP_FOLLOW_H
#define UNIXCAP_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enters each of pids and every descendant alive now into the followed map (map_fd). Called
 * with the fork hook attached, so a process started during the scan is entered by one or both.
 * 0, or -1 and one line in err (a pid that names no process). */
int uc_follow_start(int map_fd, const uint32_t *pids, unsigned n_pids, char *err, size_t errlen);
/* Whether any followed process is still alive. */
bool uc_follow_any_left(int map_fd);

#endif
