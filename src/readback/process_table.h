/* SPDX-License-Identifier: BSD-2-Clause */
/* The processes a file's process blocks describe, as a replay reads them, so that -r -w carries
 * the blocks over instead of describing this machine's processes. */
#ifndef UNIXCAP_PROCESS_TABLE_H
#define UNIXCAP_PROCESS_TABLE_H

#include <stdint.h>

#include "format/process_block.h"
#include "unixcap.h"

/* Keeps p as pid's description, replacing an earlier one (an exec). 0, or -1 without memory. */
int uc_process_table_keep(struct uc_process_table *t, const struct uc_process_info *p);
/* A uc_process_source_fn (sinks/process_blocks.h) over the table: pid's newest description,
 * or -1 when the file had none. ctx is the table. */
int uc_process_table_source(void *ctx, uint32_t pid, const char *comm, struct uc_process_info *p);

#endif
