/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the packets a message becomes: TCP numbers, handshakes, ACKs, FINs, gaps, UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "conversations/packets.h"

#define T0 1700000000000000000ull
#define CLIENT_INO 5001
#define SERVER_INO 5002
#define ISN_C2S 0x10000000u /* the sequence numbers a flow starts with */
#define ISN_S2C 0x20000000u
#define CLIENT_IP (UC_CLIENT_NET + 1)
#define SERVER_IP (UC_SERVER_NET + 1)
#define ALREADY_OPEN                                                                 \
	"connection already open when first seen (made before the capture started, " \
	"or its connect() was not seen)"

static uint8_t bytes[3 * UC_TCP_MAX_PAYLOAD];

struct fixture {
	struct uc_conversations *c;
	struct uc_packets l;
	struct uc_flow *f; /* the flow of the last message */
	uint64_t ts;
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));

	if (!x || !(x->c = uc_conversations_new()))
		return -1;
	memset(bytes, 'x', sizeof(bytes)); /* bytes no protocol claims: the server port stays 9 */
	uc_packets_init(&x->l);
	x->ts = T0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;

	uc_packets_free(&x->l);
	uc_conversations_free(x->c);
	free(x);
	return 0;
}

/* A message of the connection between curl[100] (client) and srv[101] on path, one more
 * microsecond after the last. */
static struct uc_message msg(struct fixture *x, uint16_t type, const char *path, bool client,
			     enum uc_message_event event, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = x->ts += 1000;
	m.event = event;
	m.sock_type = type;
	m.syscall = event == UC_MSG_CONNECT ? SYS_connect : SYS_write;
	m.pid = client ? 100 : 101;
	m.peer_pid = client ? 101 : 100;
	snprintf(m.comm, sizeof(m.comm), "%s", client ? "curl" : "srv");
	m.own_ino = client ? CLIENT_INO : SERVER_INO;
	m.peer_ino = client ? SERVER_INO : CLIENT_INO;
	snprintf(client ? m.peer_path : m.own_path, UC_NAME_LEN, "%s", path);
	m.len = len;
	if (event == UC_MSG_DATA) {
		m.caplen = m.stored = len;
		m.data = bytes;
	}
	return m;
}

/* Describes the packets of m as a sink would; returns how many. */
static size_t run(struct fixture *x, const struct uc_message *m, const char *meta)
{
	bool created;
	int dir = -1;

	x->f = uc_conversations_find(x->c, m, &dir, &created);
	uc_packets_begin(&x->l, m, meta);
	if (x->f)
		assert_int_equal(uc_packets_message(&x->l, x->c, x->f, dir, created), 0);
	return x->l.n;
}

static size_t send_msg(struct fixture *x, bool client, enum uc_message_event event, uint32_t len)
{
	struct uc_message m = msg(x, SOCK_STREAM, "/run/t.sock", client, event, len);

	return run(x, &m, "META");
}

/* Checks the TCP numbers, direction and payload of packet i. */
static void tcp_is(struct fixture *x, size_t i, bool from_client, uint8_t flags, uint32_t seq,
		   uint32_t ack, uint32_t len)
{
	const struct uc_packet *p = &x->l.p[i];

	assert_true(i < x->l.n);
	assert_true(p->tcp);
	assert_int_equal(p->dir, from_client ? UC_C2S : UC_S2C);
	assert_int_equal(p->src.ip, from_client ? CLIENT_IP : SERVER_IP);
	assert_int_equal(p->src.port, from_client ? UC_CLIENT_PORT_FIRST : UC_SERVER_PORT_DEFAULT);
	assert_int_equal(p->dst.ip, from_client ? SERVER_IP : CLIENT_IP);
	assert_int_equal(p->dst.port, from_client ? UC_SERVER_PORT_DEFAULT : UC_CLIENT_PORT_FIRST);
	assert_int_equal(p->flags, flags);
	assert_int_equal(p->seq, seq);
	assert_int_equal(p->ack, ack);
	assert_int_equal(p->len, len);
}

