/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for conversations: flows, client/server sides, unique synthetic 4-tuples, retirement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conversations/conversation.h"

static struct uc_message msg(uint16_t type, uint64_t own_ino, const char *own_path,
			     uint64_t peer_ino, const char *peer_path)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.event = UC_MSG_DATA;
	m.sock_type = type;
	m.own_ino = own_ino;
	m.peer_ino = peer_ino;
	snprintf(m.own_path, sizeof(m.own_path), "%s", own_path);
	snprintf(m.peer_path, sizeof(m.peer_path), "%s", peer_path);
	m.len = m.caplen = m.stored = 1;
	m.data = (const uint8_t *)"x";
	return m;
}

/* Finds the flow of m and checks the direction and whether it was made just now. */
static struct uc_flow *find(struct uc_conversations *c, const struct uc_message *m, int want_dir,
			    bool want_created)
{
	int dir = -1;
	bool created = !want_created;
	struct uc_flow *f = uc_conversations_find(c, m, &dir, &created);

	assert_non_null(f);
	assert_int_equal(dir, want_dir);
	assert_int_equal(created, want_created);
	return f;
}

static int setup(void **state)
{
	*state = uc_conversations_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	uc_conversations_free(*state);
	return 0;
}

static void assert_client_end(const struct uc_endpoint *e)
{
	assert_int_equal(e->ip & 0xffff0000u, UC_CLIENT_NET);
	assert_true(e->port >= UC_CLIENT_PORT_FIRST);
}

static void test_stream_flow_and_reply(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message hello = msg(SOCK_STREAM, 100, "", 101, "/run/app.sock");
	struct uc_message reply = msg(SOCK_STREAM, 101, "/run/app.sock", 100, "");
	struct uc_flow *f = find(c, &hello, UC_C2S, true);

	assert_true(f->tcp);
	assert_int_equal(f->index, 1);
	assert_client_end(&f->ends[UC_C2S]);
	assert_int_equal(f->ends[UC_S2C].ip & 0xffff0000u, UC_SERVER_NET);
	assert_int_equal(f->ends[UC_S2C].port, UC_SERVER_PORT_DEFAULT);
	assert_string_equal(f->path[UC_S2C], "/run/app.sock");
	assert_string_equal(f->path[UC_C2S], "");
	assert_ptr_equal(find(c, &reply, UC_S2C, false), f);
	assert_ptr_equal(find(c, &hello, UC_C2S, false), f);
	assert_int_equal(uc_conversations_live(c), 1);
}

static void test_accepted_socket_speaking_first_is_server(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message greeting = msg(SOCK_STREAM, 201, "/run/smtp.sock", 200, "");
	struct uc_message answer = msg(SOCK_STREAM, 200, "", 201, "/run/smtp.sock");
	struct uc_flow *f = find(c, &greeting, UC_S2C, true);

	assert_int_equal(f->ino[UC_S2C], 201);
	assert_int_equal(f->ino[UC_C2S], 200);
	assert_string_equal(f->path[UC_S2C], "/run/smtp.sock");
	assert_ptr_equal(find(c, &answer, UC_C2S, false), f);
}

static void test_unnamed_pair_first_sender_is_client(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(SOCK_STREAM, 300, "", 301, "");
	struct uc_message b = msg(SOCK_STREAM, 301, "", 300, "");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_int_equal(f->ino[UC_C2S], 300);
	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
}

static void test_both_named_first_sender_is_client(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(SOCK_STREAM, 310, "/tmp/client", 311, "/tmp/server");
	struct uc_message b = msg(SOCK_STREAM, 311, "/tmp/server", 310, "/tmp/client");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_string_equal(f->path[UC_S2C], "/tmp/server");
	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
}

