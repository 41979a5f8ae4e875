/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap top: its options and capture loop; src/sinks/top_view.c draws each refresh. */
#include "cli/top_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "unixcap.h"
#include "core/error.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "conversations/traffic_table.h"
#include "sinks/top_view.h"
#include "core/clock.h"

#define SHORT_OPTIONS ":d:n:B:vh"
#define MAX_POLL_MS 250 /* a signal interrupts the poll anyway; this bounds a missed one */

struct top {
	struct uc_options capture;
	int verbose;          /* -v; -vv also shows libbpf's own log */
	uint64_t interval_ns; /* -d */
	uint64_t count;       /* -n; 0: until stopped */
	bool help;
	struct uc_traffic_table *table;
	uint64_t mark_ns;        /* CLOCK_MONOTONIC at the end of the last interval */
	struct uc_top_view view; /* .tty: stdout is a terminal, so a full screen */
};

static const struct option long_options[] = {
	UC_CAPTURE_FILTER_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: unixcap top [options]\n"
	      "Bytes and messages each way per process and per socket path, live (needs root).\n\n"
	      "  -d SECONDS     refresh every SECONDS (decimals allowed, at least 0.1; default 1)\n"
	      "  -n N           stop after N refreshes\n"
	      "  -B KIB         ring buffer size in KiB (default 65536)\n"
	      "  -v             at exit, the capture's byte counts on stderr; -vv: libbpf log\n"
	      "  --path P       only sockets either end of which is bound to P: a path, a glob\n"
	      "                 with '*', or @name for an abstract name (repeatable, up to 8)\n"
	      "  --pid N        only traffic where process N is either end (repeatable, up to 8)\n"
	      "  --comm NAME    only traffic where a process named NAME is either end\n"
	      "  --type T       stream, dgram or seqpacket (repeatable or comma-separated)\n"
	      "  --inode N      only traffic of the socket with sockfs inode N (repeatable, up to 8)\n"
	      "  --cgroup DIR   only I/O by processes in the cgroup v2 directory DIR or below it\n"
	      "  -h, --help     this help\n\n"
	      "On a terminal the screen is redrawn in place; otherwise each refresh prints a\n"
	      "timestamp line, one line per process and per socket path, and a blank line.\n"
	      "Exit status: 0 done, 1 runtime error, 2 usage error.\n",
	      out);
}

/* "1", "0.5", ".25": digits and one point only, so strtod never sees "inf", "1e3" or hex. */
static int parse_seconds(const char *text, uint64_t *ns)
{
	size_t digits = strspn(text, "0123456789"), frac = 0;
	const char *p = text + digits;
	double v;

	if (*p == '.') {
		frac = strspn(p + 1, "0123456789");
		p += 1 + frac;
	}
	if (*p || digits + frac == 0)
		return -1;
	v = strtod(text, NULL);
	if (v < 0.1 || v > 86400)
		return -1;
	*ns = (uint64_t)(v * 1e9 + 0.5);
	return 0;
}

static int parse_value(struct top *t, int opt, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case 'd':
		if (parse_seconds(arg, &t->interval_ns) < 0)
			return uc_error(err, errlen,
					"invalid -d '%s': expected seconds from 0.1 to "
					"86400, such as 1 or 0.5",
					arg);
		return 0;
	case 'n':
		if (uc_cli_parse_number(arg, 1, UINT64_MAX, &t->count) < 0)
			return uc_error(err, errlen,
					"invalid -n '%s': expected a number of refreshes "
					"of 1 or more",
					arg);
		return 0;
	default: /* 'B' */
		if (uc_cli_parse_number(arg, 64, 2097152, &v) < 0)
			return uc_error(err, errlen,
					"invalid -B '%s': expected a size in KiB from 64 "
					"to 2097152",
					arg);
		t->capture.ring_kib = (uint32_t)v;
		return 0;
	}
}

