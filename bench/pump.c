/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unix-socket traffic generators for benchmarks. Every mode forks a reader process and checks that
 * it received everything the writer sent (a shortfall is an error, exit 1, not a rate):
 *
 *   pump stream TOTAL WRITE [PATH]   one stream connection, TOTAL bytes in WRITE-byte writes  (MB/s)
 *   pump dgram TOTAL WRITE [PATH]    datagrams of WRITE bytes, counted as messages            (MB/s)
 *   pump conns N TOTAL WRITE PATH    N stream connections to one listener, writes round-robin,
 *                                    the reader drains them with epoll                          (MB/s)
 *   pump churn N SIZE PATH           N connections one after another: connect, SIZE bytes
 *                                    request, SIZE bytes response, close               (connections/s)
 *   pump echo N SIZE PATH            one thread writes SIZE bytes and reads them back, N times
 *                                                                                  (round trips/s)
 *   pump syscalls N getppid|null     N syscalls that are no unix-socket I/O: getppid(), or a
 *                                    1-byte write() to /dev/null                       (syscalls/s)
 *
 * Without PATH, stream and dgram use a socketpair. Prints one number on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF 65536
#define READER_TIMEOUT_S 20 /* a reader that waits this long for data has lost some */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "pump: %s: %s\n", what, strerror(errno));
	return -1;
}

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = READER_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int make_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

/* A socket bound to PATH (replacing a stale one), listening when it is a stream socket. */
static int listener(const char *path, int type, int backlog)
{
	struct sockaddr_un a;
	int l = socket(AF_UNIX, type, 0);

	if (l < 0 || make_addr(path, &a) < 0)
		return fail("socket");
	unlink(path);
	if (bind(l, (void *)&a, sizeof(a)) < 0)
		return fail(path);
	if (type == SOCK_STREAM && listen(l, backlog) < 0)
		return fail("listen");
	return l;
}

static int connect_to(const char *path, int type)
{
	struct sockaddr_un a;
	int c = socket(AF_UNIX, type, 0);

	if (c < 0 || make_addr(path, &a) < 0)
		return fail("socket");
	if (connect(c, (void *)&a, sizeof(a)) < 0) {
		fail("connect");
		close(c);
		return -1;
	}
	return c;
}

static int connect_pair(const char *path, int type, int sv[2])
{
	int l;

	if (!path)
		return socketpair(AF_UNIX, type, 0, sv) < 0 ? fail("socketpair") : 0;
	if ((l = listener(path, type, 1)) < 0 || (sv[0] = connect_to(path, type)) < 0)
		return -1;
	if (type == SOCK_DGRAM) {
		sv[1] = l;
		return 0;
	}
	sv[1] = accept(l, NULL, NULL);
	close(l);
	return sv[1] < 0 ? fail("accept") : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n, len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n, len -= (size_t)n;
	}
	return 0;
}

/* Reader of stream and dgram: bytes until EOF, or messages until all expected have come. */
static int drain(int fd, size_t total, size_t chunk, int type)
{
	char *buf = malloc(READ_BUF);
	size_t got = 0, msgs = 0, want_msgs = (total + chunk - 1) / chunk;

	set_timeout(fd);
	for (;;) {
		ssize_t n;

		if (type == SOCK_DGRAM && msgs == want_msgs)
			break;
		n = read(fd, buf, READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "pump: reader: %s after %zu bytes, %zu messages\n",
				strerror(errno), got, msgs);
			break;
		}
		if (n == 0 && type == SOCK_STREAM)
			break;
		got += (size_t)n, msgs++;
	}
	free(buf);
	if (got != total) {
		fprintf(stderr, "pump: reader got %zu of %zu bytes\n", got, total);
		return 1;
	}
	return 0;
}

