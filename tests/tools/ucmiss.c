/* SPDX-License-Identifier: BSD-2-Clause */
/* ucmiss: sends AF_UNIX traffic by the paths unixcap's send-syscall hooks do not decode —
 * sendfile, splice, vmsplice, io_uring, sendmmsg — between two plain write() markers, so a test
 * can check that a capture reports those bytes, and where they were sent.
 *
 * Usage: ucmiss --method sendfile|splice|vmsplice|io_uring|sendmmsg
 *               --type stream|dgram|seqpacket --size N [--count K] [--uring-async]
 *               [--recv read|splice] [--manifest FILE] [--hashes FILE]
 *
 * The process makes a socketpair and forks a reader that drains the other end and checks every
 * byte. The writer (the process started) sends "BEFORE" with write(), then K messages of N
 * bytes with the chosen method, then "AFTER" with write(), and closes its end. Once the reader
 * has verified everything the manifest says `method M bytes TOTAL messages K pid PID`
 * (TOTAL = K * N, the markers not included; PID the writer). sendfile, splice and vmsplice
 * need a stream. With --recv splice the stream reader drains its socket with splice() into a
 * pipe (no receive syscall sees those bytes either) and reads the pipe. --hashes writes what
 * the writer's direction carried, markers included, as check_capture.py reads it:
 * `stream c2s BYTES SHA256` and `stream s2c 0 SHA256-OF-NOTHING`. Exit status: 0 sent and verified, 1 runtime failure or mismatch (one line on
 * stderr), 2 bad options, 3 the kernel does not support the method ("unsupported: why").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sha256.h"
#include "toolkit.h"

#define MAX_SIZE (64UL * 1024 * 1024)    /* per message */
#define MAX_TOTAL (1024UL * 1024 * 1024) /* all messages together */
#define MAX_COUNT 100000
#define IO_TIMEOUT_S 30         /* backstop so a lost peer cannot hang a test */
#define PIPE_SIZE (1024 * 1024) /* wanted; the kernel may grant less */
#define URING_ENTRIES 8
#define EXIT_UNSUPPORTED 3

static const char MARK_BEFORE[] = "BEFORE";
static const char MARK_AFTER[] = "AFTER";

enum method { M_SENDFILE, M_SPLICE, M_VMSPLICE, M_IO_URING, M_SENDMMSG };

static const char *const method_names[] = { "sendfile", "splice",   "vmsplice",
					    "io_uring", "sendmmsg", NULL };