static void note_is(struct fixture *x, size_t i, const char *want)
{
	assert_string_equal(uc_packet_note(&x->l, &x->l.p[i]), want);
}

/* The synthetic handshake, seq and ack as a fresh flow starts them. */
static void handshake_is(struct fixture *x, uint64_t ts, const char *meta, const char *note)
{
	tcp_is(x, 0, true, UC_TCP_SYN, ISN_C2S, 0, 0);
	tcp_is(x, 1, false, UC_TCP_SYN | UC_TCP_ACK, ISN_S2C, ISN_C2S + 1, 0);
	tcp_is(x, 2, true, UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 1, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(x->l.p[i].ts_ns, ts);
		assert_string_equal(x->l.p[i].meta, meta);
		assert_int_equal(x->l.p[i].kept, 0);
		assert_int_equal(x->l.p[i].dropcount, 0);
		note_is(x, i, i == 0 ? note : "");
	}
}

/* A connect() whose port the first bytes choose: its handshake waits for them, and then carries
 * the connect's time and metadata. */
static void test_handshake_on_first_data(void **state)
{
	struct fixture *x = *state;
	struct uc_message connect = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_CONNECT, 0);

	assert_int_equal(run(x, &connect, "CONNECT"), 0);
	assert_true(uc_packets_block(&x->l));
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 5), 4);
	assert_false(uc_packets_block(&x->l));
	handshake_is(x, connect.ts_ns, "CONNECT", "connection made here by connect()");
	tcp_is(x, 3, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 1, 5);
	assert_int_equal(x->l.p[3].ts_ns, T0 + 2000);
	assert_string_equal(x->l.p[3].meta, "META");
	assert_int_equal(x->l.p[3].kept, 5);
	assert_int_equal(x->l.p[3].data_off, 0);
	note_is(x, 3, "");
}

/* A path that names the protocol gives the port at once: the handshake is the connect's. */
static void test_handshake_at_connect_when_port_known(void **state)
{
	struct fixture *x = *state;
	struct uc_message connect = msg(x, SOCK_STREAM, "/run/docker.sock", true, UC_MSG_CONNECT,
					0);

	connect.syscall = SYS_socketpair;
	assert_int_equal(run(x, &connect, "PAIR"), 3);
	assert_true(uc_packets_block(&x->l));
	assert_int_equal(x->l.p[0].dst.port, 80);
	assert_int_equal(x->l.p[0].seq, ISN_C2S);
	assert_int_equal(x->l.p[2].ack, ISN_S2C + 1);
	note_is(x, 0, "connection made here by socketpair()");
}

/* A connection first seen mid-stream, by its server's reply: the handshake is made up where it
 * was seen, with that message's metadata. */
static void test_already_open(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, false, UC_MSG_DATA, 9), 4);
	handshake_is(x, T0 + 1000, "META", ALREADY_OPEN);
	tcp_is(x, 3, false, UC_TCP_PSH | UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 1, 9);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 2), 1);
	tcp_is(x, 0, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 10, 2);
}

static void test_seq_advances_by_payload(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 100), 4);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 50), 1);
	tcp_is(x, 0, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 101, ISN_S2C + 1, 50);
	assert_int_equal(send_msg(x, false, UC_MSG_DATA, 7), 1);
	tcp_is(x, 0, false, UC_TCP_PSH | UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 151, 7);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 1), 1);
	tcp_is(x, 0, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 151, ISN_S2C + 8, 1);
	assert_int_equal(x->f->next_seq[UC_C2S], ISN_C2S + 152);
	assert_int_equal(x->f->next_seq[UC_S2C], ISN_S2C + 8);
}

/* Each read the file can acknowledge is an ACK from the reader; one that took bytes of a write
 * not yet in the file has no packet (a custom block), and that write's packet is followed by the
 * ACK it could not send. A read before any packet acknowledges nothing. */
