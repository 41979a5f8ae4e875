/* SPDX-License-Identifier: BSD-2-Clause */
/* The running captures know each other, so that none captures another's I/O (its output above all). */
#ifndef UNIXCAP_REGISTRY_H
#define UNIXCAP_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#define UC_REGISTRY_MAX 64 /* other captures' maps kept open to leave them at the end */

struct uc_registry {
	int own_fd;    /* this capture's uc_captures map */
	uint32_t tgid; /* our entry: pid and start time in clock ticks */
	uint64_t start;
	unsigned met; /* other captures found */
	int fds[UC_REGISTRY_MAX];
	unsigned n_fds;
};

/* Enters this process in own_fd and in every other capture's uc_captures map, and theirs in
 * own_fd. -1 when the others could not be looked for (finding maps needs CAP_SYS_ADMIN): then
 * only the captures that start later, as root, know of this one. */
int uc_registry_join(struct uc_registry *r, int own_fd);
/* Takes this process out of the other captures' maps (a capture that dies without it stays
 * there harmlessly: its start time matches no later process of the same pid). */
void uc_registry_leave(struct uc_registry *r);

#endif
