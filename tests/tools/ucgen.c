/* SPDX-License-Identifier: BSD-2-Clause */
/* ucgen: AF_UNIX traffic generator for unixcap's tests: a server and a client process exchange
 * deterministic messages over one socket, verify them byte for byte and write a sha256 manifest.
 *
 * Usage: ucgen [--type stream|dgram|seqpacket] [--addr pair|path:FILE|abstract:NAME]
 *              [--send write|writev|send|sendto|sendmsg|pwritev2]
 *              [--recv read|readv|recv|recvfrom|recvmsg|preadv2] [--iov N]
 *              [--sizes LIST] [--reply-sizes LIST] [--seed N] [--manifest FILE]
 *              [--unconnected] [--wait-file FILE] [--hold-ms N]
 *
 * The server is the process started (it writes the manifest), the client its forked child;
 * each creates and connects its own socket, so the kernel sees each call from its real owner.
 * Message i goes client->server, then reply i server->client, in lock step, so a datagram
 * queue never holds more than one message and a stream receiver can read exactly one
 * message's bytes. Datagram clients on a path/abstract address bind NAME.client so that the
 * server can connect (or reply) to them. Exit status: 0 everything sent and verified,
 * 1 runtime failure (one line on stderr), 2 bad options. See usage() for details.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "toolkit.h"

#define MAX_MESSAGE (1024UL * 1024 * 1024) /* sizes above 1 GiB are surely typos */
#define MAX_IOV 1024                       /* IOV_MAX on Linux */
#define IO_TIMEOUT_S 60                    /* backstop so a lost peer cannot hang a test */
#define WAIT_FILE_TIMEOUT_MS 30000
#define WAIT_FILE_POLL_MS 10
/* Room above the largest datagram in SO_SNDBUF: the kernel refuses a datagram longer than
 * sk_sndbuf - 32 and charges the skb's overhead (truesize) against the buffer too. */

enum addr_kind { ADDR_PAIR, ADDR_PATH, ADDR_ABSTRACT };
enum send_op { SEND_WRITE, SEND_WRITEV, SEND_SEND, SEND_SENDTO, SEND_SENDMSG, SEND_PWRITEV2 };
enum recv_op { RECV_READ, RECV_READV, RECV_RECV, RECV_RECVFROM, RECV_RECVMSG, RECV_PREADV2 };
enum dir { C2S = 0, S2C = 1 };

static const char *const send_names[] = { "write",   "writev",   "send", "sendto",
					  "sendmsg", "pwritev2", NULL };
static const char *const recv_names[] = { "read",    "readv",   "recv", "recvfrom",
					  "recvmsg", "preadv2", NULL };
static const char *const type_names[] = { "stream", "dgram", "seqpacket", NULL };
static const int type_values[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static const char *const dir_names[] = { "c2s", "s2c" };

struct size_list {
	size_t *v;
	size_t n;
};

struct opts {
	int type; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	enum addr_kind addr;
	const char *name; /* socket path or abstract name */
	enum send_op send;
	enum recv_op recv;
	int iov;
	struct size_list sizes[2]; /* indexed by enum dir */
	uint64_t seed;
	const char *manifest;
	bool unconnected;
	const char *wait_file;
	long hold_ms;
};

/* One end of the conversation. */
struct side {
	const struct opts *o;
	enum dir out; /* the direction this side sends */
	int fd;
	bool use_dest;   /* unconnected datagram: every send names dest */
	bool learn_dest; /* server of an unconnected pair: reply to the last sender */
	struct sockaddr_un dest;
	socklen_t dest_len;
};

static const char *g_role = "server";
/* In the server: the client's pid until it is reaped, its wait status once it is. Shared
 * with the SIGCHLD handler. */
static volatile sig_atomic_t g_client = -1;
static volatile sig_atomic_t g_client_reaped;
static volatile sig_atomic_t g_client_status;
static char g_bound_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* unlink at exit */

static void cleanup(void)
{
	if (g_bound_path[0])
		unlink(g_bound_path);
	g_bound_path[0] = '\0';
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "ucgen: %s: ", g_role);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write() per line: client and server may fail at the same moment on one stderr. */
	strcat(msg, "\n");
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0) {
		/* nowhere left to report it */
	}
	cleanup();
	/* A server that gives up takes its client with it rather than leaving it blocked. The
	 * pid is cleared first so that the SIGCHLD handler leaves this death to us. */
	if (g_client > 0) {
		pid_t pid = (pid_t)g_client;

		g_client = -1;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ucgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	exit(2);
}

