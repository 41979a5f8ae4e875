/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for Wireshark's process-information entry: the exact bytes of its layout (custom
 * block PEN 32622, entry type 3, little-endian), and a damaged one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "format/process_block.h"
#include "readback/process_table.h"

/* Made with Python's struct from the layout Wireshark's test/captures/_gen_process_info_blocks.py
 * describes: entry type 3, entry length, pid, then options name 2, path 3, cmdline 4, ppid 5,
 * uid 6, user 7, start time 9, end of options. */
static const uint8_t curl_entry[116] =
	"\x03\x00\x00\x00\x6c\x00\x00\x00\xd2\x04\x00\x00\x02\x00\x04\x00"
	"\x63\x75\x72\x6c\x03\x00\x0d\x00\x2f\x75\x73\x72\x2f\x62\x69\x6e"
	"\x2f\x63\x75\x72\x6c\x00\x00\x00\x04\x00\x19\x00\x63\x75\x72\x6c"
	"\x00\x68\x74\x74\x70\x73\x3a\x2f\x2f\x65\x78\x61\x6d\x70\x6c\x65"
	"\x2e\x63\x6f\x6d\x2f\x00\x00\x00\x05\x00\x04\x00\x01\x00\x00\x00"
	"\x06\x00\x04\x00\xe8\x03\x00\x00\x07\x00\x05\x00\x61\x6c\x69\x63"
	"\x65\x00\x00\x00\x09\x00\x08\x00\x00\x00\xfa\xed\x51\x72\x86\x18"
	"\x00\x00\x00\x00";

static struct uc_process_info curl(void)
{
	static const char args[] = "curl\0https://example.com/"; /* and /proc's last NUL */
	struct uc_process_info p;

	memset(&p, 0, sizeof(p));
	p.pid = 1234;
	strcpy(p.name, "curl");
	strcpy(p.path, "/usr/bin/curl");
	memcpy(p.cmdline, args, sizeof(args));
	p.cmdline_len = sizeof(args);
	p.ppid = 1;
	p.uid = 1000;
	p.has_uid = 1;
	strcpy(p.user, "alice");
	p.start_ns = 1767225600000000000ull;
	return p;
}

static void test_encode_layout(void **state)
{
	static uint8_t out[UC_PROCESS_ENTRY_MAX];
	struct uc_process_info p = curl();

	(void)state;
	assert_int_equal(uc_process_entry_encode(out, &p), sizeof(curl_entry));
	assert_memory_equal(out, curl_entry, sizeof(curl_entry));
}

static void test_no_options(void **state)
{
	static uint8_t out[UC_PROCESS_ENTRY_MAX];
	struct uc_process_info p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.pid = 4321;
	assert_int_equal(uc_process_entry_encode(out, &p), 12);
	assert_memory_equal(out, "\x03\x00\x00\x00\x04\x00\x00\x00\xe1\x10\x00\x00", 12);
}

static void test_decode_round_trip(void **state)
{
	struct uc_process_info p;
	const char *why = NULL;

	(void)state;
	assert_int_equal(uc_process_entry_decode(curl_entry, sizeof(curl_entry), &p, &why), 1);
	assert_int_equal(p.pid, 1234);
	assert_string_equal(p.name, "curl");
	assert_string_equal(p.path, "/usr/bin/curl");
	assert_int_equal(p.cmdline_len, 25);
	assert_memory_equal(p.cmdline, "curl\0https://example.com/", 25);
	assert_int_equal(p.ppid, 1);
	assert_int_equal(p.uid, 1000);
	assert_true(p.has_uid);
	assert_string_equal(p.user, "alice");
	assert_true(p.start_ns == 1767225600000000000ull);
	/* another entry type is not a process, and not damage */
	assert_int_equal(uc_process_entry_decode((const uint8_t *)"\x63\0\0\0\x05\0\0\0hello\0\0\0",
						 16, &p, &why),
			 0);
}

static void test_decode_refuses_damage(void **state)
{
	uint8_t bad[sizeof(curl_entry)];
	struct uc_process_info p;
	const char *why = NULL;

	(void)state;
	assert_int_equal(uc_process_entry_decode(curl_entry, 7, &p, &why), -1);
	assert_non_null(why);
	/* the entry says it is longer than its block */
	assert_int_equal(uc_process_entry_decode(curl_entry, 60, &p, &why), -1);
	assert_string_equal(why, "a process entry whose length runs past its block");
	/* an option longer than what is left of the entry */
	memcpy(bad, curl_entry, sizeof(bad));
	bad[14] = 0xff;
	assert_int_equal(uc_process_entry_decode(bad, sizeof(bad), &p, &why), -1);
	assert_string_equal(why, "a process entry option runs past the entry");
	/* a uid of 2 bytes */
	memcpy(bad, curl_entry, sizeof(bad));
	bad[82] = 2;
	assert_int_equal(uc_process_entry_decode(bad, sizeof(bad), &p, &why), -1);
	assert_string_equal(why, "a process entry's ppid, uid or start time of the wrong size");
}

/* What -r -w carries over: the newest block per pid (an exec replaces it), none for a pid the
 * file never described. */
static void test_table_keeps_newest(void **state)
{
	struct uc_process_table *t = uc_process_table_new();
	struct uc_process_info p = curl(), got;

	(void)state;
	assert_non_null(t);
	assert_int_equal(uc_process_table_source(t, 1234, NULL, &got), -1);
	assert_int_equal(uc_process_table_keep(t, &p), 0);
	strcpy(p.name, "wget");
	strcpy(p.path, "/usr/bin/wget");
	assert_int_equal(uc_process_table_keep(t, &p), 0);
	assert_int_equal(uc_process_table_source(t, 1234, "curl", &got), 0);
	assert_string_equal(got.name, "wget");
	assert_string_equal(got.path, "/usr/bin/wget");
	assert_string_equal(got.user, "alice");
	assert_int_equal(uc_process_table_source(t, 4321, NULL, &got), -1);
	uc_process_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_decode_round_trip),
		cmocka_unit_test(test_decode_refuses_damage),
		cmocka_unit_test(test_table_keeps_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
