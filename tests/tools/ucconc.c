/* SPDX-License-Identifier: BSD-2-Clause */
/* ucconc: AF_UNIX stream traffic that is hard to record in order: several threads writing to
 * one socket, connections whose client is gone before the server looks, and one long blocking
 * write read in small pieces. Writes a manifest of what the reader really read.
 *
 * Usage: ucconc threads [--threads N] [--count K] [--size S] [--manifest FILE] [--order FILE]
 *        ucconc churn --path FILE [--count K] [--manifest FILE]
 *        ucconc longwrite [--size S] [--chunk C] [--manifest FILE]
 *
 * threads:   N threads write K messages of S bytes each (every one distinct) to one end of a
 *            socketpair; a reader thread reads the other end until end-of-file. Manifest:
 *            `stream c2s BYTES SHA256` of the bytes in the order the reader read them,
 *            and `stream s2c 0 SHA256-OF-NOTHING`, as check_capture.py reads them. --order
 *            lists the writes in the order the reader got them, one `W I` (writer, index) a
 *            line: a write of S bytes (below the socket buffer) reaches the reader in one piece.
 * churn:     a child process makes K connections to FILE, sends "hello I" on each and closes
 *            it; only once the child has exited does the server accept them, read each to
 *            end-of-file and close it, so every client end is closed before its server end is
 *            even accepted. Manifest: `connections K bytes TOTAL`.
 * longwrite: a thread writes "hello" (so the connection is open in the capture before), then
 *            S bytes (default 8M) in one write(), read by the main thread in pieces of C bytes
 *            (default 64k) while that write is still blocked; then both ends close. Manifest:
 *            the two `stream` lines as for threads.
 * Exit status: 0 everything sent and read back, 1 runtime failure (one line on stderr), 2 bad
 * options.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sha256.h"
#include "toolkit.h"

#define MAX_THREADS 64
#define MAX_COUNT 1000000
#define MAX_SIZE (64UL * 1024 * 1024)

enum mode { M_THREADS, M_CHURN, M_LONGWRITE };

static const char *const mode_names[] = { "threads", "churn", "longwrite", NULL };

struct opts {
	enum mode mode;
	long threads, count, size, chunk;
	const char *path, *manifest, *order;
};

/* What the reader saw: every byte, in the order it came out of the socket. */
struct reading {
	int fd;
	long chunk;
	uint64_t bytes;
	struct sha256_ctx sha;
	FILE *order;   /* NULL, or where each message's header goes as it completes */
	long size;     /* of a message */
	char head[32]; /* the start of the message being read */
};

struct writer {
	int fd;
	long id, count, size;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("ucconc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn)) usage_error(const char *what)
{
	fprintf(stderr,
		"ucconc: %s (usage: ucconc threads|churn|longwrite [--threads N] [--count K] "
		"[--size S] [--chunk C] [--path FILE] [--manifest FILE])\n",
		what);
	exit(2);
}

/* A number with an optional k or M suffix, within [1, max]. */
static long parse_number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*end == 'k')
		v *= 1024, end++;
	else if (*end == 'M')
		v *= 1024 * 1024, end++;
	if (errno || end == s || *end || v < 1 || v > max)
		usage_error("bad number");
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "path", required_argument, NULL, 'p' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "order", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int c, m;

