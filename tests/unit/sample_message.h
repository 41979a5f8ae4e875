/* SPDX-License-Identifier: BSD-2-Clause */
/* The message the writers' unit tests start from: curl[42] sends len bytes to /run/docker.sock
 * at 1700000000.123456789 (2023-11-14 22:13:20 UTC). */
#ifndef UNIXCAP_TEST_SAMPLE_MESSAGE_H
#define UNIXCAP_TEST_SAMPLE_MESSAGE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "unixcap.h"

#define TS 1700000000123456789ull

static inline struct uc_message sample(const void *data, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = TS;
	m.event = UC_MSG_DATA;
	m.pid = 42;
	m.tid = 43;
	m.uid = 1000;
	snprintf(m.comm, sizeof(m.comm), "curl");
	m.sock_type = SOCK_STREAM;
	m.syscall = 44;
	m.own_ino = 5001;
	m.peer_ino = 5002;
	snprintf(m.peer_path, sizeof(m.peer_path), "/run/docker.sock");
	m.len = m.caplen = m.stored = len;
	m.data = data;
	return m;
}

#endif
