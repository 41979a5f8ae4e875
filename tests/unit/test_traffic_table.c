/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the traffic table: each way, reads by the reader, rates, order, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conversations/traffic_table.h"

#define APP "/run/app.sock"
#define CLIENT 100
#define SERVER 200

static struct uc_message msg(enum uc_message_event ev, uint32_t pid, const char *comm,
			     const char *own, const char *peer, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.event = ev;
	m.pid = m.tid = pid;
	m.sock_type = SOCK_STREAM;
	snprintf(m.comm, sizeof(m.comm), "%s", comm);
	snprintf(m.own_path, sizeof(m.own_path), "%s", own);
	snprintf(m.peer_path, sizeof(m.peer_path), "%s", peer);
	m.len = len; /* caplen = stored = 0, data NULL: as a metadata-only capture delivers it */
	return m;
}

static void add(struct uc_traffic_table *t, enum uc_message_event ev, uint32_t pid,
		const char *comm, const char *own, const char *peer, uint32_t len)
{
	struct uc_message m = msg(ev, pid, comm, own, peer, len);

	uc_traffic_add(t, &m);
}

/* The row of kind with this name (and pid, for processes); fails the test when missing. */
static const struct uc_traffic_row *row(struct uc_traffic_table *t, enum uc_traffic_kind kind,
					uint32_t pid, const char *name)
{
	const struct uc_traffic_row *rows[64];
	size_t n = uc_traffic_sorted(t, kind, rows, 64);

	for (size_t i = 0; i < n; i++)
		if (rows[i]->pid == pid && strcmp(rows[i]->name, name) == 0)
			return rows[i];
	fail_msg("no row %u %s", pid, name);
	return NULL;
}

static void assert_counts(const struct uc_traffic_row *r, uint64_t sm, uint64_t sb, uint64_t rm,
			  uint64_t rb)
{
	assert_int_equal(r->sent_msgs, sm);
	assert_int_equal(r->sent_bytes, sb);
	assert_int_equal(r->recv_msgs, rm);
	assert_int_equal(r->recv_bytes, rb);
}

/* A client and a server on APP: two requests, one reply, each read by the other side. */
static void test_each_way(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);
	struct uc_traffic_totals tot;

	(void)state;
	add(t, UC_MSG_DATA, CLIENT, "curl", "", APP, 100);
	add(t, UC_MSG_DATA, CLIENT, "curl", "", APP, 50);
	add(t, UC_MSG_READ, SERVER, "server", APP, "", 150);
	add(t, UC_MSG_DATA, SERVER, "server", APP, "", 3000);
	add(t, UC_MSG_READ, CLIENT, "curl", "", APP, 1000);
	add(t, UC_MSG_READ, CLIENT, "curl", "", APP, 2000);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, CLIENT, "curl"), 2, 150, 2, 3000);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, SERVER, "server"), 1, 3000, 1, 150);
	/* a path sends what its socket wrote and receives what was written to it */
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, APP), 1, 3000, 2, 150);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PATH), 1);
	uc_traffic_get_totals(t, &tot);
	assert_int_equal(tot.messages, 3);
	assert_int_equal(tot.bytes, 3150);
	assert_int_equal(tot.reads, 3);
	assert_int_equal(tot.read_bytes, 3150);
	uc_traffic_free(t);
}

/* The reader is whoever read, not the peer the sender named; peeks leave the bytes queued. */
static void test_reads_by_reader(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);
	struct uc_message peek = msg(UC_MSG_READ, 7, "reader", APP, "", 500);

	(void)state;
	add(t, UC_MSG_DATA, CLIENT, "writer", "", APP, 500);
	peek.peek = true;
	uc_traffic_add(t, &peek);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PROCESS), 1); /* a peek makes no row */
	add(t, UC_MSG_READ, 7, "reader", APP, "", 300);
	add(t, UC_MSG_READ, 8, "reader", APP, "", 200);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, CLIENT, "writer"), 1, 500, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 7, "reader"), 0, 0, 1, 300);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 8, "reader"), 0, 0, 1, 200);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, APP), 0, 0, 1, 500); /* reads add nothing here */
	uc_traffic_free(t);
}