	if (argc < 2 || (m = tool_find_name(mode_names, argv[1])) < 0)
		usage_error("first argument: threads, churn or longwrite");
	*o = (struct opts){
		.mode = (enum mode)m, .threads = 8, .count = 2000, .size = 1000, .chunk = 65536
	};
	if (o->mode == M_LONGWRITE)
		o->size = 8 * 1024 * 1024;
	if (o->mode == M_CHURN)
		o->count = 1000;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->threads = parse_number(optarg, MAX_THREADS); break;
		case 'n': o->count = parse_number(optarg, MAX_COUNT); break;
		case 's': o->size = parse_number(optarg, (long)MAX_SIZE); break;
		case 'c': o->chunk = parse_number(optarg, (long)MAX_SIZE); break;
		case 'p': o->path = optarg; break;
		case 'm': o->manifest = optarg; break;
		case 'o': o->order = optarg; break;
		default: usage_error("bad option");
		}
	}
	if (optind != argc || (o->mode == M_CHURN && !o->path))
		usage_error(o->mode == M_CHURN ? "churn needs --path" : "unexpected argument");
	if (o->path && strlen(o->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		usage_error("--path too long");
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", w < 0 ? strerror(errno) : "wrote nothing");
		p += w;
		n -= (size_t)w;
	}
}

/* Message i of writer id: its first bytes name it, the rest follows from them. */
static void fill_message(uint8_t *buf, long size, long id, long i)
{
	uint32_t x = (uint32_t)(id * 2654435761u) ^ (uint32_t)i;
	int head = snprintf((char *)buf, (size_t)size, "[w%ld #%ld]", id, i);

	for (long k = head < size ? head : size; k < size; k++) {
		x = x * 1103515245u + 12345u;
		buf[k] = (uint8_t)(x >> 16);
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t *buf = malloc((size_t)w->size + 32);

	if (!buf)
		die("out of memory");
	for (long i = 0; i < w->count; i++) {
		fill_message(buf, w->size, w->id, i);
		write_all(w->fd, buf, (size_t)w->size);
	}
	free(buf);
	return NULL;
}

/* Names each message of r->size bytes in the order its bytes were read. */
static void note_order(struct reading *r, const uint8_t *buf, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint64_t at = (r->bytes + k) % (uint64_t)r->size;
		long w, i;

		if (at < sizeof(r->head) - 1)
			r->head[at] = (char)buf[k];
		if (at != (uint64_t)r->size - 1)
			continue;
		r->head[sizeof(r->head) - 1] = '\0';
		if (sscanf(r->head, "[w%ld #%ld]", &w, &i) != 2)
			die("read a message that no writer wrote at byte %llu",
			    (unsigned long long)(r->bytes + k + 1 - (uint64_t)r->size));
		fprintf(r->order, "%ld %ld\n", w, i);
	}
}

/* Reads fd to end-of-file in pieces of at most r->chunk bytes. */
static void *reader_main(void *arg)
{
	struct reading *r = arg;
	uint8_t *buf = malloc((size_t)r->chunk);

	if (!buf)
		die("out of memory");
	sha256_init(&r->sha);
	for (;;) {
		ssize_t n = read(r->fd, buf, (size_t)r->chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read: %s", strerror(errno));
		if (n == 0)
			break;
		sha256_update(&r->sha, buf, (size_t)n);
		if (r->order)
			note_order(r, buf, (size_t)n);
		r->bytes += (uint64_t)n;
	}
	free(buf);
	return NULL;
}

static FILE *open_manifest(const struct opts *o)
{
	FILE *f = o->manifest ? fopen(o->manifest, "w") : stdout;

	if (!f)
		die("%s: %s", o->manifest, strerror(errno));
	return f;
}

static void close_manifest(const struct opts *o, FILE *f)
{
	if (fflush(f) || ferror(f) || (o->manifest && fclose(f)))
		die("%s: cannot write", o->manifest ? o->manifest : "stdout");
}

static void print_stream(FILE *f, struct reading *r)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[65];
	struct sha256_ctx empty;

	sha256_final(&r->sha, digest);
	sha256_hex(digest, hex);
	fprintf(f, "stream c2s %llu %s\n", (unsigned long long)r->bytes, hex);
	sha256_init(&empty);
	sha256_final(&empty, digest);
	sha256_hex(digest, hex);
	fprintf(f, "stream s2c 0 %s\n", hex);
}

static void socket_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
}