static void test_two_connections_same_server(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message one = msg(SOCK_STREAM, 400, "", 401, "/run/db.sock");
	struct uc_message two = msg(SOCK_STREAM, 402, "", 403, "/run/db.sock");
	struct uc_message other = msg(SOCK_STREAM, 404, "", 405, "/run/other.sock");
	struct uc_flow *f1 = find(c, &one, UC_C2S, true);
	struct uc_flow *f2 = find(c, &two, UC_C2S, true);
	struct uc_flow *f3 = find(c, &other, UC_C2S, true);

	assert_ptr_not_equal(f1, f2);
	assert_int_equal(f1->ends[UC_S2C].ip, f2->ends[UC_S2C].ip);
	assert_int_not_equal(f1->ends[UC_S2C].ip, f3->ends[UC_S2C].ip);
	assert_false(f1->ends[UC_C2S].ip == f2->ends[UC_C2S].ip &&
		     f1->ends[UC_C2S].port == f2->ends[UC_C2S].port);
	assert_int_equal(uc_conversations_live(c), 3);
}

static void test_peer_learned_from_reply(void **state)
{
	struct uc_conversations *c = *state;
	/* its peer's inode unknown */
	struct uc_message first = msg(SOCK_STREAM, 500, "", 0, "/run/x.sock");
	struct uc_message other_way = msg(SOCK_STREAM, 501, "/run/x.sock", 500, "");
	struct uc_flow *f = find(c, &first, UC_C2S, true);

	assert_ptr_equal(find(c, &other_way, UC_S2C, false), f);
	assert_int_equal(f->ino[UC_S2C], 501);
	assert_ptr_equal(find(c, &other_way, UC_S2C, false), f); /* now by its own key */
}

static void test_datagram_flows_by_address(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message q = msg(SOCK_DGRAM, 600, "", 601, "/dev/log");
	struct uc_message again = msg(SOCK_DGRAM, 600, "", 601, "/dev/log");
	struct uc_message other = msg(SOCK_DGRAM, 602, "", 601, "/dev/log");
	struct uc_message reply = msg(SOCK_DGRAM, 601, "/dev/log", 600, "");
	struct uc_flow *f = find(c, &q, UC_C2S, true);

	assert_false(f->tcp);
	assert_ptr_equal(find(c, &again, UC_C2S, false), f);
	assert_ptr_equal(find(c, &reply, UC_S2C, false), f);
	assert_ptr_not_equal(find(c, &other, UC_C2S, true), f);
}

static void test_datagram_bound_peers(void **state)
{
	struct uc_conversations *c = *state;
	/* Bound sockets are known by path: a new socket on the same path is the same end. */
	struct uc_message ab = msg(SOCK_DGRAM, 700, "/tmp/a", 701, "/tmp/b");
	struct uc_message ba = msg(SOCK_DGRAM, 701, "/tmp/b", 700, "/tmp/a");
	struct uc_message ab_new_socket = msg(SOCK_DGRAM, 710, "/tmp/a", 701, "/tmp/b");
	struct uc_flow *f = find(c, &ab, UC_C2S, true);

	assert_ptr_equal(find(c, &ba, UC_S2C, false), f);
	assert_ptr_equal(find(c, &ab_new_socket, UC_C2S, false), f);
}

static void test_socketpair_datagrams_by_inode(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(SOCK_DGRAM, 800, "", 801, "");
	struct uc_message b = msg(SOCK_DGRAM, 801, "", 800, "");
	struct uc_message seq = msg(SOCK_SEQPACKET, 900, "", 901, "");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
	assert_false(find(c, &seq, UC_C2S, true)->tcp); /* seqpacket messages are UDP */
}

static void test_events_of_unknown_connections(void **state)
{
	struct uc_conversations *c = *state;
	static const enum uc_message_event events[] = { UC_MSG_CLOSE, UC_MSG_SHUTDOWN, UC_MSG_EOF };
	static const uint16_t types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int dir = -7;
	bool created = true;

	for (size_t t = 0; t < 3; t++)
		for (size_t e = 0; e < 3; e++) {
			struct uc_message m = msg(types[t], 1000 + t, "", 2000 + t, "/x");

			m.event = events[e];
			assert_null(uc_conversations_find(c, &m, &dir, &created));
			assert_false(created);
		}
	assert_int_equal(dir, -7);
	assert_int_equal(uc_conversations_live(*state), 0);
}

