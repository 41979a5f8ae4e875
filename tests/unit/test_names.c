/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for socket names: sun_path lengths and formatting, --path patterns and globs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unixcap.h"
#include "capture/patterns.h"
#include "core/names.h"

/* ---- uc_sun_path_len ---- */

static void test_len_filesystem_path_stops_at_nul(void **state)
{
	char raw[UC_PATH_LEN] = "/run/a.sock"; /* the rest is NULs, as the kernel hands it */

	(void)state;
	assert_int_equal(uc_sun_path_len(raw, sizeof(raw)), 11);
	assert_int_equal(uc_sun_path_len(raw, 5), 5); /* addrlen shorter than the string */
}

static void test_len_abstract_keeps_every_byte(void **state)
{
	static const char raw[] = { '\0', 'a', '\0', 'b', '\0', '\0' };

	(void)state;
	assert_int_equal(uc_sun_path_len(raw, sizeof(raw)), sizeof(raw));
	assert_int_equal(uc_sun_path_len(raw, 1), 1);
}

static void test_len_unnamed_and_full(void **state)
{
	char full[UC_PATH_LEN];

	(void)state;
	memset(full, 'x', sizeof(full)); /* 108 bytes, no NUL: legal for a filesystem path */
	assert_int_equal(uc_sun_path_len("", 0), 0);
	assert_int_equal(uc_sun_path_len(full, sizeof(full)), UC_PATH_LEN);
}

/* ---- uc_sun_path_format ---- */

static void format(const char *raw, size_t len, const char *want)
{
	char out[UC_NAME_LEN];

	memset(out, 'Z', sizeof(out));
	uc_sun_path_format(raw, len, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_format_filesystem_with_trailing_nuls(void **state)
{
	char raw[UC_PATH_LEN] = "/run/docker.sock";

	(void)state;
	format(raw, sizeof(raw), "/run/docker.sock");
}

static void test_format_abstract_escapes(void **state)
{
	static const char raw[] = { '\0', 'x', '\0', 'y', '\n', '\\', 0x7f, (char)0xc3, ' ' };

	(void)state;
	format(raw, sizeof(raw), "@x\\x00y\\x0a\\x5c\\x7f\\xc3 ");
}

static void test_format_unnamed_is_empty(void **state)
{
	(void)state;
	format("", 0, "");
	format("\0\0\0", 0, "");
}

static void test_format_nonprintable_path(void **state)
{
	char raw[UC_PATH_LEN] = "/tmp/a\tb\x01";

	(void)state;
	format(raw, sizeof(raw), "/tmp/a\\x09b\\x01");
}

static void test_format_worst_case_fits(void **state)
{
	char raw[UC_PATH_LEN], out[UC_NAME_LEN];

	(void)state;
	memset(raw, 0x01, sizeof(raw));
	raw[0] = '\0'; /* abstract: '@' + 107 escaped bytes */
	uc_sun_path_format(raw, sizeof(raw), out, sizeof(out));
	assert_int_equal(strlen(out), 1 + 107 * 4);
	assert_string_equal(out + strlen(out) - 4, "\\x01");
}

static void test_format_small_buffer_is_terminated(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	uc_sun_path_format("/a/very/long/path", 17, out, sizeof(out));
	assert_non_null(memchr(out, '\0', sizeof(out)));
	assert_true(strncmp(out, "/a/", 3) == 0);
}

/* ---- uc_pattern_compile ---- */

struct compiled {
	struct uc_pattern k;
	char raw[UC_PATH_LEN + 16]; /* slack past UC_PATH_LEN to catch a write beyond it */
	size_t raw_len;
	char err[256];
	int ret;
};

static struct compiled *compile(const char *text)
{
	struct compiled *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	memset(c->raw + UC_PATH_LEN, 0x5a, 16);
	c->ret = uc_pattern_compile(text, &c->k, c->raw, &c->raw_len, c->err, sizeof(c->err));
	for (int i = 0; i < 16; i++)
		assert_int_equal(c->raw[UC_PATH_LEN + i], 0x5a);
	return c;
}

static void test_pattern_exact(void **state)
{
	struct compiled *c = compile("/run/app.sock");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, 13);
	assert_memory_equal(c->raw, "/run/app.sock", 13);
	assert_false(c->k.has_star);
	assert_int_equal(c->k.prefix_len, 13);
	assert_memory_equal(c->k.prefix, "/run/app.sock", 13);
	assert_int_equal(c->k.suffix_len, 0);
	free(c);
}

static void test_pattern_prefix_suffix(void **state)
{
	struct compiled *c = compile("/run/*.sock");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_true(c->k.has_star);
	assert_int_equal(c->k.prefix_len, 5);
	assert_memory_equal(c->k.prefix, "/run/", 5);
	assert_int_equal(c->k.suffix_len, 5);
	assert_memory_equal(c->k.suffix, ".sock", 5);
	assert_int_equal(c->raw_len, 11);
	free(c);
}

static void test_pattern_stars_both_ends(void **state)
{
	struct compiled *c = compile("*docker*");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_true(c->k.has_star);
	assert_int_equal(c->k.prefix_len, 0);
	assert_int_equal(c->k.suffix_len, 0);
	assert_memory_equal(c->raw, "*docker*", 8);
	free(c);
}

static void test_pattern_several_stars_keep_outer_parts(void **state)
{
	struct compiled *c = compile("/a*b*c");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->k.prefix_len, 2);
	assert_memory_equal(c->k.prefix, "/a", 2);
	assert_int_equal(c->k.suffix_len, 1);
	assert_memory_equal(c->k.suffix, "c", 1);
	free(c);
}

