/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap's library: capture the messages of AF_UNIX sockets (or read a capture file back), and
 * write them as pcapng, as the text dump or as JSON lines.
 *
 * A capture:   uc_session_open() loads and attaches the kernel hooks (root, or CAP_BPF and
 *              CAP_PERFMON); uc_session_poll() delivers whole messages to a callback in the order
 *              they happened; uc_session_stop() detaches and delivers what is still queued;
 *              uc_session_stats() says what was captured and lost; uc_session_close() frees.
 * A file:      uc_replay() delivers the messages of a pcapng that unixcap wrote, to the same
 *              callback.
 * Writers:     uc_pcap_files_*() (pcapng, one file or rotated ones), uc_text_write(),
 *              uc_json_write() take the messages the callback receives.
 *
 * Errors:      a function that can fail returns -1 (or NULL) and sets errno; one that takes
 *              `char *err, size_t errlen` also writes a one-line reason there (no newline; cut
 *              to fit errlen: a UC_ERROR_LEN buffer holds any whole). Results that are not failures, such
 *              as 1 or "" or 0 for an unknown name, are said at each function.
 * State:       all of it lives in the objects (sessions, writers) and in each call: two in one
 *              process share nothing, and each may be used by one thread at a time. The one
 *              process-wide setting is libbpf's, which the library leaves to the program:
 *              uc_set_libbpf_log().
 *
 * Build with:  cc -I$(PREFIX)/include prog.c $(PREFIX)/lib/libunixcap.a -lbpf -lelf -lz
 * The unixcap command line, its Wireshark extcap mode, `unixcap top` and `unixcap proxy` are
 * programs on this library; examples/socket_bytes.c is a small one. */
#ifndef UNIXCAP_H
#define UNIXCAP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The library's version, which is unixcap's (unixcap --version): the one place it is written,
 * the Makefile reads it from here. UNIXCAP_VERSION is the string, "0.1.0". */
#define UNIXCAP_VERSION_MAJOR 0
#define UNIXCAP_VERSION_MINOR 1
#define UNIXCAP_VERSION_PATCH 0
#define UC_STRINGIFY_(x) #x
#define UC_STRINGIFY(x) UC_STRINGIFY_(x)
#define UNIXCAP_VERSION                     \
	UC_STRINGIFY(UNIXCAP_VERSION_MAJOR) \
	"." UC_STRINGIFY(UNIXCAP_VERSION_MINOR) "." UC_STRINGIFY(UNIXCAP_VERSION_PATCH)

/* Room for any one-line reason (err, errlen) whole: one that quotes a socket's address escaped in
 * full (UC_NAME_LEN) or a file name of up to some 900 bytes. */
#define UC_ERROR_LEN 1024

/* ---- capture ---- */

#define UC_MAX_PATHS 8
#define UC_MAX_PID_FILTERS 8
#define UC_MAX_FOLLOWED_PROCESSES 65536 /* children: followed processes alive at once */
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
	bool children;    /* follow the pids and every process they start, now or later (the
			* kernel enters each at its fork), instead of the pids alone */
	const char *comm; /* NULL: any */
	uint64_t inodes[UC_MAX_INODE_FILTERS]; /* sockfs inodes, either end */
	unsigned n_inodes;
	const char *cgroup; /* cgroup v2 directory: the process doing the I/O is in it or below */
	bool cgroup_either_end; /* or the peer socket was made by a process in it (--container) */
	unsigned type_mask;     /* 1 << SOCK_STREAM | ...; 0: any */
};

struct uc_options {
	struct uc_filter filter;
	uint32_t snaplen; /* 0: whole messages */
	bool no_payload; /* metadata only: messages keep len, caplen = stored = 0, nothing copied */
	uint32_t ring_kib; /* ring buffer size; 0: uc_default_ring_kib() */
};

/* The ring buffer size, in KiB, of a capture whose ring_kib is 0: 1/32 of the machine's memory,
 * a power of two from 64 MiB to 1 GiB (64 MiB when /proc/meminfo cannot be read). */
uint32_t uc_default_ring_kib(void);

#define UC_MAX_PASSED_FDS 8