static const char *const type_names[] = { "stream", "dgram", "seqpacket", NULL };
static const int type_values[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

struct opts {
	enum method method;
	int type;
	size_t size;
	size_t count;
	bool uring_async; /* io_uring: IOSQE_ASYNC, so an io-wq worker thread does the send */
	bool recv_splice; /* the stream reader drains with splice() into a pipe */
	const char *manifest;
	const char *hashes;
};

/* The rings of one io_uring instance, mapped from its fd. */
struct uring {
	int fd;
	uint8_t opcode; /* IORING_OP_SEND, or IORING_OP_WRITE where SEND is missing */
	void *sq_map, *cq_map;
	size_t sq_len, cq_len, sqes_len;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static const char *g_role = "writer";
static pid_t g_reader = -1; /* the writer kills its reader when it gives up */

/* ---- reporting -------------------------------------------------------------------------- */

static void stop_reader(void)
{
	if (g_reader > 0) {
		kill(g_reader, SIGKILL);
		waitpid(g_reader, NULL, 0);
		g_reader = -1;
	}
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die_status(int status, const char *fmt, ...)
{
	bool unsup = status == EXIT_UNSUPPORTED;
	int out = unsup ? STDOUT_FILENO : STDERR_FILENO;
	char msg[512];
	int n = unsup ? snprintf(msg, sizeof(msg), "unsupported: ") :
			snprintf(msg, sizeof(msg), "ucmiss: %s: ", g_role);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(msg, "\n");
	/* One write() per line: writer and reader may fail at once on one stream. */
	if (write(out, msg, strlen(msg)) < 0) {
		/* nowhere left to report it */
	}
	stop_reader();
	exit(status);
}

#define die(...) die_status(1, __VA_ARGS__)
#define unsupported(...) die_status(EXIT_UNSUPPORTED, __VA_ARGS__)

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ucmiss: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	exit(2);
}

static void usage(void)
{
	puts("usage: ucmiss --method M --type T --size N [options]\n"
	     "  --method sendfile|splice|vmsplice|io_uring|sendmmsg   how the K messages are sent\n"
	     "  --type stream|dgram|seqpacket   socket type (sendfile/splice/vmsplice: stream)\n"
	     "  --size N              bytes per message, 1..64M (k=1024, M=1048576)\n"
	     "  --count K             messages, 1..100000 (default 1); K * N at most 1 GiB\n"
	     "  --uring-async         io_uring: IOSQE_ASYNC (an io-wq worker thread sends)\n"
	     "  --recv read|splice    how the stream reader drains (default read)\n"
	     "  --manifest FILE       write 'method M bytes TOTAL messages K pid PID'\n"
	     "  --hashes FILE         write 'stream c2s N SHA256' of the writer's direction\n"
	     "\"BEFORE\" and \"AFTER\" are sent with write() before and after the K messages.\n"
	     "Exit status: 0 verified, 1 failure or mismatch, 2 bad options, 3 unsupported here.");
}

/* ---- options ---------------------------------------------------------------------------- */

static int lookup(const char *const names[], const char *what, const char *arg)
{
	int i = tool_find_name(names, arg);

	if (i < 0)
		usage_error("bad %s '%s'", what, arg);
	return i;
}

static size_t parse_num(const char *arg, const char *what, size_t max)
{
	unsigned long long v;
	size_t mult = 1;
	char *end;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		usage_error("bad %s '%s'", what, arg);
	v = strtoull(arg, &end, 10);
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'M')
		mult = 1024 * 1024, end++;
	if (errno || *end != '\0' || v == 0 || v > max / mult)
		usage_error("bad %s '%s' (1..%zu)", what, arg, max);
	return (size_t)v * mult;
}

static bool needs_stream(enum method m)
{
	return m == M_SENDFILE || m == M_SPLICE || m == M_VMSPLICE;
}

static void validate(const struct opts *o)
{
	if (o->size == 0)
		usage_error("--size is required");
	if (o->size > MAX_TOTAL / o->count)
		usage_error("--size times --count is more than 1 GiB");
	if (needs_stream(o->method) && o->type != SOCK_STREAM)
		usage_error("--method %s needs --type stream", method_names[o->method]);
	if (o->uring_async && o->method != M_IO_URING)
		usage_error("--uring-async needs --method io_uring");
	if (o->recv_splice && o->type != SOCK_STREAM)
		usage_error("--recv splice needs --type stream");
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, 'M' },
		{ "type", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "uring-async", no_argument, NULL, 'a' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "recv", required_argument, NULL, 'r' },
		{ "hashes", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_method = false, have_type = false;
	int c;

	*o = (struct opts){ .count = 1 };
	opterr = 0; /* our own one-line messages, and exit status 2 */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'M':
			o->method = (enum method)lookup(method_names, "--method", optarg);
			have_method = true;
			break;
		case 't':
			o->type = type_values[lookup(type_names, "--type", optarg)];
			have_type = true;
			break;
		case 's': o->size = parse_num(optarg, "--size", MAX_SIZE); break;
		case 'c': o->count = parse_num(optarg, "--count", MAX_COUNT); break;
		case 'a': o->uring_async = true; break;
		case 'm': o->manifest = optarg; break;
		case 'H': o->hashes = optarg; break;
		case 'r':
			if (strcmp(optarg, "splice") != 0 && strcmp(optarg, "read") != 0)
				usage_error("bad --recv '%s'", optarg);
			o->recv_splice = optarg[0] == 's';
			break;
		case 'h': usage(); exit(0);
		default: usage_error("bad option or missing argument: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_method || !have_type)
		usage_error("--method and --type are required");
	validate(o);
}

/* ---- payload ---------------------------------------------------------------------------- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* All K messages back to back: byte i depends on i in a way no shift by a few bytes or by a
 * whole message repeats, and every byte value occurs. */
static uint8_t *make_payload(size_t total)
{
	uint8_t *buf = xmalloc(total);

	for (size_t i = 0; i < total; i++)
		buf[i] = (uint8_t)(i * 167 + (i >> 8) * 13 + (i >> 16) * 7 + 1);
	return buf;
}

/* ---- reader ----------------------------------------------------------------------------- */

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static const char *io_error(void)
{
	return errno == EAGAIN ? "timed out" : strerror(errno);
}

static void compare(const uint8_t *got, const uint8_t *want, size_t len, size_t base)
{
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i])
			die("byte %zu differs: got 0x%02x, want 0x%02x", base + i, got[i], want[i]);
}

