/* SPDX-License-Identifier: BSD-2-Clause */
/* Who talks to whom: each connection or datagram flow gets a unique synthetic IPv4 4-tuple,
 * a client and a server side, and per-direction TCP sequence numbers. */
#ifndef UNIXCAP_CONVERSATION_H
#define UNIXCAP_CONVERSATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unixcap.h"
#include "conversations/protocol.h"

enum { UC_C2S = 0, UC_S2C = 1 }; /* direction index: client to server, server to client */

/* One end of a flow as synthetic IPv4: an address and a port, in host byte order. */
struct uc_endpoint {
	uint32_t ip;
	uint16_t port;
};

struct uc_flow {
	uint32_t index; /* 1, 2, ... in order of first sight; never reused */
	uint16_t sock_type;
	bool tcp; /* streams are TCP; datagram and seqpacket messages UDP */
	enum uc_protocol proto;
	bool protocol_settled;      /* false until decode-as, the path or first bytes decided */
	uint64_t opened_ns;         /* when connect()/socketpair() made it; 0 if not seen */
	const char *opened_how;     /* "connect()" or "socketpair()" */
	char *opened_meta;          /* that event's comment, for the handshake written later */
	void *sink_state;           /* a sink's own per-flow state, freed by its retire hook */
	struct uc_endpoint ends[2]; /* [UC_C2S] client, [UC_S2C] server */
	uint64_t ino[2];            /* socket inode of client and server, 0 if unknown */
	const char *path[2];        /* address each side is bound to, "" if unnamed */
	uint32_t next_seq[2];       /* TCP: next sequence number each way */
	uint32_t read_seq[2];       /* TCP: how far the receiving side has read, each way */
	uint32_t read_acked[2];     /* TCP: the ack number of the last read's ACK, each way */
	bool ack_held[2];           /* TCP: a read's ACK waits for bytes not yet in the file */
	bool handshake_done;
	bool fin[2]; /* each way: FIN written (TCP), or that end finished */
};

struct uc_conversations;

/* Called once for every synthetic address handed out, with the name it stands for
 * ("curl[1234]", "/run/docker.sock"), so a sink can write name resolution records. */
typedef void (*uc_address_fn)(uint32_t ip, const char *name, void *ctx);

struct uc_decode_as {
	const char *path; /* exact path, glob with '*', or @name */
	struct uc_protocol_guess guess;
};

struct uc_conversations *uc_conversations_new(void);
void uc_conversations_on_address(struct uc_conversations *c, uc_address_fn fn, void *ctx);
/* Called for each flow as it is retired or freed, so a sink can free its sink_state. */
void uc_conversations_on_retire(struct uc_conversations *c, void (*fn)(struct uc_flow *, void *),
				void *ctx);
/* --decode-as rules, tried before the path table and the first bytes; kept by reference. */
void uc_conversations_decode_as(struct uc_conversations *c, const struct uc_decode_as *rules,
				size_t n);
/* The flow of a message and the direction its bytes go (*dir). Data and loss reports create
 * the flow on first sight; other events return NULL for a connection never seen (or no memory).
 * The close of a datagram socket returns one of the flows it took part in (see
 * uc_conversations_close_socket). Past UC_MAX_FLOWS live flows, making one retires the least
 * recently used: a flow whose end was never seen (its process exited without close()). */
struct uc_flow *uc_conversations_find(struct uc_conversations *c, const struct uc_message *m,
				      int *dir, bool *created);
/* Settles a flow's protocol (and server port) from the first bytes it carries, when neither
 * --decode-as nor its path said (a flow made by connect() has carried none yet). */
void uc_conversations_learn(struct uc_flow *f, const struct uc_message *m);
/* Forgets a finished flow (both sides closed); its 4-tuple is never given out again. */
void uc_conversations_retire(struct uc_conversations *c, struct uc_flow *f);
/* m closed a datagram socket: f, the flow its close was found in, and every other flow that
 * socket took part in are retired (it can neither send nor receive again). */
void uc_conversations_close_socket(struct uc_conversations *c, struct uc_flow *f,
				   const struct uc_message *m);
size_t uc_conversations_live(const struct uc_conversations *c);
/* Entries of the lookup table: flow keys, datagram sockets, processes and paths (for tests). */
size_t uc_conversations_table_size(const struct uc_conversations *c);
/* Calls fn for every live flow, most recently used first (fn may retire the flow it is given). */
void uc_conversations_each(struct uc_conversations *c, void (*fn)(struct uc_flow *, void *),
			   void *ctx);
void uc_conversations_free(struct uc_conversations *c);

/* Synthetic address plan, documented in the README. */
#define UC_CLIENT_NET 0x0A010000u  /* 10.1.0.0/16: clients, one address per process */
#define UC_SERVER_NET 0x0A020000u  /* 10.2.0.0/16: servers, one address per socket path */
#define UC_CLIENT_PORT_FIRST 60002 /* no Wireshark dissector claims 60002-65535 */
#define UC_CLIENT_PORTS 5534
#define UC_SERVER_PORT_DEFAULT 9 /* claimed by no dissector: payload shows as data */

/* Memory bounds. A process or path keeps its address while flows use it; once idle, it is
 * forgotten after UC_IDLE_ADDRESSES other processes (or paths) became idle, and gets a fresh
 * address if it comes back: an address is never handed to another process or path (until all
 * 65534 of its net were used), so the name records already written stay true. */
#define UC_MAX_FLOWS 16384
#define UC_IDLE_ADDRESSES 4096

#endif
