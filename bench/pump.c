/* SPDX-License-Identifier: BSD-2-Clause */
/* A unix-socket pump for benchmarks: one writer process, one reader, N bytes in W-byte writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_pair(const char *path, int type, int sv[2])
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, c;

	if (!path)
		return socketpair(AF_UNIX, type, 0, sv);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	l = socket(AF_UNIX, type, 0);
	c = socket(AF_UNIX, type, 0);
	if (l < 0 || c < 0 || bind(l, (void *)&a, sizeof(a)) < 0)
		return -1;
	if (type == SOCK_DGRAM) {
		if (connect(c, (void *)&a, sizeof(a)) < 0)
			return -1;
		sv[0] = c, sv[1] = l;
		return 0;
	}
	if (listen(l, 1) < 0 || connect(c, (void *)&a, sizeof(a)) < 0)
		return -1;
	sv[0] = c;
	sv[1] = accept(l, NULL, NULL);
	close(l);
	return sv[1] < 0 ? -1 : 0;
}

static void drain(int fd, size_t total, size_t chunk, int type)
{
	char *buf = malloc(chunk > 65536 ? chunk : 65536);
	size_t got = 0;

	while (got < total) {
		ssize_t n = read(fd, buf, chunk > 65536 ? chunk : 65536);

		if (n <= 0)
			break;
		got += type == SOCK_DGRAM ? chunk : (size_t)n;
	}
	free(buf);
}

int main(int argc, char **argv)
{
	size_t total, chunk, sent = 0;
	const char *path = argc > 4 ? argv[4] : NULL;
	int sv[2], type;
	double t0;
	char *buf;
	pid_t child;

	if (argc < 4) {
		fprintf(stderr, "usage: pump stream|dgram TOTAL_BYTES WRITE_BYTES [PATH]\n");
		return 2;
	}
	type = strcmp(argv[1], "dgram") == 0 ? SOCK_DGRAM : SOCK_STREAM;
	total = strtoull(argv[2], NULL, 10);
	chunk = strtoull(argv[3], NULL, 10);
	if (!total || !chunk || connect_pair(path, type, sv) < 0) {
		fprintf(stderr, "pump: setup failed: %s\n", strerror(errno));
		return 1;
	}
	buf = calloc(1, chunk);
	child = fork();
	if (child == 0) {
		close(sv[0]);
		drain(sv[1], total, chunk, type);
		_exit(0);
	}
	close(sv[1]);
	t0 = now();
	while (sent < total) {
		ssize_t n = write(sv[0], buf, chunk < total - sent ? chunk : total - sent);

		if (n < 0 && errno != EINTR)
			break;
		sent += n > 0 ? (size_t)n : 0;
	}
	close(sv[0]);
	waitpid(child, NULL, 0);
	printf("%.1f\n", (double)sent / 1e6 / (now() - t0));
	if (path)
		unlink(path);
	return sent == total ? 0 : 1;
}
