/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the per-packet key=value comment: exact format, %-escaping, optional keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sample_message.h"
#include "format/comment.h"

/* The writers' sample message, 100 bytes long, 64 kept by -s, 60 of them stored. */
static struct uc_message cut_sample(void)
{
	struct uc_message m = sample(NULL, 100);

	m.caplen = 64;
	m.stored = 60;
	return m;
}

static void test_exact_format(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];
	size_t n;

	(void)state;
	n = uc_comment_format(out, sizeof(out), &m);
	assert_string_equal(out, "unixcap ts=1700000000.123456789 pid=42 tid=43 comm=curl uid=1000 "
				 "peer_pid=0 type=stream event=data syscall=44 own= own_ino=5001 "
				 "peer=/run/docker.sock peer_ino=5002 len=100 caplen=64 stored=60");
	assert_int_equal(n, strlen(out));
}

static void test_nanoseconds_zero_padded(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];

	(void)state;
	m.ts_ns = 5000000007ull;
	m.event = UC_MSG_EOF;
	m.sock_type = SOCK_SEQPACKET;
	uc_comment_format(out, sizeof(out), &m);
	assert_non_null(strstr(out, " ts=5.000000007 "));
	assert_non_null(strstr(out, " type=seqpacket event=eof "));
}

/* Every word after "unixcap" is key=value with a non-empty key and no space inside. */
static void assert_words_are_pairs(const char *line, size_t want_words)
{
	char *copy = strdup(line), *save = NULL;
	size_t words = 0;

	assert_non_null(copy);
	assert_null(strstr(line, "  "));
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save), words++) {
		if (words == 0)
			assert_string_equal(w, "unixcap");
		else
			assert_true(strchr(w, '=') != NULL && w[0] != '=');
	}
	assert_int_equal(words, want_words);
	free(copy);
}

static void test_escaping(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];

	(void)state;
	snprintf(m.comm, sizeof(m.comm), "my app%%\t");
	snprintf(m.own_path, sizeof(m.own_path), "/tmp/caf\xc3\xa9 bar");
	snprintf(m.peer_path, sizeof(m.peer_path), "@x\\x00y z");
	uc_comment_format(out, sizeof(out), &m);
	assert_non_null(strstr(out, " comm=my%20app%25%09 "));
	assert_non_null(strstr(out, " own=/tmp/caf%C3%A9%20bar "));
	assert_non_null(strstr(out, " peer=@x\\x00y%20z "));
	assert_words_are_pairs(out, 17);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_lost_before_only_when_nonzero(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];

	(void)state;
	uc_comment_format(out, sizeof(out), &m);
	assert_null(strstr(out, "lost_before"));
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 12345;
	uc_comment_format(out, sizeof(out), &m);
	assert_non_null(strstr(out, " stored=60 lost_before_msgs=3 lost_before_bytes=12345"));
	assert_words_are_pairs(out, 19);
}

static void test_lost_event(void **state)
{
	struct uc_message m;
	char out[UC_COMMENT_LEN];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.event = UC_MSG_LOST;
	m.sock_type = SOCK_DGRAM;
	m.lost_before_msgs = 1;
	m.lost_before_bytes = 9;
	uc_comment_format(out, sizeof(out), &m);
	assert_non_null(strstr(out, " comm= uid=0 peer_pid=0 type=dgram event=lost "));
	assert_non_null(strstr(out, " lost_before_msgs=1 lost_before_bytes=9"));
}

/* The longest names uc_sun_path_format makes ('@' and 107 "\xNN") and a comm of 16 bytes that
 * all need escaping still leave room for the last key. */
static void test_worst_case_fits(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];
	size_t n;

	(void)state;
	memset(m.comm, 0xff, 16);
	m.comm[16] = '\0';
	m.own_path[0] = m.peer_path[0] = '@';
	for (int i = 0; i < 107; i++) {
		memcpy(m.own_path + 1 + 4 * i, "\\xff", 4);
		memcpy(m.peer_path + 1 + 4 * i, "\\x25", 4);
	}
	m.own_path[429] = m.peer_path[429] = '\0';
	m.lost_before_msgs = UINT32_MAX;
	m.lost_before_bytes = UINT64_MAX;
	n = uc_comment_format(out, sizeof(out), &m);
	assert_true(n < sizeof(out) - 1);
	assert_int_equal(n, strlen(out));
	assert_non_null(strstr(out, " lost_before_bytes=18446744073709551615"));
	assert_string_equal(out + n - 20, "18446744073709551615");
}

