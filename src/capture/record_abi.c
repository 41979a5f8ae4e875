/* SPDX-License-Identifier: BSD-2-Clause */
/* The ring records' layout (src/records/record.h) and the event values, pinned at compile time. */
#include <stddef.h>

#include "unixcap.h"
#include "records/record.h"

/* The hooks write these records and this side reads them by the same header, so a field moved
 * or resized changes both silently: these numbers make it a decision (update them, and the
 * hooks with the consumer, together). */
#define PINNED(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")
#define AT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " moved")

PINNED(struct uc_record_head, 16);
AT(struct uc_record_head, cpu, 4);
AT(struct uc_record_head, msg_id, 8);

PINNED(struct uc_rec_message, 336);
AT(struct uc_rec_message, ktime_ns, 16);
AT(struct uc_rec_message, cgroup_id, 48);
AT(struct uc_rec_message, lost_before_msgs, 56);
AT(struct uc_rec_message, caplen, 88);
AT(struct uc_rec_message, event, 92);
AT(struct uc_rec_message, own_path_len, 98);
AT(struct uc_rec_message, order_unknown, 102);
AT(struct uc_rec_message, comm, 103);
AT(struct uc_rec_message, own_path, 119);
AT(struct uc_rec_message, peer_path, 227);

PINNED(struct uc_rec_socket, 272);
AT(struct uc_rec_socket, own_ino, 16);
AT(struct uc_rec_socket, path_match, 48);
AT(struct uc_rec_socket, own_path, 56);
AT(struct uc_rec_socket, peer_path, 164);

PINNED(struct uc_rec_io, 104);
AT(struct uc_rec_io, own_ino, 24);
AT(struct uc_rec_io, event, 80);
AT(struct uc_rec_io, comm, 88);

PINNED(struct uc_rec_data, 16408);
AT(struct uc_rec_data, offset, 16);
AT(struct uc_rec_data, data, 24);

PINNED(struct uc_fd_info, 520);
AT(struct uc_fd_info, ino, 8);
AT(struct uc_fd_info, unix_path, 24);
AT(struct uc_fd_info, names, 132);
PINNED(struct uc_rec_ancillary, 4200);
AT(struct uc_rec_ancillary, nfds, 16);
AT(struct uc_rec_ancillary, fds, 40);

PINNED(struct uc_pattern, 220);
PINNED(struct uc_path_id, 16);
PINNED(struct uc_loss_key, 16);
PINNED(struct uc_loss, 24);
AT(struct uc_loss, bytes, 8);
PINNED(struct uc_counters, 64);

/* The kernel's event is copied into uc_message.event as it is (record.h: values are shared). */
#define SAME_EVENT(kernel, public) \
	_Static_assert((int)(kernel) == (int)(public), #kernel " is not " #public)

SAME_EVENT(UC_EV_DATA, UC_MSG_DATA);
SAME_EVENT(UC_EV_CLOSE, UC_MSG_CLOSE);
SAME_EVENT(UC_EV_SHUTDOWN, UC_MSG_SHUTDOWN);
SAME_EVENT(UC_EV_EOF, UC_MSG_EOF);
SAME_EVENT(UC_EV_CONNECT, UC_MSG_CONNECT);
SAME_EVENT(UC_EV_ACCEPT, UC_MSG_ACCEPT);
SAME_EVENT(UC_EV_UNSEEN, UC_MSG_UNSEEN);
SAME_EVENT(UC_EV_READ, UC_MSG_READ);

/* The public filter's limits are the kernel tables' sizes (session.c copies one into the other),
 * and a message's comm and passed descriptors hold what a record carries. */
_Static_assert(UC_MAX_PID_FILTERS == UC_MAX_PIDS, "--pid filters and the hooks' table differ");
_Static_assert(UC_MAX_INODE_FILTERS == UC_MAX_INODES,
	       "--inode filters and the hooks' table differ");
_Static_assert(UC_MAX_PATTERNS == 2 * UC_MAX_PATHS, "each --path has room for its canonical twin");
_Static_assert(sizeof(((struct uc_message *)0)->comm) == UC_COMM_LEN + 1, "comm and its NUL");
_Static_assert(UC_MAX_PASSED_FDS == UC_MAX_FDS, "the descriptors a record and a message describe");