/* read(), or splice() from the socket into a pipe and read() of the pipe: then no receive
 * syscall on the socket sees the bytes. */
static ssize_t drain(int fd, uint8_t *buf, size_t len, const int *pfd)
{
	ssize_t n;

	if (!pfd)
		return read(fd, buf, len);
	n = splice(fd, NULL, pfd[1], NULL, len, SPLICE_F_MOVE);
	if (n < 0 && (errno == EINVAL || errno == ENOSYS))
		unsupported("splice out of a unix socket: %s", strerror(errno));
	if (n <= 0)
		return n;
	for (ssize_t done = 0; done < n;) {
		ssize_t m = read(pfd[0], buf + done, (size_t)(n - done));

		if (m <= 0)
			die("read of the splice pipe: %s", m < 0 ? strerror(errno) : "end-of-file");
		done += m;
	}
	return n;
}

/* A stream: everything up to end-of-file must be the markers around the payload. */
static void read_stream(int fd, const uint8_t *payload, size_t total, bool by_splice)
{
	int pfd[2], *pipe_fds = by_splice ? pfd : NULL;
	size_t mb = strlen(MARK_BEFORE), ma = strlen(MARK_AFTER), want_len = mb + total + ma;
	uint8_t *want = xmalloc(want_len), *got = xmalloc(want_len + 1);
	size_t have = 0;
	ssize_t n;

	memcpy(want, MARK_BEFORE, mb);
	memcpy(want + mb, payload, total);
	memcpy(want + mb + total, MARK_AFTER, ma);
	if (by_splice && pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	while ((n = drain(fd, got + have, want_len + 1 - have, pipe_fds)) > 0) {
		have += (size_t)n;
		if (have > want_len)
			die("more than the %zu bytes sent arrived", want_len);
	}
	if (n < 0)
		die("read after %zu bytes: %s", have, io_error());
	if (have < want_len)
		die("end-of-file after %zu of %zu bytes", have, want_len);
	compare(got, want, want_len, 0);
	free(want);
	free(got);
}

static void read_record(int fd, uint8_t *buf, size_t cap, const void *want, size_t len, size_t idx)
{
	ssize_t n = recv(fd, buf, cap, MSG_TRUNC);

	if (n < 0)
		die("recv of message %zu: %s", idx, io_error());
	if ((size_t)n != len)
		die("message %zu has %zd bytes, want %zu", idx, n, len);
	compare(buf, want, len, 0);
}

/* Datagrams and seqpackets: K + 2 records, each exactly as sent. */
static void read_records(int fd, const uint8_t *payload, const struct opts *o)
{
	size_t cap = o->size + 16, idx = 0;
	uint8_t *buf = xmalloc(cap);

	read_record(fd, buf, cap, MARK_BEFORE, strlen(MARK_BEFORE), idx++);
	for (size_t k = 0; k < o->count; k++)
		read_record(fd, buf, cap, payload + k * o->size, o->size, idx++);
	read_record(fd, buf, cap, MARK_AFTER, strlen(MARK_AFTER), idx);
	free(buf);
}

static void __attribute__((noreturn))
reader_main(int fd, const uint8_t *payload, const struct opts *o)
{
	g_role = "reader";
	g_reader = -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a writer that died must not leave us blocked */
	set_timeouts(fd);
	if (o->type == SOCK_STREAM)
		read_stream(fd, payload, o->size * o->count, o->recv_splice);
	else
		read_records(fd, payload, o);
	exit(0);
}

/* ---- sending: plain write, sendfile, splice, vmsplice ----------------------------------- */

static void write_marker(int fd, const char *mark)
{
	ssize_t n = write(fd, mark, strlen(mark));

	if (n != (ssize_t)strlen(mark))
		die("write of marker %s: %s", mark, n < 0 ? io_error() : "short write");
}

/* A memfd holding the payload: sendfile's source. */
static int payload_file(const uint8_t *payload, size_t total)
{
	int fd = memfd_create("ucmiss", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	while (done < total) {
		ssize_t n = write(fd, payload + done, total - done);

		if (n <= 0)
			die("write to memfd: %s", n < 0 ? strerror(errno) : "no progress");
		done += (size_t)n;
	}
	return fd;
}

static void send_sendfile(int sock, const uint8_t *payload, const struct opts *o)
{
	int file = payload_file(payload, o->size * o->count);
	off_t off = 0;

	for (size_t k = 0; k < o->count; k++) {
		off_t end = (off_t)((k + 1) * o->size);

		while (off < end) {
			ssize_t n = sendfile(sock, file, &off, (size_t)(end - off));

			if (n < 0 && (errno == EINVAL || errno == ENOSYS) && off == 0)
				unsupported("sendfile to a unix socket: %s", strerror(errno));
			if (n <= 0)
				die("sendfile at byte %lld: %s", (long long)off,
				    n < 0 ? io_error() : "no progress");
		}
	}
	close(file);
}

/* Moves len bytes already in the pipe into the socket. */
static void splice_out(int pipe_r, int sock, size_t len, bool first)
{
	while (len > 0) {
		ssize_t n = splice(pipe_r, NULL, sock, NULL, len, SPLICE_F_MOVE);

		if (n < 0 && (errno == EINVAL || errno == ENOSYS) && first)
			unsupported("splice into a unix socket: %s", strerror(errno));
		if (n <= 0)
			die("splice: %s", n < 0 ? io_error() : "no progress");
		len -= (size_t)n;
		first = false;
	}
}

/* Puts up to len bytes into the pipe: write(), or vmsplice() of the user pages. */
static size_t fill_pipe(int pipe_w, const uint8_t *p, size_t len, size_t room, bool vm)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len < room ? len : room };
	ssize_t n = vm ? vmsplice(pipe_w, &iov, 1, 0) : write(pipe_w, iov.iov_base, iov.iov_len);

	if (n < 0 && vm && (errno == EINVAL || errno == ENOSYS))
		unsupported("vmsplice: %s", strerror(errno));
	if (n <= 0)
		die("%s into the pipe: %s", vm ? "vmsplice" : "write",
		    n < 0 ? strerror(errno) : "no progress");
	return (size_t)n;
}