static void test_short_buffer_truncates(void **state)
{
	struct uc_message m = cut_sample();
	char out[32];
	size_t n;

	(void)state;
	memset(out, 'Z', sizeof(out));
	n = uc_comment_format(out, sizeof(out), &m);
	assert_int_equal(n, sizeof(out) - 1);
	assert_int_equal(strlen(out), n);
	assert_memory_equal(out, "unixcap ts=1700000000.123456789", 31);
	assert_int_equal(uc_comment_format(out, 0, &m), 0);
}

static void test_event_names(void **state)
{
	(void)state;
	assert_string_equal(uc_event_name(UC_MSG_DATA), "data");
	assert_string_equal(uc_event_name(UC_MSG_CLOSE), "close");
	assert_string_equal(uc_event_name(UC_MSG_SHUTDOWN), "shutdown");
	assert_string_equal(uc_event_name(UC_MSG_EOF), "eof");
	assert_string_equal(uc_event_name(UC_MSG_LOST), "lost");
	assert_string_equal(uc_event_name((enum uc_message_event)99), "unknown");
}

/* -r reads back what was written: every field, escapes, passed fds, credentials. */
/* container= and pod= come from the cgroup path; container_name= is read back. */
static void test_container_round_trip(void **state)
{
	struct uc_message m = cut_sample(), back;
	char out[UC_COMMENT_LEN], again[UC_COMMENT_LEN];

	(void)state;
	snprintf(m.cgroup, sizeof(m.cgroup),
		 "/kubepods.slice/kubepods-pod8c5f4e7a_2b1d_4c3e_9f0a_1b2c3d4e5f60.slice/"
		 "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	m.cgroup_id = 9;
	snprintf(m.container_name, sizeof(m.container_name), "web 1");
	uc_comment_format(out, sizeof(out), &m);
	assert_non_null(strstr(out, " container=docker:0123456789ab pod=8c5f4e7a-2b1d-4c3e-9f0a-"
				    "1b2c3d4e5f60 container_name=web%201"));
	assert_int_equal(uc_comment_parse(out, &back), 0);
	assert_string_equal(back.container_name, "web 1");
	uc_comment_format(again, sizeof(again), &back);
	assert_string_equal(again, out);
}

static void test_container_worst_case_fits(void **state)
{
	struct uc_message m = cut_sample();
	char out[UC_COMMENT_LEN];
	size_t n;

	(void)state;
	memset(m.own_path, '%', UC_NAME_LEN - 1);
	memset(m.peer_path, '%', UC_NAME_LEN - 1);
	m.own_path[UC_NAME_LEN - 1] = m.peer_path[UC_NAME_LEN - 1] = '\0';
	snprintf(m.cgroup, sizeof(m.cgroup), "/lxc.payload.");
	memset(m.cgroup + 13, '%', sizeof(m.cgroup) - 14);
	m.cgroup[sizeof(m.cgroup) - 1] = '\0';
	m.cgroup_id = 9;
	memset(m.container_name, '%', sizeof(m.container_name) - 1);
	m.container_name[sizeof(m.container_name) - 1] = '\0';
	n = uc_comment_format(out, sizeof(out), &m);
	assert_true(n < sizeof(out) - 1);
	assert_string_equal(out + n - 6, "%25%25"); /* the name, whole, is last */
}

static void test_parse_round_trip(void **state)
{
	struct uc_message m = cut_sample(), back;
	char out[UC_COMMENT_LEN], again[UC_COMMENT_LEN];

	(void)state;
	snprintf(m.comm, sizeof(m.comm), "a b%%c");
	snprintf(m.own_path, sizeof(m.own_path), "@abs name");
	snprintf(m.cgroup, sizeof(m.cgroup), "/system.slice/x.service");
	m.cgroup_id = 9;
	m.peer_pid = 7, m.peer_uid = 8, m.peer_gid = 9, m.peek = true, m.order_unknown = true;
	m.nfds = 3, m.nfds_described = 1;
	m.fds[0] = (struct uc_passed_fd){ .fd = 4, .ino = 77, .kind = "socket" };
	snprintf(m.fds[0].what, sizeof(m.fds[0].what), "/run/a,b c.sock");
	m.has_creds = true, m.cred_pid = 1, m.cred_uid = 2, m.cred_gid = 3;
	m.lost_before_msgs = 2, m.lost_before_bytes = 1234567890123ull;
	uc_comment_format(out, sizeof(out), &m);
	strcat(out, "; a note; with ; semicolons");
	assert_int_equal(uc_comment_parse(out, &back), 0);
	uc_comment_format(again, sizeof(again), &back);
	out[strlen(again)] = '\0';
	assert_string_equal(again, out);
	assert_string_equal(back.comm, "a b%c");
	assert_string_equal(back.fds[0].what, "/run/a,b c.sock");
	assert_int_equal(back.ts_ns, m.ts_ns);
	assert_true(back.order_unknown);
	assert_null(back.data);
}

static void test_parse_rejects(void **state)
{
	struct uc_message m;

	(void)state;
	assert_int_equal(uc_comment_parse("tcpdump ts=1.000000000 type=stream event=data", &m), -1);
	assert_int_equal(uc_comment_parse("unixcap type=stream event=data", &m), -1); /* no ts */
	assert_int_equal(uc_comment_parse("unixcap ts=1.5 type=stream event=data", &m), -1);
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=tcp event=data", &m), -1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=data pid=x", &m), -1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=data comm=%4", &m), -1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=data len=4294967296",
				 &m),
		-1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=99999999999.000000000 type=stream event=data", &m),
		-1);
	/* values that do not fit their field are damage, not truncated */
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=data syscall=65536", &m),
		-1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=read peek=2", &m), -1);
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=dgram event=data "
					  "scm_rights=1 fd=4x,file,1,/a",
					  &m),
			 -1);
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=dgram event=data "
					  "scm_rights=1 fd=2147483648,file,1,/a",
					  &m),
			 -1);
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=dgram event=data "
					  "scm_rights=1 fd=-1,file,1,/a",
					  &m),
			 0);
	assert_int_equal(m.fds[0].fd, -1);
	/* a loss reported by socket pair alone has no type; nothing else may lack one */
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=unknown event=lost", &m), 0);
	assert_int_equal(m.sock_type, 0);
	assert_int_equal(uc_comment_parse("unixcap ts=1.000000000 type=unknown event=data", &m),
			 -1);
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=stream event=data order=known", &m),
		-1);
	/* keys from a later version are skipped */
	assert_int_equal(
		uc_comment_parse("unixcap ts=1.000000000 type=dgram event=read newkey=5", &m), 0);
	assert_int_equal(m.event, UC_MSG_READ);
}

