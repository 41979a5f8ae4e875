/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writecost FILE TOTAL WRITE: writes TOTAL bytes to a new FILE in WRITE-byte write() calls and
 * prints "MB/s GB-per-CPU-second": the rate, and the payload one CPU-second of a writer stores.
 * That second number is the ceiling of any consumer that writes every byte once to this file
 * system (the kernel's copy into the page cache and its allocation of pages are in it); bench/run.sh
 * prints it beside unixcap's own figure. FILE is removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long total, chunk, done = 0;
	struct rusage r0, r1;
	double t0, wall, cpu;
	char *buf;
	int fd;

	if (argc != 4 || (total = strtoull(argv[2], NULL, 10)) == 0 ||
	    (chunk = strtoull(argv[3], NULL, 10)) == 0 || chunk > (1ULL << 30)) {
		fprintf(stderr, "usage: writecost FILE TOTAL WRITE\n");
		return 2;
	}
	if (!(buf = malloc(chunk))) {
		fprintf(stderr, "writecost: no memory for %llu bytes\n", chunk);
		return 1;
	}
	memset(buf, 0x5a, chunk);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "writecost: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	while (done < total) {
		ssize_t n = write(fd, buf, total - done < chunk ? total - done : chunk);

		if (n <= 0) {
			fprintf(stderr, "writecost: %s: %s\n", argv[1],
				n ? strerror(errno) : "no progress");
			return 1;
		}
		done += (unsigned long long)n;
	}
	wall = now() - t0;
	getrusage(RUSAGE_SELF, &r1);
	cpu = seconds(r1.ru_utime) - seconds(r0.ru_utime) + seconds(r1.ru_stime) -
	      seconds(r0.ru_stime);
	close(fd);
	unlink(argv[1]);
	printf("%.0f %.2f\n", (double)total / wall / 1e6,
	       cpu > 0 ? (double)total / cpu / 1e9 : 0.0);
	return 0;
}
