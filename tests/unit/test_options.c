/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for command-line parsing: every option's good values, and usage errors that say what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"

#define MAX_ARGS 32

/* getopt_long permutes argv, so every parse gets a fresh, writable copy of the words. */
struct args {
	int argc;
	char *argv[MAX_ARGS + 1];
	char words[MAX_ARGS][128];
};

static int parse_words(struct args *a, struct uc_cli *cli, char *err, size_t errlen,
		       const char *const *words)
{
	a->argc = 0;
	for (; *words; words++) {
		assert_true(a->argc < MAX_ARGS);
		snprintf(a->words[a->argc], sizeof(a->words[0]), "%s", *words);
		a->argv[a->argc] = a->words[a->argc];
		a->argc++;
	}
	a->argv[a->argc] = NULL;
	return uc_cli_parse(a->argc, a->argv, cli, err, errlen);
}

#define PARSE(a, cli, err, ...)                     \
	parse_words((a), (cli), (err), sizeof(err), \
		    (const char *const[]){ "unixcap", __VA_ARGS__, NULL })

/* A bad command line must fail with a message that quotes every given fragment. */
static void expect_error(const char *const *words, const char *want1, const char *want2)
{
	static struct args a;
	struct uc_cli cli;
	char err[256] = "";

	assert_int_equal(parse_words(&a, &cli, err, sizeof(err), words), -1);
	if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
		print_error("err was: %s\n", err);
	assert_non_null(strstr(err, want1));
	if (want2)
		assert_non_null(strstr(err, want2));
	assert_null(strchr(err, '\n'));
}

#define EXPECT_ERROR(want1, want2, ...) \
	expect_error((const char *const[]){ "unixcap", __VA_ARGS__, NULL }, (want1), (want2))

/* ---- good command lines ---- */

static void test_defaults(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	memset(&cli, 0xa5, sizeof(cli));
	assert_int_equal(
		parse_words(&a, &cli, err, sizeof(err), (const char *const[]){ "unixcap", NULL }),
		0);
	assert_null(cli.write_path);
	assert_int_equal(cli.count, 0);
	assert_false(cli.flush_each);
	assert_int_equal(cli.payload, UC_TEXT_ESCAPED);
	assert_int_equal(cli.capture.snaplen, 0);
	assert_int_equal(cli.capture.ring_kib, 0);
	assert_int_equal(cli.verbose, 0);
	assert_int_equal(cli.capture.filter.n_paths, 0);
	assert_int_equal(cli.capture.filter.n_pids, 0);
	assert_null(cli.capture.filter.comm);
	assert_int_equal(cli.capture.filter.type_mask, 0);
	assert_false(cli.help);
	assert_false(cli.version);
}

static void test_output_and_numbers(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "-w", "-", "-U", "-c", "5", "-s", "64", "-B", "1024"),
			 0);
	assert_string_equal(cli.write_path, "-");
	assert_true(cli.flush_each);
	assert_int_equal(cli.count, 5);
	assert_int_equal(cli.capture.snaplen, 64);
	assert_int_equal(cli.capture.ring_kib, 1024);
}

static void test_read_rotate_and_user(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "-r", "in.pcapng", "--json", "--pid", "7"), 0);
	assert_string_equal(cli.read_path, "in.pcapng");
	assert_true(cli.json);
	assert_int_equal(PARSE(&a, &cli, err, "-w", "x-%H", "-C", "5", "-G", "60", "-W", "3", "-Z",
			       "nobody", "--print"),
			 0);
	assert_int_equal(cli.rotate_mb, 5);
	assert_int_equal(cli.rotate_secs, 60);
	assert_int_equal(cli.max_files, 3);
	assert_string_equal(cli.drop_user, "nobody");
	assert_true(cli.print);
}

/* Options that only make sense together say which one is missing. */
static void test_combinations(void **state)
{
	(void)state;
	EXPECT_ERROR("--print needs -w FILE", NULL, "--print");
	EXPECT_ERROR("--print needs -w FILE", NULL, "-w", "-", "--print");
	EXPECT_ERROR("--json prints on stdout", NULL, "-w", "f", "--json");
	EXPECT_ERROR("-C, -G and -W need -w FILE", NULL, "-C", "1");
	EXPECT_ERROR("-C, -G and -W need -w FILE", NULL, "-w", "-", "-G", "1");
	EXPECT_ERROR("-W needs -C or -G", NULL, "-w", "f", "-W", "2");
	EXPECT_ERROR("not with -r", NULL, "-r", "f", "-s", "10");
	EXPECT_ERROR("no such user", "'no-such-user-x'", "-Z", "no-such-user-x");
	EXPECT_ERROR("invalid -C '0'", NULL, "-w", "f", "-C", "0");
	EXPECT_ERROR("invalid -G 'x'", NULL, "-w", "f", "-G", "x");
}

