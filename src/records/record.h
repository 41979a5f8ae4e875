/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Records that cross from the kernel hooks to user space through the ring buffer. */
#ifndef UNIXCAP_RECORD_H
#define UNIXCAP_RECORD_H

/* Plain fixed-width types only: this header is included by the BPF side (vmlinux.h types)
 * and by user space (<linux/types.h>). */
#ifndef __bpf__
#include <linux/types.h>
#endif

#define UC_COMM_LEN 16
#define UC_PATH_LEN 108    /* sizeof(sun_path) */
#define UC_CHUNK 16384     /* payload bytes per data record */
#define UC_MAX_PATTERNS 16 /* 8 --path, each with its canonical twin */
#define UC_MAX_PIDS 8
#define UC_MAX_FOLLOWED 65536 /* --children: processes followed at once */
#define UC_MAX_INODES 8
#define UC_MAX_PATHS_BY_ID 8

enum uc_record_kind {
	UC_REC_MESSAGE = 1,   /* metadata of one send; data records follow */
	UC_REC_DATA = 2,      /* a slice of a message's payload */
	UC_REC_ANCILLARY = 3, /* what a message passed besides bytes: fds, credentials */
	UC_REC_SOCKET = 4,    /* who a socket is: before the first UC_REC_IO that names it */
	UC_REC_IO = 5,        /* a send or a read, naming its socket by inode only */
};

enum uc_event {
	UC_EV_DATA = 1,     /* a message was sent */
	UC_EV_CLOSE = 2,    /* the last fd of the socket was closed */
	UC_EV_SHUTDOWN = 3, /* shutdown(SHUT_WR or SHUT_RDWR) */
	UC_EV_EOF = 4,      /* a stream read returned 0: the peer has closed its side */
	/* 5 is user space's "lost" report: event values are shared with enum uc_message_event */
	UC_EV_CONNECT = 6, /* connect() or socketpair() made a connection */
	UC_EV_ACCEPT = 7,  /* accept() took one: links the server socket to its client */
	UC_EV_READ = 9, /* len bytes were read (attribution only: the payload was stored at send) */
	UC_EV_UNSEEN = 8, /* len bytes were sent by a path the syscall hooks do not decode
			     * (sendfile, splice, io_uring, sendmmsg): they are not in the capture */
};

/* How a message's ends met --path (uc_rec_message.path_match). */
enum uc_path_match {
	UC_PATH_NOT_MATCHED = 0,
	UC_PATH_MATCHED = 1,
	UC_PATH_GLOB_ONLY = 2, /* only an approximate --path glob matched: user space decides */
};

struct uc_record_head {
	__u32 kind;
	__u32 cpu;    /* records of one CPU arrive in the order that CPU produced them */
	__u64 msg_id; /* unique per message: (cpu << 48) | per-cpu counter */
};

/* A small message sent from one buffer carries its payload after the record, up to this many
 * bytes: one ring record instead of two. Longer records of kind UC_REC_MESSAGE hold it. */
#define UC_INLINE_MAX 4096

struct uc_rec_message {
	struct uc_record_head head;
	__u64 ktime_ns; /* CLOCK_MONOTONIC */
	__u64 own_ino;
	__u64 peer_ino;
	__u64 lost_before_bytes; /* bytes of earlier messages on this socket pair not recorded */
	__u64 cgroup_id;         /* cgroup v2 of the process doing the I/O */
	__u32 lost_before_msgs;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 peer_pid; /* the process owning the peer end, as SO_PEERCRED reports it; 0 if none */
	__u32 peer_uid; /* and its credentials (SO_PEERCRED) */
	__u32 peer_gid;
	__u32 len;    /* bytes the syscall moved */
	__u32 caplen; /* bytes that data records will carry if none is lost: min(len, snaplen) */
	__u16 event;
	__u16 sock_type;
	__u16 syscall;     /* syscall number, for -v */
	__u8 own_path_len; /* sun_path bytes; 0 = unnamed; abstract names start with a NUL */
	__u8 peer_path_len;
	__u8 path_match;    /* enum uc_path_match */
	__u8 peek;          /* a read with MSG_PEEK: the bytes stay queued */
	__u8 order_unknown; /* a stream send that overlapped another on its socket: the reader may
			     * have got the two in either order */
	char comm[UC_COMM_LEN];
	char own_path[UC_PATH_LEN];
	char peer_path[UC_PATH_LEN]; /* connected peer, or the destination of an unconnected send */
};

/* A socket as the hooks last described it: sent when one first does I/O, and again when its
 * peer or an address has changed or the kernel's table of described sockets has forgotten it.
 * User space keeps the newest per own_ino, so that UC_REC_IO records need not repeat it. */
