/* SPDX-License-Identifier: BSD-2-Clause */
/* What a descriptor is, by name, from its inode's mode. */
#ifndef UNIXCAP_FD_KIND_H
#define UNIXCAP_FD_KIND_H

/* What a passed descriptor is, from its inode's mode: "file", "dir", "socket", "pipe" (a FIFO:
 * callers that know it has a name call it "fifo"), "chardev", "blockdev", "link", or "anon" for
 * anonymous inodes (eventfd, epoll, ...), which have no type bits. */
const char *uc_fd_kind(unsigned mode);

#endif