/* The cache pastes in each identity's part: whatever changes from one message to the next, the
 * text is the one uc_comment_format writes whole — a stale part would put one process's pid or
 * path in another's packets. */
static void test_cached_matches_uncached(void **state)
{
	struct uc_comment_cache *cache = uc_comment_cache_new();
	static char plain[UC_COMMENT_LEN], cached[UC_COMMENT_LEN];
	struct uc_message m = cut_sample();

	(void)state;
	assert_non_null(cache);
	for (unsigned i = 0; i < 400; i++) {
		m.ts_ns += 1000 + i;
		m.event = i % 3 ? UC_MSG_DATA : UC_MSG_READ;
		m.len = 100 + i;
		m.pid = 42 + i % 5; /* pids and inodes one apart, as a pair's ends are */
		m.own_ino = 5001 + i % 5;
		if (i % 7 == 0) /* an exec: the same pid, a new name */
			snprintf(m.comm, sizeof(m.comm), "c%u", i);
		if (i % 11 == 0)
			snprintf(m.own_path, sizeof(m.own_path), "/run/s%u.sock", i);
		m.peer_pid = i % 13 == 0 ? 0 : 77;
		m.cgroup_id = i % 17 == 0 ? 0 : 9;
		snprintf(m.cgroup, sizeof(m.cgroup), "/c%u", i / 19);
		m.tid = m.pid + (i % 23 == 0);
		m.peek = i % 29 == 0;
		assert_int_equal(uc_comment_format_cached(cache, cached, sizeof(cached), &m),
				 uc_comment_format(plain, sizeof(plain), &m));
		assert_string_equal(cached, plain);
	}
	uc_comment_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_format),
		cmocka_unit_test(test_cached_matches_uncached),
		cmocka_unit_test(test_nanoseconds_zero_padded),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_lost_before_only_when_nonzero),
		cmocka_unit_test(test_lost_event),
		cmocka_unit_test(test_worst_case_fits),
		cmocka_unit_test(test_short_buffer_truncates),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_container_round_trip),
		cmocka_unit_test(test_container_worst_case_fits),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
