/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the table of described sockets: UC_REC_IO records expanded into full ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "capture/socket_table.h"

static struct uc_rec_socket described(uint64_t own, uint64_t peer, const char *path)
{
	struct uc_rec_socket r = { .head.kind = UC_REC_SOCKET, .own_ino = own, .peer_ino = peer };

	r.sock_type = SOCK_STREAM;
	r.peer_pid = 42;
	r.peer_uid = 1000;
	r.peer_gid = 100;
	r.path_match = UC_PATH_MATCHED;
	r.peer_path_len = (uint8_t)strlen(path);
	memcpy(r.peer_path, path, r.peer_path_len);
	return r;
}

static struct uc_rec_io io_of(uint64_t own)
{
	struct uc_rec_io io = { .head = { .kind = UC_REC_IO, .cpu = 1, .msg_id = 77 } };

	io.own_ino = own;
	io.peer_ino = own + 1;
	io.ktime_ns = 123456789;
	io.lost_before_bytes = 10;
	io.lost_before_msgs = 2;
	io.cgroup_id = 9;
	io.pid = 300;
	io.tid = 301;
	io.uid = 0;
	io.len = 512;
	io.caplen = 500;
	io.event = UC_EV_DATA;
	io.sock_type = SOCK_STREAM;
	io.syscall = 1;
	io.peek = 1;
	io.order_unknown = 1;
	memcpy(io.comm, "writer", 7);
	return io;
}

/* Every field of the full record comes from the io record or from its socket's description. */
static void test_expand_adds_the_description(void **state)
{
	struct uc_socket_table *t = uc_socket_table_new(0);
	struct uc_rec_socket s = described(500, 501, "/run/x.sock");
	struct uc_rec_io io = io_of(500);
	struct uc_rec_message m;

	(void)state;
	assert_non_null(t);
	assert_int_equal(uc_socket_table_put(t, &s), 0);
	assert_true(uc_socket_table_expand(t, &io, &m));
	assert_int_equal(m.head.kind, UC_REC_MESSAGE);
	assert_int_equal(m.head.cpu, 1);
	assert_int_equal(m.head.msg_id, 77);
	assert_int_equal(m.ktime_ns, 123456789);
	assert_int_equal(m.own_ino, 500);
	assert_int_equal(m.peer_ino, 501);
	assert_int_equal(m.lost_before_bytes, 10);
	assert_int_equal(m.lost_before_msgs, 2);
	assert_int_equal(m.cgroup_id, 9);
	assert_int_equal(m.pid, 300);
	assert_int_equal(m.tid, 301);
	assert_int_equal(m.len, 512);
	assert_int_equal(m.caplen, 500);
	assert_int_equal(m.event, UC_EV_DATA);
	assert_int_equal(m.sock_type, SOCK_STREAM);
	assert_int_equal(m.syscall, 1);
	assert_int_equal(m.peek, 1);
	assert_int_equal(m.order_unknown, 1);
	assert_string_equal(m.comm, "writer");
	assert_int_equal(m.peer_pid, 42);
	assert_int_equal(m.peer_uid, 1000);
	assert_int_equal(m.peer_gid, 100);
	assert_int_equal(m.path_match, UC_PATH_MATCHED);
	assert_int_equal(m.own_path_len, 0);
	assert_int_equal(m.peer_path_len, 11);
	assert_memory_equal(m.peer_path, "/run/x.sock", 11);
	uc_socket_table_free(t);
}

/* A newer description replaces the older (a datagram socket connected elsewhere); a closed
 * socket is forgotten, and a record naming an unknown socket keeps its own fields only. */
static void test_replace_forget_and_unknown(void **state)
{
	struct uc_socket_table *t = uc_socket_table_new(0);
	struct uc_rec_socket a = described(7, 8, "@first"), b = described(7, 9, "@second");
	struct uc_rec_io io = io_of(7);
	struct uc_rec_message m;

	(void)state;
	assert_int_equal(uc_socket_table_put(t, &a), 0);
	assert_int_equal(uc_socket_table_put(t, &b), 0);
	assert_int_equal(uc_socket_table_count(t), 1);
	assert_true(uc_socket_table_expand(t, &io, &m));
	assert_memory_equal(m.peer_path, "@second", 7);
	uc_socket_table_forget(t, 7);
	assert_int_equal(uc_socket_table_count(t), 0);
	assert_null(uc_socket_table_get(t, 7));
	assert_false(uc_socket_table_expand(t, &io, &m));
	assert_int_equal(m.own_ino, 7);
	assert_int_equal(m.len, 512);
	assert_int_equal(m.peer_path_len, 0);
	assert_int_equal(m.peer_pid, 0);
	assert_int_equal(m.path_match, UC_PATH_MATCHED); /* the hooks sent it: it passed --path */
	uc_socket_table_forget(t, 12345);                /* unknown: nothing happens */
	uc_socket_table_free(t);
}

/* Past its size the table starts over, and says so, so that the hooks describe all again. */
static void test_full_table_starts_over(void **state)
{
	struct uc_socket_table *t = uc_socket_table_new(3);
	struct uc_rec_socket s;

	(void)state;
	for (uint64_t i = 1; i <= 3; i++) {
		s = described(i, 0, "");
		assert_int_equal(uc_socket_table_put(t, &s), 0);
	}
	s = described(2, 0, "@again"); /* an update is no new entry */
	assert_int_equal(uc_socket_table_put(t, &s), 0);
	s = described(4, 0, "");
	assert_int_equal(uc_socket_table_put(t, &s), 1);
	assert_int_equal(uc_socket_table_count(t), 1);
	assert_non_null(uc_socket_table_get(t, 4));
	assert_null(uc_socket_table_get(t, 1));
	uc_socket_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_adds_the_description),
		cmocka_unit_test(test_replace_forget_and_unknown),
		cmocka_unit_test(test_full_table_starts_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
