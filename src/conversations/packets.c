/* SPDX-License-Identifier: BSD-2-Clause */
/* The packets a message becomes: synthetic TCP segments and UDP datagrams, and the TCP state. */
#include "conversations/packets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/decimal.h"

/* What a packet says besides its metadata, until a packet takes it. */
struct note {
	char *text; /* UC_NOTE_LEN bytes */
	uint64_t *dropcount;
};

void uc_packets_init(struct uc_packets *l)
{
	memset(l, 0, sizeof(*l));
}

void uc_packets_clear(struct uc_packets *l)
{
	l->n = 0;
	l->notes_used = 0;
	free(l->opened);
	l->opened = NULL;
}

void uc_packets_free(struct uc_packets *l)
{
	uc_packets_clear(l);
	free(l->p);
	free(l->notes);
	uc_packets_init(l);
}

void uc_packets_begin(struct uc_packets *l, const struct uc_message *m, const char *meta)
{
	uc_packets_clear(l);
	l->m = m;
	l->meta = meta;
	l->pending[0] = '\0';
	l->dropcount = 0;
	l->described = 0;
}

/* Adds a sentence to a note: "; " between sentences, cut at UC_NOTE_LEN. */
static void append_note(char *text, const char *sentence)
{
	size_t used = strlen(text), n = strlen(sentence);

	if (used && used + 2 < UC_NOTE_LEN) {
		memcpy(text + used, "; ", 2);
		used += 2;
	}
	n = n < UC_NOTE_LEN - 1 - used ? n : UC_NOTE_LEN - 1 - used;
	memcpy(text + used, sentence, n);
	text[used + n] = '\0';
}

__attribute__((format(printf, 2, 0))) static void add_note(char *text, const char *fmt, va_list ap)
{
	char sentence[UC_NOTE_LEN];

	vsnprintf(sentence, sizeof(sentence), fmt, ap);
	append_note(text, sentence);
}

/* "read N bytes by comm[pid]": one per read that sends an ACK, so made without printf. */
static void note_read(struct uc_packets *l, const struct uc_message *m)
{
	char text[64 + sizeof(m->comm)], *p = text;
	size_t comm_len = strnlen(m->comm, sizeof(m->comm) - 1);

	p = stpcpy(p, m->peek ? "peeked (left queued) " : "read ");
	p += uc_decimal(p, m->len);
	p = stpcpy(p, " bytes by ");
	memcpy(p, m->comm, comm_len);
	p += comm_len;
	*p++ = '[';
	p += uc_decimal(p, m->pid);
	*p++ = ']';
	*p = '\0';
	append_note(l->pending, text);
}

