/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the extcap calls: what each prints, the capture filter's words, and how --capture
 * turns into the options of a capture into the FIFO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cli/extcap.h"

#define MAX_ARGS 32

/* A call: fresh writable argv, and what it printed on out and err. */
struct call {
	int argc;
	char *argv[MAX_ARGS + 1];
	char words[MAX_ARGS][256];
	struct uc_cli cli;
	char *out, *err;
	size_t out_len, err_len;
	int status;
};

static struct call *run_words(const char *const *words)
{
	static struct call c;
	FILE *out, *err;

	free(c.out);
	free(c.err);
	memset(&c, 0, sizeof(c));
	for (; *words; words++) {
		assert_true(c.argc < MAX_ARGS);
		snprintf(c.words[c.argc], sizeof(c.words[0]), "%s", *words);
		c.argv[c.argc] = c.words[c.argc];
		c.argc++;
	}
	out = open_memstream(&c.out, &c.out_len);
	err = open_memstream(&c.err, &c.err_len);
	assert_non_null(out);
	assert_non_null(err);
	c.status = uc_extcap_handle(c.argc, c.argv, &c.cli, out, err);
	fclose(out);
	fclose(err);
	return &c;
}

#define RUN(...) run_words((const char *const[]){ "unixcap", __VA_ARGS__, NULL })

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* A usage error: status 2, nothing on out, one line on err that holds want. */
static void expect_usage_error(const struct call *c, const char *want)
{
	if (!strstr(c->err, want))
		print_error("err was: %s\n", c->err);
	assert_int_equal(c->status, 2);
	assert_int_equal(c->out_len, 0);
	assert_int_equal(count_lines(c->err), 1);
	assert_non_null(strstr(c->err, want));
}

static void test_detects_extcap_calls(void **state)
{
	(void)state;
	char *interfaces[] = { "unixcap", "--extcap-interfaces", NULL };
	char *version[] = { "unixcap", "--extcap-version=4.0", NULL };
	char *capture[] = { "unixcap", "--path", "/x", "--capture", NULL };
	char *fifo[] = { "unixcap", "--fifo=/tmp/f", NULL };
	char *plain[] = { "unixcap", "-w", "x.pcapng", "--path", "/run/docker.sock", "-U", NULL };
	char *near[] = { "unixcap", "--extcap", "--captures", NULL };

	assert_true(uc_extcap_call(2, interfaces));
	assert_true(uc_extcap_call(2, version));
	assert_true(uc_extcap_call(4, capture));
	assert_true(uc_extcap_call(2, fifo));
	assert_false(uc_extcap_call(6, plain));
	assert_false(uc_extcap_call(3, near));
}

