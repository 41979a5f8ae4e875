/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages as Wireshark reads them: streams as synthetic TCP, datagrams as synthetic UDP. */
#include "sinks/pcap_sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "conversations/conversation.h"
#include "conversations/packets.h"
#include "format/comment.h"
#include "format/pcapng.h"
#include "sinks/process_blocks.h"
#include "format/synth.h"
#include "sinks/dbus_sink.h"

struct uc_pcap_sink {
	struct uc_pcapng_writer *w;
	struct uc_conversations *conv;
	struct uc_packets packets; /* those of the message being written */
	int iface;
	int dbus_iface; /* LINKTYPE_DBUS: one packet per D-Bus message */
	uint16_t ip_id;
	int side; /* the message's side of its flow: its packets from that side are its process's */
	struct uc_comment_cache *comments; /* each identity's part of the metadata, formatted once */
	struct uc_process_blocks *processes; /* NULL: no process blocks (a replay) */
	char meta[UC_COMMENT_LEN]; /* the message's metadata: its packets' comments start with it */
	/* a comment: the metadata, "; " and a note */
	char comment[UC_COMMENT_LEN + 2 + UC_NOTE_LEN];
};

/* The packet descriptions use the wire's flag values and the IPv4 size limits the headers do. */
_Static_assert(UC_TCP_FIN == SYNTH_TCP_FIN && UC_TCP_SYN == SYNTH_TCP_SYN &&
		       UC_TCP_PSH == SYNTH_TCP_PSH && UC_TCP_ACK == SYNTH_TCP_ACK,
	       "TCP flags");
_Static_assert(UC_TCP_MAX_PAYLOAD == SYNTH_TCP_MAX_PAYLOAD &&
		       UC_UDP_MAX_PAYLOAD == SYNTH_UDP_MAX_PAYLOAD,
	       "payload limits");

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

int uc_pcap_describe_processes(struct uc_pcap_sink *s, uc_process_source_fn source, void *ctx)
{
	uc_process_blocks_free(s->processes);
	s->processes = uc_process_blocks_new(source, ctx);
	return s->processes ? 0 : -1;
}

