/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy: a new socket in front of a real one, each message relayed both ways and recorded. */
#ifndef UNIXCAP_RELAY_H
#define UNIXCAP_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "unixcap.h"
#include "proxy/sockets.h"

struct uc_relay_options {
	struct uc_proxy_addr listen; /* NEW: made by the proxy, removed when it closes */
	struct uc_proxy_addr real;   /* REAL: where every client is relayed to */
	int sock_type;    /* SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM; 0: REAL's, probed */
	uint32_t snaplen; /* bytes of each message reported (0: all); all are relayed */
	int verbose;      /* > 0: say on stderr what could not be relayed, and why */
};

struct uc_relay_stats {
	uint64_t messages;    /* data messages relayed (and reported) */
	uint64_t bytes;       /* their bytes */
	uint64_t truncated;   /* bytes left out of the reports by snaplen */
	uint64_t clients;     /* connections accepted, or datagram senders seen */
	uint64_t undelivered; /* messages reported but not delivered: their receiver had gone */
};

struct uc_relay;

/* Finds REAL's type (probing it, unless given), makes NEW. NULL with one line in err. */
struct uc_relay *uc_relay_open(const struct uc_relay_options *opt, char *err, size_t errlen);
/* SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM. */
int uc_relay_type(const struct uc_relay *r);
/* Waits up to timeout_ms, relays what is ready and reports each message to fn (which returns
 * non-zero to stop: nothing more is relayed or reported). Returns the messages reported, or -1
 * with errno (EINTR is not a failure: 0). */
int uc_relay_poll(struct uc_relay *r, int timeout_ms, uc_message_fn fn, void *ctx);
/* Closes every connection (reporting each side's close to fn) and NEW's socket, and removes
 * NEW's file. */
void uc_relay_stop(struct uc_relay *r, uc_message_fn fn, void *ctx);
void uc_relay_stats(const struct uc_relay *r, struct uc_relay_stats *st);
void uc_relay_close(struct uc_relay *r);

#endif
