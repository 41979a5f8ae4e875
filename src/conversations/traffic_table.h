/* SPDX-License-Identifier: BSD-2-Clause */
/* Bytes and messages each way per process and per socket path, with rates, for `unixcap top`. */
#ifndef UNIXCAP_TRAFFIC_TABLE_H
#define UNIXCAP_TRAFFIC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "unixcap.h"

#define UC_TRAFFIC_MAX_ROWS 4096 /* per kind; past it a new row replaces the idlest */

enum uc_traffic_kind { UC_TRAFFIC_PROCESS = 0, UC_TRAFFIC_PATH = 1 };

/* A process (pid and comm) or a socket path ("unnamed" for pairs of unnamed sockets).
 * A process sends what it writes and receives what it reads (UC_MSG_READ). A path "sends"
 * what the socket bound to it writes and "receives" what is written to it. */
struct uc_traffic_row {
	uint32_t pid;           /* processes only */
	char name[UC_NAME_LEN]; /* comm (raw bytes), or the path as uc_sun_path_format wrote it */
	char container[48];     /* processes: "docker:0123456789ab" when in a container, else "" */
	uint64_t sent_msgs, sent_bytes;
	uint64_t recv_msgs, recv_bytes;
	uint64_t unseen_bytes; /* sent by sendfile, splice or io_uring: counted, never decoded */
	uint64_t lost_msgs; /* never recorded (full ring), on a socket pair this row is part of */
	uint64_t rate;      /* sent + received bytes per second over the last interval */
	/* bookkeeping */
	uint64_t touched;         /* the table's clock when a message last counted here */
	uint64_t mark;            /* sent + received bytes at the last interval's end */
	struct uc_hash_node node; /* in its kind's table */
};

struct uc_traffic_totals {
	uint64_t messages, bytes; /* data messages, and their bytes */
	uint64_t reads, read_bytes;
	uint64_t unseen_bytes;
	uint64_t lost_msgs;
	uint64_t evicted[2]; /* rows dropped to make room, by kind */
};

struct uc_traffic_table;

/* max_rows per kind; 0: UC_TRAFFIC_MAX_ROWS. NULL when out of memory. */
struct uc_traffic_table *uc_traffic_new(unsigned max_rows);
void uc_traffic_free(struct uc_traffic_table *t);
/* Counts one message of the capture (payload or not: only len is used). */
void uc_traffic_add(struct uc_traffic_table *t, const struct uc_message *m);
/* Ends an interval that lasted elapsed_ns: each row's rate becomes what it moved since. */
void uc_traffic_interval(struct uc_traffic_table *t, uint64_t elapsed_ns);
/* The rows of one kind, most bytes (sent + received) first, then by name (and pid); at most
 * max pointers into the table, valid until the next add. Returns how many were written. */
size_t uc_traffic_sorted(struct uc_traffic_table *t, enum uc_traffic_kind kind,
			 const struct uc_traffic_row **out, size_t max);
size_t uc_traffic_rows(const struct uc_traffic_table *t, enum uc_traffic_kind kind);
void uc_traffic_get_totals(const struct uc_traffic_table *t, struct uc_traffic_totals *out);

#endif