static void test_interfaces(void **state)
{
	(void)state;
	const char *prefix = "extcap {version=" UNIXCAP_VERSION "}{help=file:///";
	struct call *c = RUN("--extcap-interfaces", "--extcap-version=4.0");

	assert_int_equal(c->status, 0);
	assert_int_equal(c->err_len, 0);
	assert_int_equal(count_lines(c->out), 2);
	assert_true(strncmp(c->out, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(c->out, "}\ninterface {value=unixcap}{display=AF_UNIX sockets "
				       "(unixcap)}\n"));
	/* Wireshark 4.0 passes the version glued on; anything else Wireshark adds is ignored. */
	c = RUN("--extcap-interfaces");
	assert_int_equal(c->status, 0);
	assert_int_equal(count_lines(c->out), 2);
}

static void test_dlts(void **state)
{
	(void)state;
	struct call *c = RUN("--extcap-dlts", "--extcap-interface", "unixcap");

	assert_int_equal(c->status, 0);
	assert_int_equal(c->err_len, 0);
	assert_string_equal(
		c->out,
		"dlt {number=101}{name=RAW}{display=IPv4 (synthetic TCP/UDP for AF_UNIX)}\n");
	c = RUN("--extcap-interface=unixcap", "--extcap-dlts");
	assert_int_equal(c->status, 0);
	assert_int_equal(count_lines(c->out), 1);
}

static void test_config(void **state)
{
	(void)state;
	struct call *c = RUN("--extcap-config", "--extcap-interface", "unixcap");
	const char *calls[] = { "{call=--path}{display=Socket path}{type=string}",
				"{call=--pid}{display=Process ID}{type=integer}",
				"{call=--comm}{display=Process name}{type=string}",
				"{call=--type}{display=Socket type}{type=selector}",
				"{call=-s}{display=Snapshot length}{type=integer}" };
	char *line, *save = NULL;

	assert_int_equal(c->status, 0);
	assert_int_equal(c->err_len, 0);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		assert_non_null(strstr(c->out, calls[i]));
	assert_non_null(strstr(c->out, "value {arg=3}{value=stream}"));
	assert_non_null(strstr(c->out, "value {arg=3}{value=dgram}"));
	assert_non_null(strstr(c->out, "value {arg=3}{value=seqpacket}"));
	/* Every line is a sentence of {key=value} parts: no brace inside a value. */
	for (line = strtok_r(c->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int depth = 0;

		assert_true(strncmp(line, "arg {", 5) == 0 || strncmp(line, "value {", 7) == 0);
		for (const char *p = strchr(line, '{'); *p; p++) {
			depth += *p == '{';
			depth -= *p == '}';
			assert_true(depth == 0 || depth == 1);
		}
		assert_int_equal(depth, 0);
		assert_int_equal(line[strlen(line) - 1], '}');
	}
	/* No option has values to reload. */
	c = RUN("--extcap-config", "--extcap-interface", "unixcap", "--extcap-reload-option",
		"--type");
	assert_int_equal(c->status, 0);
	assert_int_equal(c->out_len, 0);
}

static void test_unknown_or_missing_interface(void **state)
{
	(void)state;
	expect_usage_error(RUN("--extcap-dlts", "--extcap-interface", "eth0"),
			   "unknown extcap interface 'eth0'");
	expect_usage_error(RUN("--extcap-config", "--extcap-interface", "eth0"),
			   "unknown extcap interface 'eth0'");
	expect_usage_error(RUN("--capture", "--extcap-interface", "eth0", "--fifo", "/tmp/f"),
			   "unknown extcap interface 'eth0'");
	expect_usage_error(RUN("--extcap-config"), "needs --extcap-interface unixcap");
	expect_usage_error(RUN("--capture", "--fifo", "/tmp/f"),
			   "needs --extcap-interface unixcap");
}

static void test_malformed_calls(void **state)
{
	(void)state;
	expect_usage_error(RUN("--extcap-interface", "unixcap"), "an extcap call needs");
	expect_usage_error(RUN("--fifo", "/tmp/f"), "an extcap call needs");
	expect_usage_error(RUN("--capture", "--extcap-interface", "unixcap"), "needs --fifo PATH");
	expect_usage_error(RUN("--capture", "--extcap-interface", "unixcap", "--fifo"),
			   "option '--fifo' needs a value");
	expect_usage_error(RUN("--capture=yes", "--extcap-interface", "unixcap"),
			   "option '--capture' takes no value");
	expect_usage_error(
		RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/f", "-w", "x"),
		"do not go with --capture");
	expect_usage_error(
		RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/f", "--pid", "0"),
		"invalid --pid '0'");
}

static void test_capture_fills_the_options(void **state)
{
	(void)state;
	struct call *c = RUN("--capture", "--extcap-interface", "unixcap",
			     "--extcap-capture-filter", "--path '/run/my app.sock' --pid 12",
			     "--fifo", "/tmp/wireshark_extcap_unixcap1", "--path",
			     "/run/docker.sock", "--type", "stream", "-s", "100",
			     "--extcap-control-in", "/tmp/ci");
	const struct uc_filter *f = &c->cli.capture.filter;

	assert_int_equal(c->status, UC_EXTCAP_CAPTURE);
	assert_int_equal(c->out_len, 0);
	assert_int_equal(c->err_len, 0);
	assert_string_equal(c->cli.write_path, "/tmp/wireshark_extcap_unixcap1");
	assert_true(c->cli.flush_each);
	assert_true(c->cli.extcap);
	assert_int_equal(c->cli.capture.snaplen, 100);
	/* The filter's words follow the interface's options: its --path adds an alternative. */
	assert_int_equal(f->n_paths, 2);
	assert_string_equal(f->paths[0], "/run/docker.sock");
	assert_string_equal(f->paths[1], "/run/my app.sock");
	assert_int_equal(f->n_pids, 1);
	assert_int_equal(f->pids[0], 12);
	assert_int_equal(f->type_mask, 1u << SOCK_STREAM);
}

static void test_capture_without_filter(void **state)
{
	(void)state;
	struct call *c = RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/tmp/f",
			     "--type", "stream,dgram,seqpacket", "--extcap-capture-filter", "  ");

	assert_int_equal(c->status, UC_EXTCAP_CAPTURE);
	assert_int_equal(c->cli.capture.filter.n_paths, 0);
	assert_int_equal(c->cli.capture.filter.type_mask,
			 1u << SOCK_STREAM | 1u << SOCK_DGRAM | 1u << SOCK_SEQPACKET);
	c = RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/tmp/f");
	assert_int_equal(c->status, UC_EXTCAP_CAPTURE);
	assert_string_equal(c->cli.write_path, "/tmp/f");
	assert_int_equal(c->cli.capture.snaplen, 0);
}

static void test_capture_with_a_bad_filter(void **state)
{
	(void)state;
	expect_usage_error(RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/tmp/f",
			       "--extcap-capture-filter", "tcp port 80"),
			   "capture filter: unexpected 'tcp'");
	/* 8 --path from the interface and 1 from the filter are too many together. */
	expect_usage_error(RUN("--capture", "--extcap-interface", "unixcap", "--fifo", "/tmp/f",
			       "--path", "/1", "--path", "/2", "--path", "/3", "--path", "/4",
			       "--path", "/5", "--path", "/6", "--path", "/7", "--path", "/8",
			       "--extcap-capture-filter", "--path /9"),
			   "too many --path");
}