static void test_number_limits(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "-s0", "-B", "64", "-c", "18446744073709551615"), 0);
	assert_int_equal(cli.capture.snaplen, 0);
	assert_int_equal(cli.capture.ring_kib, 64);
	assert_true(cli.count == UINT64_MAX);
	assert_int_equal(PARSE(&a, &cli, err, "-s", "4294967295", "-B", "2097152"), 0);
	assert_int_equal(cli.capture.snaplen, UINT32_MAX);
	assert_int_equal(cli.capture.ring_kib, 2097152);
}

static void test_payload_modes(void **state)
{
	static const struct {
		const char *opt;
		enum uc_text_payload want;
	} cases[] = {
		{ "-x", UC_TEXT_HEX },
		{ "-X", UC_TEXT_HEXASCII },
		{ "-A", UC_TEXT_ASCII },
		{ "-q", UC_TEXT_NONE },
	};
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(PARSE(&a, &cli, err, cases[i].opt), 0);
		assert_int_equal(cli.payload, cases[i].want);
	}
	assert_int_equal(PARSE(&a, &cli, err, "-x", "-A"), 0); /* the last one wins */
	assert_int_equal(cli.payload, UC_TEXT_ASCII);
}

static void test_verbose_counts(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "-v", "-v"), 0);
	assert_int_equal(cli.verbose, 2);
	assert_int_equal(PARSE(&a, &cli, err, "-vvv"), 0);
	assert_int_equal(cli.verbose, 3);
}

static void test_types(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "--type", "stream,dgram"), 0);
	assert_int_equal(cli.capture.filter.type_mask, 1u << 1 | 1u << 2);
	assert_int_equal(PARSE(&a, &cli, err, "--type", "seqpacket", "--type=dgram"), 0);
	assert_int_equal(cli.capture.filter.type_mask, 1u << 5 | 1u << 2);
}

static void test_repeated_pid_and_path(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "--pid", "1", "--path", "/run/*.sock",
			       "--pid=4194304", "--path", "@bus", "--comm", "systemd-journal"),
			 0);
	assert_int_equal(cli.capture.filter.n_pids, 2);
	assert_int_equal(cli.capture.filter.pids[0], 1);
	assert_int_equal(cli.capture.filter.pids[1], 4194304);
	assert_int_equal(cli.capture.filter.n_paths, 2);
	assert_string_equal(cli.capture.filter.paths[0], "/run/*.sock");
	assert_string_equal(cli.capture.filter.paths[1], "@bus");
	assert_string_equal(cli.capture.filter.comm, "systemd-journal"); /* 15 characters */
}

static void test_eight_paths_allowed(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "--path", "/1", "--path", "/2", "--path", "/3",
			       "--path", "/4", "--path", "/5", "--path", "/6", "--path", "/7",
			       "--path", "/8"),
			 0);
	assert_int_equal(cli.capture.filter.n_paths, 8);
	assert_string_equal(cli.capture.filter.paths[7], "/8");
}

static void test_help_and_version(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	assert_int_equal(PARSE(&a, &cli, err, "-h"), 0);
	assert_true(cli.help);
	assert_false(cli.version);
	assert_int_equal(PARSE(&a, &cli, err, "--help", "--version"), 0);
	assert_true(cli.help);
	assert_true(cli.version);
}

/* ---- usage errors ---- */

static void test_bad_count(void **state)
{
	(void)state;
	EXPECT_ERROR("-c", "'0'", "-c", "0");
	EXPECT_ERROR("-c", "'abc'", "-c", "abc");
	EXPECT_ERROR("-c", "'-1'", "-c", "-1");
	EXPECT_ERROR("-c", "'18446744073709551616'", "-c", "18446744073709551616");
	EXPECT_ERROR("-c", "' 5'", "-c", " 5");
}

static void test_bad_snaplen_and_ring(void **state)
{
	(void)state;
	EXPECT_ERROR("-s", "'12x'", "-s", "12x");
	EXPECT_ERROR("-s", "'4294967296'", "-s", "4294967296");
	EXPECT_ERROR("-s", "''", "-s", "");
	EXPECT_ERROR("-B", "'1'", "-B", "1");
	EXPECT_ERROR("-B", "'2097153'", "-B", "2097153");
}

static void test_bad_filters(void **state)
{
	(void)state;
	EXPECT_ERROR("--pid", "'0'", "--pid", "0");
	EXPECT_ERROR("--pid", "'4194305'", "--pid", "4194305");
	EXPECT_ERROR("--pid", "'12ab'", "--pid=12ab");
	EXPECT_ERROR("--type", "'foo'", "--type", "foo");
	EXPECT_ERROR("--type", "'foo'", "--type", "stream,foo");
	EXPECT_ERROR("--type", "''", "--type", ""); /* not "any type" */
	EXPECT_ERROR("--type", "','", "--type", ",");
	/* longer than the parser's copy: refused, not cut before "foo" */
	EXPECT_ERROR("--type", "dgram,foo'", "--type",
		     "stream,stream,stream,stream,stream,stream,stream,stream,stream,dgram,foo");
	EXPECT_ERROR("--comm", "'abcdefghijklmnop'", "--comm", "abcdefghijklmnop");
	EXPECT_ERROR("--comm", "''", "--comm", "");
	EXPECT_ERROR("--path", "'relative'", "--path", "relative");
}

