/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the D-Bus flow writer: bytes that turn out not to be D-Bus keep their order,
 * the SASL text held for a message's comment included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sinks/dbus_sink.h"

struct collected {
	uint8_t bytes[8192];
	size_t len;
};

static int collect(void *ctx, const uint8_t *data, size_t len)
{
	struct collected *c = ctx;

	assert_true(c->len + len <= sizeof(c->bytes));
	memcpy(c->bytes + c->len, data, len);
	c->len += len;
	return 0;
}

/* A stream whose first write is one NUL byte looks like libdbus's credentials byte; what follows
 * is not D-Bus. Every byte comes out raw, in the order it was sent. */
static void test_lone_nul_then_not_dbus(void **state)
{
	struct collected got = { 0 };
	struct uc_dbus_out out = { .dir = 0, .meta = "unixcap", .raw = collect, .raw_ctx = &got };
	struct uc_dbus_flow *d = uc_dbus_flow_new();
	uint8_t sent[4097], rest[4096];

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(rest); i++)
		rest[i] = (uint8_t)(i * 131 + 7);
	sent[0] = 0;
	memcpy(sent + 1, rest, sizeof(rest));
	assert_int_equal(uc_dbus_flow_write(d, &out, sent, 1, 0, 0), 0);
	assert_int_equal(uc_dbus_flow_write(d, &out, rest, sizeof(rest), 0, 0), 0);
	assert_int_equal(uc_dbus_flow_finish(d, &out), 0);
	assert_int_equal(got.len, sizeof(sent));
	assert_memory_equal(got.bytes, sent, sizeof(sent));
	uc_dbus_flow_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lone_nul_then_not_dbus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