static void usage(void)
{
	puts("usage: ucgen [options]\n"
	     "  --type stream|dgram|seqpacket        socket type (default stream)\n"
	     "  --addr pair|path:FILE|abstract:NAME  socketpair() or a bound address (default pair)\n"
	     "  --send write|writev|send|sendto|sendmsg|pwritev2   send syscall (default write)\n"
	     "  --recv read|readv|recv|recvfrom|recvmsg|preadv2    receive syscall (default read)\n"
	     "  --iov N               iovecs per vectored call, 1..1024 (default 3)\n"
	     "  --sizes LIST          client->server message sizes, e.g. 1,100,64k,8M (k=1024,\n"
	     "                        M=1048576; empty = none; default 1,100,64k)\n"
	     "  --reply-sizes LIST    server->client sizes (default: same as --sizes)\n"
	     "  --seed N              payload seed (default 1)\n"
	     "  --manifest FILE       write sha256 manifest (and 'pids CLIENT SERVER')\n"
	     "  --unconnected         dgram + path/abstract: client sends with sendto/sendmsg to\n"
	     "                        the server, which replies to the recvfrom/recvmsg address\n"
	     "  --wait-file FILE      once connected, wait (<= 30 s) for FILE before sending\n"
	     "  --hold-ms N           keep the sockets open N ms after the traffic (default 0)\n"
	     "Datagram/seqpacket messages must fit SO_SNDBUF - 32; ucgen raises SO_SNDBUF as\n"
	     "needed (up to 2 * net.core.wmem_max, or beyond with SO_SNDBUFFORCE as root), and the\n"
	     "kernel's largest allocation caps a datagram at 4263616 bytes (x86-64, 4 KiB pages).\n"
	     "Empty datagrams need --send send|sendto|sendmsg: write() of 0 bytes sends nothing.");
}

static int lookup(const char *const names[], const char *what, const char *arg)
{
	int i = tool_find_name(names, arg);

	if (i < 0)
		usage_error("bad %s '%s'", what, arg);
	return i;
}

static size_t parse_size(const char *s, const char *end)
{
	char *stop;
	unsigned long long v;
	size_t mult = 1;

	errno = 0;
	if (s == end || *s < '0' || *s > '9')
		usage_error("bad size '%.*s'", (int)(end - s), s);
	v = strtoull(s, &stop, 10);
	if (stop < end && (*stop == 'k' || *stop == 'K'))
		mult = 1024, stop++;
	else if (stop < end && *stop == 'M')
		mult = 1024 * 1024, stop++;
	if (errno || stop != end || v > MAX_MESSAGE / mult)
		usage_error("bad size '%.*s' (a number with optional k or M, at most 1 GiB)",
			    (int)(end - s), s);
	return (size_t)v * mult;
}

static struct size_list parse_sizes(const char *arg)
{
	struct size_list l = { NULL, 0 };
	const char *p = arg;

	if (*arg == '\0')
		return l; /* an empty list: that direction sends nothing */
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);

		l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
		if (!l.v)
			usage_error("out of memory");
		l.v[l.n++] = parse_size(p, end);
		if (!comma)
			return l;
		p = comma + 1;
	}
}

static long parse_long(const char *arg, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *arg == '\0' || *end != '\0' || v < min || v > max)
		usage_error("bad %s '%s' (%ld..%ld)", what, arg, min, max);
	return v;
}

static void parse_addr(struct opts *o, const char *arg)
{
	if (strcmp(arg, "pair") == 0) {
		o->addr = ADDR_PAIR;
		return;
	}
	if (strncmp(arg, "path:", 5) == 0 && arg[5]) {
		o->addr = ADDR_PATH;
		o->name = arg + 5;
	} else if (strncmp(arg, "abstract:", 9) == 0 && arg[9]) {
		o->addr = ADDR_ABSTRACT;
		o->name = arg + 9;
	} else {
		usage_error("bad --addr '%s' (pair, path:FILE or abstract:NAME)", arg);
	}
}

