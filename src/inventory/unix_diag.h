/* SPDX-License-Identifier: BSD-2-Clause */
/* Every AF_UNIX socket of this network namespace, as the kernel's sock_diag (unix_diag) lists it. */
#ifndef UNIXCAP_UNIX_DIAG_H
#define UNIXCAP_UNIX_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "records/record.h"

/* The kernel's TCP_* states, which unix sockets reuse. */
enum uc_unix_state {
	UC_STATE_CONNECTED = 1,     /* TCP_ESTABLISHED */
	UC_STATE_CONNECTING = 2,    /* TCP_SYN_SENT */
	UC_STATE_UNCONNECTED = 7,   /* TCP_CLOSE */
	UC_STATE_DISCONNECTING = 8, /* TCP_CLOSE_WAIT */
	UC_STATE_LISTENING = 10,    /* TCP_LISTEN */
};

struct uc_unix_sock {
	uint64_t inode;         /* sockfs inode, as ss -x and /proc/PID/fd show it */
	unsigned type;          /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	unsigned state;         /* enum uc_unix_state, or another TCP_* value */
	char name[UC_PATH_LEN]; /* sun_path bytes (abstract: leading NUL); uc_sun_path_format shows it */
	size_t name_len;        /* 0: unnamed */
	bool has_vfs;           /* bound to a file: its device (kernel encoding) and inode below */
	uint32_t vfs_dev, vfs_ino;
	uint64_t peer_inode; /* 0: no peer */
	bool has_pending;    /* a listener: connections waiting for accept() */
	uint32_t pending;
	bool has_queues; /* UNIX_DIAG_RQLEN: listeners report pending and backlog here */
	uint32_t rqueue, wqueue;
	bool has_uid; /* UNIX_DIAG_UID: Linux 5.3 and later */
	uint32_t uid;
};

/* Returns 0 to go on; anything else ends the dump, which then returns it. */
typedef int (*uc_unix_sock_fn)(const struct uc_unix_sock *s, void *ctx);

/* Calls fn once per socket. Returns 0, what fn returned to stop, or -1 with a one-line reason
 * in err. */
int uc_unix_diag_dump(uc_unix_sock_fn fn, void *ctx, char *err, size_t errlen);

/* Decodes one SOCK_DIAG_BY_FAMILY reply of len bytes (header included). Returns 0, or -1 when
 * it is malformed: too short, not AF_UNIX, or an attribute that overruns it. */
int uc_unix_diag_parse(const struct nlmsghdr *h, size_t len, struct uc_unix_sock *out);

/* "listening", "connected", "unconnected", "connecting", "disconnecting", the other TCP state
 * names ("fin-wait-1", ...), or "unknown". */
const char *uc_unix_state_name(unsigned state);

#endif
