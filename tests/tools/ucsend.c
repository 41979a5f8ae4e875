/* SPDX-License-Identifier: BSD-2-Clause */
/* ucsend PATH WORD: connect to the stream socket PATH, send WORD, end the direction, print what
 * comes back. Built static, so that it runs inside a container image made of busybox alone. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char reply[4096];
	ssize_t n;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: ucsend PATH WORD\n");
		return 2;
	}
	strcpy(a.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, argv[2], strlen(argv[2])) != (ssize_t)strlen(argv[2])) {
		perror("ucsend");
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, reply, sizeof(reply))) > 0)
		fwrite(reply, 1, (size_t)n, stdout);
	return n < 0;
}
