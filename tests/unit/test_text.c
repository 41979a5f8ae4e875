/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the text dump: header line, payload in every -x/-X/-A/-q mode, loss lines. */
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
#include "sinks/text.h"

#define HEAD "22:13:20.123456789 curl[42] stream unnamed(5001) > /run/docker.sock(5002)"

/* Writes m with the given payload mode and compares everything written. */
static void expect_text(const struct uc_message *m, enum uc_text_payload payload, int verbose,
			const char *want)
{
	struct uc_text_options opt = { .payload = payload, .verbose = verbose, .utc = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(uc_text_write(f, &opt, m), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_header_fields(void **state)
{
	struct uc_message m = sample("hello", 5);

	(void)state;
	expect_text(&m, UC_TEXT_ESCAPED, 0, HEAD " len 5\n    hello\n");
}

static void test_header_verbose(void **state)
{
	struct uc_message m = sample("hi", 2);

	(void)state;
	expect_text(&m, UC_TEXT_ESCAPED, 1,
		    "22:13:20.123456789 curl[42/43 uid=1000] stream unnamed(5001) > "
		    "/run/docker.sock(5002) len 2 syscall 44\n    hi\n");
}

static void test_header_names_and_types(void **state)
{
	struct uc_message m = sample("", 0);

	(void)state;
	m.sock_type = SOCK_DGRAM;
	m.ts_ns = 59000000001ull; /* 00:00:59.000000001 */
	snprintf(m.own_path, sizeof(m.own_path), "@bus\\x00");
	m.peer_path[0] = '\0';
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    "00:00:59.000000001 curl[42] dgram @bus\\x00(5001) > unnamed(5002) len 0\n");
}

static void test_events(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_CLOSE;
	expect_text(&m, UC_TEXT_ESCAPED, 0, HEAD " close\n");
	m.event = UC_MSG_SHUTDOWN;
	expect_text(&m, UC_TEXT_HEX, 0, HEAD " shutdown\n");
	m.event = UC_MSG_EOF; /* the reader's view: data comes from the peer */
	expect_text(
		&m, UC_TEXT_ESCAPED, 0,
		"22:13:20.123456789 curl[42] stream unnamed(5001) < /run/docker.sock(5002) eof\n");
}

static void test_comm_cannot_break_the_line(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	/* Any process can name itself with PR_SET_NAME: control bytes are escaped like paths. */
	snprintf(m.comm, sizeof(m.comm), "ev\x1b]0;x\a\nil\\");
	m.event = UC_MSG_CLOSE;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    "22:13:20.123456789 ev\\x1b]0;x\\x07\\x0ail\\x5c[42] stream unnamed(5001) > "
		    "/run/docker.sock(5002) close\n");
}

static void test_snaplen_shown(void **state)
{
	struct uc_message m = sample("abcd", 4);

	(void)state;
	m.len = 1000;
	expect_text(&m, UC_TEXT_ESCAPED, 0, HEAD " len 1000 (kept 4, -s)\n    abcd\n");
}

static void test_escaped_payload(void **state)
{
	static const char data[] = "a\r\tb\0\\c\nnext\n";
	struct uc_message m = sample(data, sizeof(data) - 1);

	(void)state;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    HEAD " len 13\n"
			 "    a\\r\\tb\\x00\\\\c\\n\n"
			 "    next\\n\n");
}

static void test_escaped_no_final_newline_and_high_bytes(void **state)
{
	static const char data[] = "x\n\x1b[2J\xc3\xa9\x7f";
	struct uc_message m = sample(data, sizeof(data) - 1);

	(void)state;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    HEAD " len 9\n"
			 "    x\\n\n"
			 "    \\x1b[2J\\xc3\\xa9\\x7f\n");
}

