/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for conversations: flows, client/server sides, unique synthetic 4-tuples, retirement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conversations/conversation.h"

#define STREAM 1
#define DGRAM 2
#define SEQPACKET 5

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

static void assert_client_end(const struct synth_endpoint *e)
{
	assert_int_equal(e->ip & 0xffff0000u, UC_CLIENT_NET);
	assert_true(e->port >= UC_CLIENT_PORT_FIRST);
}

static void test_stream_flow_and_reply(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message hello = msg(STREAM, 100, "", 101, "/run/app.sock");
	struct uc_message reply = msg(STREAM, 101, "/run/app.sock", 100, "");
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
	struct uc_message greeting = msg(STREAM, 201, "/run/smtp.sock", 200, "");
	struct uc_message answer = msg(STREAM, 200, "", 201, "/run/smtp.sock");
	struct uc_flow *f = find(c, &greeting, UC_S2C, true);

	assert_int_equal(f->ino[UC_S2C], 201);
	assert_int_equal(f->ino[UC_C2S], 200);
	assert_string_equal(f->path[UC_S2C], "/run/smtp.sock");
	assert_ptr_equal(find(c, &answer, UC_C2S, false), f);
}

static void test_unnamed_pair_first_sender_is_client(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(STREAM, 300, "", 301, "");
	struct uc_message b = msg(STREAM, 301, "", 300, "");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_int_equal(f->ino[UC_C2S], 300);
	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
}

static void test_both_named_first_sender_is_client(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(STREAM, 310, "/tmp/client", 311, "/tmp/server");
	struct uc_message b = msg(STREAM, 311, "/tmp/server", 310, "/tmp/client");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_string_equal(f->path[UC_S2C], "/tmp/server");
	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
}

static void test_two_connections_same_server(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message one = msg(STREAM, 400, "", 401, "/run/db.sock");
	struct uc_message two = msg(STREAM, 402, "", 403, "/run/db.sock");
	struct uc_message other = msg(STREAM, 404, "", 405, "/run/other.sock");
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
	struct uc_message first = msg(STREAM, 500, "", 0, "/run/x.sock"); /* peer inode unknown */
	struct uc_message other_way = msg(STREAM, 501, "/run/x.sock", 500, "");
	struct uc_flow *f = find(c, &first, UC_C2S, true);

	assert_ptr_equal(find(c, &other_way, UC_S2C, false), f);
	assert_int_equal(f->ino[UC_S2C], 501);
	assert_ptr_equal(find(c, &other_way, UC_S2C, false), f); /* now by its own key */
}

static void test_datagram_flows_by_address(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message q = msg(DGRAM, 600, "", 601, "/dev/log");
	struct uc_message again = msg(DGRAM, 600, "", 601, "/dev/log");
	struct uc_message other = msg(DGRAM, 602, "", 601, "/dev/log");
	struct uc_message reply = msg(DGRAM, 601, "/dev/log", 600, "");
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
	struct uc_message ab = msg(DGRAM, 700, "/tmp/a", 701, "/tmp/b");
	struct uc_message ba = msg(DGRAM, 701, "/tmp/b", 700, "/tmp/a");
	struct uc_message ab_new_socket = msg(DGRAM, 710, "/tmp/a", 701, "/tmp/b");
	struct uc_flow *f = find(c, &ab, UC_C2S, true);

	assert_ptr_equal(find(c, &ba, UC_S2C, false), f);
	assert_ptr_equal(find(c, &ab_new_socket, UC_C2S, false), f);
}

static void test_socketpair_datagrams_by_inode(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message a = msg(DGRAM, 800, "", 801, "");
	struct uc_message b = msg(DGRAM, 801, "", 800, "");
	struct uc_message seq = msg(SEQPACKET, 900, "", 901, "");
	struct uc_flow *f = find(c, &a, UC_C2S, true);

	assert_ptr_equal(find(c, &b, UC_S2C, false), f);
	assert_false(find(c, &seq, UC_C2S, true)->tcp); /* seqpacket messages are UDP */
}

static void test_events_of_unknown_connections(void **state)
{
	struct uc_conversations *c = *state;
	static const enum uc_message_event events[] = { UC_MSG_CLOSE, UC_MSG_SHUTDOWN, UC_MSG_EOF };
	static const uint16_t types[] = { STREAM, DGRAM, SEQPACKET };
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
	static const uint16_t types[] = { STREAM, DGRAM, SEQPACKET };
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

static void test_close_finds_known_connection(void **state)
{
	struct uc_conversations *c = *state;
	struct uc_message data = msg(STREAM, 1100, "", 1101, "/s");
	struct uc_message close_server = msg(STREAM, 1101, "/s", 0, "");
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
	struct uc_message m = msg(STREAM, 1200, "", 1201, "/run/r.sock");
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
	struct uc_message a = msg(STREAM, 1300, "", 1301, "/e");
	struct uc_message b = msg(DGRAM, 1302, "", 1303, "/e");
	struct uc_message d = msg(STREAM, 1304, "", 1305, "/e");
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
		struct uc_message m = msg(i % 3 == 2 ? DGRAM : STREAM, 2 * i + 10, "", 2 * i + 11,
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
		struct uc_message m = msg(STREAM, 2 * i + 10, "", 2 * i + 11, "/p");

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_flow_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_socket_speaking_first_is_server, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_pair_first_sender_is_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_named_first_sender_is_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_connections_same_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_learned_from_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datagram_flows_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datagram_bound_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socketpair_datagrams_by_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_of_unknown_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_of_unknown_flow_creates_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_finds_known_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_tuple_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_visits_live_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_flows_created_and_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_ports_roll_over_to_next_address, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
