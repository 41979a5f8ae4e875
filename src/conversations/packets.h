/* SPDX-License-Identifier: BSD-2-Clause */
/* The packets a message becomes on its flow: TCP segments (handshake, data, read ACKs, FIN,
 * sequence gaps for lost bytes) or UDP datagrams, described for a sink to encode; the TCP state
 * they advance and the retirement of finished flows. */
#ifndef UNIXCAP_PACKETS_H
#define UNIXCAP_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unixcap.h"
#include "conversations/conversation.h"

/* TCP flags, with their values on the wire. */
#define UC_TCP_FIN 0x01
#define UC_TCP_SYN 0x02
#define UC_TCP_PSH 0x08
#define UC_TCP_ACK 0x10

/* An IPv4 packet holds at most 65535 bytes: 20 of them are the IPv4 header, and 20 the TCP
 * header or 8 the UDP header. */
#define UC_TCP_MAX_PAYLOAD 65495
#define UC_UDP_MAX_PAYLOAD 65507

#define UC_NOTE_LEN 256 /* a note's bytes, its NUL included */

/* One packet: who sends it to whom, its TCP numbers or UDP, which slice of the bytes described
 * it carries, and what its comment says. */
struct uc_packet {
	uint64_t ts_ns;
	struct uc_endpoint src, dst;
	int dir;           /* the sending side: UC_C2S (outbound) or UC_S2C (inbound) */
	bool tcp;          /* false: a UDP datagram */
	uint8_t flags;     /* TCP: UC_TCP_* */
	uint32_t seq, ack; /* TCP: ack is 0 without UC_TCP_ACK */
	uint32_t data_off; /* the payload is len bytes at data_off of the bytes described (the  */
	uint32_t kept;     /* message's data, or uc_packets_stream's); the first kept of them are */
	uint32_t len;      /* captured (0: none, and there may be no data) */
	uint64_t dropcount; /* messages lost just before this packet */
	const char *meta;   /* the comment: this metadata, then "; " and the note if there is one */
	uint32_t note;      /* the note's place in the list (uc_packet_note); 0: none */
};

/* The packets of one message, in order. A list is reused message after message; a sink writes
 * the packets described, then clears them. */
struct uc_packets {
	struct uc_packet *p;
	size_t n, cap;
	char *notes; /* the packets' notes, NUL-terminated one after the other */
	size_t notes_used, notes_cap;
	const struct uc_message *m;
	const char *meta; /* m's metadata, as the sink formats it */
	char *opened;     /* the connect()'s metadata, taken from the flow its handshake opened */
	char pending[UC_NOTE_LEN]; /* what the next packet of m says besides its metadata ... */
	uint64_t dropcount;        /* ... and how many messages were lost before it */
	uint64_t described;        /* packets of m, cleared ones included */
};

void uc_packets_init(struct uc_packets *l);
void uc_packets_free(struct uc_packets *l);
/* Starts the packets of m, whose metadata is meta (both kept by reference until the next). */
void uc_packets_begin(struct uc_packets *l, const struct uc_message *m, const char *meta);
/* Describes the packets of the message begun, on flow f in direction dir (as c's
 * uc_conversations_find gave them; created if it made f), and advances f's TCP state. A close,
 * shutdown or end-of-file that finishes f retires it from c: f is not to be used after an event
 * (a data message leaves it alive). D-Bus connections' data is not described here: the sink
 * frames it, and gives what it cannot frame to uc_packets_stream. Returns 0, or -1 with errno. */
int uc_packets_message(struct uc_packets *l, struct uc_conversations *c, struct uc_flow *f, int dir,
		       bool created);
/* len bytes of stream that go in direction dir of f as they are, after the handshake, in
 * segments of at most UC_TCP_MAX_PAYLOAD; data_off counts from their first byte. 0 or -1. */
int uc_packets_stream(struct uc_packets *l, struct uc_flow *f, int dir, size_t len);
/* Adds a sentence to what the next packet says ("; " between sentences, cut at UC_NOTE_LEN). */
__attribute__((format(printf, 2, 3))) void uc_packets_note(struct uc_packets *l, const char *fmt,
							   ...);
/* A message's lengths made consistent, stored <= caplen <= len and nothing stored without data,
 * whatever it says: -r feeds the sinks from files, and no difference of them may wrap. */
struct uc_extent {
	uint32_t len, caplen, stored;
};

struct uc_extent uc_packets_extent(const struct uc_message *m);
/* The direction a close, shutdown or end-of-file message finishes (of an end-of-file, the
 * peer's: its reader saw it end); -1 for messages that finish nothing. */
int uc_packets_ending(const struct uc_message *m, int dir);
/* The note of p, "" when it has none. */
const char *uc_packet_note(const struct uc_packets *l, const struct uc_packet *p);
/* Forgets the packets described (once written); what the next packet will say stays. */
void uc_packets_clear(struct uc_packets *l);
/* Whether the message begun needs a custom block of its own for its metadata: no packet shows
 * it, or it is a connect(), whose handshake may come later. */
bool uc_packets_block(const struct uc_packets *l);

#endif
