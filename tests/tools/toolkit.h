/* SPDX-License-Identifier: BSD-2-Clause */
/* What the C traffic generators (ucgen, ucmiss) share. */
#ifndef UNIXCAP_TOOLKIT_H
#define UNIXCAP_TOOLKIT_H

#include <stddef.h>

/* The index of arg in a NULL-terminated list of names, or -1. */
int tool_find_name(const char *const names[], const char *arg);
/* Raises SO_SNDBUF/SO_RCVBUF of fd so that a maxlen-byte datagram fits (SO_SNDBUF - 32). */
void tool_size_buffers(int fd, size_t maxlen);

#endif
