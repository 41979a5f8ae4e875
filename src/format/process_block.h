/* SPDX-License-Identifier: BSD-2-Clause */
/* Wireshark's process-information entry, carried in a pcapng Custom Block (PEN 32622, entry
 * type 3): the process a packet's epb_processid_threadid names, as Wireshark 5 shows it. */
#ifndef UNIXCAP_PROCESS_BLOCK_H
#define UNIXCAP_PROCESS_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#define UC_WIRESHARK_PEN 32622u
#define UC_PROCESS_TEXT_MAX 4096 /* bytes kept of a name, path, user or command line */

/* What is known of a process; an empty string or a 0 leaves its option out. */
struct uc_process_info {
	uint32_t pid;
	char name[17];
	char path[UC_PROCESS_TEXT_MAX];
	char cmdline[UC_PROCESS_TEXT_MAX]; /* the arguments, NUL-separated (a last NUL is dropped) */
	size_t cmdline_len;
	uint32_t ppid;
	uint32_t uid;
	int has_uid; /* uid 0 (root) is a value, not an absence */
	char user[64];
	uint64_t start_ns; /* since the epoch */
};

/* The largest entry encode() writes: pid, the entry header, seven options and their padding. */
#define UC_PROCESS_ENTRY_MAX \
	(8 + 4 + 3 * (4 + UC_PROCESS_TEXT_MAX) + 4 + 20 + 4 + 68 + 12 + 4 + 3 * 4)

/* The custom data after the PEN: entry type and length, then the entry (pid, options), all
 * little-endian whatever the section's byte order, as Wireshark reads them. Returns its length. */
size_t uc_process_entry_encode(uint8_t out[UC_PROCESS_ENTRY_MAX], const struct uc_process_info *p);

/* The inverse, for -r: 1 and *p filled when data (after the PEN) is a process entry, 0 when it
 * is another entry type, -1 when it is damaged (lengths that do not add up); why then says what. */
int uc_process_entry_decode(const uint8_t *data, size_t len, struct uc_process_info *p,
			    const char **why);

#endif