static void test_read_acks(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, false, UC_MSG_READ, 10), 0);
	assert_true(uc_packets_block(&x->l));
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 100), 4);
	assert_int_equal(send_msg(x, false, UC_MSG_READ, 60), 1);
	assert_false(uc_packets_block(&x->l));
	tcp_is(x, 0, false, UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 61, 0);
	note_is(x, 0, "read 60 bytes by srv[101]");
	assert_int_equal(send_msg(x, false, UC_MSG_READ, 40), 1);
	tcp_is(x, 0, false, UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 101, 0);
	assert_int_equal(send_msg(x, false, UC_MSG_READ, 30), 0); /* ahead of the file */
	assert_true(uc_packets_block(&x->l));
	assert_true(x->f->ack_held[UC_C2S]);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 50), 2);
	tcp_is(x, 0, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 101, ISN_S2C + 1, 50);
	tcp_is(x, 1, false, UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 131, 0);
	note_is(x, 1,
		"acknowledges what was read while this write was still in progress (those "
		"reads are recorded before it, without packets of their own)");
	assert_false(x->f->ack_held[UC_C2S]);
}

static void test_peek_acknowledges_nothing_new(void **state)
{
	struct fixture *x = *state;
	struct uc_message peek;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 20), 4);
	assert_int_equal(send_msg(x, false, UC_MSG_READ, 5), 1);
	peek = msg(x, SOCK_STREAM, "/run/t.sock", false, UC_MSG_READ, 15);
	peek.peek = true;
	assert_int_equal(run(x, &peek, "META"), 0);
	assert_int_equal(x->f->read_seq[UC_C2S], ISN_C2S + 6);
}

/* FIN each way, each after what that way sent; finished both ways, the flow is retired. */
static void test_fin_both_directions(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 10), 4);
	assert_int_equal(send_msg(x, false, UC_MSG_DATA, 4), 1);
	assert_int_equal(send_msg(x, true, UC_MSG_SHUTDOWN, 0), 1);
	tcp_is(x, 0, true, UC_TCP_FIN | UC_TCP_ACK, ISN_C2S + 11, ISN_S2C + 5, 0);
	assert_int_equal(uc_conversations_live(x->c), 1);
	assert_int_equal(send_msg(x, true, UC_MSG_CLOSE, 0), 0); /* finished already */
	assert_true(uc_packets_block(&x->l));
	assert_int_equal(send_msg(x, false, UC_MSG_CLOSE, 0), 1);
	tcp_is(x, 0, false, UC_TCP_FIN | UC_TCP_ACK, ISN_S2C + 5, ISN_C2S + 12, 0);
	assert_int_equal(uc_conversations_live(x->c), 0);
}

/* An end-of-file is the reader's: it finishes the direction of the peer that stopped writing. */
static void test_eof_finishes_peer_direction(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 3), 4);
	assert_int_equal(send_msg(x, false, UC_MSG_EOF, 0), 1);
	tcp_is(x, 0, true, UC_TCP_FIN | UC_TCP_ACK, ISN_C2S + 4, ISN_S2C + 1, 0);
	assert_int_equal(send_msg(x, true, UC_MSG_EOF, 0), 1);
	tcp_is(x, 0, false, UC_TCP_FIN | UC_TCP_ACK, ISN_S2C + 1, ISN_C2S + 5, 0);
	assert_int_equal(uc_conversations_live(x->c), 0);
}

/* A close reports the losses no later message will: its FIN comes after them. */
static void test_close_after_losses(void **state)
{
	struct fixture *x = *state;
	struct uc_message close;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 3), 4);
	close = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_CLOSE, 0);
	close.lost_before_msgs = 2;
	close.lost_before_bytes = 700;
	assert_int_equal(run(x, &close, "META"), 1);
	tcp_is(x, 0, true, UC_TCP_FIN | UC_TCP_ACK, ISN_C2S + 704, ISN_S2C + 1, 0);
	assert_int_equal(x->l.p[0].dropcount, 2);
	note_is(x, 0, "700 bytes in 2 earlier messages lost before this one (ring buffer full)");
}

/* Bytes lost inside a message leave a sequence gap after the stored ones; a message lost whole
 * is an empty segment past its gap; earlier messages lost move the sequence on before it. */
