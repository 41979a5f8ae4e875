/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for top's refresh: the exact plain lines, the screen's escapes and tables. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sinks/top_view.h"

#define APP "/run/app.sock"
#define START_NS 5000000000ull
#define MONO_NS (START_NS + 3723000000000ull + 999999999ull) /* 1:02:03 elapsed */
#define WALL_NS 1700000000123456789ull                       /* 2023-11-14 22:13:20.123 UTC */

#define HIDE_CURSOR_CLEAR "\033[?25l\033[H\033[2J"
#define SCREEN_HEAD HIDE_CURSOR_CLEAR "unixcap top - 22:13:20 - 2 messages, 3020 bytes"

static void add(struct uc_traffic_table *t, enum uc_message_event ev, uint32_t pid,
		const char *comm, const char *own, const char *peer, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.event = ev;
	m.pid = m.tid = pid;
	m.sock_type = SOCK_STREAM;
	snprintf(m.comm, sizeof(m.comm), "%s", comm);
	snprintf(m.own_path, sizeof(m.own_path), "%s", own);
	snprintf(m.peer_path, sizeof(m.peer_path), "%s", peer);
	m.len = len; /* caplen = stored = 0, data NULL: as top's metadata-only capture delivers it */
	uc_traffic_add(t, &m);
}

/* Two processes on one socket path, over one second: a request of 3000 bytes and a reply of
 * 20, each read by the other side. The comms hold a space and a tab. */
static struct uc_traffic_table *two_processes(void)
{
	struct uc_traffic_table *t = uc_traffic_new(0);

	assert_non_null(t);
	add(t, UC_MSG_DATA, 100, "my app", "", APP, 3000);
	add(t, UC_MSG_READ, 200, "srv\tx", APP, "", 3000);
	add(t, UC_MSG_DATA, 200, "srv\tx", APP, "", 20);
	add(t, UC_MSG_READ, 100, "my app", "", APP, 20);
	uc_traffic_interval(t, 1000000000ull);
	return t;
}

static const struct uc_stats stats = { .messages = 2, .bytes = 3020 };

/* One draw into a memory buffer; the caller frees what it returns. */
static char *draw(struct uc_top_view *v, struct uc_traffic_table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(uc_top_view_draw(v, f, t, &stats, MONO_NS, WALL_NS), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* What uc_top_view_end writes; the caller frees it. */
static char *ended(const struct uc_top_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	uc_top_view_end(v, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_plain_lines(void **state)
{
	struct uc_traffic_table *t = two_processes();
	struct uc_top_view v;
	char *out;

	(void)state;
	uc_top_view_init(&v, false, START_NS);
	out = draw(&v, t);
	assert_string_equal(out,
			    "2023-11-14 22:13:20.123 unixcap top: 2 messages, 3020 bytes, 0 lost, "
			    "1:02:03 elapsed\n"
			    "process 100 my\\x20app 1 3000 1 20 3020 0 0\n"
			    "process 200 srv\\x09x 1 20 1 3000 3020 0 0\n"
			    "socket " APP " 1 20 1 3000 3020 0 0\n"
			    "\n");
	free(out);
	out = ended(&v); /* nothing to put back off a terminal */
	assert_string_equal(out, "");
	free(out);
	uc_traffic_free(t);
}

static void test_screen(void **state)
{
	struct uc_traffic_table *t = two_processes();
	struct uc_top_view v;
	char *out;

	(void)state;
	uc_top_view_init(&v, true, START_NS);
	out = draw(&v, t);
	assert_memory_equal(out, SCREEN_HEAD, strlen(SCREEN_HEAD));
	assert_non_null(strstr(out, "\nPROCESSES: 2\033[K\n\033[7m    PID COMM "));
	assert_non_null(strstr(out, "\nSOCKETS: 1\033[K\n\033[7mPATH "));
	/* on screen a space stays, a control character is escaped */
	assert_non_null(strstr(out, "\n    100 my app          "));
	assert_non_null(strstr(out, "\n    200 srv\\x09x"));
	assert_non_null(strstr(out, "\n" APP " "));
	assert_string_equal(out + strlen(out) - 3, "\033[J");
	free(out);
	/* the next refresh only goes home; a new size clears the screen again */
	out = draw(&v, t);
	assert_memory_equal(out, "\033[Hunixcap top", 14);
	free(out);
	uc_top_view_resize(&v, 30, 100);
	out = draw(&v, t);
	assert_memory_equal(out, HIDE_CURSOR_CLEAR, strlen(HIDE_CURSOR_CLEAR));
	free(out);
	out = ended(&v); /* attributes off, the cursor back, the prompt below the screen */
	assert_string_equal(out, "\033[m\033[?25h\n");
	free(out);
	uc_traffic_free(t);
}

/* A reader that left (top | head) shows as EPIPE, for top to end quietly. */
static void test_reader_gone(void **state)
{
	struct uc_traffic_table *t = two_processes();
	struct uc_top_view v;
	int fds[2];
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	uc_top_view_init(&v, false, START_NS);
	errno = 0;
	assert_int_equal(uc_top_view_draw(&v, f, t, &stats, MONO_NS, WALL_NS), -1);
	assert_int_equal(errno, EPIPE);
	fclose(f);
	uc_traffic_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_screen),
		cmocka_unit_test(test_reader_gone),
	};

	setenv("TZ", "UTC", 1); /* the header's clock is local time */
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