static void test_pattern_abstract(void **state)
{
	struct compiled *c = compile("@name");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, 5);
	assert_memory_equal(c->raw, "\0name", 5);
	assert_false(c->k.has_star);
	assert_int_equal(c->k.prefix_len, 5);
	assert_memory_equal(c->k.prefix, "\0name", 5);
	free(c);
}

static void test_pattern_abstract_glob(void **state)
{
	struct compiled *c = compile("@a*b");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_true(c->k.has_star);
	assert_int_equal(c->k.prefix_len, 2);
	assert_memory_equal(c->k.prefix, "\0a", 2);
	assert_int_equal(c->k.suffix_len, 1);
	assert_memory_equal(c->k.suffix, "b", 1);
	free(c);
}

static void test_pattern_reads_escapes_back(void **state)
{
	struct compiled *c = compile("@x\\x00y\\x5c");

	(void)state;
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, 5);
	assert_memory_equal(c->raw, "\0x\0y\\", 5);
	free(c);
}

static void test_pattern_bad_input_names_argument(void **state)
{
	static const char *const bad[] = { "relative.sock", "", "@", "~/x" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct compiled *c = compile(bad[i]);
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		assert_int_equal(c->ret, -1);
		assert_non_null(strstr(c->err, "--path"));
		assert_non_null(strstr(c->err, quoted));
		free(c);
	}
}

static void test_pattern_too_long(void **state)
{
	char text[UC_PATH_LEN + 3];
	struct compiled *c;

	(void)state;
	memset(text, 'a', sizeof(text));
	text[0] = '/';
	text[UC_PATH_LEN + 1] = '\0'; /* 109 bytes */
	c = compile(text);
	assert_int_equal(c->ret, -1);
	assert_non_null(strstr(c->err, "longer than 108"));
	assert_non_null(strstr(c->err, text));
	free(c);
	text[UC_PATH_LEN] = '\0'; /* exactly 108 bytes fits */
	c = compile(text);
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, UC_PATH_LEN);
	free(c);
}

static void test_pattern_abstract_too_long(void **state)
{
	char text[UC_PATH_LEN + 2];
	struct compiled *c;

	(void)state;
	/* '@' + 108 bytes would be 109 sun_path bytes with the leading NUL. */
	memset(text, 'b', sizeof(text));
	text[0] = '@';
	text[UC_PATH_LEN + 1] = '\0';
	c = compile(text);
	assert_int_equal(c->ret, -1);
	assert_non_null(strstr(c->err, "longer than"));
	free(c);
	text[UC_PATH_LEN] = '\0'; /* '@' + 107: 108 bytes, fits */
	c = compile(text);
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, UC_PATH_LEN);
	free(c);
}