/* Fills *sa with the server's (client=false) or client's address; returns its length. The
 * client's name is the server's plus ".client", so both sides can compute it. */
static socklen_t make_addr(const struct opts *o, bool client, struct sockaddr_un *sa)
{
	const char *suffix = client ? ".client" : "";
	size_t n = strlen(o->name) + strlen(suffix);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (o->addr == ADDR_PATH) {
		if (n >= sizeof(sa->sun_path))
			usage_error("socket path '%s%s' too long", o->name, suffix);
		snprintf(sa->sun_path, sizeof(sa->sun_path), "%s%s", o->name, suffix);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	/* Abstract: a leading NUL, and the address length (not a terminator) ends the name. */
	if (n + 1 > sizeof(sa->sun_path))
		usage_error("abstract name '%s%s' too long", o->name, suffix);
	memcpy(sa->sun_path + 1, o->name, strlen(o->name));
	memcpy(sa->sun_path + 1 + strlen(o->name), suffix, strlen(suffix));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static bool has_empty(const struct size_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == 0)
			return true;
	return false;
}

static void validate(struct opts *o)
{
	struct sockaddr_un sa;

	if (o->unconnected) {
		if (o->type != SOCK_DGRAM || o->addr == ADDR_PAIR)
			usage_error(
				"--unconnected needs --type dgram and a path or abstract --addr");
		if (o->send != SEND_SENDTO && o->send != SEND_SENDMSG)
			usage_error(
				"--unconnected needs --send sendto or sendmsg (to name the peer)");
		if (o->recv != RECV_RECVFROM && o->recv != RECV_RECVMSG)
			usage_error(
				"--unconnected needs --recv recvfrom or recvmsg (to learn the peer)");
	}
	/* The kernel's write path (sock_write_iter) returns 0 for an empty buffer without sending
	 * anything, so an empty datagram would never arrive and the receiver would block. */
	if (o->type != SOCK_STREAM && (has_empty(&o->sizes[C2S]) || has_empty(&o->sizes[S2C])) &&
	    (o->send == SEND_WRITE || o->send == SEND_WRITEV || o->send == SEND_PWRITEV2))
		usage_error("empty datagrams need --send send, sendto or sendmsg (%s of 0 bytes "
			    "sends nothing)",
			    send_names[o->send]);
	if (o->addr != ADDR_PAIR)
		make_addr(o, false, &sa);
	if (o->addr != ADDR_PAIR && o->type == SOCK_DGRAM)
		make_addr(o, true, &sa); /* only datagram clients bind NAME.client */
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "addr", required_argument, NULL, 'a' },
		{ "send", required_argument, NULL, 's' },
		{ "recv", required_argument, NULL, 'r' },
		{ "iov", required_argument, NULL, 'i' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "reply-sizes", required_argument, NULL, 'Z' },
		{ "seed", required_argument, NULL, 'S' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "unconnected", no_argument, NULL, 'u' },
		{ "wait-file", required_argument, NULL, 'w' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sizes = "1,100,64k", *replies = NULL;
	char *end;
	int c;

	*o = (struct opts){ .type = SOCK_STREAM, .addr = ADDR_PAIR, .iov = 3, .seed = 1 };
	opterr = 0; /* our own one-line messages, and exit status 2 */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->type = type_values[lookup(type_names, "--type", optarg)]; break;
		case 'a': parse_addr(o, optarg); break;
		case 's': o->send = (enum send_op)lookup(send_names, "--send", optarg); break;
		case 'r': o->recv = (enum recv_op)lookup(recv_names, "--recv", optarg); break;
		case 'i': o->iov = (int)parse_long(optarg, "--iov", 1, MAX_IOV); break;
		case 'z': sizes = optarg; break;
		case 'Z': replies = optarg; break;
		case 'S':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || *optarg == '\0' || *end != '\0' || *optarg == '-')
				usage_error("bad --seed '%s'", optarg);
			break;
		case 'm': o->manifest = optarg; break;
		case 'u': o->unconnected = true; break;
		case 'w': o->wait_file = optarg; break;
		case 'H': o->hold_ms = parse_long(optarg, "--hold-ms", 0, 86400000); break;
		case 'h': usage(); exit(0);
		default: usage_error("bad option or missing argument: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	o->sizes[C2S] = parse_sizes(sizes);
	o->sizes[S2C] = parse_sizes(replies ? replies : sizes);
	validate(o);
}

/* ---- payloads --------------------------------------------------------------------------- */

/* SplitMix64: tiny, fast, and good enough to make payloads that share no structure. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Message idx of direction d: the first 256 bytes are a shuffled permutation of 0..255 (so
 * every byte value, zero included, appears in any message of 256 bytes or more), the rest is
 * pseudo-random. Each (seed, direction, index) gets its own generator state. */
static void fill_payload(uint8_t *buf, size_t len, uint64_t seed, enum dir d, size_t idx)
{
	uint64_t st = seed;
	uint8_t perm[256];
	size_t i = 0;

	st = splitmix64(&st) ^ ((uint64_t)d + 1) * 0xd1b54a32d192ed03ULL;
	st = splitmix64(&st) ^ ((uint64_t)idx + 1) * 0x8cb92ba72f3d8dd7ULL;
	for (int k = 0; k < 256; k++)
		perm[k] = (uint8_t)k;
	for (int k = 255; k > 0; k--) {
		int j = (int)(splitmix64(&st) % (uint64_t)(k + 1));
		uint8_t t = perm[k];

		perm[k] = perm[j];
		perm[j] = t;
	}
	for (; i < len && i < 256; i++)
		buf[i] = perm[i];
	while (i < len) {
		uint64_t r = splitmix64(&st);

		for (int k = 0; k < 8 && i < len; k++, r >>= 8)
			buf[i++] = (uint8_t)r;
	}
}

static size_t max_size(const struct opts *o)
{
	size_t m = 0;

	for (int d = C2S; d <= S2C; d++)
		for (size_t i = 0; i < o->sizes[d].n; i++)
			if (o->sizes[d].v[i] > m)
				m = o->sizes[d].v[i];
	return m;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fail("out of memory (%zu bytes)", n);
	return p;
}

/* Manifest lines for one direction: one per message, or one for the whole stream. */
static void manifest_dir(FILE *f, const struct opts *o, enum dir d, uint8_t *buf)
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[65];
	size_t total = 0;

	sha256_init(&ctx);
	for (size_t i = 0; i < o->sizes[d].n; i++) {
		size_t len = o->sizes[d].v[i];

		fill_payload(buf, len, o->seed, d, i);
		sha256_update(&ctx, buf, len);
		total += len;
		if (o->type == SOCK_STREAM)
			continue; /* a stream has no message boundaries: one digest at the end */
		sha256_final(&ctx, digest);
		sha256_hex(digest, hex);
		fprintf(f, "message %s %zu %zu %s\n", dir_names[d], i, len, hex);
		sha256_init(&ctx);
	}
	if (o->type == SOCK_STREAM) {
		sha256_final(&ctx, digest);
		sha256_hex(digest, hex);
		fprintf(f, "stream %s %zu %s\n", dir_names[d], total, hex);
	}
}