static void test_loss_gap(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_DATA, 1000);

	m.stored = 300;
	assert_int_equal(run(x, &m, "META"), 4);
	tcp_is(x, 3, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 1, 300);
	assert_int_equal(x->l.p[3].kept, 300);
	note_is(x, 3,
		"700 bytes of this message lost after this segment (ring buffer full or "
		"memory unreadable)");
	m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_DATA, 800);
	m.stored = 0;
	m.data = NULL;
	assert_int_equal(run(x, &m, "META"), 1);
	tcp_is(x, 0, true, UC_TCP_ACK, ISN_C2S + 1801, ISN_S2C + 1, 0);
	note_is(x, 0,
		"the 800 bytes of this message were not stored (ring buffer full or memory unreadable)");
	m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_DATA, 5);
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 40;
	assert_int_equal(run(x, &m, "META"), 1);
	tcp_is(x, 0, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1841, ISN_S2C + 1, 5);
	assert_int_equal(x->l.p[0].dropcount, 3);
	note_is(x, 0, "40 bytes in 3 earlier messages lost before this one (ring buffer full)");
}

/* Bytes sent where no hook saw them (sendfile, splice) move the sequence on, said by an ACK. */
static void test_unseen_bytes(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 1), 4);
	assert_int_equal(send_msg(x, true, UC_MSG_UNSEEN, 4096), 1);
	tcp_is(x, 0, true, UC_TCP_ACK, ISN_C2S + 4098, ISN_S2C + 1, 0);
	note_is(x, 0, "4096 bytes sent here by sendfile, splice or io_uring: not captured");
}

/* Bytes cut by -s are in the segment's length, not in what it keeps. */
static void test_snaplen_keeps_prefix(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_DATA, 1000);

	m.caplen = m.stored = 100;
	assert_int_equal(run(x, &m, "META"), 4);
	tcp_is(x, 3, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 1, 1000);
	assert_int_equal(x->l.p[3].kept, 100);
	note_is(x, 3, "");
}

static void test_split_at_max_payload(void **state)
{
	struct fixture *x = *state;
	const uint32_t max = UC_TCP_MAX_PAYLOAD;

	assert_int_equal(max, 65495);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 2 * max + 10), 6);
	for (size_t i = 0; i < 3; i++) {
		uint32_t len = i < 2 ? max : 10;

		tcp_is(x, 3 + i, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1 + (uint32_t)i * max,
		       ISN_S2C + 1, len);
		assert_int_equal(x->l.p[3 + i].data_off, i * max);
		assert_int_equal(x->l.p[3 + i].kept, len);
	}
	assert_int_equal(x->f->next_seq[UC_C2S], ISN_C2S + 1 + 2 * max + 10);
}

static void udp_is(struct fixture *x, size_t i, bool from_client, uint32_t off, uint32_t kept,
		   uint32_t len)
{
	const struct uc_packet *p = &x->l.p[i];

	assert_true(i < x->l.n);
	assert_false(p->tcp);
	assert_int_equal(p->dir, from_client ? UC_C2S : UC_S2C);
	assert_int_equal(p->src.ip, from_client ? CLIENT_IP : SERVER_IP);
	assert_int_equal(p->dst.ip, from_client ? SERVER_IP : CLIENT_IP);
	assert_int_equal(p->data_off, off);
	assert_int_equal(p->kept, kept);
	assert_int_equal(p->len, len);
}

/* One datagram per message (in parts past the UDP limit); reads have no packet; a close of
 * the socket retires its flows. */