/* splice and vmsplice: each message goes through a pipe, in pipe-sized pieces. The payload
 * buffer is never changed afterwards, so pages vmsplice lent the pipe stay valid. */
static void send_via_pipe(int sock, const uint8_t *payload, const struct opts *o, bool vm)
{
	int pfd[2];
	int room;
	bool first = true;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fcntl(pfd[1], F_SETPIPE_SZ, PIPE_SIZE); /* may be refused: then the default size */
	room = fcntl(pfd[1], F_GETPIPE_SZ);
	if (room <= 0)
		die("F_GETPIPE_SZ: %s", strerror(errno));
	for (size_t k = 0; k < o->count; k++) {
		const uint8_t *p = payload + k * o->size;
		size_t left = o->size;

		while (left > 0) {
			size_t n = fill_pipe(pfd[1], p, left, (size_t)room, vm);

			splice_out(pfd[0], sock, n, first);
			first = false;
			p += n;
			left -= n;
		}
	}
	close(pfd[0]);
	close(pfd[1]);
}

/* ---- sending: sendmmsg ------------------------------------------------------------------ */

/* All K messages in one sendmmsg() call (more only if the kernel stops early). */
static void send_sendmmsg(int sock, const uint8_t *payload, const struct opts *o)
{
	struct mmsghdr *v = xmalloc(o->count * sizeof(*v));
	struct iovec *iov = xmalloc(o->count * sizeof(*iov));
	size_t done = 0;

	memset(v, 0, o->count * sizeof(*v));
	for (size_t k = 0; k < o->count; k++) {
		iov[k] = (struct iovec){ .iov_base = (void *)(payload + k * o->size),
					 .iov_len = o->size };
		v[k].msg_hdr.msg_iov = &iov[k];
		v[k].msg_hdr.msg_iovlen = 1;
	}
	while (done < o->count) {
		size_t batch = o->count - done < UIO_MAXIOV ? o->count - done : UIO_MAXIOV;
		int n = sendmmsg(sock, v + done, (unsigned)batch, 0);

		if (n < 0 && errno == ENOSYS)
			unsupported("sendmmsg: %s", strerror(errno));
		if (n <= 0)
			die("sendmmsg at message %zu: %s", done,
			    n < 0 ? io_error() : "no progress");
		for (int i = 0; i < n; i++)
			if (v[done + (size_t)i].msg_len != o->size)
				die("sendmmsg sent %u of %zu bytes of message %zu",
				    v[done + (size_t)i].msg_len, o->size, done + (size_t)i);
		done += (size_t)n;
	}
	free(v);
	free(iov);
}