static int reader_ok(pid_t child)
{
	int status;

	if (waitpid(child, &status, 0) < 0)
		return fail("waitpid") + 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int pump(int type, size_t total, size_t chunk, const char *path)
{
	size_t sent = 0;
	int sv[2], ok;
	double t0;
	char *buf;
	pid_t child;

	if (connect_pair(path, type, sv) < 0)
		return 1;
	buf = calloc(1, chunk);
	child = fork();
	if (child < 0)
		return fail("fork"), 1;
	if (child == 0) {
		close(sv[0]);
		_exit(drain(sv[1], total, chunk, type));
	}
	close(sv[1]);
	t0 = now();
	while (sent < total) {
		ssize_t n = write(sv[0], buf, chunk < total - sent ? chunk : total - sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("write");
			break;
		}
		if (type == SOCK_DGRAM &&
		    (size_t)n != (chunk < total - sent ? chunk : total - sent)) {
			fprintf(stderr, "pump: short datagram write\n");
			break;
		}
		sent += (size_t)n;
	}
	close(sv[0]);
	ok = reader_ok(child);
	if (sent == total && ok)
		printf("%.1f\n", (double)sent / 1e6 / (now() - t0));
	if (path)
		unlink(path);
	return sent == total && ok ? 0 : 1;
}

/* Reader of conns: accepts n connections and drains them all with epoll until each is at EOF. */
static int drain_conns(int l, int n, size_t total)
{
	int ep = epoll_create1(0), open_conns = 0;
	char *buf = malloc(READ_BUF);
	struct epoll_event ev[64];
	size_t got = 0;

	for (int i = 0; i < n; i++) {
		struct epoll_event e = { .events = EPOLLIN };
		int c = accept(l, NULL, NULL);

		if (c < 0)
			return fail("accept"), 1;
		e.data.fd = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &e) < 0)
			return fail("epoll_ctl"), 1;
		open_conns++;
	}
	close(l);
	while (open_conns) {
		int k = epoll_wait(ep, ev, 64, READER_TIMEOUT_S * 1000);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "pump: reader: no data for %d s after %zu bytes\n",
				READER_TIMEOUT_S, got);
			return 1;
		}
		for (int i = 0; i < k; i++) {
			ssize_t r = read(ev[i].data.fd, buf, READ_BUF);

			if (r > 0) {
				got += (size_t)r;
			} else if (r == 0 || errno != EINTR) {
				close(ev[i].data.fd); /* also leaves the epoll set */
				open_conns--;
			}
		}
	}
	if (got != total) {
		fprintf(stderr, "pump: reader got %zu of %zu bytes\n", got, total);
		return 1;
	}
	return 0;
}

/* A child process serving a stream socket listening at path; -1 if it could not start. */
static pid_t fork_server(const char *path, int backlog, int (*serve)(int l, int n, size_t size),
			 int n, size_t size)
{
	int l = listener(path, SOCK_STREAM, backlog);
	pid_t child;

	if (l < 0)
		return -1;
	child = fork();
	if (child < 0) {
		close(l);
		return fail("fork"), -1;
	}
	if (child == 0)
		_exit(serve(l, n, size));
	close(l);
	return child;
}

static int conns(int n, size_t total, size_t chunk, const char *path)
{
	int *fd = calloc((size_t)n, sizeof(int)), ok, err = 0;
	char *buf = calloc(1, chunk);
	size_t sent = 0;
	double t0;
	pid_t child = fork_server(path, n, drain_conns, n, total);

	if (child < 0)
		return 1;
	for (int i = 0; i < n; i++)
		if ((fd[i] = connect_to(path, SOCK_STREAM)) < 0)
			return kill(child, SIGTERM), waitpid(child, NULL, 0), 1;
	t0 = now();
	for (int i = 0; sent < total && !err; i = (i + 1) % n) {
		size_t len = chunk < total - sent ? chunk : total - sent;

		if (write_all(fd[i], buf, len) < 0)
			err = fail("write");
		else
			sent += len;
	}
	for (int i = 0; i < n; i++)
		close(fd[i]);
	ok = reader_ok(child);
	if (!err && ok)
		printf("%.1f\n", (double)sent / 1e6 / (now() - t0));
	unlink(path);
	return !err && ok ? 0 : 1;
}

/* Server of churn: n connections one after another: request in, response out, wait for EOF. */
static int serve_churn(int l, int n, size_t size)
{
	char *buf = malloc(size);

	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			return fail("accept"), 1;
		set_timeout(c);
		if (read_all(c, buf, size) < 0 || write_all(c, buf, size) < 0 ||
		    read(c, buf, 1) != 0) {
			fprintf(stderr, "pump: server: connection %d failed: %s\n", i,
				strerror(errno));
			return 1;
		}
		close(c);
	}
	return 0;
}

