/* SPDX-License-Identifier: BSD-2-Clause */
/* Passed descriptors and credentials, from the kernel's record to what people read. */
#ifndef UNIXCAP_ANCILLARY_H
#define UNIXCAP_ANCILLARY_H

#include <linux/types.h>

#include "capture/capture.h"
#include "records/record.h"

/* What a passed descriptor is, from its inode's mode: "file", "dir", "socket", "pipe" (a FIFO:
 * callers that know it has a name call it "fifo"), "chardev", "blockdev", "link", or "anon" for
 * anonymous inodes (eventfd, epoll, ...), which have no type bits. */
const char *uc_fd_kind(unsigned mode);
/* Fills m's nfds, fds[], has_creds and cred_* from the record (NULL: nothing was passed). */
void uc_ancillary_describe(struct uc_message *m, const struct uc_rec_ancillary *anc);

#endif