struct uc_rec_socket {
	struct uc_record_head head; /* msg_id 0: it belongs to no message */
	__u64 own_ino;
	__u64 peer_ino;
	__u32 peer_pid; /* the process owning the peer end (SO_PEERCRED); 0 if none */
	__u32 peer_uid;
	__u32 peer_gid;
	__u16 sock_type;
	__u8 own_path_len;
	__u8 peer_path_len;
	__u8 path_match; /* enum uc_path_match, as for uc_rec_message */
	__u8 pad[7];
	char own_path[UC_PATH_LEN];
	char peer_path[UC_PATH_LEN];
};

/* A send (UC_EV_DATA) or a read (UC_EV_READ) of a connected or named socket described by a
 * UC_REC_SOCKET record that came before it: what uc_rec_message holds, less the socket's own
 * description. Its payload follows inline or in data records, as for uc_rec_message. */
struct uc_rec_io {
	struct uc_record_head head;
	__u64 ktime_ns; /* CLOCK_MONOTONIC */
	__u64 own_ino;
	__u64 peer_ino;
	__u64 lost_before_bytes;
	__u64 cgroup_id;
	__u32 lost_before_msgs;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 len;
	__u32 caplen;
	__u16 event;
	__u16 sock_type;
	__u16 syscall;
	__u8 peek;
	__u8 order_unknown;
	char comm[UC_COMM_LEN];
};

struct uc_rec_data {
	struct uc_record_head head;
	__u32 offset; /* within the message */
	__u32 len;
	__u8 data[UC_CHUNK];
};

#define UC_MAX_FDS 8  /* passed descriptors described per message */
#define UC_FD_DEPTH 8 /* path components kept per descriptor, leaf first */
#define UC_FD_NAME 48 /* bytes kept per component */

/* A passed descriptor as it was when sent (user space cannot look later: it may be gone). */
struct uc_fd_info {
	__s32 fd;       /* in the sender */
	__u16 mode;     /* S_IFMT bits of its inode */
	__u8 depth;     /* path components in names[] */
	__u8 truncated; /* the path had more components than UC_FD_DEPTH */
	__u64 ino;      /* inode (for a socket: its sockfs inode, as ss -x shows) */
	__u16 sock_family;
	__u8 unix_path_len;
	__u8 pad[5];
	char unix_path[UC_PATH_LEN]; /* a unix socket's own address */
	char names[UC_FD_DEPTH][UC_FD_NAME];
};

struct uc_rec_ancillary {
	struct uc_record_head head; /* msg_id of the message it belongs to */
	__u32 nfds;                 /* descriptors passed (may exceed UC_MAX_FDS) */
	__u32 has_creds;            /* SCM_CREDENTIALS was sent */
	__u32 cred_pid, cred_uid, cred_gid;
	__u32 pad;
	struct uc_fd_info fds[UC_MAX_FDS];
};

/* One --path pattern as the kernel checks it: exact, or prefix*suffix around the '*'s
 * (user space confirms patterns with more than one '*'). Abstract names start with a NUL. */
struct uc_pattern {
	__u8 prefix_len;
	__u8 suffix_len;
	__u8 has_star;
	__u8 approximate; /* several '*': prefix and suffix are necessary, not sufficient */
	char prefix[UC_PATH_LEN];
	char suffix[UC_PATH_LEN];
};

/* A --path that named an existing socket at start: its file's identity, so it matches in any
 * mount namespace, under any name (bind mounts, symlinked directories, containers). */
struct uc_path_id {
	__u64 dev; /* kernel encoding: major << 20 | minor */
	__u64 ino;
};

/* Messages that could not be recorded at all, keyed by socket pair, reported with the next
 * message of the pair or read by user space at the end. */
struct uc_loss_key {
	__u64 own_ino;
	__u64 peer_ino;
};

/* The hooks change an entry only under its lock (a struct bpf_spin_lock in their own copy of
 * this layout): both counts move together, and a message reports each loss exactly once. */
struct uc_loss {
	__u32 lock;
	__u32 pad;
	__u64 bytes;
	__u64 msgs;
};

/* Per-CPU counters read by user space for the exit summary. */
struct uc_counters {
	__u64 msgs;       /* messages matched by the filters */
	__u64 bytes;      /* bytes of those messages */
	__u64 lost_msgs;  /* messages with any byte not stored */
	__u64 lost_bytes; /* bytes not stored (excluding -s truncation) */
	__u64 ring_full;  /* failed ring reservations */
	__u64 unreadable; /* failed user-memory reads */
	/* messages lost whole that no socket pair's entry could hold (the table was full, or the
	 * send came by a kprobe hook, which may not take locks): counted so the totals stay exact */
	__u64 unpaired_msgs;
	__u64 unpaired_bytes;
};

#endif