/* A process block before the first packet that names pid (and again after an exec). */
static int describe(struct uc_pcap_sink *s, uint32_t pid, const char *comm)
{
	return s->processes && pid ? uc_process_blocks_announce(s->processes, s->w, pid, comm) : 0;
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
	uc_packets_init(&s->packets);
	s->conv = uc_conversations_new();
	s->comments = uc_comment_cache_new();
	s->w = uc_pcapng_open(fd, flush_each, u.machine, os, "unixcap " UNIXCAP_VERSION);
	if (!s->conv || !s->comments || !s->w) {
		int e = errno;

		uc_conversations_free(s->conv);
		uc_comment_cache_free(s->comments);
		if (s->w)
			uc_pcapng_close(s->w);
		free(s);
		errno = e;
		return NULL;
	}
	s->iface = uc_pcapng_add_interface(s->w, PCAPNG_LINKTYPE_RAW, PCAPNG_MAX_RECORD, "unixcap",
					   description);
	s->dbus_iface = uc_pcapng_add_interface(s->w, PCAPNG_LINKTYPE_DBUS, PCAPNG_MAX_RECORD,
						"unixcap-dbus",
						"D-Bus messages on AF_UNIX sockets");
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

static struct uc_synth_endpoint synth_end(struct uc_endpoint e)
{
	return (struct uc_synth_endpoint){ e.ip, e.port };
}

/* One comment option: tshark 4.0 joins several with commas, which hides the boundary. */
static const char *comment_of(struct uc_pcap_sink *s, const struct uc_packet *p)
{
	const char *note = uc_packet_note(&s->packets, p);
	size_t meta_len, note_len = strlen(note);

	if (!note_len)
		return p->meta;
	meta_len = strnlen(p->meta, UC_COMMENT_LEN - 1);
	memcpy(s->comment, p->meta, meta_len);
	memcpy(s->comment + meta_len, "; ", 2);
	memcpy(s->comment + meta_len + 2, note, note_len + 1);
	return s->comment;
}

/* p as synthetic IPv4 with its TCP or UDP header, its payload taken from data. */
static int write_packet(struct uc_pcap_sink *s, const struct uc_packet *p, const uint8_t *data)
{
	uint8_t head[SYNTH_TCP_HEADER_LEN > SYNTH_UDP_HEADER_LEN ? SYNTH_TCP_HEADER_LEN :
								   SYNTH_UDP_HEADER_LEN];
	struct uc_synth_endpoint src = synth_end(p->src), dst = synth_end(p->dst);
	const uint8_t *payload = p->kept ? data + p->data_off : NULL;
	uint32_t head_len = p->tcp ? SYNTH_TCP_HEADER_LEN : SYNTH_UDP_HEADER_LEN;
	struct uc_pcapng_packet out = {
		.interface_id = (uint32_t)s->iface,
		.ts_ns = p->ts_ns,
		.head = head,
		.head_len = head_len,
		.data = payload,
		.data_len = p->kept,
		.origlen = head_len + p->len,
		.flags = p->dir == UC_C2S ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND,
		.has_dropcount = p->dropcount > 0,
		.dropcount = p->dropcount,
		.comment = comment_of(s, p),
	};
	const struct uc_message *m = s->packets.m;

	if (p->meta != s->meta) {
		/* a handshake made when a connect() was recorded earlier: no process did this I/O */
	} else if (p->dir == s->side) { /* its data, its read's ACK, its FIN */
		out.pid = m->pid;
		out.tid = m->tid;
	} else { /* the other end's: a held ACK, a SYN/ACK; only its process is known */
		out.pid = m->peer_pid;
		if (describe(s, out.pid, NULL) < 0)
			return -1;
	}

	if (p->tcp)
		uc_synth_tcp_header(head, s->ip_id++, &src, &dst, p->seq, p->ack, p->flags, payload,
				    p->kept, p->len);
	else
		uc_synth_udp_header(head, s->ip_id++, &src, &dst, payload, p->kept, p->len);
	return uc_pcapng_write_packet(s->w, &out);
}

/* Writes the packets described so far (a payload's bytes are data's) and forgets them;
 * described is what describing them returned: the packets before a failure are written too. */
static int write_packets(struct uc_pcap_sink *s, int described, const uint8_t *data)
{
	int ret = 0, e = errno;

	for (size_t i = 0; i < s->packets.n && !ret; i++)
		ret = write_packet(s, &s->packets.p[i], data);
	uc_packets_clear(&s->packets);
	if (described < 0)
		errno = e;
	return described < 0 ? described : ret;
}

/* Plain stream bytes in segments, for what a protocol-aware writer could not frame. */
struct raw_target {
	struct uc_pcap_sink *s;
	struct uc_flow *f;
	int dir;
};

static int raw_bytes(void *ctx, const uint8_t *data, size_t len)
{
	struct raw_target *t = ctx;

	uc_packets_note(&t->s->packets, "bytes that could not be read as D-Bus messages");
	return write_packets(t->s, uc_packets_stream(&t->s->packets, t->f, t->dir, len), data);
}

static struct uc_dbus_out dbus_out(struct uc_pcap_sink *s, struct raw_target *t)
{
	return (struct uc_dbus_out){
		.w = s->w,
		.iface = (uint32_t)s->dbus_iface,
		.dir = t->dir,
		.ts_ns = s->packets.m->ts_ns,
		.meta = s->meta,
		.pid = s->packets.m->pid,
		.tid = s->packets.m->tid,
		.dropcount = s->packets.m->lost_before_msgs,
		.raw = raw_bytes,
		.raw_ctx = t,
	};
}

/* A D-Bus connection is written only as D-Bus messages (every byte once). */
static int dbus_data(struct uc_pcap_sink *s, struct uc_flow *f, int dir)
{
	const struct uc_message *m = s->packets.m;
	struct raw_target t = { s, f, dir };
	struct uc_dbus_out out = dbus_out(s, &t);
	struct uc_extent e = uc_packets_extent(m);

	if (!f->sink_state && !(f->sink_state = uc_dbus_flow_new()))
		return -1;
	return uc_dbus_flow_write(f->sink_state, &out, m->data, e.stored, m->lost_before_bytes,
				  e.len - e.stored);
}

/* What a close, shutdown or end-of-file finishes goes out before its FIN. */
static int dbus_finish(struct uc_pcap_sink *s, struct uc_flow *f, int dir)
{
	struct raw_target t = { s, f, uc_packets_ending(s->packets.m, dir) };
	struct uc_dbus_out out = dbus_out(s, &t);

	if (t.dir < 0 || f->fin[t.dir] || !f->sink_state)
		return 0;
	return uc_dbus_flow_finish(f->sink_state, &out);
}

/* Every message is in the file, for -r: in the comments of its packets, or, when no packet of
 * its own shows it (accept, a datagram's read, a close with nothing to finish), in a custom
 * block. A connect()'s handshake packets are synthetic and may come later, when the first bytes
 * choose the port: the connect itself is always a custom block, in its place. D-Bus bytes are
 * written as D-Bus messages, not per send: those sends get no block. */
int uc_pcap_write(struct uc_pcap_sink *s, const struct uc_message *m)
{
	bool created;
	int dir = UC_C2S, ret = 0;
	struct uc_flow *f = uc_conversations_find(s->conv, m, &dir, &created);

	s->side = dir;
	if (describe(s, m->pid, m->comm) < 0)
		return -1;
	uc_comment_format_cached(s->comments, s->meta, UC_COMMENT_LEN, m);
	uc_packets_begin(&s->packets, m, s->meta);
	if (!f && m->event == UC_MSG_DATA)
		return -1;
	if (f && f->tcp) {
		uc_conversations_learn(f, m);
		if (f->proto == UC_PROTO_DBUS && m->event == UC_MSG_DATA)
			return dbus_data(s, f, dir);
		if (f->proto == UC_PROTO_DBUS && dbus_finish(s, f, dir) < 0)
			return -1;
	}
	/* f may be retired by an event, but the packets keep what they need of it */
	if (f)
		ret = write_packets(s, uc_packets_message(&s->packets, s->conv, f, dir, created),
				    m->data);
	if (!ret && uc_packets_block(&s->packets))
		ret = uc_pcapng_write_custom(s->w, UC_COMMENT_PEN, s->meta);
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
		ret = uc_pcapng_write_stats(s->w, (uint32_t)s->iface, ts_ns, st->messages,
					    st->lost_msgs);
	if (uc_pcapng_close(s->w) < 0)
		ret = -1;
	uc_conversations_free(s->conv);
	uc_comment_cache_free(s->comments);
	uc_process_blocks_free(s->processes);
	uc_packets_free(&s->packets);
	free(s);
	return ret;
}