/* Written to FILE.tmp then renamed, so a test polling for the manifest never reads half. */
static void write_manifest(const struct opts *o, pid_t client, pid_t server)
{
	size_t n = strlen(o->manifest) + 5;
	char *tmp = xmalloc(n);
	uint8_t *buf = xmalloc(max_size(o));
	FILE *f;

	snprintf(tmp, n, "%s.tmp", o->manifest);
	f = fopen(tmp, "w");
	if (!f)
		fail("cannot create %s: %s", tmp, strerror(errno));
	manifest_dir(f, o, C2S, buf);
	manifest_dir(f, o, S2C, buf);
	fprintf(f, "pids %d %d\n", (int)client, (int)server);
	if (ferror(f) | fclose(f))
		fail("cannot write %s", tmp);
	if (rename(tmp, o->manifest) < 0)
		fail("cannot rename %s to %s: %s", tmp, o->manifest, strerror(errno));
	free(tmp);
	free(buf);
}

/* ---- process supervision ------------------------------------------------------------- */

/* Appends the decimal v to buf at *len, with only async-signal-safe means. */
static void append_num(char *buf, size_t *len, int v)
{
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		buf[(*len)++] = digits[--n];
}

static void append_str(char *buf, size_t *len, const char *s)
{
	while (*s)
		buf[(*len)++] = *s++;
}

