/* SPDX-License-Identifier: BSD-2-Clause */
/* Which processes a pcapng file has described: each gets a process block before its first
 * packet, and a new one when its name changes (an exec). */
#ifndef UNIXCAP_PROCESS_BLOCKS_H
#define UNIXCAP_PROCESS_BLOCKS_H

#include <stdint.h>

#include "format/pcapng.h"
#include "format/process_block.h"

/* Describes a process that has no block yet (comm: its name in the message, NULL if not known):
 * fills p and returns 0, or returns -1 to write no block. */
typedef int (*uc_process_source_fn)(void *ctx, uint32_t pid, const char *comm,
				    struct uc_process_info *p);

struct uc_process_blocks;

struct uc_process_blocks *uc_process_blocks_new(uc_process_source_fn source, void *ctx);
/* Writes pid's block to w unless the file has one for it under this name. comm NULL: any
 * name will do. Returns 0, or -1 with errno when writing failed. */
int uc_process_blocks_announce(struct uc_process_blocks *b, struct uc_pcapng_writer *w,
			       uint32_t pid, const char *comm);
void uc_process_blocks_free(struct uc_process_blocks *b);

/* The source of a live capture: /proc (uc_process_describe). */
int uc_process_source_proc(void *ctx, uint32_t pid, const char *comm, struct uc_process_info *p);

#endif
