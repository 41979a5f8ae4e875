/* SPDX-License-Identifier: BSD-2-Clause */
/* The capture library: open a session with filters, receive whole messages, read statistics, close. */
#ifndef UNIXCAP_CAPTURE_H
#define UNIXCAP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UC_MAX_PATHS 8
#define UC_MAX_PID_FILTERS 8
#define UC_MAX_INODE_FILTERS 8
#define UC_NAME_LEN 440 /* a 108-byte sun_path with every byte escaped as \xNN, plus '@' */

enum uc_message_event {
	UC_MSG_DATA = 1,     /* a message was sent: payload below */
	UC_MSG_CLOSE = 2,    /* the sender's last fd on the socket was closed */
	UC_MSG_SHUTDOWN = 3, /* shutdown() of the sending direction */
	UC_MSG_EOF = 4,      /* a read returned end-of-file: the peer's direction is finished */
	UC_MSG_LOST = 5,     /* messages that could not be recorded at all (lost_before_*) */
	UC_MSG_CONNECT = 6,  /* connect() or socketpair() made this connection */
	UC_MSG_ACCEPT = 7,   /* accept() took it: own is the server's new socket */
	UC_MSG_UNSEEN = 8,   /* len bytes sent by sendfile, splice or io_uring: not stored */
	UC_MSG_READ = 9,     /* len bytes were read by this process (attribution; no payload) */
};

struct uc_filter {
	const char *paths[UC_MAX_PATHS]; /* exact path, glob with '*', or @abstract */
	unsigned n_paths;
	uint32_t pids[UC_MAX_PID_FILTERS];
	unsigned n_pids;
	const char *comm;   /* NULL: any */
	uint64_t inodes[UC_MAX_INODE_FILTERS]; /* sockfs inodes, either end */
	unsigned n_inodes;
	const char *cgroup; /* cgroup v2 directory: the process doing the I/O is in it or below */
	unsigned type_mask; /* 1 << SOCK_STREAM | ...; 0: any */
};

struct uc_options {
	struct uc_filter filter;
	uint32_t snaplen;  /* 0: whole messages */
	uint32_t ring_kib; /* ring buffer size; 0: default */
	int verbose;       /* > 1: libbpf's own log on stderr */
};

#define UC_MAX_PASSED_FDS 8

/* A descriptor passed with SCM_RIGHTS, as it was when sent. */
struct uc_passed_fd {
	int fd;          /* in the sender */
	uint64_t ino;    /* inode; for a socket its sockfs inode */
	char kind[12];   /* "file", "dir", "socket", "pipe", "fifo", "chardev", "blockdev", "link",
			  * "anon" (eventfd, epoll, ...), "memfd" */
	char what[300];  /* a path, a socket's address, a name such as [eventfd]; may be "" */
};

struct uc_message {
	uint64_t ts_ns; /* wall clock, nanoseconds since the epoch */
	enum uc_message_event event;
	uint32_t pid, tid, uid;
	uint32_t peer_pid; /* owner of the peer end (SO_PEERCRED); 0 if unknown */
	uint32_t peer_uid, peer_gid;
	bool peek;         /* a read with MSG_PEEK: the bytes stay queued */
	char comm[17];
	uint16_t sock_type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint16_t syscall;
	uint64_t own_ino, peer_ino; /* 0: unknown */
	uint64_t cgroup_id;
	char cgroup[256];            /* its path below /sys/fs/cgroup; "" if unknown */
	char own_path[UC_NAME_LEN];  /* "/path", "@abstract", or "" when unnamed */
	char peer_path[UC_NAME_LEN]; /* the connected peer, or an unconnected send's destination */
	uint32_t len;    /* bytes the syscall moved */
	uint32_t caplen; /* bytes meant to be kept: min(len, snaplen) */
	uint32_t stored; /* bytes in data: a prefix of caplen; caplen - stored were lost */
	const uint8_t *data;
	uint64_t lost_before_bytes; /* earlier messages of this socket pair never recorded */
	uint32_t lost_before_msgs;
	unsigned nfds;                /* descriptors passed (SCM_RIGHTS); may exceed the ones below */
	unsigned nfds_described;
	struct uc_passed_fd fds[UC_MAX_PASSED_FDS];
	bool has_creds;               /* SCM_CREDENTIALS */
	uint32_t cred_pid, cred_uid, cred_gid;
};

struct uc_stats {
	uint64_t messages;    /* data messages delivered */
	uint64_t bytes;       /* bytes the syscalls moved, lost messages included */
	uint64_t stored;      /* bytes stored */
	uint64_t lost_msgs;   /* messages with any byte not stored, including never-recorded ones */
	uint64_t lost_bytes;  /* bytes not stored, -s truncation excluded */
	uint64_t truncated;   /* bytes left out by -s */
	uint64_t hook_misses; /* times the kernel skipped our hooks (recursion protection) */
	uint64_t ring_full;   /* kernel: ring reservations that failed */
	uint64_t unreadable;  /* kernel: user buffers that could not be read */
	uint64_t taken_ns;    /* wall clock (ns since the epoch) when these figures were read */
};

/* Returns non-zero to stop delivery (e.g. -c reached). */
typedef int (*uc_message_fn)(const struct uc_message *m, void *ctx);

struct uc_session;

/* Checks privileges and kernel features, loads and attaches the hooks. On failure returns
 * NULL and writes one line saying what is missing to err. */
struct uc_session *uc_session_open(const struct uc_options *opt, char *err, size_t errlen);
/* Waits up to timeout_ms for records (a light flow of messages arrives at that pace: the
 * hooks wake the consumer only when much is queued) and delivers every complete one. Returns the number
 * of messages delivered, or -1 with errno on failure (EINTR is not a failure: returns 0). */
int uc_session_poll(struct uc_session *s, int timeout_ms, uc_message_fn fn, void *ctx);
/* Detaches the hooks, then delivers everything still queued, partial messages with their
 * losses, and losses never reported. Later polls deliver nothing. */
int uc_session_stop(struct uc_session *s, uc_message_fn fn, void *ctx);
void uc_session_stats(const struct uc_session *s, struct uc_stats *out);
/* Lines describing what the kernel hooks can see here (for -v). */
const char *uc_session_hooks(const struct uc_session *s);
/* What this kernel keeps the capture from noticing, in one sentence; "" when nothing. */
const char *uc_session_narrowing(const struct uc_session *s);
void uc_session_close(struct uc_session *s);

/* Socket type name: "stream", "dgram", "seqpacket". */
const char *uc_sock_type_name(unsigned type);
/* Parses a type name; returns 0 when unknown. */
unsigned uc_sock_type_parse(const char *name);

#endif