static void test_datagrams(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_DGRAM, "/run/d.sock", true, UC_MSG_DATA, 12);

	assert_int_equal(run(x, &m, "META"), 1);
	udp_is(x, 0, true, 0, 12, 12);
	assert_int_equal(x->l.p[0].src.port, UC_CLIENT_PORT_FIRST);
	assert_int_equal(x->l.p[0].dst.port, UC_SERVER_PORT_DEFAULT);
	m = msg(x, SOCK_DGRAM, "/run/d.sock", false, UC_MSG_DATA, 70000);
	m.stored = 66000;
	assert_int_equal(run(x, &m, "META"), 2);
	udp_is(x, 0, false, 0, UC_UDP_MAX_PAYLOAD, UC_UDP_MAX_PAYLOAD);
	udp_is(x, 1, false, UC_UDP_MAX_PAYLOAD, 66000 - UC_UDP_MAX_PAYLOAD,
	       70000 - UC_UDP_MAX_PAYLOAD);
	note_is(x, 0, "part 1/2 of 70000 bytes");
	note_is(x, 1,
		"part 2/2 of 70000 bytes; 4000 bytes of this datagram lost (ring buffer full "
		"or memory unreadable)");
	m = msg(x, SOCK_DGRAM, "/run/d.sock", true, UC_MSG_READ, 70000);
	assert_int_equal(run(x, &m, "META"), 0);
	assert_true(uc_packets_block(&x->l));
	m = msg(x, SOCK_DGRAM, "/run/d.sock", false, UC_MSG_CLOSE, 0);
	assert_int_equal(run(x, &m, "META"), 0);
	assert_int_equal(uc_conversations_live(x->c), 0);
}

/* A seqpacket connection is retired once both ways ended; its messages are UDP datagrams. */
static void test_seqpacket_retired_both_ways(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_SEQPACKET, "/run/q.sock", true, UC_MSG_DATA, 0);

	assert_int_equal(run(x, &m, "META"), 1);
	udp_is(x, 0, true, 0, 0, 0);
	m = msg(x, SOCK_SEQPACKET, "/run/q.sock", true, UC_MSG_SHUTDOWN, 0);
	assert_int_equal(run(x, &m, "META"), 0);
	assert_int_equal(uc_conversations_live(x->c), 1);
	m = msg(x, SOCK_SEQPACKET, "/run/q.sock", false, UC_MSG_CLOSE, 0);
	assert_int_equal(run(x, &m, "META"), 0);
	assert_int_equal(uc_conversations_live(x->c), 0);
}

/* A retired connection is forgotten: the same sockets again are a new flow, with a new port and
 * a handshake of its own. */
static void test_retired_flow_starts_over(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 1), 4);
	assert_int_equal(send_msg(x, true, UC_MSG_CLOSE, 0), 1);
	assert_int_equal(send_msg(x, false, UC_MSG_CLOSE, 0), 1);
	assert_int_equal(uc_conversations_live(x->c), 0);
	assert_int_equal(send_msg(x, true, UC_MSG_DATA, 1), 4);
	assert_int_equal(x->l.p[0].src.port, UC_CLIENT_PORT_FIRST + 1);
	assert_int_equal(x->l.p[0].seq, ISN_C2S);
	note_is(x, 0, ALREADY_OPEN);
}

/* Bytes a protocol-aware sink could not frame: after the handshake, segments of their own
 * offsets, the note the sink gave on the first. */
static void test_stream_bytes(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_EOF, 0);
	bool created;
	int dir;

	m.event = UC_MSG_DATA; /* the flow, made by data */
	x->f = uc_conversations_find(x->c, &m, &dir, &created);
	uc_packets_begin(&x->l, &m, "META");
	uc_packets_note(&x->l, "raw");
	assert_int_equal(uc_packets_stream(&x->l, x->f, UC_C2S, UC_TCP_MAX_PAYLOAD + 1), 0);
	assert_int_equal(x->l.n, 5);
	note_is(x, 0, ALREADY_OPEN);
	tcp_is(x, 3, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1, ISN_S2C + 1, UC_TCP_MAX_PAYLOAD);
	tcp_is(x, 4, true, UC_TCP_PSH | UC_TCP_ACK, ISN_C2S + 1 + UC_TCP_MAX_PAYLOAD, ISN_S2C + 1,
	       1);
	assert_int_equal(x->l.p[4].data_off, UC_TCP_MAX_PAYLOAD);
	assert_int_equal(x->l.p[4].kept, 1);
	note_is(x, 3, "raw");
	note_is(x, 4, "");
	uc_packets_clear(&x->l);
	assert_int_equal(x->l.n, 0);
	assert_false(uc_packets_block(&x->l)); /* packets were described for this message */
}

