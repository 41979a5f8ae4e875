/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages as Wireshark reads them: streams as synthetic TCP, datagrams as synthetic UDP. */
#include "sinks/pcap_sink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/syscall.h>

#include "conversations/conversation.h"
#include "format/comment.h"
#include "sinks/dbus_sink.h"
#include "format/pcapng.h"
#include "format/synth.h"

struct uc_pcap_sink {
	struct uc_pcapng_writer *w;
	struct uc_conversations *conv;
	int iface;
	int dbus_iface; /* LINKTYPE_DBUS: one packet per D-Bus message */
	uint16_t ip_id;
	uint64_t emitted; /* packets written on iface: tells which messages no packet shows */
};

/* What one packet of a message says besides its bytes. */
struct packet_note {
	const struct uc_message *m;
	uint64_t dropcount; /* messages lost just before this packet */
	char note[256];     /* a sentence for people: parts, losses, first sight */
	/* the metadata, with room for "; " and the note to be joined to it as one comment */
	char meta[UC_COMMENT_LEN + 2 + 256];
};

/* Not "= { .m = m }": that clears 2.5 KiB for every packet. */
static void note_init(struct packet_note *n, const struct uc_message *m)
{
	n->m = m;
	n->dropcount = 0;
	n->note[0] = '\0';
	n->meta[0] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void add_note(struct packet_note *n, const char *fmt, ...)
{
	size_t used = strlen(n->note);
	va_list ap;

	if (used && used + 2 < sizeof(n->note)) {
		strcpy(n->note + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(n->note + used, sizeof(n->note) - used, fmt, ap);
	va_end(ap);
}

/* A name resolution record as each synthetic address is handed out, so Wireshark shows
 * curl[1234] and /run/docker.sock instead of 10.1.0.1 and 10.2.0.1. */
static void name_address(uint32_t ip, const char *name, void *ctx)
{
	struct uc_pcap_sink *s = ctx;

	uc_pcapng_add_ipv4_name(s->w, ip, name);
}

static void drop_flow_state(struct uc_flow *f, void *ctx)
{
	(void)ctx;
	uc_dbus_flow_free(f->sink_state);
	f->sink_state = NULL;
}

void uc_pcap_decode_as(struct uc_pcap_sink *s, const struct uc_decode_as *rules, size_t n)
{
	uc_conversations_decode_as(s->conv, rules, n);
}

struct uc_pcap_sink *uc_pcap_open(int fd, bool flush_each, const char *description)
{
	struct uc_pcap_sink *s = calloc(1, sizeof(*s));
	struct utsname u;
	char os[200];

	if (!s)
		return NULL;
	uname(&u);
	snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	s->conv = uc_conversations_new();
	s->w = uc_pcapng_open(fd, flush_each, u.machine, os, "unixcap " UNIXCAP_VERSION);
	if (!s->conv || !s->w) {
		int e = errno;

		uc_conversations_free(s->conv);
		if (s->w)
			uc_pcapng_close(s->w);
		free(s);
		errno = e;
		return NULL;
	}
	s->iface = uc_pcapng_add_interface(s->w, PCAPNG_LINKTYPE_RAW, PCAPNG_MAX_RECORD, "unixcap",
					description);
	s->dbus_iface = uc_pcapng_add_interface(s->w, PCAPNG_LINKTYPE_DBUS, PCAPNG_MAX_RECORD,
					     "unixcap-dbus", "D-Bus messages on AF_UNIX sockets");
	if (s->dbus_iface < 0) {
		uc_pcap_close(s, NULL, 0);
		return NULL;
	}
	uc_conversations_on_address(s->conv, name_address, s);
	uc_conversations_on_retire(s->conv, drop_flow_state, s);
	if (s->iface < 0) {
		uc_pcap_close(s, NULL, 0);
		return NULL;
	}
	return s;
}

static int emit(struct uc_pcap_sink *s, uint64_t ts, int dir, const uint8_t *head,
		uint32_t head_len, const uint8_t *data, uint32_t kept, uint32_t origlen,
		struct packet_note *n)
{
	size_t meta_len = strlen(n->meta), note_len = strlen(n->note);
	int ret;
	struct uc_pcapng_packet p = {
		.interface_id = (uint32_t)s->iface, .ts_ns = ts, .head = head, .head_len = head_len,
		.data = data, .data_len = kept, .origlen = head_len + origlen,
		.flags = dir == UC_C2S ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND,
		.has_dropcount = n->dropcount > 0, .dropcount = n->dropcount,
	};

	/* One comment option: tshark 4.0 joins several with commas, which hides the boundary.
	 * The note is joined in place and taken off again: the metadata serves every segment. */
	if (note_len) {
		memcpy(n->meta + meta_len, "; ", 2);
		memcpy(n->meta + meta_len + 2, n->note, note_len + 1);
	}
	p.comment = n->meta;
	ret = uc_pcapng_write_packet(s->w, &p);
	s->emitted++;
	n->meta[meta_len] = '\0';
	n->dropcount = 0;
	n->note[0] = '\0';
	return ret;
}

static int tcp_packet(struct uc_pcap_sink *s, struct uc_flow *f, uint64_t ts, int dir, uint8_t flags,
		      const uint8_t *data, uint32_t kept, uint32_t len, struct packet_note *n)
{
	uint8_t head[SYNTH_TCP_HEADER_LEN];
	uint32_t seq = f->next_seq[dir], ack = flags & SYNTH_TCP_ACK ? f->next_seq[1 - dir] : 0;

	uc_synth_tcp_header(head, s->ip_id++, &f->ends[dir], &f->ends[1 - dir], seq, ack, flags, data,
			 kept, len);
	f->next_seq[dir] += len + ((flags & (SYNTH_TCP_SYN | SYNTH_TCP_FIN)) ? 1 : 0);
	return emit(s, ts, dir, head, sizeof(head), data, kept, len, n);
}

/* Wireshark wants a handshake to start a conversation: at connect()/socketpair() time when
 * that was seen (its comment names who made it), else where the connection was first seen. */
static int handshake(struct uc_pcap_sink *s, struct uc_flow *f, struct packet_note *n)
{
	struct packet_note syn;
	uint64_t ts = f->opened_meta ? f->opened_ns : n->m->ts_ns;
	int ret;

	if (f->handshake_done)
		return 0;
	note_init(&syn, n->m);
	if (f->opened_meta) {
		snprintf(syn.meta, UC_COMMENT_LEN, "%s", f->opened_meta);
		add_note(&syn, "connection made here by %s", f->opened_how);
	} else {
		memcpy(syn.meta, n->meta, strnlen(n->meta, UC_COMMENT_LEN - 1) + 1);
		add_note(&syn, "connection already open when first seen (made before the capture "
			 "started, or its connect() was not seen)");
	}
	ret = tcp_packet(s, f, ts, UC_C2S, SYNTH_TCP_SYN, NULL, 0, 0, &syn);
	ret = ret ?: tcp_packet(s, f, ts, UC_S2C, SYNTH_TCP_SYN | SYNTH_TCP_ACK, NULL, 0, 0, &syn);
	ret = ret ?: tcp_packet(s, f, ts, UC_C2S, SYNTH_TCP_ACK, NULL, 0, 0, &syn);
	f->handshake_done = true;
	free(f->opened_meta);
	f->opened_meta = NULL;
	return ret;
}

/* connect()/socketpair(): the handshake goes out now if the port is already known (from the
 * path or --decode-as), else with the first bytes, which choose the port, stamped with now. */
static int connection_made(struct uc_pcap_sink *s, struct uc_flow *f, bool created,
			   struct packet_note *n)
{
	if (!created || !f->tcp)
		return 0;
	f->opened_ns = n->m->ts_ns;
	f->opened_how = n->m->syscall == SYS_socketpair ? "socketpair()" : "connect()";
	f->opened_meta = strdup(n->meta);
	if (!f->opened_meta)
		return -1;
	return f->protocol_settled && f->proto != UC_PROTO_DBUS ? handshake(s, f, n) : 0;
}

static void note_losses(struct packet_note *n, const struct uc_message *m)
{
	if (!m->lost_before_msgs)
		return;
	n->dropcount = m->lost_before_msgs;
	add_note(n, "%llu bytes in %u earlier messages lost before this one (ring buffer full)",
		 (unsigned long long)m->lost_before_bytes, m->lost_before_msgs);
}

/* A message's lengths made consistent, stored <= caplen <= len and nothing stored without data,
 * whatever it says: -r feeds this writer from files, and no difference below may wrap. */
struct extent {
	uint32_t len, caplen, stored;
};

static struct extent extent_of(const struct uc_message *m)
{
	struct extent e = { .len = m->len };

	e.caplen = m->caplen < e.len ? m->caplen : e.len;
	e.stored = !m->data ? 0 : m->stored < e.caplen ? m->stored : e.caplen;
	return e;
}

/* Stored bytes go in segments of at most 65495; bytes lost between stored and caplen leave a
 * sequence gap; bytes beyond caplen (-s) are segments whose caplen is shorter than the wire. */
static int tcp_message(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	const struct uc_message *m = n->m;
	struct extent e = extent_of(m);
	uint32_t lost = e.caplen - e.stored, off = 0;
	uint8_t flags = SYNTH_TCP_PSH | SYNTH_TCP_ACK;
	int ret = 0;

	f->next_seq[dir] += (uint32_t)m->lost_before_bytes;
	if (m->order_unknown)
		add_note(n, "sent while another write to this socket was in progress: the reader may "
			 "have received the two in the other order");
	while (!ret && off < e.len) { /* off only grows: to stored, past the gap, to len */
		uint32_t end = lost && off < e.stored ? e.stored : e.len, seg = end - off;
		uint32_t kept;

		if (lost && off == e.stored) {
			f->next_seq[dir] += lost; /* the gap Wireshark reports as not captured */
			off = e.caplen;
			continue;
		}
		seg = seg < SYNTH_TCP_MAX_PAYLOAD ? seg : SYNTH_TCP_MAX_PAYLOAD;
		kept = off < e.stored ? (e.stored - off < seg ? e.stored - off : seg) : 0;
		if (lost && off + seg == e.stored)
			add_note(n, "%u bytes of this message lost after this "
				 "segment (ring buffer full or memory unreadable)", lost);
		ret = tcp_packet(s, f, m->ts_ns, dir, flags, kept ? m->data + off : NULL, kept, seg, n);
		off += seg;
	}
	if (!ret && e.stored == 0 && lost) {
		add_note(n, "a %u-byte message was lost here (ring buffer full "
			 "or memory unreadable)", e.len);
		ret = tcp_packet(s, f, m->ts_ns, dir, SYNTH_TCP_ACK, NULL, 0, 0, n);
	}
	return ret;
}

/* One message per datagram; one too large for a datagram goes in consecutive parts. */
static int udp_message(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	const struct uc_message *m = n->m;
	struct extent e = extent_of(m);
	uint32_t parts = e.len / SYNTH_UDP_MAX_PAYLOAD + (e.len % SYNTH_UDP_MAX_PAYLOAD || !e.len);
	uint8_t head[SYNTH_UDP_HEADER_LEN];
	int ret = 0;

	for (uint32_t k = 0; k < parts && !ret; k++) {
		uint32_t off = k * SYNTH_UDP_MAX_PAYLOAD, len = e.len - off, kept, lost_lo, lost_hi;
		const uint8_t *part;

		len = len < SYNTH_UDP_MAX_PAYLOAD ? len : SYNTH_UDP_MAX_PAYLOAD;
		kept = off < e.stored ? (e.stored - off < len ? e.stored - off : len) : 0;
		part = kept ? m->data + off : NULL; /* data is NULL when nothing was stored */
		lost_lo = off > e.stored ? off : e.stored;
		lost_hi = off + len < e.caplen ? off + len : e.caplen;
		if (parts > 1)
			add_note(n, "part %u/%u of %u bytes", k + 1, parts, e.len);
		if (lost_hi > lost_lo)
			add_note(n, "%u bytes of this datagram lost (ring buffer full or memory "
				 "unreadable)", lost_hi - lost_lo);
		uc_synth_udp_header(head, s->ip_id++, &f->ends[dir], &f->ends[1 - dir], part, kept, len);
		ret = emit(s, m->ts_ns, dir, head, sizeof(head), part, kept, len, n);
	}
	return ret;
}

/* FIN for the direction a close or shutdown finishes; a connection finished both ways is
 * retired so a long capture does not hold every connection it ever saw. */
static int tcp_finish(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	int ret = 0;

	if (!f->fin[dir] && (f->handshake_done || (f->opened_meta && f->proto != UC_PROTO_DBUS))) {
		ret = handshake(s, f, n);
		/* a close reports the losses no later message of its pair will: the FIN follows them */
		note_losses(n, n->m);
		f->next_seq[dir] += (uint32_t)n->m->lost_before_bytes;
		ret = ret ?: tcp_packet(s, f, n->m->ts_ns, dir, SYNTH_TCP_FIN | SYNTH_TCP_ACK, NULL, 0, 0, n);
	}
	f->fin[dir] = true;
	if (f->fin[1 - dir])
		uc_conversations_retire(s->conv, f);
	return ret;
}

static int dbus_finish(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n);

static int connection_event(struct uc_pcap_sink *s, struct uc_flow *f, int dir,
			    struct packet_note *n)
{
	const struct uc_message *m = n->m;

	if (m->event == UC_MSG_EOF)
		dir = 1 - dir; /* the reader saw its peer's direction end */
	if (f->tcp && f->proto == UC_PROTO_DBUS && !f->fin[dir] && dbus_finish(s, f, dir, n) < 0)
		return -1;
	if (f->tcp)
		return tcp_finish(s, f, dir, n);
	if (f->sock_type != 5 /* SOCK_SEQPACKET */) {
		/* a closed datagram socket takes part in no flow again, whoever it sent to */
		if (m->event == UC_MSG_CLOSE)
			uc_conversations_close_socket(s->conv, f, m);
		return 0;
	}
	/* A seqpacket connection ends like a stream: each way by close, shutdown or end-of-file. */
	f->fin[dir] = true;
	if (f->fin[1 - dir])
		uc_conversations_retire(s->conv, f);
	return 0;
}

/* Bytes that are not in the capture, reported with no message after them: ring overflow
 * reported at the end, or a send no hook decoded. A stream's sequence numbers skip them and
 * an empty segment says so; a datagram shows its real length with nothing captured. */
static int missing_only(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	const struct uc_message *m = n->m;
	uint32_t len = m->event == UC_MSG_UNSEEN ? m->len : 0;

	note_losses(n, m);
	if (m->event == UC_MSG_UNSEEN)
		add_note(n, "%u bytes sent here by sendfile, splice or io_uring: not "
			 "captured", m->len);
	if (!f->tcp) {
		uint8_t head[SYNTH_UDP_HEADER_LEN];

		len = len < SYNTH_UDP_MAX_PAYLOAD ? len : SYNTH_UDP_MAX_PAYLOAD;
		uc_synth_udp_header(head, s->ip_id++, &f->ends[dir], &f->ends[1 - dir], NULL, 0, len);
		return emit(s, m->ts_ns, dir, head, sizeof(head), NULL, 0, len, n);
	}
	if (handshake(s, f, n) < 0)
		return -1;
	f->next_seq[dir] += (uint32_t)m->lost_before_bytes + len;
	return tcp_packet(s, f, m->ts_ns, dir, SYNTH_TCP_ACK, NULL, 0, 0, n);
}

/* How far the reader of direction dir has read, as far as the file holds: a large write is
 * recorded when it returns, after the reader has taken part of it, and acknowledging bytes not
 * yet in the file would make Wireshark take them for retransmissions. */
static uint32_t readable_ack(const struct uc_flow *f, int dir)
{
	return (int32_t)(f->read_seq[dir] - f->next_seq[dir]) > 0 ? f->next_seq[dir] : f->read_seq[dir];
}

/* The reader of direction dir acknowledges up to ack. */
static int read_ack(struct uc_pcap_sink *s, struct uc_flow *f, int dir, uint32_t ack,
		    struct packet_note *n)
{
	uint8_t head[SYNTH_TCP_HEADER_LEN];
	int reader = 1 - dir;

	f->read_acked[dir] = ack;
	uc_synth_tcp_header(head, s->ip_id++, &f->ends[reader], &f->ends[dir], f->next_seq[reader], ack,
			 SYNTH_TCP_ACK, NULL, 0, 0);
	return emit(s, n->m->ts_ns, reader, head, sizeof(head), NULL, 0, 0, n);
}

/* A read: the reading side acknowledges what it has consumed, and the comment says who read it.
 * Datagram reads have no packet of their own (UDP has no acknowledgement). */
static int reader_ack(struct uc_pcap_sink *s, struct uc_flow *f, int reader, struct packet_note *n)
{
	int data_dir = 1 - reader;
	uint32_t ack;

	if (!f->tcp || !f->handshake_done)
		return 0;
	if (!n->m->peek)
		f->read_seq[data_dir] += n->m->len;
	ack = readable_ack(f, data_dir);
	if (ack == f->read_acked[data_dir]) {
		/* the same ACK again would be a Duplicate ACK to Wireshark: this read is in a custom
		 * block, and the bytes it took are acknowledged once their write is in the file */
		f->ack_held[data_dir] = true;
		return 0;
	}
	add_note(n, "%s%u bytes by %s[%u]", n->m->peek ? "peeked (left queued) " : "read ", n->m->len,
		 n->m->comm, n->m->pid);
	return read_ack(s, f, data_dir, ack, n);
}

/* After a write to a reader that read ahead of the file: the ACK its reads could not send. */
static int held_ack(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	uint32_t ack = readable_ack(f, dir);

	if (!f->ack_held[dir] || ack == f->read_acked[dir])
		return 0;
	f->ack_held[dir] = false;
	add_note(n, "acknowledges what was read while this write was still in progress (those "
		 "reads are recorded before it, without packets of their own)");
	return read_ack(s, f, dir, ack, n);
}

/* Plain stream bytes in segments, for what a protocol-aware writer could not frame. */
struct raw_target {
	struct uc_pcap_sink *s;
	struct uc_flow *f;
	int dir;
	struct packet_note *n;
};

static int raw_bytes(void *ctx, const uint8_t *data, size_t len)
{
	struct raw_target *t = ctx;
	int ret = handshake(t->s, t->f, t->n);

	add_note(t->n, "bytes that could not be read as D-Bus messages");
	for (size_t off = 0; !ret && off < len; off += SYNTH_TCP_MAX_PAYLOAD) {
		uint32_t seg = len - off < SYNTH_TCP_MAX_PAYLOAD ? (uint32_t)(len - off)
								  : SYNTH_TCP_MAX_PAYLOAD;

		ret = tcp_packet(t->s, t->f, t->n->m->ts_ns, t->dir, SYNTH_TCP_PSH | SYNTH_TCP_ACK,
				 data + off, seg, seg, t->n);
	}
	return ret;
}

static struct uc_dbus_out dbus_out(struct uc_pcap_sink *s, struct raw_target *t)
{
	return (struct uc_dbus_out){
		.w = s->w, .iface = (uint32_t)s->dbus_iface, .dir = t->dir, .ts_ns = t->n->m->ts_ns,
		.meta = t->n->meta, .dropcount = t->n->m->lost_before_msgs, .raw = raw_bytes,
		.raw_ctx = t,
	};
}

/* A D-Bus connection is written only as D-Bus messages (every byte once). */
static int dbus_data(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	const struct uc_message *m = n->m;
	struct raw_target t = { s, f, dir, n };
	struct uc_dbus_out out = dbus_out(s, &t);
	struct extent e = extent_of(m);

	if (!f->sink_state && !(f->sink_state = uc_dbus_flow_new()))
		return -1;
	return uc_dbus_flow_write(f->sink_state, &out, m->data, e.stored, m->lost_before_bytes,
				  e.len - e.stored);
}

static int dbus_finish(struct uc_pcap_sink *s, struct uc_flow *f, int dir, struct packet_note *n)
{
	struct raw_target t = { s, f, dir, n };
	struct uc_dbus_out out = dbus_out(s, &t);

	return f->sink_state ? uc_dbus_flow_finish(f->sink_state, &out) : 0;
}

static int write_message(struct uc_pcap_sink *s, struct uc_flow *f, int dir, bool created,
			 struct packet_note *n)
{
	const struct uc_message *m = n->m;
	int ret = 0;

	if (m->event == UC_MSG_LOST || m->event == UC_MSG_UNSEEN)
		return missing_only(s, f, dir, n);
	if (m->event == UC_MSG_CONNECT)
		return connection_made(s, f, created, n);
	if (m->event == UC_MSG_READ)
		return reader_ack(s, f, dir, n);
	if (m->event == UC_MSG_ACCEPT)
		return 0; /* it only told the conversations which socket is the server's */
	if (m->event != UC_MSG_DATA)
		return connection_event(s, f, dir, n);
	uc_conversations_learn(f, m);
	if (f->tcp && f->proto == UC_PROTO_DBUS)
		return dbus_data(s, f, dir, n);
	if (f->tcp)
		ret = handshake(s, f, n);
	note_losses(n, m);
	if (!ret)
		ret = f->tcp ? tcp_message(s, f, dir, n) : udp_message(s, f, dir, n);
	if (!ret && f->tcp)
		ret = held_ack(s, f, dir, n);
	return ret;
}

/* Every message is in the file, for -r: in the comments of its packets, or, when no packet of
 * its own shows it (accept, a datagram's read, a close with nothing to finish), in a custom
 * block. A connect()'s handshake packets are synthetic and may come later, when the first bytes
 * choose the port: the connect itself is always a custom block, in its place. D-Bus bytes are
 * written as D-Bus messages, not per send: those sends get no block. */
int uc_pcap_write(struct uc_pcap_sink *s, const struct uc_message *m)
{
	struct packet_note n;
	bool created;
	int dir = UC_C2S, ret;
	uint64_t before = s->emitted;
	struct uc_flow *f = uc_conversations_find(s->conv, m, &dir, &created);

	note_init(&n, m);
	uc_comment_format(n.meta, UC_COMMENT_LEN, m);
	if (!f && m->event == UC_MSG_DATA)
		return -1;
	ret = f ? write_message(s, f, dir, created, &n) : 0;
	/* f may be retired by an event; a data message leaves it alive */
	if (ret < 0 || (m->event == UC_MSG_DATA && f->tcp && f->proto == UC_PROTO_DBUS))
		return ret;
	if (s->emitted == before || m->event == UC_MSG_CONNECT)
		ret = uc_pcapng_write_custom(s->w, UC_COMMENT_PEN, n.meta);
	return ret;
}

int uc_pcap_flush(struct uc_pcap_sink *s)
{
	return uc_pcapng_flush(s->w);
}

uint64_t uc_pcap_bytes(const struct uc_pcap_sink *s)
{
	return uc_pcapng_bytes(s->w);
}

int uc_pcap_close(struct uc_pcap_sink *s, const struct uc_stats *st, uint64_t ts_ns)
{
	int ret = 0;

	if (st)
		ret = uc_pcapng_write_stats(s->w, (uint32_t)s->iface, ts_ns, st->messages, st->lost_msgs);
	if (uc_pcapng_close(s->w) < 0)
		ret = -1;
	uc_conversations_free(s->conv);
	free(s);
	return ret;
}