static void test_pattern_truncated_escape_at_end(void **state)
{
	/* A "\x" with fewer than two hex digits is taken literally, not read past the end. */
	char *text = strdup("/a\\x4");
	struct compiled *c;

	(void)state;
	assert_non_null(text);
	c = compile(text);
	assert_int_equal(c->ret, 0);
	assert_int_equal(c->raw_len, 5);
	assert_memory_equal(c->raw, "/a\\x4", 5);
	free(c);
	free(text);
}

/* ---- uc_glob_match ---- */

static bool match(const char *pat, const char *s)
{
	return uc_glob_match(pat, strlen(pat), s, strlen(s));
}

static void test_glob_star_positions(void **state)
{
	(void)state;
	assert_true(match("*.sock", "/run/a.sock"));
	assert_true(match("/run/*.sock", "/run/a.sock"));
	assert_true(match("/run/*", "/run/a.sock"));
	assert_false(match("*.sock", "/run/a.socket"));
	assert_false(match("/run/*", "/var/run/a"));
}

static void test_glob_several_stars(void **state)
{
	(void)state;
	assert_true(match("*docker*", "/var/run/docker.sock"));
	assert_true(match("/a*b*c", "/aXbYc"));
	assert_true(match("/a*b*c", "/abbbc"));
	assert_false(match("/a*b*c", "/aXcYb"));
	assert_true(match("**", "x"));
}

static void test_glob_star_matches_slash(void **state)
{
	(void)state;
	assert_true(match("/run/*.sock", "/run/user/1000/bus.sock"));
	assert_true(match("*", "/a/b/c"));
}

static void test_glob_no_match_and_empty(void **state)
{
	(void)state;
	assert_false(match("/run/a", "/run/b"));
	assert_false(match("/run/a", "/run/ab"));
	assert_false(match("/run/ab", "/run/a"));
	assert_true(match("", ""));
	assert_true(match("*", ""));
	assert_false(match("", "x"));
	assert_false(match("a*", ""));
}

static void test_glob_binary_bytes(void **state)
{
	static const char name[] = { '\0', 'a', '\0', 'b' };
	static const char pat[] = { '\0', 'a', '*' };

	(void)state;
	assert_true(uc_glob_match(pat, sizeof(pat), name, sizeof(name)));
	assert_false(uc_glob_match(pat, sizeof(pat), name + 1, sizeof(name) - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_len_filesystem_path_stops_at_nul),
		cmocka_unit_test(test_len_abstract_keeps_every_byte),
		cmocka_unit_test(test_len_unnamed_and_full),
		cmocka_unit_test(test_format_filesystem_with_trailing_nuls),
		cmocka_unit_test(test_format_abstract_escapes),
		cmocka_unit_test(test_format_unnamed_is_empty),
		cmocka_unit_test(test_format_nonprintable_path),
		cmocka_unit_test(test_format_worst_case_fits),
		cmocka_unit_test(test_format_small_buffer_is_terminated),
		cmocka_unit_test(test_pattern_exact),
		cmocka_unit_test(test_pattern_prefix_suffix),
		cmocka_unit_test(test_pattern_stars_both_ends),
		cmocka_unit_test(test_pattern_several_stars_keep_outer_parts),
		cmocka_unit_test(test_pattern_abstract),
		cmocka_unit_test(test_pattern_abstract_glob),
		cmocka_unit_test(test_pattern_reads_escapes_back),
		cmocka_unit_test(test_pattern_bad_input_names_argument),
		cmocka_unit_test(test_pattern_too_long),
		cmocka_unit_test(test_pattern_abstract_too_long),
		cmocka_unit_test(test_pattern_truncated_escape_at_end),
		cmocka_unit_test(test_glob_star_positions),
		cmocka_unit_test(test_glob_several_stars),
		cmocka_unit_test(test_glob_star_matches_slash),
		cmocka_unit_test(test_glob_no_match_and_empty),
		cmocka_unit_test(test_glob_binary_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