static int churn(int n, size_t size, const char *path)
{
	int ok, done = 0;
	char *buf = calloc(1, size);
	double t0;
	pid_t child = fork_server(path, 64, serve_churn, n, size);

	if (child < 0)
		return 1;
	t0 = now();
	for (; done < n; done++) {
		int c = connect_to(path, SOCK_STREAM);

		if (c < 0)
			break;
		if (write_all(c, buf, size) < 0 || read_all(c, buf, size) < 0) {
			fail("exchange");
			close(c);
			break;
		}
		close(c);
	}
	if (done < n)
		kill(child, SIGTERM);
	ok = reader_ok(child);
	if (done == n && ok)
		printf("%.0f\n", n / (now() - t0));
	unlink(path);
	return done == n && ok ? 0 : 1;
}

/* echo: one thread writes SIZE bytes on a connected stream and reads them back at once, N times.
 * No other process and no wake-ups take part: the hooks' cost per message shows without the
 * scheduler's noise. Prints round trips per second. */
static int echo(int n, size_t size, const char *path)
{
	char *buf = calloc(1, size);
	double t0;
	int sv[2], done = 0;

	if (!buf || connect_pair(path, SOCK_STREAM, sv) < 0)
		return fail("setup"), 1;
	t0 = now();
	for (; done < n; done++)
		if (write_all(sv[0], buf, size) < 0 || read_all(sv[1], buf, size) < 0)
			break;
	if (done == n)
		printf("%.0f\n", n / (now() - t0));
	close(sv[0]);
	close(sv[1]);
	free(buf);
	unlink(path);
	return done == n ? 0 : 1;
}

/* Syscalls that a capture of unix sockets must let pass: one that is no I/O at all, and I/O on a
 * descriptor that is no socket. Prints syscalls per second. */
static int syscalls(int n, const char *kind)
{
	int fd = strcmp(kind, "null") == 0 ? open("/dev/null", O_WRONLY) : -1;
	double t0;

	if (strcmp(kind, "null") == 0 && fd < 0)
		return fail("/dev/null"), 1;
	t0 = now();
	for (int i = 0; i < n; i++)
		if (fd >= 0 ? write(fd, "", 1) != 1 : getppid() < 0)
			return fail("syscall"), 1;
	printf("%.0f\n", n / (now() - t0));
	if (fd >= 0)
		close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: pump stream|dgram TOTAL_BYTES WRITE_BYTES [PATH]\n"
			"       pump conns N TOTAL_BYTES WRITE_BYTES PATH\n"
			"       pump churn N SIZE PATH\n"
			"       pump echo N SIZE PATH\n"
			"       pump syscalls N getppid|null\n");
	return 2;
}

static size_t number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	return *end ? 0 : (size_t)v;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage();
	if (strcmp(argv[1], "stream") == 0 || strcmp(argv[1], "dgram") == 0) {
		size_t total = number(argv[2]), chunk = number(argv[3]);

		if (!total || !chunk || argc > 5)
			return usage();
		return pump(argv[1][0] == 'd' ? SOCK_DGRAM : SOCK_STREAM, total, chunk,
			    argc > 4 ? argv[4] : NULL);
	}
	if (strcmp(argv[1], "conns") == 0 && argc == 6) {
		size_t n = number(argv[2]), total = number(argv[3]), chunk = number(argv[4]);

		if (!n || n > 4096 || !total || !chunk)
			return usage();
		return conns((int)n, total, chunk, argv[5]);
	}
	if (strcmp(argv[1], "churn") == 0 && argc == 5) {
		size_t n = number(argv[2]), size = number(argv[3]);

		if (!n || n > 10000000 || !size)
			return usage();
		return churn((int)n, size, argv[4]);
	}
	if (strcmp(argv[1], "syscalls") == 0 && argc == 4) {
		size_t n = number(argv[2]);

		if (!n || n > 1000000000 || (strcmp(argv[3], "getppid") && strcmp(argv[3], "null")))
			return usage();
		return syscalls((int)n, argv[3]);
	}
	if (strcmp(argv[1], "echo") == 0 && argc == 5) {
		size_t n = number(argv[2]), size = number(argv[3]);

		if (!n || n > 100000000 || !size || size > (1 << 20))
			return usage();
		return echo((int)n, size, argv[4]);
	}
	return usage();
}