static void run_threads(const struct opts *o)
{
	pthread_t tids[MAX_THREADS], reader;
	struct writer w[MAX_THREADS];
	struct reading r = { .chunk = 65536, .size = o->size };
	int sv[2];
	FILE *f;

	if (o->order && !(r.order = fopen(o->order, "w")))
		die("%s: %s", o->order, strerror(errno));
	socket_pair(sv);
	r.fd = sv[1];
	if (pthread_create(&reader, NULL, reader_main, &r))
		die("cannot start the reader");
	for (long t = 0; t < o->threads; t++) {
		w[t] = (struct writer){ .fd = sv[0], .id = t, .count = o->count, .size = o->size };
		if (pthread_create(&tids[t], NULL, writer_main, &w[t]))
			die("cannot start writer %ld", t);
	}
	for (long t = 0; t < o->threads; t++)
		pthread_join(tids[t], NULL);
	close(sv[0]);
	pthread_join(reader, NULL);
	close(sv[1]);
	if (r.order && fclose(r.order))
		die("%s: cannot write", o->order);
	if (r.bytes != (uint64_t)(o->threads * o->count * o->size))
		die("read %llu bytes, %ld were written", (unsigned long long)r.bytes,
		    o->threads * o->count * o->size);
	f = open_manifest(o);
	print_stream(f, &r);
	close_manifest(o, f);
}

#define GREETING "hello"

/* 8 MiB cannot fit a socket buffer: the write is still blocked while most of it is read. */
static void *long_writer_main(void *arg)
{
	struct writer *w = arg;

	write_all(w->fd, (const uint8_t *)GREETING, strlen(GREETING));
	writer_main(w);
	close(w->fd);
	return NULL;
}

static void run_longwrite(const struct opts *o)
{
	struct writer w = { .id = 0, .count = 1, .size = o->size };
	struct reading r = { .chunk = o->chunk };
	pthread_t writer;
	int sv[2];
	FILE *f;

	socket_pair(sv);
	w.fd = sv[0];
	r.fd = sv[1];
	if (pthread_create(&writer, NULL, long_writer_main, &w))
		die("cannot start the writer");
	reader_main(&r);
	pthread_join(writer, NULL);
	close(sv[1]);
	if (r.bytes != (uint64_t)o->size + strlen(GREETING))
		die("read %llu bytes, %zu were written", (unsigned long long)r.bytes,
		    (size_t)o->size + strlen(GREETING));
	f = open_manifest(o);
	print_stream(f, &r);
	close_manifest(o, f);
}

static int listen_on(const char *path, int backlog)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(a.sun_path, path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

static void churn_clients(const char *path, long count)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char msg[32];

	strcpy(a.sun_path, path);
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		int n = snprintf(msg, sizeof(msg), "hello %ld", i);

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect %ld: %s", i, strerror(errno));
		write_all(fd, (const uint8_t *)msg, (size_t)n);
		close(fd);
	}
}

static uint64_t drain_and_close(int fd)
{
	char buf[64];
	uint64_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			die("server read: %s", strerror(errno));
		total += n > 0 ? (uint64_t)n : 0;
	}
	close(fd);
	return total;
}

static void run_churn(const struct opts *o)
{
	int lfd = listen_on(o->path, (int)o->count), status;
	uint64_t bytes = 0;
	pid_t pid = fork();
	FILE *f;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(lfd);
		churn_clients(o->path, o->count);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the clients failed");
	for (long i = 0; i < o->count; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept %ld: %s", i, strerror(errno));
		bytes += drain_and_close(fd);
	}
	close(lfd);
	unlink(o->path);
	f = open_manifest(o);
	fprintf(f, "connections %ld bytes %llu\n", o->count, (unsigned long long)bytes);
	close_manifest(o, f);
}

int main(int argc, char **argv)
{
	struct opts o;

	parse(argc, argv, &o);
	if (o.mode == M_THREADS)
		run_threads(&o);
	else if (o.mode == M_CHURN)
		run_churn(&o);
	else
		run_longwrite(&o);
	return 0;
}