/* ---- sending: io_uring, with raw syscalls --------------------------------------------- */

static void *map_ring(int fd, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, what);

	if (p == MAP_FAILED)
		die("mmap of io_uring ring: %s", strerror(errno));
	return p;
}

static void map_uring(struct uring *r, const struct io_uring_params *p)
{
	r->sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	r->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq_map = map_ring(r->fd, r->sq_len, IORING_OFF_SQ_RING);
	if (p->features & IORING_FEAT_SINGLE_MMAP)
		r->cq_map = r->sq_map;
	else
		r->cq_map = map_ring(r->fd, r->cq_len, IORING_OFF_CQ_RING);
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = map_ring(r->fd, r->sqes_len, IORING_OFF_SQES);
	r->sq_tail = (unsigned *)((char *)r->sq_map + p->sq_off.tail);
	r->sq_mask = (unsigned *)((char *)r->sq_map + p->sq_off.ring_mask);
	r->sq_array = (unsigned *)((char *)r->sq_map + p->sq_off.array);
	r->cq_head = (unsigned *)((char *)r->cq_map + p->cq_off.head);
	r->cq_tail = (unsigned *)((char *)r->cq_map + p->cq_off.tail);
	r->cq_mask = (unsigned *)((char *)r->cq_map + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_map + p->cq_off.cqes);
}

/* IORING_OP_SEND where the kernel lists it (5.6 and later), else IORING_OP_WRITE. */
static uint8_t choose_opcode(int fd)
{
	size_t len = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *probe = xmalloc(len);
	uint8_t op = IORING_OP_WRITE;

	memset(probe, 0, len);
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, probe, 256) == 0 &&
	    probe->ops_len > IORING_OP_SEND &&
	    (probe->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED))
		op = IORING_OP_SEND;
	free(probe);
	return op;
}

/* Done before the socketpair exists, so an io_uring that is switched off costs nothing. */
static void uring_open(struct uring *r)
{
	struct io_uring_params p;
	int err;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
	err = errno;
	if (r->fd < 0 && (err == ENOSYS || err == EPERM || err == EACCES))
		unsupported("io_uring_setup: %s%s", strerror(err),
			    err == ENOSYS ? "" : " (see /proc/sys/kernel/io_uring_disabled)");
	if (r->fd < 0)
		die("io_uring_setup: %s", strerror(err));
	map_uring(r, &p);
	r->opcode = choose_opcode(r->fd);
}

static void uring_close(struct uring *r)
{
	munmap(r->sqes, r->sqes_len);
	if (r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_len);
	munmap(r->sq_map, r->sq_len);
	close(r->fd);
}