void uc_packets_note(struct uc_packets *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(l->pending, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void note(struct note *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(n->text, fmt, ap);
	va_end(ap);
}

const char *uc_packet_note(const struct uc_packets *l, const struct uc_packet *p)
{
	return p->note ? l->notes + p->note : "";
}

/* Keeps text for a packet: its place in l->notes (0 for none: the first byte is never one). */
static int keep_note(struct uc_packets *l, const char *text, uint32_t *at)
{
	size_t len = strlen(text) + 1, used = l->notes_used ? l->notes_used : 1;

	*at = 0;
	if (len == 1)
		return 0;
	if (used + len > l->notes_cap) {
		size_t cap = l->notes_cap ? l->notes_cap * 2 : 4 * UC_NOTE_LEN;
		char *notes = realloc(l->notes, cap);

		if (!notes)
			return -1;
		l->notes = notes;
		l->notes_cap = cap;
	}
	memcpy(l->notes + used, text, len);
	*at = (uint32_t)used;
	l->notes_used = used + len;
	return 0;
}

/* A new packet of l, taking n's note and loss count; NULL with errno when out of memory. */
static struct uc_packet *add_packet(struct uc_packets *l, struct note *n, const char *meta)
{
	struct uc_packet *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct uc_packet *more = realloc(l->p, cap * sizeof(*more));

		if (!more)
			return NULL;
		l->p = more;
		l->cap = cap;
	}
	p = &l->p[l->n];
	memset(p, 0, sizeof(*p));
	if (keep_note(l, n->text, &p->note) < 0)
		return NULL;
	p->meta = meta;
	p->dropcount = *n->dropcount;
	*n->dropcount = 0;
	n->text[0] = '\0';
	l->n++;
	l->described++;
	return p;
}

static struct note pending(struct uc_packets *l)
{
	return (struct note){ l->pending, &l->dropcount };
}

/* A segment from f's side dir with the next sequence number that way, which the segment then
 * advances (a SYN or FIN by one); its ACK acknowledges all the other way sent. */
static int tcp_packet(struct uc_packets *l, struct uc_flow *f, uint64_t ts, int dir, uint8_t flags,
		      uint32_t off, uint32_t kept, uint32_t len, struct note *n, const char *meta)
{
	struct uc_packet *p = add_packet(l, n, meta);

	if (!p)
		return -1;
	p->ts_ns = ts;
	p->src = f->ends[dir];
	p->dst = f->ends[1 - dir];
	p->dir = dir;
	p->tcp = true;
	p->flags = flags;
	p->seq = f->next_seq[dir];
	p->ack = flags & UC_TCP_ACK ? f->next_seq[1 - dir] : 0;
	p->data_off = off;
	p->kept = kept;
	p->len = len;
	f->next_seq[dir] += len + ((flags & (UC_TCP_SYN | UC_TCP_FIN)) ? 1 : 0);
	return 0;
}

/* Wireshark wants a handshake to start a conversation: at connect()/socketpair() time when
 * that was seen (its comment names who made it), else where the connection was first seen. */
static int handshake(struct uc_packets *l, struct uc_flow *f)
{
	char text[UC_NOTE_LEN] = "";
	uint64_t none = 0;
	struct note syn = { text, &none };
	uint64_t ts = f->opened_meta ? f->opened_ns : l->m->ts_ns;
	const char *meta = l->meta;
	int ret;

	if (f->handshake_done)
		return 0;
	if (f->opened_meta) {
		/* one handshake per flow, and a list holds one flow's packets */
		free(l->opened);
		l->opened = f->opened_meta;
		f->opened_meta = NULL;
		meta = l->opened;
		note(&syn, "connection made here by %s", f->opened_how);
	} else {
		note(&syn, "connection already open when first seen (made before the capture "
			   "started, or its connect() was not seen)");
	}
	ret = tcp_packet(l, f, ts, UC_C2S, UC_TCP_SYN, 0, 0, 0, &syn, meta);
	ret = ret ?: tcp_packet(l, f, ts, UC_S2C, UC_TCP_SYN | UC_TCP_ACK, 0, 0, 0, &syn, meta);
	ret = ret ?: tcp_packet(l, f, ts, UC_C2S, UC_TCP_ACK, 0, 0, 0, &syn, meta);
	f->handshake_done = true;
	return ret;
}

/* connect()/socketpair(): the handshake goes out now if the port is already known (from the
 * path or --decode-as), else with the first bytes, which choose the port, stamped with now. */
static int connection_made(struct uc_packets *l, struct uc_flow *f, bool created)
{
	const struct uc_message *m = l->m;

	if (!created || !f->tcp)
		return 0;
	f->opened_ns = m->ts_ns;
	f->opened_how = m->syscall == SYS_socketpair ? "socketpair()" : "connect()";
	f->opened_meta = strdup(l->meta);
	if (!f->opened_meta)
		return -1;
	return f->protocol_settled && f->proto != UC_PROTO_DBUS ? handshake(l, f) : 0;
}

static void note_losses(struct uc_packets *l)
{
	const struct uc_message *m = l->m;

	if (!m->lost_before_msgs)
		return;
	l->dropcount = m->lost_before_msgs;
	uc_packets_note(l,
			"%llu bytes in %u earlier messages lost before this one (ring buffer "
			"full)",
			(unsigned long long)m->lost_before_bytes, m->lost_before_msgs);
}

struct uc_extent uc_packets_extent(const struct uc_message *m)
{
	struct uc_extent e = { .len = m->len };

	e.caplen = m->caplen < e.len ? m->caplen : e.len;
	e.stored = !m->data ? 0 : m->stored < e.caplen ? m->stored : e.caplen;
	return e;
}

/* Stored bytes go in segments of at most UC_TCP_MAX_PAYLOAD; bytes lost between stored and
 * caplen leave a sequence gap; bytes beyond caplen (-s) are segments shorter than the wire. */
static int tcp_message(struct uc_packets *l, struct uc_flow *f, int dir)
{
	const struct uc_message *m = l->m;
	struct uc_extent e = uc_packets_extent(m);
	struct note n = pending(l);
	uint32_t lost = e.caplen - e.stored, off = 0;
	int ret = 0;

	f->next_seq[dir] += (uint32_t)m->lost_before_bytes;
	if (m->order_unknown)
		note(&n, "sent while another write to this socket was in progress: the reader may "
			 "have received the two in the other order");
	while (!ret && off < e.len) { /* off only grows: to stored, past the gap, to len */
		uint32_t end = lost && off < e.stored ? e.stored : e.len, seg = end - off;
		uint32_t kept;

		if (lost && off == e.stored) {
			f->next_seq[dir] += lost; /* the gap Wireshark reports as not captured */
			off = e.caplen;
			continue;
		}
		seg = seg < UC_TCP_MAX_PAYLOAD ? seg : UC_TCP_MAX_PAYLOAD;
		kept = off < e.stored ? (e.stored - off < seg ? e.stored - off : seg) : 0;
		if (lost && off + seg == e.stored)
			note(&n,
			     "%u bytes of this message lost after this segment (ring buffer full "
			     "or memory unreadable)",
			     lost);
		ret = tcp_packet(l, f, m->ts_ns, dir, UC_TCP_PSH | UC_TCP_ACK, off, kept, seg, &n,
				 l->meta);
		off += seg;
	}
	if (!ret && e.stored == 0 && lost) {
		note(&n,
		     "the %u bytes of this message were not stored (ring buffer full or memory "
		     "unreadable)",
		     e.len);
		ret = tcp_packet(l, f, m->ts_ns, dir, UC_TCP_ACK, 0, 0, 0, &n, l->meta);
	}
	return ret;
}

static int udp_packet(struct uc_packets *l, struct uc_flow *f, int dir, uint32_t off, uint32_t kept,
		      uint32_t len)
{
	struct note n = pending(l);
	struct uc_packet *p = add_packet(l, &n, l->meta);

	if (!p)
		return -1;
	p->ts_ns = l->m->ts_ns;
	p->src = f->ends[dir];
	p->dst = f->ends[1 - dir];
	p->dir = dir;
	p->data_off = off;
	p->kept = kept;
	p->len = len;
	return 0;
}

/* One message per datagram; one too large for a datagram goes in consecutive parts. */
static int udp_message(struct uc_packets *l, struct uc_flow *f, int dir)
{
	struct uc_extent e = uc_packets_extent(l->m);
	uint32_t parts = e.len / UC_UDP_MAX_PAYLOAD + (e.len % UC_UDP_MAX_PAYLOAD || !e.len);
	int ret = 0;

	for (uint32_t k = 0; k < parts && !ret; k++) {
		uint32_t off = k * UC_UDP_MAX_PAYLOAD, len = e.len - off, kept, lost_lo, lost_hi;

		len = len < UC_UDP_MAX_PAYLOAD ? len : UC_UDP_MAX_PAYLOAD;
		kept = off < e.stored ? (e.stored - off < len ? e.stored - off : len) : 0;
		lost_lo = off > e.stored ? off : e.stored;
		lost_hi = off + len < e.caplen ? off + len : e.caplen;
		if (parts > 1)
			uc_packets_note(l, "part %u/%u of %u bytes", k + 1, parts, e.len);
		if (lost_hi > lost_lo)
			uc_packets_note(l,
					"%u bytes of this datagram lost (ring buffer full or "
					"memory unreadable)",
					lost_hi - lost_lo);
		ret = udp_packet(l, f, dir, off, kept, len);
	}
	return ret;
}

/* One way of a connection is finished; finished both ways, it is retired, so a long capture
 * does not hold every connection it ever saw. */
static void finish(struct uc_conversations *c, struct uc_flow *f, int dir)
{
	f->fin[dir] = true;
	if (f->fin[1 - dir])
		uc_conversations_retire(c, f);
}

/* FIN for the direction a close or shutdown finishes, after the handshake if the connection
 * has packets (or a connect() seen for a port already known). */
static int tcp_finish(struct uc_packets *l, struct uc_conversations *c, struct uc_flow *f, int dir)
{
	struct note n = pending(l);
	int ret = 0;

	if (!f->fin[dir] && (f->handshake_done || (f->opened_meta && f->proto != UC_PROTO_DBUS))) {
		ret = handshake(l, f);
		/* a close reports the losses no later message of its pair will: its FIN after them */
		note_losses(l);
		f->next_seq[dir] += (uint32_t)l->m->lost_before_bytes;
		ret = ret   ?:
			      tcp_packet(l, f, l->m->ts_ns, dir, UC_TCP_FIN | UC_TCP_ACK, 0, 0, 0,
					 &n, l->meta);
	}
	finish(c, f, dir);
	return ret;
}

int uc_packets_ending(const struct uc_message *m, int dir)
{
	switch (m->event) {
	case UC_MSG_DATA:
	case UC_MSG_LOST:
	case UC_MSG_UNSEEN:
	case UC_MSG_CONNECT:
	case UC_MSG_READ:
	case UC_MSG_ACCEPT: return -1;
	case UC_MSG_EOF: return 1 - dir; /* the reader saw its peer's direction end */
	default: return dir;
	}
}

static int connection_event(struct uc_packets *l, struct uc_conversations *c, struct uc_flow *f,
			    int dir)
{
	dir = uc_packets_ending(l->m, dir);
	if (f->tcp)
		return tcp_finish(l, c, f, dir);
	if (f->sock_type != SOCK_SEQPACKET) {
		/* a closed datagram socket takes part in no flow again, whoever it sent to */
		if (l->m->event == UC_MSG_CLOSE)
			uc_conversations_close_socket(c, f, l->m);
		return 0;
	}
	/* A seqpacket connection ends like a stream: each way by close, shutdown or end-of-file. */
	finish(c, f, dir);
	return 0;
}

/* Bytes that are not in the capture, reported with no message after them: ring overflow
 * reported at the end, or a send no hook decoded. A stream's sequence numbers skip them and
 * an empty segment says so; a datagram shows its real length with nothing captured. */
static int missing_only(struct uc_packets *l, struct uc_flow *f, int dir)
{
	const struct uc_message *m = l->m;
	uint32_t len = m->event == UC_MSG_UNSEEN ? m->len : 0;
	struct note n = pending(l);

	note_losses(l);
	if (m->event == UC_MSG_UNSEEN)
		uc_packets_note(l,
				"%u bytes sent here by sendfile, splice or io_uring: not "
				"captured",
				m->len);
	if (!f->tcp)
		return udp_packet(l, f, dir, 0, 0,
				  len < UC_UDP_MAX_PAYLOAD ? len : UC_UDP_MAX_PAYLOAD);
	if (handshake(l, f) < 0)
		return -1;
	f->next_seq[dir] += (uint32_t)m->lost_before_bytes + len;
	return tcp_packet(l, f, m->ts_ns, dir, UC_TCP_ACK, 0, 0, 0, &n, l->meta);
}

/* How far the reader of direction dir has read, as far as the file holds: a large write is
 * recorded when it returns, after the reader has taken part of it, and acknowledging bytes not
 * yet in the file would make Wireshark take them for retransmissions. */
static uint32_t readable_ack(const struct uc_flow *f, int dir)
{
	bool ahead = (int32_t)(f->read_seq[dir] - f->next_seq[dir]) > 0;

	return ahead ? f->next_seq[dir] : f->read_seq[dir];
}

/* The reader of direction dir acknowledges up to ack. */
static int read_ack(struct uc_packets *l, struct uc_flow *f, int dir, uint32_t ack)
{
	struct note n = pending(l);
	struct uc_packet *p = add_packet(l, &n, l->meta);
	int reader = 1 - dir;

	if (!p)
		return -1;
	f->read_acked[dir] = ack;
	p->ts_ns = l->m->ts_ns;
	p->src = f->ends[reader];
	p->dst = f->ends[dir];
	p->dir = reader;
	p->tcp = true;
	p->flags = UC_TCP_ACK;
	p->seq = f->next_seq[reader];
	p->ack = ack;
	return 0;
}

/* A read: the reading side acknowledges what it has consumed, and the comment says who read it.
 * Datagram reads have no packet of their own (UDP has no acknowledgement). */
static int reader_ack(struct uc_packets *l, struct uc_flow *f, int reader)
{
	const struct uc_message *m = l->m;
	int data_dir = 1 - reader;
	uint32_t ack;

	if (!f->tcp || !f->handshake_done)
		return 0;
	if (!m->peek)
		f->read_seq[data_dir] += m->len;
	ack = readable_ack(f, data_dir);
	if (ack == f->read_acked[data_dir]) {
		/* the same ACK again would be a Duplicate ACK to Wireshark: this read is in a custom
		 * block, and the bytes it took are acknowledged once their write is in the file */
		f->ack_held[data_dir] = true;
		return 0;
	}
	note_read(l, m);
	return read_ack(l, f, data_dir, ack);
}

/* After a write to a reader that read ahead of the file: the ACK its reads could not send. */
static int held_ack(struct uc_packets *l, struct uc_flow *f, int dir)
{
	uint32_t ack = readable_ack(f, dir);

	if (!f->ack_held[dir] || ack == f->read_acked[dir])
		return 0;
	f->ack_held[dir] = false;
	uc_packets_note(l, "acknowledges what was read while this write was still in progress "
			   "(those reads are recorded before it, without packets of their own)");
	return read_ack(l, f, dir, ack);
}

int uc_packets_stream(struct uc_packets *l, struct uc_flow *f, int dir, size_t len)
{
	struct note n = pending(l);
	int ret = handshake(l, f);

	for (size_t off = 0; !ret && off < len; off += UC_TCP_MAX_PAYLOAD) {
		size_t seg = len - off < UC_TCP_MAX_PAYLOAD ? len - off : UC_TCP_MAX_PAYLOAD;

		ret = tcp_packet(l, f, l->m->ts_ns, dir, UC_TCP_PSH | UC_TCP_ACK, (uint32_t)off,
				 (uint32_t)seg, (uint32_t)seg, &n, l->meta);
	}
	return ret;
}

static int data_message(struct uc_packets *l, struct uc_flow *f, int dir)
{
	int ret = 0;

	uc_conversations_learn(f, l->m);
	if (f->tcp && f->proto == UC_PROTO_DBUS)
		return 0; /* the sink frames D-Bus messages */
	if (f->tcp)
		ret = handshake(l, f);
	note_losses(l);
	if (!ret)
		ret = f->tcp ? tcp_message(l, f, dir) : udp_message(l, f, dir);
	if (!ret && f->tcp)
		ret = held_ack(l, f, dir);
	return ret;
}

int uc_packets_message(struct uc_packets *l, struct uc_conversations *c, struct uc_flow *f, int dir,
		       bool created)
{
	switch (l->m->event) {
	case UC_MSG_DATA: return data_message(l, f, dir);
	case UC_MSG_LOST:
	case UC_MSG_UNSEEN: return missing_only(l, f, dir);
	case UC_MSG_CONNECT: return connection_made(l, f, created);
	case UC_MSG_READ: return reader_ack(l, f, dir);
	case UC_MSG_ACCEPT:
		return 0; /* it only told the conversations which socket is the server's */
	default: return connection_event(l, c, f, dir);
	}
}

bool uc_packets_block(const struct uc_packets *l)
{
	return l->described == 0 || l->m->event == UC_MSG_CONNECT;
}
