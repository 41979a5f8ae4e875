/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for --json: exact lines for each kind of message, string escapes, base64, json.loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "sample_message.h"
#include "sinks/json.h"

#define HEAD "{\"ts\":\"1700000000.123456789\",\"time\":\"2023-11-14T22:13:20.123456789Z\","
#define PROC \
	"\"type\":\"stream\",\"pid\":42,\"tid\":43,\"uid\":1000,\"comm\":\"curl\",\"syscall\":44,"
#define ENDS \
	"\"own\":{\"path\":null,\"inode\":5001},\"peer\":{\"path\":\"/run/docker.sock\",\"inode\":5002}"

/* Everything uc_json_write writes for m; the caller frees it. */
static char *json_of(const struct uc_message *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(uc_json_write(f, m, false), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void expect_json(const struct uc_message *m, const char *want)
{
	char *got = json_of(m);

	assert_string_equal(got, want);
	free(got);
}

static void test_data_with_payload(void **state)
{
	struct uc_message m = sample("GET /\r\n", 7);

	(void)state;
	expect_json(&m, HEAD "\"event\":\"data\"," PROC ENDS ","
			     "\"len\":7,\"caplen\":7,\"stored\":7,\"payload\":\"R0VUIC8NCg==\"}\n");
}

static void test_unnamed_peer_with_credentials(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_CLOSE;
	m.peer_path[0] = '\0';
	m.peer_pid = 77;
	m.peer_uid = 0;
	m.peer_gid = 5;
	expect_json(&m,
		    HEAD "\"event\":\"close\"," PROC "\"own\":{\"path\":null,\"inode\":5001},"
			 "\"peer\":{\"path\":null,\"inode\":5002,\"pid\":77,\"uid\":0,\"gid\":5},"
			 "\"len\":0,\"caplen\":0,\"stored\":0}\n");
}

static void test_lost_bytes_and_truncation(void **state)
{
	struct uc_message m = sample("abc", 3);

	(void)state;
	m.len = 1000;  /* the syscall moved 1000 bytes */
	m.caplen = 10; /* -s 10 */
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 4096;
	expect_json(&m, HEAD "\"event\":\"data\"," PROC ENDS ","
			     "\"len\":1000,\"caplen\":10,\"stored\":3,\"payload\":\"YWJj\","
			     "\"lost_bytes\":7,\"truncated\":990,"
			     "\"lost_before\":{\"messages\":3,\"bytes\":4096}}\n");
}

static void test_nothing_stored_is_empty_payload(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.len = m.caplen = 5;
	expect_json(&m, HEAD
		    "\"event\":\"data\"," PROC ENDS ","
		    "\"len\":5,\"caplen\":5,\"stored\":0,\"payload\":\"\",\"lost_bytes\":5}\n");
}

static void test_passed_fds_and_creds(void **state)
{
	struct uc_message m = sample("x", 1);

	(void)state;
	m.nfds = 3; /* one more than described */
	m.nfds_described = 2;
	m.fds[0] = (struct uc_passed_fd){
		.fd = 5, .ino = 733, .kind = "file", .what = "/etc/hostname"
	};
	/* Socket addresses come formatted like own and peer: \x00 is a NUL of the abstract name. */
	m.fds[1] = (struct uc_passed_fd){
		.fd = 6, .ino = 322300, .kind = "socket", .what = "@name\\x00"
	};
	m.has_creds = true;
	m.cred_pid = 1942;
	m.cred_uid = 0;
	m.cred_gid = 100;
	expect_json(
		&m, HEAD
		"\"event\":\"data\"," PROC ENDS ","
		"\"len\":1,\"caplen\":1,\"stored\":1,\"payload\":\"eA==\","
		"\"fds\":[{\"fd\":5,\"kind\":\"file\",\"inode\":733,\"what\":\"/etc/hostname\"},"
		"{\"fd\":6,\"kind\":\"socket\",\"inode\":322300,\"what\":\"@name\\u0000\"}],"
		"\"fds_passed\":3,\"creds\":{\"pid\":1942,\"uid\":0,\"gid\":100}}\n");
}

static void test_abstract_path_dgram(void **state)
{
	struct uc_message m = sample("hi", 2);

	(void)state;
	m.sock_type = SOCK_DGRAM;
	snprintf(m.own_path, sizeof(m.own_path), "@/tmp/dbus-XyZ");
	snprintf(m.peer_path, sizeof(m.peer_path), "@bus\\x00x");
	expect_json(&m, HEAD "\"event\":\"data\",\"type\":\"dgram\",\"pid\":42,\"tid\":43,"
			     "\"uid\":1000,\"comm\":\"curl\",\"syscall\":44,"
			     "\"own\":{\"path\":\"@/tmp/dbus-XyZ\",\"inode\":5001},"
			     "\"peer\":{\"path\":\"@bus\\u0000x\",\"inode\":5002},"
			     "\"len\":2,\"caplen\":2,\"stored\":2,\"payload\":\"aGk=\"}\n");
}

static void test_comm_and_path_escapes(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_SHUTDOWN;
	snprintf(m.comm, sizeof(m.comm), "a\"b\\c\x01\n\x7f");
	/* A raw 0xff, and names as uc_sun_path_format writes them: \xff, é in UTF-8, a backslash. */
	snprintf(m.own_path, sizeof(m.own_path), "/tmp/\xff.sock");
	snprintf(m.peer_path, sizeof(m.peer_path), "/tmp/\\xff\\xc3\\xa9\\x5cz\\");
	expect_json(&m,
		    HEAD "\"event\":\"shutdown\",\"type\":\"stream\",\"pid\":42,\"tid\":43,"
			 "\"uid\":1000,\"comm\":\"a\\\"b\\\\c\\u0001\\n\\u007f\",\"syscall\":44,"
			 "\"own\":{\"path\":\"/tmp/\\u00ff.sock\",\"inode\":5001},"
			 "\"peer\":{\"path\":\"/tmp/\\u00ff\xc3\xa9\\\\z\\\\\",\"inode\":5002},"
			 "\"len\":0,\"caplen\":0,\"stored\":0}\n");
}

static void test_utf8_validation(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_CONNECT;
	m.cgroup_id = 9;
	/* Valid: é, €, an emoji. Invalid: a lone lead byte, an overlong '/', a surrogate, > U+10FFFF,
	 * a 3-byte sequence cut short by the end of the string. */
	snprintf(
		m.cgroup, sizeof(m.cgroup),
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xc3z|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82");
	expect_json(&m, HEAD
		    "\"event\":\"connect\"," PROC ENDS ",\"len\":0,\"caplen\":0,\"stored\":0,"
		    "\"cgroup\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\u00c3z|\\u00c0\\u00af|"
		    "\\u00ed\\u00a0\\u0080|\\u00f4\\u0090\\u0080\\u0080|\\u00e2\\u0082\"}\n");
}

static void test_read_peek_cgroup_unknown(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_READ;
	m.len = 78; /* bytes read: nothing kept, nothing cut off */
	m.peek = true;
	m.cgroup_id = 1234; /* its path could not be found */
	expect_json(&m,
		    HEAD "\"event\":\"read\"," PROC ENDS ","
			 "\"len\":78,\"caplen\":0,\"stored\":0,\"peek\":true,\"cgroup\":\"?\"}\n");
	snprintf(m.cgroup, sizeof(m.cgroup), "/system.slice/x.service");
	m.peek = false;
	expect_json(
		&m, HEAD
		"\"event\":\"read\"," PROC ENDS ","
		"\"len\":78,\"caplen\":0,\"stored\":0,\"cgroup\":\"/system.slice/x.service\"}\n");
}

static void test_unseen_and_lost_events(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_UNSEEN;
	m.len = 65536; /* sent by sendfile: not captured */
	expect_json(&m, HEAD "\"event\":\"unseen\"," PROC ENDS
			     ",\"len\":65536,\"caplen\":0,\"stored\":0}\n");
	/* What the session reports at the end for losses no later message carried. */
	memset(&m, 0, sizeof(m));
	m.ts_ns = 59000000001ull;
	m.event = UC_MSG_LOST;
	m.own_ino = 7;
	m.peer_ino = 8;
	m.lost_before_msgs = 2;
	m.lost_before_bytes = 100;
	expect_json(
		&m,
		"{\"ts\":\"59.000000001\",\"time\":\"1970-01-01T00:00:59.000000001Z\","
		"\"event\":\"lost\",\"type\":\"unknown\",\"pid\":0,\"tid\":0,\"uid\":0,\"comm\":\"\","
		"\"syscall\":0,\"own\":{\"path\":null,\"inode\":7},\"peer\":{\"path\":null,\"inode\":8},"
		"\"len\":0,\"caplen\":0,\"stored\":0,\"lost_before\":{\"messages\":2,\"bytes\":100}}\n");
}

static int b64_value(char c)
{
	const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(abc, c) : NULL;

	return p ? (int)(p - abc) : -1;
}

/* Strict: whole quads, padding only at the end. Returns the bytes written to out. */
static size_t b64_decode(const char *s, size_t n, uint8_t *out)
{
	size_t o = 0;

	assert_int_equal(n % 4, 0);
	for (size_t i = 0; i < n; i += 4) {
		int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
		uint32_t v = 0;

		assert_true(pad == 0 || i + 4 == n);
		for (int k = 0; k < 4 - pad; k++) {
			assert_true(b64_value(s[i + k]) >= 0);
			v |= (uint32_t)b64_value(s[i + k]) << (18 - 6 * k);
		}
		out[o++] = (uint8_t)(v >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(v >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)v;
	}
	return o;
}

static void round_trip(uint32_t len)
{
	uint8_t *data = malloc(len + 1), *back = malloc(len + 3);
	struct uc_message m;
	char *line, *start, *end;

	assert_non_null(data);
	assert_non_null(back);
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 1);
	m = sample(data, len);
	line = json_of(&m);
	start = strstr(line, "\"payload\":\"");
	assert_non_null(start);
	start += strlen("\"payload\":\"");
	end = strchr(start, '"');
	assert_non_null(end);
	assert_int_equal(end - start, (len + 2) / 3 * 4);
	assert_int_equal(b64_decode(start, (size_t)(end - start), back), len);
	assert_memory_equal(back, data, len);
	assert_string_equal(end, "\"}\n");
	free(line);
	free(back);
	free(data);
}

static void test_base64_round_trip(void **state)
{
	/* 12288 and around: where the encoder moves to its next chunk. */
	static const uint32_t lens[] = { 1, 2, 3, 4, 5, 12287, 12288, 12289, 24577, 100000 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		round_trip(lens[i]);
}

/* Python reads the line back and checks what the escapes stand for. */
static const char check_py[] =
	"import base64, json, sys\n"
	"lines = sys.stdin.buffer.read().split(b\"\\n\")\n"
	"assert lines[1:] == [b\"\"], lines\n"
	"o = json.loads(lines[0])\n"
	"assert o[\"comm\"] == \"q\\x22\\x5c\\t\\x01\", o[\"comm\"]\n"
	"assert o[\"own\"][\"path\"] == \"/tmp/\\xff\\x5c\", o[\"own\"]\n"
	"assert o[\"peer\"] == {\"path\": \"@b\\xe9\\x00\", \"inode\": 5002, \"pid\": 9, \"uid\": 1, \"gid\": 2}\n"
	"assert base64.b64decode(o[\"payload\"]) == b\"GET /\\r\\n\\x00\\xff\"\n"
	"assert o[\"fds\"][0][\"what\"] == \"/a\\x22b\" and o[\"fds_passed\"] == 1\n"
	"assert o[\"creds\"] == {\"pid\": 7, \"uid\": 0, \"gid\": 0}\n"
	"assert o[\"ts\"] == \"1700000000.123456789\" and o[\"peek\"] is True\n"
	"assert o[\"lost_before\"] == {\"messages\": 1, \"bytes\": 2}\n";

static void test_python_json_loads(void **state)
{
	struct uc_message m = sample("GET /\r\n\0\xff", 9);
	char cmd[sizeof(check_py) + 32], *line;
	FILE *py;
	int status;

	(void)state;
	snprintf(m.comm, sizeof(m.comm), "q\"\\\t\x01");
	snprintf(m.own_path, sizeof(m.own_path), "/tmp/\\xff\\x5c");
	snprintf(m.peer_path, sizeof(m.peer_path), "@b\\xc3\\xa9\\x00");
	m.peer_pid = 9;
	m.peer_uid = 1;
	m.peer_gid = 2;
	m.peek = true;
	m.lost_before_msgs = 1;
	m.lost_before_bytes = 2;
	m.nfds = m.nfds_described = 1;
	m.fds[0] = (struct uc_passed_fd){ .fd = 3, .ino = 1, .kind = "file", .what = "/a\"b" };
	m.has_creds = true;
	m.cred_pid = 7;
	line = json_of(&m);
	/* The script has no single quote, so the shell passes it whole. */
	snprintf(cmd, sizeof(cmd), "python3 -c '%s'", check_py);
	py = popen(cmd, "w");
	assert_non_null(py);
	fputs(line, py);
	status = pclose(py);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(line);
}

static void test_write_error_reported(void **state)
{
	static uint8_t big[100000];
	struct uc_message m = sample(big, sizeof(big));
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		printf("SKIP: /dev/full not available\n");
		skip();
	}
	assert_int_equal(uc_json_write(f, &m, true), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_with_payload),
		cmocka_unit_test(test_unnamed_peer_with_credentials),
		cmocka_unit_test(test_lost_bytes_and_truncation),
		cmocka_unit_test(test_nothing_stored_is_empty_payload),
		cmocka_unit_test(test_passed_fds_and_creds),
		cmocka_unit_test(test_abstract_path_dgram),
		cmocka_unit_test(test_comm_and_path_escapes),
		cmocka_unit_test(test_utf8_validation),
		cmocka_unit_test(test_read_peek_cgroup_unknown),
		cmocka_unit_test(test_unseen_and_lost_events),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_python_json_loads),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