/* A loss report is the only trace of a flow whose every message was lost: it must get one. */
static void test_loss_of_unknown_flow_creates_it(void **state)
{
	struct uc_conversations *c = *state;
	static const uint16_t types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int dir = -7;
	bool created = false;

	for (size_t t = 0; t < 3; t++) {
		struct uc_message m = msg(types[t], 3000 + t, "", 4000 + t, "");

		m.event = UC_MSG_LOST;
		assert_non_null(uc_conversations_find(c, &m, &dir, &created));
		assert_true(created);
		assert_int_equal(dir, UC_C2S);
	}
	assert_int_equal(uc_conversations_live(c), 3);
}

/* Losses still pending at the end are reported by socket pair, without a socket type: they
 * belong to the connection of that pair when there is one, else to a flow of their own. */
static void test_loss_of_unknown_type(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message data = msg(SOCK_STREAM, 3100, "", 3101, "");
	struct uc_message lost = msg(0, 3101, "", 3100, ""), alone = msg(0, 3200, "", 3201, "");
	struct uc_flow *f = find(c, &data, UC_C2S, true);

	lost.event = alone.event = UC_MSG_LOST;
	assert_ptr_equal(find(c, &lost, UC_S2C, false), f);
	assert_true(f->tcp);
	assert_false(find(c, &alone, UC_C2S, true)->tcp);
	assert_int_equal(uc_conversations_live(c), 2);
}

static void test_close_finds_known_connection(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message data = msg(SOCK_STREAM, 1100, "", 1101, "/s");
	struct uc_message close_server = msg(SOCK_STREAM, 1101, "/s", 0, "");
	struct uc_flow *f = find(c, &data, UC_C2S, true);

	close_server.event = UC_MSG_CLOSE;
	assert_ptr_equal(find(c, &close_server, UC_S2C, false), f);
}

static bool same_tuple(const struct uc_flow *a, const struct uc_flow *b)
{
	return a->ends[0].ip == b->ends[0].ip && a->ends[0].port == b->ends[0].port &&
	       a->ends[1].ip == b->ends[1].ip && a->ends[1].port == b->ends[1].port;
}

static void test_retired_tuple_never_reused(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message m = msg(SOCK_STREAM, 1200, "", 1201, "/run/r.sock");
	struct uc_flow *f = find(c, &m, UC_C2S, true), old = *f;
	struct uc_flow *g;

	uc_conversations_retire(c, f);
	assert_int_equal(uc_conversations_live(c), 0);
	g = find(c, &m, UC_C2S, true); /* same inodes, a new connection */
	assert_false(same_tuple(&old, g));
	assert_int_equal(g->index, old.index + 1);
	assert_int_equal(g->ends[UC_S2C].ip, old.ends[UC_S2C].ip); /* same server address */
}

static void count_flow(struct uc_flow *f, void *ctx)
{
	(void)f;
	++*(size_t *)ctx;
}

static void test_each_visits_live_flows(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(SOCK_STREAM, 1300, "", 1301, "/e");
	struct uc_message b = msg(SOCK_DGRAM, 1302, "", 1303, "/e");
	struct uc_message d = msg(SOCK_STREAM, 1304, "", 1305, "/e");
	struct uc_flow *fa = find(c, &a, UC_C2S, true);
	size_t n = 0;

	find(c, &b, UC_C2S, true);
	find(c, &d, UC_C2S, true);
	uc_conversations_retire(c, fa); /* the first: the list must be patched, not cut */
	uc_conversations_each(c, count_flow, &n);
	assert_int_equal(n, 2);
	assert_int_equal(find(c, &d, UC_C2S, false)->index, 3);
}

/* Creates and retires many flows: all unique, and nothing is left behind (ASan checks leaks). */
static void test_many_flows_created_and_retired(void **state)
{
	struct uc_conversations *c = *state;
	enum { N = 10000 };
	struct uc_flow **flows = calloc(N, sizeof(*flows));
	uint64_t *tuples = calloc(N, sizeof(*tuples));

	assert_non_null(flows);
	assert_non_null(tuples);
	for (uint32_t i = 0; i < N; i++) {
		uint16_t type = i % 3 == 2 ? SOCK_DGRAM : SOCK_STREAM;
		struct uc_message m = msg(type, 2 * i + 10, "", 2 * i + 11,
					  i % 2 ? "/run/odd.sock" : "");

		flows[i] = find(c, &m, UC_C2S, true);
		tuples[i] = (uint64_t)flows[i]->ends[UC_C2S].ip << 16 | flows[i]->ends[UC_C2S].port;
		if (i % 2) /* a path: its server address is shared, so the client end must differ */
			for (uint32_t j = (i > 50 ? i - 50 : 1); j < i; j += 2)
				assert_true(tuples[j] != tuples[i]);
	}
	assert_int_equal(uc_conversations_live(c), N);
	for (uint32_t i = 0; i < N; i++)
		uc_conversations_retire(c, flows[(i * 7919) % N]);
	assert_int_equal(uc_conversations_live(c), 0);
	free(flows);
	free(tuples);
}