static int parse_args(int argc, char **argv, struct top *t, char *err, size_t errlen)
{
	int opt;

	t->interval_ns = 1000000000ull;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets where it was inside a previous argv */
	while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		switch (opt) {
		case 'd':
		case 'n':
		case 'B':
			if (parse_value(t, opt, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'v': t->verbose++; break;
		case 'h': t->help = true; break;
		case ':':
		case '?': return uc_cli_usage_error(opt, argv, SHORT_OPTIONS, "", err, errlen);
		default:
			if (uc_cli_parse_filter(opt, optarg, &t->capture.filter, err, errlen) != 0)
				return -1;
		}
	}
	if (optind < argc)
		return uc_cli_usage_error(0, argv, SHORT_OPTIONS, "", err, errlen);
	return 0;
}

/* ---- each refresh ---------------------------------------------------------------------- */

static void terminal_size(struct uc_top_view *v)
{
	struct winsize ws = { 0 };

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		uc_top_view_resize(v, ws.ws_row, ws.ws_col);
	else /* a pseudo-terminal nobody sized (script < /dev/null) */
		uc_top_view_resize(v, 24, 80);
}

/* Returns 0, or 1 after saying why; a vanished reader (top | head) ends top without failing. */
static int show(struct top *t, const struct uc_stats *st)
{
	if (t->view.tty)
		terminal_size(&t->view);
	if (uc_top_view_draw(&t->view, stdout, t->table, st, uc_clock_ns(CLOCK_MONOTONIC),
			     uc_clock_ns(CLOCK_REALTIME)) == 0)
		return 0;
	if (errno == EPIPE) {
		uc_stop_requested = 1;
		return 0;
	}
	fprintf(stderr, "unixcap top: writing to stdout failed: %s\n", strerror(errno));
	return 1;
}

/* ---- the capture ----------------------------------------------------------------------- */

static int on_message(const struct uc_message *m, void *ctx)
{
	uc_traffic_add(ctx, m);
	return 0;
}

static int poll_ring(struct uc_session *s, int timeout_ms, struct uc_traffic_table *table)
{
	if (uc_session_poll(s, timeout_ms, on_message, table) >= 0)
		return 0;
	fprintf(stderr, "unixcap top: reading the ring buffer failed: %s\n", strerror(errno));
	return 1;
}

/* Ends an interval: what is queued is counted first, so the figures are those of now. */
static int end_interval(struct top *t, struct uc_session *s)
{
	uint64_t now;
	struct uc_stats st;

	if (poll_ring(s, 0, t->table) != 0)
		return 1;
	now = uc_clock_ns(CLOCK_MONOTONIC);
	uc_traffic_interval(t->table, now - t->mark_ns);
	t->mark_ns = now;
	uc_session_stats(s, &st);
	return show(t, &st);
}

/* Polls until the next refresh is due, refreshes, until -n refreshes or a signal. */
static int run(struct top *t, struct uc_session *s)
{
	uint64_t next = t->view.start_ns + t->interval_ns, done = 0, now, wait_ms;
	struct uc_stats st;

	uc_session_stats(s, &st);
	if (t->view.tty && show(t, &st) != 0) /* at once, not a second later: the empty tables */
		return 1;
	while (!uc_stop_requested) {
		now = uc_clock_ns(CLOCK_MONOTONIC);
		if (now >= next) {
			if (end_interval(t, s) != 0)
				return 1;
			if (uc_stop_requested || (t->count && ++done == t->count))
				break;
			next += t->interval_ns;
			if (next <= now) /* suspended, or a slow terminal: no burst to catch up */
				next = now + t->interval_ns;
			continue;
		}
		wait_ms = (next - now + 999999) / 1000000;
		if (poll_ring(s, wait_ms < MAX_POLL_MS ? (int)wait_ms : MAX_POLL_MS, t->table) != 0)
			return 1;
	}
	return 0;
}

/* Detaches the hooks; the cursor comes back and the prompt starts below the last screen. */
static void finish(struct top *t, struct uc_session *s)
{
	struct uc_stats st;

	uc_session_stop(s, on_message, t->table);
	uc_top_view_end(&t->view, stdout);
	uc_session_stats(s, &st);
	if (t->verbose)
		fprintf(stderr,
			"unixcap top: %llu messages, %llu bytes sent, %llu stored, %llu lost\n",
			(unsigned long long)st.messages, (unsigned long long)st.bytes,
			(unsigned long long)st.stored, (unsigned long long)st.lost_msgs);
}

int uc_top_main(int argc, char **argv)
{
	struct top t = { 0 };
	struct uc_session *s;
	char err[UC_ERROR_LEN];
	int status;

	if (parse_args(argc, argv, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap top: %s\n", err);
		return 2;
	}
	if (t.help) {
		usage(stdout);
		return 0;
	}
	t.capture.no_payload = true; /* only lengths count here: no payload is copied or kept */
	if (!t.capture.ring_kib)
		t.capture.ring_kib =
			65536; /* records without payload: a capture's large ring is not needed */
	if (!(t.table = uc_traffic_new(0))) {
		fprintf(stderr, "unixcap top: out of memory\n");
		return 1;
	}
	uc_stop_on_signals();
	uc_set_libbpf_log(t.verbose >= 2 ? UC_LIBBPF_ALL : UC_LIBBPF_QUIET);
	s = uc_session_open(&t.capture, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "unixcap top: %s\n", err);
		uc_traffic_free(t.table);
		return 1;
	}
	if (t.verbose)
		fprintf(stderr, "unixcap top: %s\n", uc_session_hooks(s));
	if (uc_session_narrowing(s)[0])
		fprintf(stderr, "unixcap top: %s\n", uc_session_narrowing(s));
	fprintf(stderr, "unixcap top: listening on AF_UNIX sockets\n");
	t.mark_ns = uc_clock_ns(CLOCK_MONOTONIC);
	uc_top_view_init(&t.view, isatty(STDOUT_FILENO), t.mark_ns);
	status = run(&t, s);
	finish(&t, s);
	uc_session_close(s);
	uc_traffic_free(t.table);
	return status;
}