static void expect_filter(const char *filter, const char *want)
{
	char err[512] = "";
	int ret = uc_extcap_check_filter(filter, err, sizeof(err));

	if (!want) {
		if (ret != 0)
			print_error("'%s' refused: %s\n", filter, err);
		assert_int_equal(ret, 0);
		return;
	}
	if (ret != -1 || !strstr(err, want))
		print_error("'%s': ret %d, err was: %s\n", filter, ret, err);
	assert_int_equal(ret, -1);
	assert_non_null(strstr(err, want));
	assert_null(strchr(err, '\n'));
}

static void test_filter_words(void **state)
{
	(void)state;
	expect_filter(NULL, NULL);
	expect_filter("", NULL);
	expect_filter(" \t ", NULL);
	expect_filter("--path /run/docker.sock --pid 12", NULL);
	expect_filter("--path=/run/*.sock --type=dgram,seqpacket --comm=dockerd", NULL);
	expect_filter("--path \"@abstract name\" --pid 1 --pid 2", NULL);
	expect_filter("tcp port 80", "unexpected 'tcp'");
	expect_filter("--path /a host 1", "unexpected 'host'");
	expect_filter("-w /tmp/x", "unexpected '-w'");
	expect_filter("--decode-as /a=http", "unexpected '--decode-as");
	expect_filter("--pa /a", "unexpected '--pa'");
	expect_filter("--pid", "'--pid' needs a value");
	expect_filter("--pid x", "invalid --pid 'x'");
	expect_filter("--type tcp", "invalid --type 'tcp'");
	expect_filter("--comm 0123456789abcdefg", "invalid --comm");
	expect_filter("--path '/a b", "a quote is not closed");
}

/* Wireshark checks a filter as it is typed: valid prints nothing, invalid one line; both exit 0. */
static void test_filter_verdicts(void **state)
{
	(void)state;
	struct call *c = RUN("--extcap-capture-filter", "--pid 12", "--extcap-interface",
			     "unixcap");

	assert_int_equal(c->status, 0);
	assert_int_equal(c->out_len, 0);
	assert_int_equal(c->err_len, 0);
	c = RUN("--extcap-capture-filter", "port 53", "--extcap-interface", "unixcap");
	assert_int_equal(c->status, 0);
	assert_int_equal(c->err_len, 0);
	assert_int_equal(count_lines(c->out), 1);
	assert_non_null(strstr(c->out, "unexpected 'port'"));
	c = RUN("--extcap-capture-filter", "port 53", "--extcap-interface", "eth1");
	expect_usage_error(c, "unknown extcap interface 'eth1'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detects_extcap_calls),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_dlts),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_unknown_or_missing_interface),
		cmocka_unit_test(test_malformed_calls),
		cmocka_unit_test(test_capture_fills_the_options),
		cmocka_unit_test(test_capture_without_filter),
		cmocka_unit_test(test_capture_with_a_bad_filter),
		cmocka_unit_test(test_filter_words),
		cmocka_unit_test(test_filter_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