/* A descriptor passed with SCM_RIGHTS, as it was when sent. */
struct uc_passed_fd {
	int fd;         /* in the sender */
	uint64_t ino;   /* inode; for a socket its sockfs inode */
	char kind[12];  /* "file", "dir", "socket", "pipe", "fifo", "chardev", "blockdev", "link",
			  * "anon" (eventfd, epoll, ...), "memfd" */
	char what[300]; /* a path, a socket's address, a name such as [eventfd]; may be "" */
};

struct uc_message {
	uint64_t ts_ns; /* wall clock, nanoseconds since the epoch */
	enum uc_message_event event;
	uint32_t pid, tid, uid;
	uint32_t peer_pid; /* owner of the peer end (SO_PEERCRED); 0 if unknown */
	uint32_t peer_uid, peer_gid;
	bool peek;          /* a read with MSG_PEEK: the bytes stay queued */
	bool order_unknown; /* a stream send that overlapped another send on its socket: the reader
			     * may have got the two in either order */
	char comm[17];
	uint16_t sock_type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint16_t syscall;
	uint64_t own_ino, peer_ino; /* 0: unknown */
	uint64_t cgroup_id;
	char cgroup[256];            /* its path below /sys/fs/cgroup; "" if unknown */
	char container_name[128];    /* the name dockerd gives the container of that cgroup; "" if
				      * none or unknown (the id is read from the path itself) */
	char own_path[UC_NAME_LEN];  /* "/path", "@abstract", or "" when unnamed */
	char peer_path[UC_NAME_LEN]; /* the connected peer, or an unconnected send's destination */
	uint32_t len;                /* bytes the syscall moved */
	uint32_t caplen;             /* bytes meant to be kept: min(len, snaplen) */
	uint32_t stored; /* bytes in data: a prefix of caplen; caplen - stored were lost */
	const uint8_t *data;
	uint64_t lost_before_bytes; /* earlier messages of this socket pair never recorded */
	uint32_t lost_before_msgs;
	unsigned nfds; /* descriptors passed (SCM_RIGHTS); may exceed the ones below */
	unsigned nfds_described;
	struct uc_passed_fd fds[UC_MAX_PASSED_FDS];
	bool has_creds; /* SCM_CREDENTIALS */
	uint32_t cred_pid, cred_uid, cred_gid;
};

struct uc_stats {
	uint64_t messages;    /* data messages delivered whole (every byte up to caplen stored) */
	uint64_t bytes;       /* bytes the syscalls moved, lost messages included */
	uint64_t stored;      /* bytes stored */
	uint64_t lost_msgs;   /* messages with any byte not stored, including never-recorded ones:
			       * messages + lost_msgs = messages sent */
	uint64_t unrecorded;  /* of lost_msgs, those of which not even the sender and length were
			       * recorded; the others kept their record and lost only bytes */
	uint64_t lost_bytes;  /* bytes not stored, -s truncation excluded */
	uint64_t truncated;   /* bytes left out by -s */
	uint64_t hook_misses; /* times the kernel skipped our hooks (recursion protection) */
	uint64_t unfollowed;  /* children: processes started that the kernel's table of followed
			       * ones had no room for (UC_MAX_FOLLOWED): their I/O is missed */
	uint64_t ring_full;   /* kernel: ring reservations that failed */
	uint64_t unreadable;  /* kernel: user buffers that could not be read */
	uint64_t unread; /* messages still queued at a stop's deadline: counted lost, not written */
	uint64_t taken_ns; /* wall clock (ns since the epoch) when these figures were read */
};

/* Returns non-zero to stop delivery (e.g. -c reached). */
typedef int (*uc_message_fn)(const struct uc_message *m, void *ctx);

struct uc_session;

/* Checks privileges and kernel features, loads and attaches the hooks. NULL when it cannot, err
 * saying what is missing (errno EPERM or EACCES without the privileges, EOPNOTSUPP when the
 * kernel lacks a feature, else the error of the step that failed). */
struct uc_session *uc_session_open(const struct uc_options *opt, char *err, size_t errlen);
/* Waits up to timeout_ms for records (a light flow of messages arrives at that pace: the
 * hooks wake the consumer only when much is queued) and delivers every complete one, for at
 * most about 50 ms (a ring that never empties does not keep the caller from its stop flag).
 * Returns the number of messages delivered, or -1 with errno on failure (EINTR is not a
 * failure: returns 0). */
