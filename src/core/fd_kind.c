/* SPDX-License-Identifier: BSD-2-Clause */
/* What a descriptor is, by name, from its inode's mode. */
#include "core/fd_kind.h"

#include <sys/stat.h>

const char *uc_fd_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFSOCK: return "socket";
	case S_IFIFO: return "pipe";
	case S_IFCHR: return "chardev";
	case S_IFBLK: return "blockdev";
	case S_IFLNK: return "link";
	default: return "anon"; /* anonymous inodes have no type bits: eventfd, epoll, ... */
	}
}
