/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the relay: the state relay.c (event loop, connections) and relay_dgram.c (datagrams) share. */
#ifndef UNIXCAP_RELAY_INT_H
#define UNIXCAP_RELAY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/chunk.h"
#include "proxy/proxy_message.h"
#include "core/list.h"
#include "proxy/relay.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

enum watch_kind { W_LISTENER, W_SIDE, W_DGRAM_CLIENT };

/* A descriptor in the epoll set; events is what it is registered for (0: not registered). */
struct watch {
	enum watch_kind kind;
	int fd;
	uint32_t events;
};

struct conn;
struct dgram_table;

struct uc_relay {
	struct uc_relay_options opt;
	int type;
	int epfd;
	struct watch listener;
	struct uc_proxy_made made;
	uint8_t *scratch; /* what each read receives into */
	size_t scratch_cap;
	bool forward_creds; /* cleared once the kernel refuses to pass on a client's credentials */
	bool creds_said, connect_said, accept_said;
	uint64_t accept_paused_until;
	struct uc_link conns;    /* open connections (streams and seqpackets) */
	unsigned connecting;     /* of them, waiting for REAL's backlog */
	struct uc_link finished; /* connections closed during this poll: freed at its end */
	struct dgram_table *dgram;
	struct uc_relay_stats st;
	uc_message_fn fn;
	void *ctx;
	bool stopped; /* fn asked to stop */
	int reported; /* messages reported in this poll */
};

/* Reports m to the caller (data messages are counted). */
void uc_relay_report(struct uc_relay *r, const struct uc_message *m);
/* A relayed chunk as a data message from one end to the other. */
void uc_relay_report_data(struct uc_relay *r, const struct uc_chunk *c,
			  const struct uc_proxy_end *from, const struct uc_proxy_end *to);
void uc_relay_report_event(struct uc_relay *r, enum uc_message_event ev,
			   const struct uc_proxy_end *from, const struct uc_proxy_end *to);
/* Registers w for wanted events (0: none, taken out of the set). */
int uc_relay_watch(struct uc_relay *r, struct watch *w, uint32_t wanted);
/* Makes the scratch buffer hold at least n bytes. 0, or -1 when out of memory. */
int uc_relay_scratch(struct uc_relay *r, size_t n);
/* Says once on stderr (or each time with -v) why something could not be relayed. */
void uc_relay_say(struct uc_relay *r, bool *said, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Datagrams (relay_dgram.c): a socket of the proxy's own for each sender, connected to REAL. */
int uc_relay_dgram_init(struct uc_relay *r);
/* NEW is readable: datagrams from clients. */
void uc_relay_dgram_incoming(struct uc_relay *r);
/* A client's upstream socket is ready. */
void uc_relay_dgram_event(struct uc_relay *r, struct watch *w, uint32_t events);
/* Each poll: retries replies a client could not take, forgets idle senders. Returns true when
 * a retry is pending (the next wait should be short). */
bool uc_relay_dgram_tick(struct uc_relay *r, uint64_t now_ns);
/* Every sender's socket closed (reported as its close). */
void uc_relay_dgram_stop(struct uc_relay *r);
void uc_relay_dgram_free(struct uc_relay *r);

#endif