int uc_session_poll(struct uc_session *s, int timeout_ms, uc_message_fn fn, void *ctx);
/* Detaches the hooks, then delivers everything still queued, partial messages with their
 * losses, and losses never reported. Delivery ends 1 s after the call: what is queued then is
 * counted as lost (uc_stats.unread) without being delivered. Later polls deliver nothing.
 * Returns 0, or -1 with errno when the ring could not be read (the hooks are detached anyway). */
int uc_session_stop(struct uc_session *s, uc_message_fn fn, void *ctx);
void uc_session_stats(const struct uc_session *s, struct uc_stats *out);
/* With filter.children: whether any followed process is still alive (false once the last has
 * exited, and always without children). */
bool uc_session_followed_alive(const struct uc_session *s);
/* Lines describing what the kernel hooks can see here (for -v). */
const char *uc_session_hooks(const struct uc_session *s);
/* What this kernel keeps the capture from noticing, in one sentence; "" when nothing. */
const char *uc_session_narrowing(const struct uc_session *s);
void uc_session_close(struct uc_session *s);

/* What libbpf itself prints on stderr (its warnings; with UC_LIBBPF_ALL its debug notes and the
 * verifier's log of a refused hook). Its print hook is one for the whole process, so the library
 * never sets it by itself: until this is called libbpf prints as it does by default (warnings
 * and notes on stderr). The session's own one-line errors say what failed either way. */
enum uc_libbpf_log {
	UC_LIBBPF_QUIET = 0, /* nothing (unixcap's default) */
	UC_LIBBPF_WARNINGS = 1,
	UC_LIBBPF_ALL = 2, /* everything (unixcap -vv) */
};
void uc_set_libbpf_log(enum uc_libbpf_log level);

/* The wall clock as messages are stamped with it: nanoseconds since the epoch (CLOCK_REALTIME). */
uint64_t uc_now_ns(void);
/* Socket type name: "stream", "dgram", "seqpacket". */
const char *uc_sock_type_name(unsigned type);
/* Parses a type name; returns 0 when unknown. */
unsigned uc_sock_type_parse(const char *name);

/* ---- reading a capture file back (unixcap -r) ---- */

struct uc_replay_stats {
	uint64_t messages; /* data messages delivered */
	uint64_t blocks;   /* blocks read */
};

/* Reads the pcapng in (a file or a pipe) and calls fn for each message it holds that passes
 * filter (NULL: all), in file order, until fn returns non-zero. Returns 0, or -1 with a one-line
 * reason in err naming the block and its offset, errno EBADMSG for a foreign, damaged or
 * truncated file, EIO when in could not be read (messages before the damage have been
 * delivered). */
int uc_replay(FILE *in, const struct uc_filter *filter, uc_message_fn fn, void *ctx,
	      struct uc_replay_stats *stats, char *err, size_t errlen);
/* The same, stopping (and returning 0) once *stop is non-zero, as a signal handler sets it: it
 * is checked before each block, and a read it interrupts (EINTR) ends the replay cleanly. */
int uc_replay_until(FILE *in, const volatile sig_atomic_t *stop, const struct uc_filter *filter,
		    uc_message_fn fn, void *ctx, struct uc_replay_stats *stats, char *err,
		    size_t errlen);

/* The processes a file's process blocks describe. Given to uc_replay_keeping_processes and to
 * uc_pcap_files_options.replayed_processes, -r -w carries the blocks over. */
struct uc_process_table;
struct uc_process_table *uc_process_table_new(void); /* NULL without memory */
void uc_process_table_free(struct uc_process_table *t);
/* uc_replay_until that also keeps each process block it reads in processes (NULL: none). */
int uc_replay_keeping_processes(FILE *in, const volatile sig_atomic_t *stop,
				const struct uc_filter *filter, uc_message_fn fn, void *ctx,
				struct uc_process_table *processes, struct uc_replay_stats *stats,
				char *err, size_t errlen);

/* ---- writers ---- */

/* The text dump (unixcap's default output). */
enum uc_text_payload {
	UC_TEXT_ESCAPED,  /* default: text with non-printables escaped */
	UC_TEXT_HEX,      /* -x */
	UC_TEXT_HEXASCII, /* -X */
	UC_TEXT_ASCII,    /* -A */
	UC_TEXT_NONE,     /* -q */
};

