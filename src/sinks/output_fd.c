/* SPDX-License-Identifier: BSD-2-Clause */
/* Output descriptors a hostile path cannot turn against us, and a stream reader's hang-up.
 *
 * Run as root, unixcap -w writes where an unprivileged user may have planted a name first (a
 * world-writable /tmp): a symbolic link to a file of root's, a hard link, a FIFO or a file of
 * their own that they read. So the final name is never followed (O_NOFOLLOW, and O_EXCL when
 * creating), what was opened is judged by its descriptor (fstat, not the path: no window
 * between check and use), and nothing in it changes before that judgement. */
#include "sinks/output_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPEN_FLAGS (O_WRONLY | O_NOFOLLOW | O_CLOEXEC)

static int fail_because(const char **why, const char *reason, int err)
{
	*why = reason;
	errno = err;
	return -1;
}

/* What -w may write into. A character device only root can make (/dev/null, a terminal). */
static int check_kind(const struct stat *st, const char **why)
{
	if (S_ISLNK(st->st_mode))
		return fail_because(why, "it is a symbolic link (name its target instead)", ELOOP);
	if (S_ISCHR(st->st_mode))
		return 0;
	if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode))
		return fail_because(why, "it is not a regular file, a FIFO or a character device",
				    EINVAL);
	if (st->st_uid != geteuid())
		return fail_because(
			why, "it belongs to another user (remove it or write elsewhere)", EPERM);
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		return fail_because(why, "it has other hard links (remove it or write elsewhere)",
				    EMLINK);
	return 0;
}

/* An existing name, without waiting on a FIFO nobody reads; our own FIFO (Wireshark's extcap
 * --fifo, a mkfifo for a reader to come) is worth waiting for: its descriptor is judged again. */
static int open_existing(const char *path)
{
	struct stat st;
	int fd = open(path, OPEN_FLAGS | O_NONBLOCK);

	if (fd >= 0 || errno != ENXIO)
		return fd;
	if (lstat(path, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
		errno = ENXIO;
		return -1;
	}
	return open(path, OPEN_FLAGS);
}

/* A failed open: the name's own kind when that is why (a symbolic link, a socket, another's
 * FIFO), else the system's words. */
static int explain_open_error(const char *path, const char **why)
{
	int e = errno;
	struct stat st;

	if (lstat(path, &st) == 0 && check_kind(&st, why) < 0)
		return -1;
	return fail_because(why, strerror(e), e);
}

/* A file of ours that others could read: only we may, from now on. */
static int keep_private(int fd, const struct stat *st, const char **why)
{
	if (S_ISCHR(st->st_mode) || !(st->st_mode & 077) || fchmod(fd, 0600) == 0)
		return 0;
	return fail_because(why, strerror(errno), errno);
}

int uc_output_file_open(const char *path, struct uc_output_file *out, const char **why)
{
	struct stat st;
	int fd, e;

	out->created = true;
	fd = open(path, OPEN_FLAGS | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST) {
		out->created = false;
		fd = open_existing(path);
	}
	if (fd < 0)
		return explain_open_error(path, why);
	if (fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0) /* F_SETFL 0: blocking writes again */
		fail_because(why, strerror(errno), errno);
	else if (check_kind(&st, why) == 0 && keep_private(fd, &st, why) == 0) {
		out->fd = fd;
		out->regular = S_ISREG(st.st_mode);
		return 0;
	}
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

bool uc_fd_is_stream(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode));
}

bool uc_fd_reader_gone(int fd)
{
	/* No event asked for: poll reports POLLERR (a pipe without reader) and POLLHUP anyway. */
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}