static void test_client_ports_roll_over_to_next_address(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_flow *f = NULL;

	for (uint32_t i = 0; i <= UC_CLIENT_PORTS; i++) {
		struct uc_message m = msg(SOCK_STREAM, 2 * i + 10, "", 2 * i + 11, "/p");

		f = find(c, &m, UC_C2S, true);
		if (i == UC_CLIENT_PORTS - 1) {
			assert_int_equal(f->ends[UC_C2S].ip, UC_CLIENT_NET + 1);
			assert_int_equal(f->ends[UC_C2S].port, 65535);
		}
		if (i < UC_CLIENT_PORTS)
			uc_conversations_retire(c, f);
	}
	assert_int_equal(f->ends[UC_C2S].ip, UC_CLIENT_NET + 2);
	assert_int_equal(f->ends[UC_C2S].port, UC_CLIENT_PORT_FIRST);
}

static struct uc_message event(struct uc_message m, enum uc_message_event ev)
{
	m.event = ev;
	m.len = m.caplen = m.stored = 0;
	m.data = NULL;
	return m;
}

static void count_retired(struct uc_flow *f, void *ctx)
{
	(void)f;
	++*(size_t *)ctx;
}

/* A datagram socketpair: the first close ends the flow, the second finds nothing left. */
static void test_datagram_flow_closed_is_freed(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(SOCK_DGRAM, 5000, "", 5001, "");
	struct uc_message b = msg(SOCK_DGRAM, 5001, "", 5000, "");
	struct uc_message close_a = event(a, UC_MSG_CLOSE), close_b = event(b, UC_MSG_CLOSE);
	struct uc_flow *f = find(c, &a, UC_C2S, true);
	size_t retired = 0;
	int dir;
	bool created;

	uc_conversations_on_retire(c, count_retired, &retired);
	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
	uc_conversations_close_socket(c, find(c, &close_a, UC_C2S, false), &close_a);
	assert_int_equal(retired, 1);
	assert_int_equal(uc_conversations_live(c), 0);
	assert_null(uc_conversations_find(c, &close_b, &dir, &created));
	assert_int_equal(uc_conversations_table_size(c), 1); /* the process keeps its name */
}

/* An unconnected sender's close names no peer: its flows are found by its socket. A server's
 * close ends the flows of all its clients. */
static void test_datagram_socket_close_retires_all_its_flows(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message to_log = msg(SOCK_DGRAM, 5100, "", 0, "/dev/log");
	struct uc_message close_sender = event(msg(SOCK_DGRAM, 5100, "", 0, ""), UC_MSG_CLOSE);
	struct uc_message close_server = event(msg(SOCK_DGRAM, 5199, "/dev/log", 0, ""),
					       UC_MSG_CLOSE);
	size_t retired = 0;

	uc_conversations_on_retire(c, count_retired, &retired);
	find(c, &to_log, UC_C2S, true);
	uc_conversations_close_socket(c, find(c, &close_sender, UC_C2S, false), &close_sender);
	assert_int_equal(uc_conversations_live(c), 0);
	for (uint64_t i = 0; i < 10; i++) {
		struct uc_message m = msg(SOCK_DGRAM, 5200 + i, "", 0, "/dev/log");

		find(c, &m, UC_C2S, true);
	}
	uc_conversations_close_socket(c, find(c, &close_server, UC_S2C, false), &close_server);
	assert_int_equal(retired, 11);
	assert_int_equal(uc_conversations_live(c), 0);
}

