/* SPDX-License-Identifier: BSD-2-Clause */
/* What the proxy relays, as the capture's messages: who sent what to whom, passed fds, credentials. */
#ifndef UNIXCAP_PROXY_MESSAGE_H
#define UNIXCAP_PROXY_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "unixcap.h"

/* One end of a relayed conversation as its messages show it. The proxy's own socket facing
 * that end stands in for the end's socket: its inode keys the conversation, so that both
 * directions pair up as one connection or flow. */
struct uc_proxy_end {
	uint32_t pid, uid, gid; /* the process at this end; 0 when not known */
	char comm[17];
	uint64_t ino;
	const char *name; /* its address as uc_sun_path_format writes it; "" when unnamed */
};

/* Fills m with an event (no payload, no ancillary data) that from sends to to. */
void uc_proxy_message(struct uc_message *m, enum uc_message_event ev, uint16_t sock_type,
		      uint64_t ts_ns, const struct uc_proxy_end *from,
		      const struct uc_proxy_end *to);
/* The payload: len bytes at data, of which snaplen are kept (0: all). */
void uc_proxy_payload(struct uc_message *m, const uint8_t *data, uint32_t len, uint32_t snaplen);
/* The credentials that came with the bytes, when they are not simply the sender's own: with
 * SO_PASSCRED the kernel adds those to every message, so they say nothing. */
void uc_proxy_creds(struct uc_message *m, bool has, const struct ucred *creds,
		    const struct uc_proxy_end *from);
/* Describes passed descriptors, as the proxy received them (fstat, /proc/self/fd); cut says
 * more were passed than arrived. The sender's descriptor numbers are not known: fd is -1. */
void uc_proxy_describe_fds(struct uc_message *m, const int *fds, unsigned n, bool cut);
/* A process's name from /proc/PID/comm; "" when it is gone. */
void uc_proxy_comm(uint32_t pid, char comm[17]);

#endif