static void test_too_many_paths_and_pids(void **state)
{
	(void)state;
	EXPECT_ERROR("--path", "8", "--path", "/1", "--path", "/2", "--path", "/3", "--path", "/4",
		     "--path", "/5", "--path", "/6", "--path", "/7", "--path", "/8", "--path",
		     "/9");
	EXPECT_ERROR("--pid", "8", "--pid", "1", "--pid", "2", "--pid", "3", "--pid", "4", "--pid",
		     "5", "--pid", "6", "--pid", "7", "--pid", "8", "--pid", "9");
}

static void test_unknown_option(void **state)
{
	(void)state;
	EXPECT_ERROR("unknown option", "'--bogus'", "--bogus");
	EXPECT_ERROR("unknown option", "'-K'", "-K");
	EXPECT_ERROR("unknown option", "'--help=3'", "--help=3");
	/* In a cluster the unknown letter is named, not a neighbouring word. */
	EXPECT_ERROR("unknown option", "-K", "-c", "5", "-Kv");
	/* --c could be --comm or --cgroup: an abbreviation of two filters is refused, not taken
	 * as the first (the filters share one option table but not one value). */
	EXPECT_ERROR("unknown option", "'--c'", "--c", "x");
}

static void test_missing_value(void **state)
{
	(void)state;
	EXPECT_ERROR("needs a value", "'-c'", "-c");
	EXPECT_ERROR("needs a value", "'--pid'", "-v", "--pid");
	EXPECT_ERROR("needs a value", "'-qw'", "-qw");
}

static void test_stray_argument(void **state)
{
	(void)state;
	EXPECT_ERROR("unexpected argument", "'stray'", "-v", "stray");
	EXPECT_ERROR("unexpected argument", "'later'", "later", "-c", "1");
}

static void test_failed_parse_leaves_no_state(void **state)
{
	struct args a;
	struct uc_cli cli;
	char err[128] = "";

	(void)state;
	/* getopt stops in the middle of "-Zv"; the next parse must not resume there. */
	assert_int_equal(PARSE(&a, &cli, err, "-Zv"), -1);
	assert_int_equal(PARSE(&a, &cli, err, "-c", "7"), 0);
	assert_int_equal(cli.verbose, 0);
	assert_int_equal(cli.count, 7);
}

static void test_usage_mentions_every_option(void **state)
{
	static const char *const opts[] = { "-w",     "-U",     "-c",     "-s",
					    "-B",     "-x",     "-X",     "-A",
					    "-q",     "-v",     "--path", "--pid",
					    "--comm", "--type", "--help", "--version" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	uc_cli_usage(f);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		assert_non_null(strstr(buf, opts[i]));
	free(buf);
}

/* The filter options on their own, as unixcap top parses them: same checks, same words. */
static void test_filter_option_alone(void **state)
{
	struct uc_filter f;
	char err[256] = "";

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(uc_cli_parse_filter(UC_OPT_PATH, "/run/*.sock", &f, err, sizeof(err)), 0);
	assert_int_equal(uc_cli_parse_filter(UC_OPT_PID, "42", &f, err, sizeof(err)), 0);
	assert_int_equal(uc_cli_parse_filter(UC_OPT_TYPE, "stream,dgram", &f, err, sizeof(err)), 0);
	assert_int_equal(f.n_paths, 1);
	assert_string_equal(f.paths[0], "/run/*.sock");
	assert_int_equal(f.pids[0], 42);
	assert_int_equal(f.type_mask, 1u << 1 | 1u << 2);
	assert_int_equal(uc_cli_parse_filter(UC_OPT_TYPE, "foo", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid --type 'foo'"));
	assert_int_equal(uc_cli_parse_filter(UC_OPT_COMMAND, "x", &f, err, sizeof(err)), 1);
	assert_int_equal(uc_cli_parse_filter('w', "/x", &f, err, sizeof(err)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_output_and_numbers),
		cmocka_unit_test(test_number_limits),
		cmocka_unit_test(test_payload_modes),
		cmocka_unit_test(test_verbose_counts),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_repeated_pid_and_path),
		cmocka_unit_test(test_eight_paths_allowed),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_bad_count),
		cmocka_unit_test(test_bad_snaplen_and_ring),
		cmocka_unit_test(test_bad_filters),
		cmocka_unit_test(test_too_many_paths_and_pids),
		cmocka_unit_test(test_read_rotate_and_user),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_stray_argument),
		cmocka_unit_test(test_failed_parse_leaves_no_state),
		cmocka_unit_test(test_usage_mentions_every_option),
		cmocka_unit_test(test_filter_option_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