struct uc_text_options {
	enum uc_text_payload payload;
	bool flush_each; /* -U, or a terminal */
	int verbose;     /* -v adds tid, uid and the syscall */
	bool utc;
};

/* Writes one message (and any loss it reports) to out. Returns 0, or -1 with errno when out has
 * an error. */
int uc_text_write(FILE *out, const struct uc_text_options *opt, const struct uc_message *m);

/* JSON lines (unixcap --json; schema in doc/json.md). */
/* Writes m as one line ending in "\n", every event included ("lost" too); flushes after it when
 * flush_each. Returns 0, or -1 with errno when out has an error. */
int uc_json_write(FILE *out, const struct uc_message *m, bool flush_each);

/* pcapng for Wireshark: one file, stdout ("-"), or a series rotated by size or time. */
struct uc_decode_as; /* unixcap --decode-as rules; pass NULL and 0 */

struct uc_pcap_files_options {
	const char *path;        /* -w; "-" is stdout (no rotation allowed then) */
	bool flush_each;         /* -U */
	const char *description; /* interface description */
	const struct uc_decode_as *decode_as;
	size_t n_decode_as;      /* kept by reference */
	uint64_t rotate_bytes;   /* -C MB * 1000000; 0: off */
	unsigned rotate_secs;    /* -G; 0: off. path is then a strftime(3) pattern */
	unsigned max_files;      /* -W; 0: no limit. Alone (without -C or -G) it changes nothing */
	bool describe_processes; /* a process block (from /proc) for each process: live captures */
	struct uc_process_table *replayed_processes; /* else these (-r -w); NULL: no blocks */
};

struct uc_pcap_files;

/* uc_pcap_files_prepare, then uc_pcap_files_start: the first file opened and begun; NULL (with
 * err and errno) when either fails. */
struct uc_pcap_files *uc_pcap_files_open(const struct uc_pcap_files_options *o, char *err,
					 size_t errlen);
/* Opens the first file but changes nothing in it: a missing one is created mode 0600; an
 * existing one is reused only if it is the effective user's regular file (no other hard link;
 * its mode becomes 0600 if others could read it) or FIFO, or a character device; a symbolic
 * link is never followed ("/dev/stdout" is taken as "-"). Files rotated later obey the same.
 * NULL with a one-line reason in err ("cannot write '%s': %s") and errno set. */
struct uc_pcap_files *uc_pcap_files_prepare(const struct uc_pcap_files_options *o, char *err,
					    size_t errlen);
/* Empties the prepared file and writes its headers: call it once the capture really starts.
 * 0, or -1 with errno (EPIPE: stdout's reader is gone) and a one-line reason in err; then
 * only uc_pcap_files_close. Closing a file never started removes it if prepare created it. */
int uc_pcap_files_start(struct uc_pcap_files *f, char *err, size_t errlen);
/* Writes one message; first starts a new file if the current one is full (-C) or its time is
 * up (-G, judged by the message's timestamp), so each file is a complete pcapng on its own.
 * Returns 0, 1 when -W with -G has produced its last file (the capture should stop; the
 * message is not written), or -1 with errno. */
int uc_pcap_files_write(struct uc_pcap_files *f, const struct uc_message *m);
/* Called about every 50-1000 ms by the capture loop even when no message comes: flushes what
 * is buffered if a second or more has passed since the last flush (so a SIGKILL loses at most
 * about a second, and a reader following the file sees packets), and rotates on -G time even
 * when idle. On a pipe, FIFO, socket or terminal, -1 with EPIPE once its reader has gone away,
 * without waiting for something to write. now_ns is CLOCK_REALTIME ns. Returns as
 * uc_pcap_files_write. */
int uc_pcap_files_tick(struct uc_pcap_files *f, uint64_t now_ns);
/* The file being written, or the one that could not be opened (for error messages); "-" for
 * stdout. */
const char *uc_pcap_files_current(const struct uc_pcap_files *f);
/* Writes the statistics block (st may be NULL: none), flushes, closes the file (not stdout)
 * and frees f. 0 or -1 with errno (also the error that made a rotation fail). NULL: 0. */
int uc_pcap_files_close(struct uc_pcap_files *f, const struct uc_stats *st);

#endif
