/* SPDX-License-Identifier: BSD-2-Clause */
/* Reads pcapng block by block; a damaged or foreign file gets an error naming the block and offset. */
#ifndef UNIXCAP_PCAPNG_READER_H
#define UNIXCAP_PCAPNG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The block types the reader hands out; others are skipped. */
enum pcapng_block_kind {
	PCAPNG_BLOCK_SECTION = 1, /* Section Header Block */
	PCAPNG_BLOCK_INTERFACE,   /* Interface Description Block */
	PCAPNG_BLOCK_PACKET,      /* Enhanced Packet Block */
	PCAPNG_BLOCK_CUSTOM,      /* Custom Block (either type) */
};

struct uc_pcapng_block {
	enum pcapng_block_kind kind;
	uint64_t number; /* 1-based position in the file, every block counted */
	uint64_t offset; /* of its first byte */
	/* SECTION */
	char application[128]; /* shb_userappl, "" if absent */
	/* INTERFACE */
	uint16_t linktype;
	/* PACKET */
	uint32_t interface_id;
	uint16_t packet_linktype; /* the linktype of its interface */
	uint64_t ts_ns;           /* if_tsresol applied */
	uint32_t flags;           /* epb_flags, 0 if absent */
	uint32_t pid, tid;        /* epb_processid_threadid, 0 if absent */
	uint32_t origlen;
	/* PACKET data, CUSTOM data after the PEN */
	const uint8_t *data;
	uint32_t caplen;
	uint32_t pen; /* CUSTOM */
	/* PACKET, CUSTOM: the first opt_comment, NUL-terminated; NULL if none */
	const char *comment;
};

struct uc_pcapng_reader;

/* Reads from in (not closed by the reader). NULL only when out of memory. */
struct uc_pcapng_reader *uc_pcapng_reader_new(FILE *in);
/* The next block of a kind above. Returns 1, 0 at a clean end of file, or -1 when the file is
 * damaged, foreign or unreadable: uc_pcapng_reader_error() then says why, e.g. "block 7 at offset
 * 1208: block length 3 is shorter than a block". The block's pointers stay valid until the next
 * call. After -1 every later call returns -1. */
int uc_pcapng_reader_next(struct uc_pcapng_reader *r, struct uc_pcapng_block *b);
const char *uc_pcapng_reader_error(const struct uc_pcapng_reader *r);
void uc_pcapng_reader_free(struct uc_pcapng_reader *r);

#endif
