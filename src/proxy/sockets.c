/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy's sockets: names as given, the real socket's type, the new one made without harm to others. */
#include "proxy/sockets.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/names.h"

#define SUN_OFFSET offsetof(struct sockaddr_un, sun_path)

int uc_proxy_addr_parse(const char *text, struct uc_proxy_addr *a, char *err, size_t errlen)
{
	size_t n = strlen(text);

	memset(a, 0, sizeof(*a));
	a->text = text;
	a->sa.sun_family = AF_UNIX;
	if (n == 0 || strcmp(text, "@") == 0)
		return uc_error(err, errlen, "'%s' is not a socket name: expected a path or @name",
				text);
	if (text[0] == '@') {
		/* the leading NUL takes the '@''s place: an abstract name fills all 108 bytes */
		if (n > sizeof(a->sa.sun_path))
			return uc_error(err, errlen,
					"'%s' is too long: an abstract name has at most "
					"%zu bytes after '@'",
					text, sizeof(a->sa.sun_path) - 1);
		memcpy(a->sa.sun_path + 1, text + 1, n - 1);
		a->len = (socklen_t)(SUN_OFFSET + n);
	} else {
		if (n >= sizeof(a->sa.sun_path))
			return uc_error(err, errlen,
					"'%s' is too long: a socket path has at most %zu "
					"bytes",
					text, sizeof(a->sa.sun_path) - 1);
		memcpy(a->sa.sun_path, text, n);
		a->len = (socklen_t)(SUN_OFFSET + n + 1);
	}
	uc_sun_path_format(a->sa.sun_path, a->len - SUN_OFFSET, a->name, sizeof(a->name));
	return 0;
}

bool uc_proxy_addr_same(const struct uc_proxy_addr *a, const struct uc_proxy_addr *b)
{
	return a->len == b->len && memcmp(a->sa.sun_path, b->sa.sun_path, a->len - SUN_OFFSET) == 0;
}

/* 0 when a socket of type accepts a connection at a (or would, its backlog being full), else
 * errno: EPROTOTYPE says a socket is there but of another type. */
static int try_connect(const struct uc_proxy_addr *a, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 && errno != EAGAIN)
		e = errno;
	close(fd);
	return e;
}

int uc_proxy_probe_type(const struct uc_proxy_addr *a, char *err, size_t errlen)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	int e = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		e = try_connect(a, types[i]);
		if (e == 0)
			return types[i];
		if (e != EPROTOTYPE)
			break;
	}
	return uc_error(err, errlen, "cannot connect to '%s': %s", a->text, strerror(e));
}

int uc_proxy_check_target(const struct uc_proxy_addr *a, char *err, size_t errlen)
{
	struct stat st;

	if (a->sa.sun_path[0] == '\0')
		return 0;
	if (stat(a->sa.sun_path, &st) < 0)
		return uc_error(err, errlen, "cannot connect to '%s': %s", a->text,
				strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return uc_error(err, errlen, "cannot connect to '%s': %s", a->text,
				strerror(ECONNREFUSED));
	return 0;
}

/* A socket file at the path: one nobody answers on (its server died) may be replaced; a live
 * one, or a file that is no socket, is somebody else's. Abstract names vanish with their socket. */
static int clear_stale(const struct uc_proxy_addr *a, char *err, size_t errlen)
{
	struct stat st;

	if (a->sa.sun_path[0] == '\0')
		return 0;
	if (lstat(a->sa.sun_path, &st) < 0)
		return errno == ENOENT ? 0 :
					 uc_error(err, errlen, "cannot listen on '%s': %s", a->text,
						  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return uc_error(err, errlen, "'%s' exists and is not a socket: not replacing it",
				a->text);
	/* ECONNREFUSED, whatever the type, means no socket is bound to the file any more */
	if (try_connect(a, SOCK_STREAM) != ECONNREFUSED)
		return uc_error(err, errlen, "'%s' is in use: a server is listening on it",
				a->text);
	if (unlink(a->sa.sun_path) < 0 && errno != ENOENT)
		return uc_error(err, errlen, "cannot remove the stale socket '%s': %s", a->text,
				strerror(errno));
	return 0;
}

static int bind_and_listen(int fd, const struct uc_proxy_addr *a, int type, char *err,
			   size_t errlen)
{
	int on = 1;

	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
		if (errno == EADDRINUSE)
			return uc_error(err, errlen, "'%s' is in use: a server is listening on it",
					a->text);
		return uc_error(err, errlen, "cannot listen on '%s': %s", a->text, strerror(errno));
	}
	/* accepted sockets inherit it: each message then says which process sent it */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    (type != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0)) {
		uc_error(err, errlen, "cannot listen on '%s': %s", a->text, strerror(errno));
		if (a->sa.sun_path[0])
			unlink(a->sa.sun_path); /* the file bind() just made */
		return -1;
	}
	return 0;
}

int uc_proxy_listen(const struct uc_proxy_addr *a, int type, struct uc_proxy_made *made, char *err,
		    size_t errlen)
{
	int fd;
	struct stat st;

	memset(made, 0, sizeof(*made));
	if (clear_stale(a, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uc_error(err, errlen, "cannot make a socket: %s", strerror(errno));
	if (bind_and_listen(fd, a, type, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (a->sa.sun_path[0] && lstat(a->sa.sun_path, &st) == 0) {
		made->file = true;
		made->dev = st.st_dev;
		made->ino = st.st_ino;
	}
	return fd;
}

void uc_proxy_unlisten(const struct uc_proxy_addr *a, const struct uc_proxy_made *made)
{
	struct stat st;

	/* someone may have replaced it meanwhile: only the file we made goes */
	if (made->file && lstat(a->sa.sun_path, &st) == 0 && st.st_dev == made->dev &&
	    st.st_ino == made->ino)
		unlink(a->sa.sun_path);
}

int uc_proxy_socket(int type)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
	int big =
		4
		<< 20; /* the kernel clamps it to its limit: any message a sender could send fits */
	struct sockaddr_un autobind = { .sun_family = AF_UNIX };

	if (fd < 0 || type == SOCK_STREAM)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (type == SOCK_DGRAM &&
	    (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	     bind(fd, (struct sockaddr *)&autobind, sizeof(sa_family_t)) < 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

uint64_t uc_proxy_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}