/* A socket that sent unbound and bound later is still found by its inode when it closes. */
static void test_datagram_socket_bound_after_sending(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message early = msg(SOCK_DGRAM, 5300, "", 0, "/run/srv");
	struct uc_message close_bound = event(msg(SOCK_DGRAM, 5300, "/tmp/late", 0, ""),
					      UC_MSG_CLOSE);

	find(c, &early, UC_C2S, true);
	uc_conversations_close_socket(c, find(c, &close_bound, UC_C2S, false), &close_bound);
	assert_int_equal(uc_conversations_live(c), 0);
}

/* 10 000 connections by 10 000 processes to 1000 paths, datagram senders and socketpairs, each
 * finished as the sinks finish them: nothing is left but a bounded number of idle names. */
static void test_churn_leaves_table_small(void **state)
{
	struct uc_conversations *c = *state;
	char path[32];

	for (uint32_t i = 0; i < 10000; i++) {
		uint64_t ino = 100000 + 4 * (uint64_t)i;
		struct uc_message conn, reply, dgram, pair;

		snprintf(path, sizeof(path), "/run/churn%u.sock", i / 10);
		conn = msg(SOCK_STREAM, ino, "", ino + 1, path);
		conn.pid = 1000 + i;
		reply = msg(SOCK_STREAM, ino + 1, path, ino, "");
		dgram = msg(SOCK_DGRAM, ino + 2, "", 0, path);
		/* the sender's close ends this too */
		pair = msg(SOCK_DGRAM, ino + 3, "", ino + 2, "");
		find(c, &conn, UC_C2S, true);
		uc_conversations_retire(c, find(c, &reply, UC_S2C, false));
		find(c, &dgram, UC_C2S, true);
		find(c, &pair, UC_C2S, true);
		dgram = event(dgram, UC_MSG_CLOSE);
		uc_conversations_close_socket(c, find(c, &dgram, UC_C2S, false), &dgram);
	}
	assert_int_equal(uc_conversations_live(c), 0);
	assert_true(uc_conversations_table_size(c) <= 2 * UC_IDLE_ADDRESSES); /* processes, paths */
}

static uint32_t client_ip(struct uc_conversations *c, uint32_t pid, uint64_t ino)
{
	struct uc_message m = msg(SOCK_STREAM, ino, "", ino + 1, "/run/a.sock");
	struct uc_flow *f;
	uint32_t ip;

	m.pid = pid;
	f = find(c, &m, UC_C2S, true);
	ip = f->ends[UC_C2S].ip;
	uc_conversations_retire(c, f);
	return ip;
}

static void record_address(uint32_t ip, const char *name, void *ctx)
{
	(void)name;
	*(uint32_t *)ctx = ip;
}

/* An idle process keeps its address until many others went idle after it; then it gets a new
 * one, named again, and its old address goes to nobody else. */
static void test_idle_process_address_kept_then_renewed(void **state)
{
	struct uc_conversations *c = *state;
	uint32_t first = client_ip(c, 7, 10), named = 0, renewed;

	assert_int_equal(client_ip(c, 7, 20), first);
	for (uint32_t pid = 100; pid < 100 + UC_IDLE_ADDRESSES; pid++)
		assert_int_not_equal(client_ip(c, pid, 1000 + 2 * (uint64_t)pid), first);
	uc_conversations_on_address(c, record_address, &named);
	renewed = client_ip(c, 7, 30);
	assert_int_not_equal(renewed, first);
	assert_int_equal(named, renewed);
}

/* Many short-lived processes going idle do not cost a server path its address. */
static void test_server_path_outlives_idle_processes(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message to_b = msg(SOCK_STREAM, 10, "", 11, "/run/b.sock");
	struct uc_flow *f = find(c, &to_b, UC_C2S, true);
	uint32_t b_ip = f->ends[UC_S2C].ip;

	uc_conversations_retire(c, f);
	for (uint32_t pid = 100; pid < 100 + 2 * UC_IDLE_ADDRESSES; pid++)
		client_ip(c, pid, 1000 + 2 * (uint64_t)pid);
	to_b.own_ino = 20;
	to_b.peer_ino = 21;
	assert_int_equal(find(c, &to_b, UC_C2S, true)->ends[UC_S2C].ip, b_ip);
}