static void test_hex_like_tcpdump(void **state)
{
	uint8_t data[32];
	struct uc_message m;

	(void)state;
	for (int i = 0; i < 32; i++)
		data[i] = (uint8_t)i;
	m = sample(data, 18);
	/* Reference lines from tcpdump 4.99 -x: no trailing space, odd byte alone. */
	expect_text(&m, UC_TEXT_HEX, 0,
		    HEAD " len 18\n"
			 "\t0x0000:  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f\n"
			 "\t0x0010:  1011\n");
	m = sample(data, 3);
	expect_text(&m, UC_TEXT_HEX, 0, HEAD " len 3\n\t0x0000:  0001 02\n");
	m = sample(data, 32);
	expect_text(&m, UC_TEXT_HEX, 0,
		    HEAD " len 32\n"
			 "\t0x0000:  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f\n"
			 "\t0x0010:  1011 1213 1415 1617 1819 1a1b 1c1d 1e1f\n");
}

static void test_hex_ascii_like_tcpdump(void **state)
{
	static const char data[] = "Hello,world!\r\n\0\001\tA\x7f\x80";
	struct uc_message m = sample(data, 20);

	(void)state;
	/* Reference lines from tcpdump 4.99 -X: the ASCII column starts at the same place on a short row. */
	expect_text(&m, UC_TEXT_HEXASCII, 0,
		    HEAD " len 20\n"
			 "\t0x0000:  4865 6c6c 6f2c 776f 726c 6421 0d0a 0001  Hello,world!....\n"
			 "\t0x0010:  0941 7f80                                .A..\n");
}

static void test_ascii(void **state)
{
	static const char data[] = "GET / HTTP/1.1\r\nHost: x\n\x01\xff";
	struct uc_message m = sample(data, sizeof(data) - 1);

	(void)state;
	expect_text(&m, UC_TEXT_ASCII, 0,
		    HEAD " len 26\n"
			 "    GET / HTTP/1.1.\n"
			 "    Host: x\n"
			 "    ..\n");
}

static void test_quiet_has_no_payload(void **state)
{
	struct uc_message m = sample("secret", 6);

	(void)state;
	expect_text(&m, UC_TEXT_NONE, 0, HEAD " len 6\n");
}

static void test_lost_bytes_of_message(void **state)
{
	struct uc_message m = sample("abc", 3);

	(void)state;
	m.len = m.caplen = 10;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    HEAD
		    " len 10\n    abc\n"
		    "    [LOST 7 bytes of this message: ring buffer full or memory unreadable]\n");
	expect_text(&m, UC_TEXT_NONE, 0,
		    HEAD
		    " len 10\n"
		    "    [LOST 7 bytes of this message: ring buffer full or memory unreadable]\n");
}

static void test_lost_before_comes_first(void **state)
{
	struct uc_message m = sample("ok", 2);

	(void)state;
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 4096;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    "22:13:20.123456789 LOST 4096 bytes in 3 messages unnamed(5001) > "
		    "/run/docker.sock(5002) (ring buffer full)\n" HEAD " len 2\n    ok\n");
}

static void test_lost_event_alone(void **state)
{
	struct uc_message m = sample(NULL, 0);

	(void)state;
	m.event = UC_MSG_LOST;
	m.lost_before_msgs = 1;
	m.lost_before_bytes = 5;
	expect_text(&m, UC_TEXT_ESCAPED, 0,
		    "22:13:20.123456789 LOST 5 bytes in 1 messages unnamed(5001) > "
		    "/run/docker.sock(5002) (ring buffer full)\n");
}

static void test_write_error_reported(void **state)
{
	struct uc_text_options opt = { .utc = true, .flush_each = true };
	struct uc_message m = sample("x", 1);
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		printf("SKIP: /dev/full not available\n");
		skip();
	}
	assert_int_equal(uc_text_write(f, &opt, &m), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_header_verbose),
		cmocka_unit_test(test_header_names_and_types),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_comm_cannot_break_the_line),
		cmocka_unit_test(test_snaplen_shown),
		cmocka_unit_test(test_escaped_payload),
		cmocka_unit_test(test_escaped_no_final_newline_and_high_bytes),
		cmocka_unit_test(test_hex_like_tcpdump),
		cmocka_unit_test(test_hex_ascii_like_tcpdump),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_quiet_has_no_payload),
		cmocka_unit_test(test_lost_bytes_of_message),
		cmocka_unit_test(test_lost_before_comes_first),
		cmocka_unit_test(test_lost_event_alone),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