/* The server's SIGCHLD handler. A client that failed ends the server right here: checking
 * after an interrupted call would miss a death that happens just before the server blocks
 * in recv() for a datagram that will then never come. Only async-signal-safe calls. */
static void on_sigchld(int sig)
{
	int saved = errno, st;
	char msg[128];
	size_t len = 0;

	(void)sig;
	if (g_client <= 0 || waitpid((pid_t)g_client, &st, WNOHANG) != (pid_t)g_client) {
		errno = saved;
		return;
	}
	g_client = -1;
	g_client_status = st;
	g_client_reaped = 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		errno = saved;
		return;
	}
	append_str(msg, &len, "ucgen: server: client ");
	append_str(msg, &len, WIFEXITED(st) ? "exited with status " : "was killed by signal ");
	append_num(msg, &len, WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	msg[len++] = '\n';
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing better to do */
	}
	if (g_bound_path[0])
		unlink(g_bound_path);
	_exit(1);
}

/* Waits for a client that may already have been reaped by on_sigchld(). */
static void wait_client(void)
{
	sigset_t chld, old;
	int st;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old); /* the handler cannot run between check and wait */
	if (!g_client_reaped) {
		while (waitpid((pid_t)g_client, &st, 0) < 0)
			if (errno != EINTR)
				fail("waitpid: %s", strerror(errno));
		g_client = -1;
		g_client_status = st;
		g_client_reaped = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	st = g_client_status;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("client %s %d", WIFEXITED(st) ? "exited with status" : "was killed by signal",
		     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static const char *io_error(void)
{
	static char buf[64];

	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return strerror(errno);
	snprintf(buf, sizeof(buf), "timed out (%d s without progress)", IO_TIMEOUT_S);
	return buf;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;
	uint64_t now;

	/* Resumed after every interruption (SIGCHLD): the client ending early must not cut the
	 * hold. */
	while ((now = now_ms()) < deadline) {
		struct timespec ts = { .tv_sec = (time_t)((deadline - now) / 1000),
				       .tv_nsec = (long)((deadline - now) % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
}

static void wait_for_file(const char *path)
{
	uint64_t deadline = now_ms() + WAIT_FILE_TIMEOUT_MS;

	while (access(path, F_OK) != 0) {
		if (now_ms() >= deadline)
			fail("gave up after %d s waiting for %s", WAIT_FILE_TIMEOUT_MS / 1000,
			     path);
		sleep_ms(WAIT_FILE_POLL_MS);
	}
}

/* ---- socket I/O ------------------------------------------------------------------------- */

/* Splits [p, p + len) into n parts whose lengths differ by at most one, the longer ones first,
 * so every part is non-empty whenever len >= n. */
static int split_iov(struct iovec *iov, int n, const uint8_t *p, size_t len)
{
	size_t base = len / (size_t)n, extra = len % (size_t)n, off = 0;

	for (int i = 0; i < n; i++) {
		size_t part = base + ((size_t)i < extra ? 1 : 0);

		iov[i].iov_base = (void *)(p + off);
		iov[i].iov_len = part;
		off += part;
	}
	return n;
}

/* One send syscall of the selected kind; returns its result. EINTR is retried everywhere:
 * SA_RESTART does not restart socket calls once SO_RCVTIMEO/SO_SNDTIMEO are set (signal(7)),
 * and SIGCHLD from a client that ended well is no error. */
static ssize_t send_once(struct side *s, const uint8_t *p, size_t len)
{
	const struct sockaddr *to = s->use_dest ? (const struct sockaddr *)&s->dest : NULL;
	socklen_t tolen = s->use_dest ? s->dest_len : 0;
	struct iovec iov[MAX_IOV];
	int n = split_iov(iov, s->o->iov, p, len);
	struct msghdr mh = { .msg_name = (void *)to,
			     .msg_namelen = tolen,
			     .msg_iov = iov,
			     .msg_iovlen = (size_t)n };
	ssize_t r = -1;

	do {
		switch (s->o->send) {
		case SEND_WRITE: r = write(s->fd, p, len); break;
		case SEND_WRITEV: r = writev(s->fd, iov, n); break;
		case SEND_SEND: r = send(s->fd, p, len, MSG_NOSIGNAL); break;
		case SEND_SENDTO: r = sendto(s->fd, p, len, MSG_NOSIGNAL, to, tolen); break;
		case SEND_SENDMSG: r = sendmsg(s->fd, &mh, MSG_NOSIGNAL); break;
		case SEND_PWRITEV2: r = pwritev2(s->fd, iov, n, -1, 0); break;
		}
	} while (r < 0 && errno == EINTR);
	return r;
}

/* One receive syscall into p (capacity cap). *trunc is set when the kernel says a datagram
 * was longer than cap; with MSG_TRUNC recv/recvfrom also return the real length. */
static ssize_t recv_once(struct side *s, uint8_t *p, size_t cap, bool *trunc)
{
	int flags = s->o->type == SOCK_STREAM ? 0 : MSG_TRUNC;
	struct sockaddr_un from;
	socklen_t fromlen = 0;
	struct iovec iov[MAX_IOV];
	int n = split_iov(iov, s->o->iov, p, cap);
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t r = -1;

	*trunc = false;
	do {
		fromlen = sizeof(from);
		switch (s->o->recv) {
		case RECV_READ: r = read(s->fd, p, cap); break;
		case RECV_READV: r = readv(s->fd, iov, n); break;
		case RECV_RECV: r = recv(s->fd, p, cap, flags); break;
		case RECV_RECVFROM:
			r = recvfrom(s->fd, p, cap, flags, (struct sockaddr *)&from, &fromlen);
			break;
		case RECV_RECVMSG:
			mh.msg_name = &from;
			mh.msg_namelen = sizeof(from);
			r = recvmsg(s->fd, &mh, flags);
			fromlen = mh.msg_namelen;
			*trunc = r >= 0 && (mh.msg_flags & MSG_TRUNC);
			break;
		case RECV_PREADV2: r = preadv2(s->fd, iov, n, -1, 0); break;
		}
	} while (r < 0 && errno == EINTR);
	if (r >= 0 && s->learn_dest && fromlen > offsetof(struct sockaddr_un, sun_path)) {
		memcpy(&s->dest, &from, fromlen);
		s->dest_len = fromlen;
	}
	return r;
}

static void send_message(struct side *s, const uint8_t *p, size_t len, size_t idx)
{
	const char *op = send_names[s->o->send];
	size_t off = 0;
	ssize_t r;

	if (s->o->type != SOCK_STREAM) {
		/* A datagram or record goes out whole in one call, or not at all. */
		r = send_once(s, p, len);
		if (r < 0 && (errno == EMSGSIZE || errno == ENOBUFS)) {
			int err = errno, sndbuf = 0;
			socklen_t sl = sizeof(sndbuf);

			getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
			fail("%s message %zu: %s of %zu bytes: %s (a datagram must fit SO_SNDBUF - 32, "
			     "here %d, and one kernel allocation, about 4263616 bytes on x86-64)",
			     dir_names[s->out], idx, op, len, strerror(err), sndbuf - 32);
		}
		if (r < 0)
			fail("%s message %zu: %s of %zu bytes: %s", dir_names[s->out], idx, op, len,
			     io_error());
		if ((size_t)r != len)
			fail("%s message %zu: %s sent %zd of %zu bytes", dir_names[s->out], idx, op,
			     r, len);
		return;
	}
	/* Stream: short writes are normal; keep going until the whole message is out. */
	while (off < len) {
		r = send_once(s, p + off, len - off);
		if (r <= 0)
			fail("%s message %zu: %s at byte %zu of %zu: %s", dir_names[s->out], idx,
			     op, off, len, r == 0 ? "wrote nothing" : io_error());
		off += (size_t)r;
	}
}

static void receive_message(struct side *s, enum dir d, uint8_t *buf, size_t len, size_t idx)
{
	const char *op = recv_names[s->o->recv];
	size_t off = 0;
	bool trunc;
	ssize_t r;

	if (s->o->type != SOCK_STREAM) {
		/* One byte of spare room shows a datagram longer than expected even with read(). */
		r = recv_once(s, buf, len + 1, &trunc);
		if (r < 0)
			fail("%s message %zu: %s: %s", dir_names[d], idx, op, io_error());
		if ((size_t)r != len || trunc)
			fail("%s message %zu: received a %zd-byte%s datagram, expected %zu bytes",
			     dir_names[d], idx, r, trunc ? " (truncated)" : "", len);
		return;
	}
	/* Stream: read exactly this message's bytes; the peer sends nothing more until we reply. */
	while (off < len) {
		r = recv_once(s, buf + off, len - off, &trunc);
		if (r < 0)
			fail("%s message %zu: %s at byte %zu of %zu: %s", dir_names[d], idx, op,
			     off, len, io_error());
		if (r == 0)
			fail("%s message %zu: end of stream after %zu of %zu bytes", dir_names[d],
			     idx, off, len);
		off += (size_t)r;
	}
}

static void verify(enum dir d, size_t idx, const uint8_t *got, const uint8_t *want, size_t len)
{
	size_t i;

	if (memcmp(got, want, len) == 0)
		return;
	for (i = 0; got[i] == want[i]; i++)
		;
	fail("%s message %zu (%zu bytes): first difference at byte %zu: got 0x%02x, expected 0x%02x",
	     dir_names[d], idx, len, i, got[i], want[i]);
}

/* Message i client->server, then reply i server->client, until both lists are done. */
static void exchange(struct side *s)
{
	const struct opts *o = s->o;
	size_t n = o->sizes[C2S].n > o->sizes[S2C].n ? o->sizes[C2S].n : o->sizes[S2C].n;
	size_t maxlen = max_size(o);
	uint8_t *want = xmalloc(maxlen + 1), *got = xmalloc(maxlen + 1);

	for (size_t i = 0; i < n; i++) {
		for (enum dir d = C2S; d <= S2C; d++) {
			size_t len;

			if (i >= o->sizes[d].n)
				continue;
			len = o->sizes[d].v[i];
			fill_payload(want, len, o->seed, d, i);
			if (d == s->out) {
				send_message(s, want, len, i);
			} else {
				receive_message(s, d, got, len, i);
				verify(d, i, got, want, len);
			}
		}
	}
	free(want);
	free(got);
}

/* ---- socket setup ----------------------------------------------------------------------- */

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void finish_setup(struct side *s)
{
	set_timeouts(s->fd);
	if (s->o->type != SOCK_STREAM)
		tool_size_buffers(s->fd, max_size(s->o));
}

/* Binds fd to the server's or client's address, first removing a stale socket file. */
static void bind_addr(const struct opts *o, int fd, bool client)
{
	struct sockaddr_un sa;
	socklen_t len = make_addr(o, client, &sa);

	if (o->addr == ADDR_PATH) {
		unlink(sa.sun_path);
		snprintf(g_bound_path, sizeof(g_bound_path), "%s", sa.sun_path);
	}
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		fail("bind %s%s%s: %s", o->addr == ADDR_ABSTRACT ? "@" : "", o->name,
		     client ? ".client" : "", strerror(errno));
}

static void connect_addr(const struct opts *o, int fd, bool client_addr)
{
	struct sockaddr_un sa;
	socklen_t len = make_addr(o, client_addr, &sa);
	int r;

	do
		r = connect(fd, (struct sockaddr *)&sa, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fail("connect %s%s%s: %s", o->addr == ADDR_ABSTRACT ? "@" : "", o->name,
		     client_addr ? ".client" : "", io_error());
}

/* Before the fork: the server's bound (and listening) socket, so the client can connect at
 * once without any handshake between the processes. */
static int server_listen(const struct opts *o)
{
	int fd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	bind_addr(o, fd, false);
	if (o->type != SOCK_DGRAM && listen(fd, 1) < 0)
		fail("listen: %s", strerror(errno));
	set_timeouts(fd); /* bounds accept() too */
	return fd;
}

/* The server's end: the socketpair half, the accepted connection, or its bound datagram
 * socket, connected back to the client unless --unconnected. */
static void server_side(struct side *s, int pairfd, int lfd, int sync_r)
{
	const struct opts *o = s->o;
	char byte;
	ssize_t r;

	s->out = S2C;
	if (o->addr == ADDR_PAIR) {
		s->fd = pairfd;
	} else if (o->type != SOCK_DGRAM) {
		do
			s->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		while (s->fd < 0 && errno == EINTR);
		if (s->fd < 0)
			fail("accept: %s", io_error());
		close(lfd);
	} else {
		s->fd = lfd;
		/* The client's address must exist before we connect or reply to it. */
		do
			r = read(sync_r, &byte, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1) {
			wait_client();
			fail("client ended before binding its socket");
		}
		close(sync_r);
		if (o->unconnected) {
			s->use_dest = s->learn_dest = true;
			s->dest_len = make_addr(o, true, &s->dest);
		} else {
			connect_addr(o, s->fd, true);
		}
	}
	finish_setup(s);
}

/* The client's end: the socketpair half, or its own socket connected to the server (bound
 * to NAME.client first for datagrams, so that the server can address replies to it). */
static void client_side(struct side *s, int pairfd, int sync_w)
{
	const struct opts *o = s->o;

	s->out = C2S;
	if (o->addr == ADDR_PAIR) {
		s->fd = pairfd;
		finish_setup(s);
		return;
	}
	s->fd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		fail("socket: %s", strerror(errno));
	if (o->type == SOCK_DGRAM)
		bind_addr(o, s->fd, true);
	if (o->unconnected) {
		s->use_dest = true;
		s->dest_len = make_addr(o, false, &s->dest);
	} else {
		connect_addr(o, s->fd, false);
	}
	if (o->type == SOCK_DGRAM) {
		if (write(sync_w, "b", 1) != 1)
			fail("cannot signal the server: %s", strerror(errno));
		close(sync_w);
	}
	finish_setup(s);
}

static void run_side(struct side *s)
{
	if (s->o->wait_file)
		wait_for_file(s->o->wait_file);
	exchange(s);
	if (s->o->hold_ms)
		sleep_ms(s->o->hold_ms);
	close(s->fd);
}

/* Frees what parse_args() allocated, so leak checkers (ASan) stay quiet on success. */
static void free_opts(struct opts *o)
{
	free(o->sizes[C2S].v);
	free(o->sizes[S2C].v);
}

static void close_if(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void __attribute__((noreturn)) client_main(struct opts *o, pid_t server, const int pair[2],
						  int lfd, const int sync[2], const sigset_t *mask)
{
	struct side s = { .o = o };

	g_role = "client";
	g_bound_path[0] = '\0'; /* the server's socket file is the server's to remove */
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* Die with the server: a server that failed must not leave us blocked for good. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(1);
	close_if(pair[0]);
	close_if(lfd);
	close_if(sync[0]);
	client_side(&s, pair[1], sync[1]);
	run_side(&s);
	cleanup();
	free_opts(o);
	exit(0);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigset_t chld, old;
	int pair[2] = { -1, -1 }, sync[2] = { -1, -1 }, lfd = -1;
	pid_t server = getpid(), pid;
	struct side s;

	parse_args(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN); /* a vanished peer shows up as EPIPE, reported like any error */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	if (o.addr == ADDR_PAIR) {
		if (socketpair(AF_UNIX, o.type | SOCK_CLOEXEC, 0, pair) < 0)
			fail("socketpair: %s", strerror(errno));
	} else {
		lfd = server_listen(&o);
		if (o.type == SOCK_DGRAM && pipe2(sync, O_CLOEXEC) < 0)
			fail("pipe: %s", strerror(errno));
	}
	fflush(NULL);
	/* SIGCHLD stays blocked until g_client is set, so the handler never misses the client. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0)
		client_main(&o, server, pair, lfd, sync, &old);
	g_client = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close_if(pair[1]);
	close_if(sync[1]);
	if (o.manifest)
		write_manifest(&o, pid, server);
	s = (struct side){ .o = &o };
	server_side(&s, pair[0], lfd, sync[0]);
	run_side(&s);
	wait_client();
	cleanup();
	free_opts(&o);
	return 0;
}