/* Socketpairs go under "unnamed"; a socket sending to its own path counts once each way;
 * both named ends each get their side. */
static void test_unnamed_and_named_ends(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);

	(void)state;
	add(t, UC_MSG_DATA, 1, "a", "", "", 10);
	add(t, UC_MSG_DATA, 1, "a", "/x", "/x", 20);
	add(t, UC_MSG_DATA, 1, "a", "/tmp/c.client", "@srv", 40);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "unnamed"), 1, 10, 1, 10);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "/x"), 1, 20, 1, 20);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "/tmp/c.client"), 1, 40, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "@srv"), 0, 0, 1, 40);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 1, "a"), 3, 70, 0, 0);
	uc_traffic_free(t);
}

/* Unseen bytes are counted apart; losses go to the socket pair's rows; a loss reported with
 * no process or path (at the end of a capture) only to the totals. */
static void test_unseen_and_lost(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);
	struct uc_message m = msg(UC_MSG_DATA, CLIENT, "c", "", APP, 10);
	struct uc_traffic_totals tot;
	const struct uc_traffic_row *r;

	(void)state;
	add(t, UC_MSG_UNSEEN, CLIENT, "c", "", APP, 4096);
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 300;
	uc_traffic_add(t, &m);
	m = msg(UC_MSG_LOST, 0, "", "", "", 0);
	m.lost_before_msgs = 5;
	uc_traffic_add(t, &m);
	r = row(t, UC_TRAFFIC_PROCESS, CLIENT, "c");
	assert_counts(r, 1, 10, 0, 0);
	assert_int_equal(r->unseen_bytes, 4096);
	assert_int_equal(r->lost_msgs, 3);
	r = row(t, UC_TRAFFIC_PATH, 0, APP);
	assert_counts(r, 0, 0, 1, 10);
	assert_int_equal(r->unseen_bytes, 4096);
	assert_int_equal(r->lost_msgs, 3);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PROCESS), 1);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PATH), 1);
	uc_traffic_get_totals(t, &tot);
	assert_int_equal(tot.lost_msgs, 8);
	assert_int_equal(tot.unseen_bytes, 4096);
	uc_traffic_free(t);
}

/* Most bytes (sent + received) first; equal totals by name, then pid. */
static void test_sorting(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);
	const struct uc_traffic_row *rows[8];
	size_t n;

	(void)state;
	add(t, UC_MSG_DATA, 5, "small", "", "/b", 10);
	add(t, UC_MSG_DATA, 4, "big", "", "/a", 600);
	add(t, UC_MSG_READ, 3, "big", "", "/a", 600);
	add(t, UC_MSG_DATA, 2, "mid", "", "/c", 300);
	add(t, UC_MSG_READ, 9, "mid", "", "/c", 150);
	add(t, UC_MSG_READ, 1, "mid", "", "/c", 150);
	n = uc_traffic_sorted(t, UC_TRAFFIC_PROCESS, rows, 8);
	assert_int_equal(n, 6);
	assert_int_equal(rows[0]->pid, 3); /* big 600, big 600: pid 3 before pid 4 */
	assert_int_equal(rows[1]->pid, 4);
	assert_int_equal(rows[2]->pid, 2); /* mid 300 */
	assert_int_equal(rows[3]->pid, 1); /* mid 150, mid 150: pid 1 before pid 9 */
	assert_int_equal(rows[4]->pid, 9);
	assert_string_equal(rows[5]->name, "small");
	n = uc_traffic_sorted(t, UC_TRAFFIC_PATH, rows, 2); /* only the first two asked for */
	assert_int_equal(n, 2);
	assert_string_equal(rows[0]->name, "/a");
	assert_string_equal(rows[1]->name, "/c");
	add(t, UC_MSG_DATA, 6, "late", "", "/b", 290); /* /b and /c: 300 each, then by name */
	n = uc_traffic_sorted(t, UC_TRAFFIC_PATH, rows, 8);
	assert_int_equal(n, 3);
	assert_string_equal(rows[1]->name, "/b");
	assert_string_equal(rows[2]->name, "/c");
	uc_traffic_free(t);
}

