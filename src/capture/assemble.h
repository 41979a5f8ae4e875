/* SPDX-License-Identifier: BSD-2-Clause */
/* Rebuilds whole messages from the ring's records: a message record, then its data slices. */
#ifndef UNIXCAP_ASSEMBLE_H
#define UNIXCAP_ASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "records/record.h"

/* A finished message: data holds stored bytes, a prefix of head->caplen. Returns non-zero to
 * ask the caller to stop. */
typedef int (*uc_assembled_fn)(const struct uc_rec_message *head, const uint8_t *data,
			       uint32_t stored, void *ctx);

struct uc_assembler;

struct uc_assembler *uc_assembler_new(unsigned ncpus);
/* Feeds one ring record. Returns what fn returned (non-zero: stop), 0, or -1 for a record
 * that is malformed (its size or fields do not add up), which is dropped. */
int uc_assembler_feed(struct uc_assembler *a, const void *rec, size_t size, uc_assembled_fn fn,
		      void *ctx);
/* Finishes every message still open; the bytes that never came are its losses. */
int uc_assembler_flush(struct uc_assembler *a, uc_assembled_fn fn, void *ctx);
/* The fds and credentials the message with this head passed, while its callback runs; NULL
 * if none. */
const struct uc_rec_ancillary *uc_assembler_ancillary(const struct uc_assembler *a,
						      const struct uc_rec_message *head);
/* Whether a message that started at or before ktime_ns is still incomplete. */
bool uc_assembler_open_before(const struct uc_assembler *a, uint64_t ktime_ns);
void uc_assembler_free(struct uc_assembler *a);

#endif