static void uring_queue(struct uring *r, int sock, const uint8_t *p, size_t len, bool async)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = r->opcode;
	sqe->fd = sock;
	sqe->addr = (uint64_t)(uintptr_t)p;
	sqe->len = (uint32_t)len;
	sqe->flags = async ? IOSQE_ASYNC : 0;
	if (r->opcode == IORING_OP_WRITE)
		sqe->off = (uint64_t)-1; /* no offset: a socket has none */
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Submits the one queued entry, waits for its completion and returns its result. */
static int uring_run(struct uring *r)
{
	struct io_uring_cqe *cqe;
	unsigned head;
	int res;

	while (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		if (errno != EINTR)
			die("io_uring_enter: %s", strerror(errno));
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		die("io_uring_enter returned without a completion");
	cqe = &r->cqes[head & *r->cq_mask];
	res = cqe->res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* One request per message, resubmitting the rest after a short send. */
static void send_io_uring(struct uring *r, int sock, const uint8_t *payload, const struct opts *o)
{
	const char *op = r->opcode == IORING_OP_SEND ? "IORING_OP_SEND" : "IORING_OP_WRITE";

	for (size_t k = 0; k < o->count; k++) {
		const uint8_t *p = payload + k * o->size;
		size_t left = o->size;

		while (left > 0) {
			int res;

			uring_queue(r, sock, p, left, o->uring_async);
			res = uring_run(r);
			if (res == -EINVAL && k == 0 && left == o->size)
				unsupported("%s on a unix socket: %s", op, strerror(-res));
			if (res <= 0)
				die("%s of message %zu: %s", op, k,
				    res < 0 ? strerror(-res) : "no progress");
			if (o->type != SOCK_STREAM && (size_t)res != left)
				die("%s sent %d of %zu bytes of datagram %zu", op, res, left, k);
			p += res;
			left -= (size_t)res;
		}
	}
}

/* ---- writer ----------------------------------------------------------------------------- */

static void send_all(int sock, const uint8_t *payload, const struct opts *o, struct uring *r)
{
	write_marker(sock, MARK_BEFORE);
	switch (o->method) {
	case M_SENDFILE: send_sendfile(sock, payload, o); break;
	case M_SPLICE: send_via_pipe(sock, payload, o, false); break;
	case M_VMSPLICE: send_via_pipe(sock, payload, o, true); break;
	case M_IO_URING: send_io_uring(r, sock, payload, o); break;
	case M_SENDMMSG: send_sendmmsg(sock, payload, o); break;
	}
	write_marker(sock, MARK_AFTER);
}

static void wait_reader(void)
{
	int st;

	while (waitpid(g_reader, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	g_reader = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("reader %s %d", WIFEXITED(st) ? "exited with status" : "was killed by signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void write_manifest(const struct opts *o)
{
	FILE *f = fopen(o->manifest, "w");

	if (!f)
		die("%s: %s", o->manifest, strerror(errno));
	fprintf(f, "method %s bytes %zu messages %zu pid %d\n", method_names[o->method],
		o->size * o->count, o->count, (int)getpid());
	if (fclose(f) != 0)
		die("%s: %s", o->manifest, strerror(errno));
}

static void put_hash(FILE *f, const char *dir, const void *a, size_t alen, const void *b,
		     size_t blen, const void *c, size_t clen)
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[65];

	sha256_init(&ctx);
	sha256_update(&ctx, a, alen);
	sha256_update(&ctx, b, blen);
	sha256_update(&ctx, c, clen);
	sha256_final(&ctx, digest);
	sha256_hex(digest, hex);
	fprintf(f, "stream %s %zu %s\n", dir, alen + blen + clen, hex);
}

/* What the writer's direction carried, hashed as check_capture.py compares it with a capture. */
static void write_hashes(const struct opts *o, const uint8_t *payload)
{
	FILE *f = fopen(o->hashes, "w");

	if (!f)
		die("%s: %s", o->hashes, strerror(errno));
	put_hash(f, "c2s", MARK_BEFORE, strlen(MARK_BEFORE), payload, o->size * o->count,
		 MARK_AFTER, strlen(MARK_AFTER));
	put_hash(f, "s2c", "", 0, "", 0, "", 0);
	if (fclose(f) != 0)
		die("%s: %s", o->hashes, strerror(errno));
}

int main(int argc, char **argv)
{
	struct opts o;
	struct uring ring = { .fd = -1 };
	uint8_t *payload;
	int pair[2];

	parse_args(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN); /* a vanished reader shows up as EPIPE */
	if (o.method == M_IO_URING)
		uring_open(&ring);
	payload = make_payload(o.size * o.count);
	if (socketpair(AF_UNIX, o.type | SOCK_CLOEXEC, 0, pair) < 0)
		die("socketpair: %s", strerror(errno));
	if (o.type != SOCK_STREAM)
		tool_size_buffers(pair[0], o.size);
	fflush(NULL);
	g_reader = fork();
	if (g_reader < 0)
		die("fork: %s", strerror(errno));
	if (g_reader == 0) {
		close(pair[0]);
		reader_main(pair[1], payload, &o);
	}
	close(pair[1]);
	set_timeouts(pair[0]);
	send_all(pair[0], payload, &o, &ring);
	close(pair[0]); /* end-of-file for a stream reader */
	wait_reader();
	if (ring.fd >= 0)
		uring_close(&ring);
	if (o.manifest)
		write_manifest(&o);
	if (o.hashes && o.type == SOCK_STREAM)
		write_hashes(&o, payload);
	free(payload);
	return 0;
}
