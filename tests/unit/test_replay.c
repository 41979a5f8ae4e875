/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for -r's replay: messages written by the real pcapng sink come back as they went in. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "readback/replay.h"
#include "sinks/pcap_sink.h"

#define T0 1700000000000000000ull

static struct uc_message stream_msg(uint64_t ts, const char *data)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = ts;
	m.event = UC_MSG_DATA;
	m.pid = m.tid = 10;
	snprintf(m.comm, sizeof(m.comm), "client");
	m.sock_type = SOCK_STREAM;
	m.own_ino = 100;
	m.peer_ino = 101;
	snprintf(m.peer_path, sizeof(m.peer_path), "/run/t.sock");
	m.len = m.caplen = m.stored = (uint32_t)strlen(data);
	m.data = (const uint8_t *)data;
	return m;
}

/* A file holding these messages, as the pcapng sink writes them, open for reading. */
static FILE *written(const struct uc_message *msgs, size_t n)
{
	FILE *f = tmpfile();
	struct uc_pcap_sink *s;

	assert_non_null(f);
	s = uc_pcap_open(fileno(f), false, "test_replay");
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(uc_pcap_write(s, &msgs[i]), 0);
	assert_int_equal(uc_pcap_close(s, NULL, 0), 0);
	rewind(f);
	return f;
}

struct seen {
	char bytes[4][16];
	size_t n;
	volatile sig_atomic_t *stop; /* set after the first message */
};

static int remember(const struct uc_message *m, void *arg)
{
	struct seen *s = arg;

	if (m->event == UC_MSG_DATA && s->n < 4)
		snprintf(s->bytes[s->n++], sizeof(s->bytes[0]), "%.*s", (int)m->stored,
			 (const char *)m->data);
	if (s->stop)
		*s->stop = 1;
	return 0;
}

static int keep_last(const struct uc_message *m, void *arg)
{
	memcpy(arg, m, sizeof(*m));
	((struct uc_message *)arg)->data = NULL; /* valid only during the call */
	return 0;
}

/* Two sends alike to the nanosecond (same metadata) are two messages, not one of twice the bytes
 * (which -r would then refuse as more than the message stored). */
static void test_messages_alike_stay_apart(void **state)
{
	struct uc_message m[2] = { stream_msg(T0, "abc"), stream_msg(T0, "xyz") };
	FILE *f = written(m, 2);
	struct seen seen = { .n = 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(uc_replay(f, NULL, remember, &seen, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.bytes[0], "abc");
	assert_string_equal(seen.bytes[1], "xyz");
	fclose(f);
}

/* A stop request (a signal handler's flag) ends the replay at the next block: exit 0, and the
 * message being gathered is not delivered. */
static void test_stop_flag_ends_replay(void **state)
{
	struct uc_message m[3] = { stream_msg(T0, "one"), stream_msg(T0 + 1, "two"),
				   stream_msg(T0 + 2, "three") };
	FILE *f = written(m, 3);
	volatile sig_atomic_t stop = 0;
	struct seen seen = { .stop = &stop };
	struct uc_replay_stats st;
	char err[256] = "";

	(void)state;
	assert_int_equal(uc_replay_until(f, &stop, NULL, remember, &seen, &st, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.bytes[0], "one");
	fclose(f);
}

/* The longest metadata a message can have (every name, the cgroup and eight passed descriptors
 * at their longest, all escaped three times over) is still written whole: -r reads the file. */
static void test_longest_metadata_read_back(void **state)
{
	struct uc_message m = stream_msg(T0, "x"), back;
	FILE *f;
	char err[256] = "";

	(void)state;
	memset(m.comm, ' ', 16);
	memset(m.own_path, ' ', sizeof(m.own_path) - 1);
	memset(m.peer_path, '%', sizeof(m.peer_path) - 1);
	memset(m.cgroup, 0xff, sizeof(m.cgroup) - 1);
	m.cgroup_id = 1;
	m.nfds = m.nfds_described = UC_MAX_PASSED_FDS;
	for (int i = 0; i < UC_MAX_PASSED_FDS; i++) {
		m.fds[i] = (struct uc_passed_fd){ .fd = -2147483647 - 1,
						  .ino = UINT64_MAX,
						  .kind = "chardev" };
		memset(m.fds[i].what, ' ', sizeof(m.fds[i].what) - 1);
	}
	m.has_creds = true;
	m.cred_pid = m.cred_uid = m.cred_gid = UINT32_MAX;
	m.lost_before_msgs = UINT32_MAX;
	m.lost_before_bytes = UINT64_MAX;
	f = written(&m, 1);
	uc_replay(f, NULL, keep_last, &back, NULL, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(back.nfds_described, UC_MAX_PASSED_FDS);
	assert_string_equal(back.fds[7].what, m.fds[7].what);
	assert_string_equal(back.peer_path, m.peer_path);
	assert_int_equal(back.lost_before_bytes, UINT64_MAX);
	fclose(f);
}

/* A file that is not unixcap's fails as the header's convention says: -1, a reason in err and
 * errno EBADMSG; an empty one likewise. */
static void test_foreign_file_sets_errno(void **state)
{
	static const char text[] = "not a pcapng file, just some text that is long enough";
	FILE *f = tmpfile();
	char err[UC_ERROR_LEN] = "";

	(void)state;
	assert_non_null(f);
	fwrite(text, 1, sizeof(text), f);
	rewind(f);
	errno = 0;
	assert_int_equal(uc_replay(f, NULL, remember, NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, EBADMSG);
	assert_true(err[0] != '\0' && !strchr(err, '\n'));
	fclose(f);
	f = tmpfile();
	errno = 0;
	assert_int_equal(uc_replay(f, NULL, remember, NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, EBADMSG);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_alike_stay_apart),
		cmocka_unit_test(test_stop_flag_ends_replay),
		cmocka_unit_test(test_longest_metadata_read_back),
		cmocka_unit_test(test_foreign_file_sets_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