/* A D-Bus connection's bytes are the sink's to frame: no handshake at its connect, no segments
 * for its data, and a FIN only once bytes it could not frame went out as TCP. */
static void test_dbus_left_to_sink(void **state)
{
	struct fixture *x = *state;
	const char *bus = "/run/dbus/system_bus_socket";
	struct uc_message connect = msg(x, SOCK_STREAM, bus, true, UC_MSG_CONNECT, 0);
	struct uc_message m = msg(x, SOCK_STREAM, bus, true, UC_MSG_DATA, 16);

	assert_int_equal(run(x, &connect, "CONNECT"), 0);
	assert_int_equal(x->f->proto, UC_PROTO_DBUS);
	assert_int_equal(run(x, &m, "META"), 0);
	m = msg(x, SOCK_STREAM, bus, true, UC_MSG_SHUTDOWN, 0);
	assert_int_equal(run(x, &m, "META"), 0);
	assert_true(uc_packets_block(&x->l));
	m = msg(x, SOCK_STREAM, bus, false, UC_MSG_DATA, 3);
	run(x, &m, "META");
	assert_int_equal(uc_packets_stream(&x->l, x->f, UC_S2C, 3), 0);
	assert_int_equal(x->l.n, 4);
	assert_string_equal(x->l.p[0].meta, "CONNECT");
	assert_int_equal(x->l.p[0].ts_ns, connect.ts_ns);
	assert_int_equal(x->l.p[3].seq, ISN_S2C + 1);
	m = msg(x, SOCK_STREAM, bus, false, UC_MSG_CLOSE, 0);
	assert_int_equal(run(x, &m, "META"), 1);
	assert_int_equal(x->l.p[0].flags, UC_TCP_FIN | UC_TCP_ACK);
	assert_int_equal(x->l.p[0].seq, ISN_S2C + 4);
	assert_int_equal(uc_conversations_live(x->c), 0);
}

static void test_ending_direction(void **state)
{
	struct uc_message m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.event = UC_MSG_EOF;
	assert_int_equal(uc_packets_ending(&m, UC_S2C), UC_C2S);
	m.event = UC_MSG_SHUTDOWN;
	assert_int_equal(uc_packets_ending(&m, UC_S2C), UC_S2C);
	m.event = UC_MSG_CLOSE;
	assert_int_equal(uc_packets_ending(&m, UC_C2S), UC_C2S);
	m.event = UC_MSG_READ;
	assert_int_equal(uc_packets_ending(&m, UC_C2S), -1);
}

/* Notes join with "; " and stop at UC_NOTE_LEN; the next packet takes them. */
static void test_notes_bounded(void **state)
{
	struct fixture *x = *state;
	struct uc_message m = msg(x, SOCK_STREAM, "/run/t.sock", true, UC_MSG_DATA, 1);
	char lng[400];

	memset(lng, 'n', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	uc_packets_begin(&x->l, &m, "META");
	uc_packets_note(&x->l, "one");
	uc_packets_note(&x->l, "%s", lng);
	assert_int_equal(strlen(x->l.pending), UC_NOTE_LEN - 1);
	assert_memory_equal(x->l.pending, "one; nnn", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_handshake_on_first_data),
		T(test_handshake_at_connect_when_port_known),
		T(test_already_open),
		T(test_seq_advances_by_payload),
		T(test_read_acks),
		T(test_peek_acknowledges_nothing_new),
		T(test_fin_both_directions),
		T(test_eof_finishes_peer_direction),
		T(test_close_after_losses),
		T(test_loss_gap),
		T(test_unseen_bytes),
		T(test_snaplen_keeps_prefix),
		T(test_split_at_max_payload),
		T(test_datagrams),
		T(test_seqpacket_retired_both_ways),
		T(test_retired_flow_starts_over),
		T(test_stream_bytes),
		T(test_dbus_left_to_sink),
		T(test_ending_direction),
		T(test_notes_bounded),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