/* Full: the row counted longest ago makes room; it comes back from zero. */
static void test_eviction(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(3);
	struct uc_traffic_totals tot;

	(void)state;
	add(t, UC_MSG_DATA, 1, "one", "", "/1", 1000);
	add(t, UC_MSG_DATA, 2, "two", "", "/2", 2000);
	add(t, UC_MSG_DATA, 3, "three", "", "/3", 3000);
	add(t, UC_MSG_DATA, 1, "one", "", "/1", 1); /* one and /1 are the newest now */
	add(t, UC_MSG_DATA, 4, "four", "", "/4", 4);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PROCESS), 3);
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PATH), 3);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 1, "one"), 2, 1001, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 3, "three"), 1, 3000, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 4, "four"), 1, 4, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "/1"), 0, 0, 2, 1001);
	uc_traffic_get_totals(t, &tot);
	assert_int_equal(tot.evicted[UC_TRAFFIC_PROCESS], 1);
	assert_int_equal(tot.evicted[UC_TRAFFIC_PATH], 1);
	add(t, UC_MSG_DATA, 2, "two", "", "/2", 5); /* three is now the idlest */
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 2, "two"), 1, 5, 0, 0);
	assert_counts(row(t, UC_TRAFFIC_PROCESS, 4, "four"), 1, 4, 0, 0);
	for (int i = 0; i < 1000; i++) { /* many names through a small table: chains stay sound */
		char path[32];

		snprintf(path, sizeof(path), "/many/%d", i);
		add(t, UC_MSG_DATA, (uint32_t)(1000 + i), "many", "", path, 1);
		add(t, UC_MSG_DATA, 2, "two", "", "/2", 1);
	}
	assert_int_equal(uc_traffic_rows(t, UC_TRAFFIC_PATH), 3);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "/2"), 0, 0, 1001, 1005);
	assert_counts(row(t, UC_TRAFFIC_PATH, 0, "/many/999"), 0, 0, 1, 1);
	uc_traffic_free(t);
}

/* The rate is what moved since the previous interval ended, per second. */
static void test_rates(void **state)
{
	struct uc_traffic_table *t = uc_traffic_new(0);

	(void)state;
	add(t, UC_MSG_DATA, 1, "w", "", APP, 1000);
	add(t, UC_MSG_READ, 2, "r", APP, "", 1000);
	uc_traffic_interval(t, 1000000000ull);
	assert_int_equal(row(t, UC_TRAFFIC_PROCESS, 1, "w")->rate, 1000);
	assert_int_equal(row(t, UC_TRAFFIC_PROCESS, 2, "r")->rate, 1000);
	assert_int_equal(row(t, UC_TRAFFIC_PATH, 0, APP)->rate, 1000);
	add(t, UC_MSG_DATA, 1, "w", "", APP, 100);
	uc_traffic_interval(t, 500000000ull);
	assert_int_equal(row(t, UC_TRAFFIC_PROCESS, 1, "w")->rate, 200);
	assert_int_equal(row(t, UC_TRAFFIC_PROCESS, 2, "r")->rate, 0);
	uc_traffic_interval(t, 0); /* no time passed: no rate rather than a division by zero */
	assert_int_equal(row(t, UC_TRAFFIC_PROCESS, 1, "w")->rate, 0);
	uc_traffic_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_way),
		cmocka_unit_test(test_reads_by_reader),
		cmocka_unit_test(test_unnamed_and_named_ends),
		cmocka_unit_test(test_unseen_and_lost),
		cmocka_unit_test(test_sorting),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