/* Flows whose ends are never seen are bounded: the least recently used goes first. */
static void test_flow_limit_retires_least_recently_used(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message first = msg(SOCK_STREAM, 10, "", 11, "");
	struct uc_message second = msg(SOCK_STREAM, 12, "", 13, "");
	struct uc_message over = msg(SOCK_STREAM, 8, "", 9, "");
	size_t retired = 0;

	uc_conversations_on_retire(c, count_retired, &retired);
	for (uint64_t i = 0; i < UC_MAX_FLOWS; i++) {
		struct uc_message m = msg(SOCK_STREAM, 10 + 2 * i, "", 11 + 2 * i, "");

		find(c, &m, UC_C2S, true);
	}
	find(c, &first, UC_C2S, false); /* used again: now the second is the oldest */
	find(c, &over, UC_C2S, true);
	assert_int_equal(uc_conversations_live(c), UC_MAX_FLOWS);
	assert_int_equal(retired, 1);
	find(c, &first, UC_C2S, false);
	find(c, &second, UC_C2S, true);
}

/* Inode 0 is unknown, never a key: events carrying it (an orphaned socket, a damaged file) find
 * their flow by the other end, and after the flow is retired nothing leads to it. */
static void test_unknown_inode_is_never_a_key(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message connect = msg(SOCK_STREAM, 5001, "", 0, "/run/app.sock");
	struct uc_message accept = msg(SOCK_STREAM, 0, "/run/app.sock", 5001, "");
	struct uc_message reply = msg(SOCK_STREAM, 5002, "/run/app.sock", 5001, "");
	struct uc_message orphan = msg(SOCK_STREAM, 0, "", 0, "");
	size_t empty = uc_conversations_table_size(c);
	struct uc_flow *f;
	int dir = -7;
	bool created;

	connect.event = UC_MSG_CONNECT;
	accept.event = UC_MSG_ACCEPT;
	f = find(c, &connect, UC_C2S, true);
	assert_ptr_equal(find(c, &accept, UC_S2C, false), f);
	assert_int_equal(f->ino[UC_S2C], 0);
	assert_ptr_equal(find(c, &reply, UC_S2C, false), f); /* the server's inode, learnt once */
	assert_int_equal(f->ino[UC_S2C], 5002);
	orphan.event = UC_MSG_CLOSE;
	assert_null(uc_conversations_find(c, &orphan, &dir, &created));
	uc_conversations_retire(c, f);
	assert_null(uc_conversations_find(c, &orphan, &dir, &created));
	accept.event = UC_MSG_CLOSE;
	assert_null(uc_conversations_find(c, &accept, &dir, &created));
	assert_int_equal(dir, -7);
	/* what is left are the idle addresses of the process and the path, no inode key */
	assert_int_equal(uc_conversations_table_size(c), empty + 2);
}

/* A damaged file may name a socket its own peer: the flow holds the same key twice, and retiring
 * it must erase each entry once (it freed one key string twice). */
static void test_socket_its_own_peer(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message self = msg(SOCK_STREAM, 6000, "", 6000, "/run/self.sock");
	size_t empty = uc_conversations_table_size(c);
	struct uc_flow *f = find(c, &self, UC_C2S, true);

	assert_ptr_equal(find(c, &self, UC_C2S, false), f);
	uc_conversations_retire(c, f);
	assert_int_equal(uc_conversations_live(c), 0);
	assert_int_equal(uc_conversations_table_size(c), empty + 2); /* the idle process and path */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_flow_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_socket_speaking_first_is_server,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_pair_first_sender_is_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_both_named_first_sender_is_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_connections_same_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_learned_from_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datagram_flows_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datagram_bound_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socketpair_datagrams_by_inode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_of_unknown_connections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loss_of_unknown_flow_creates_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loss_of_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_finds_known_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_tuple_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_visits_live_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_flows_created_and_retired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_client_ports_roll_over_to_next_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_datagram_flow_closed_is_freed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_datagram_socket_close_retires_all_its_flows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_datagram_socket_bound_after_sending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_churn_leaves_table_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_process_address_kept_then_renewed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_path_outlives_idle_processes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_inode_is_never_a_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_its_own_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_limit_retires_least_recently_used, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
