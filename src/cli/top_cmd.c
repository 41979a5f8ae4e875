/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap top: live bytes and messages each way per process and per socket path. */
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

#include "capture/capture.h"
#include "capture/error.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "conversations/traffic_table.h"

#define SHORT_OPTIONS ":d:n:B:vh"
#define OPT_FILTER 256
#define MAX_POLL_MS 250   /* a signal interrupts the poll anyway; this bounds a missed one */
#define LINE_LEN 2400     /* a 439-byte path with every byte escaped, and the numbers */
#define NAME_WIDTH 15     /* COMM on an 87-column terminal; wider terminals widen it */
#define NUMBERS_WIDTH 64  /* " SENT-MSGS SENT-BYTES RECV-MSGS RECV-BYTES  RATE/s   LOST UNSEEN" */

#define CLEAR "\033[H\033[2J"
#define HOME "\033[H"
#define CLEAR_EOL "\033[K"
#define CLEAR_EOS "\033[J"
#define REVERSE "\033[7m"
#define NORMAL "\033[m"
#define HIDE_CURSOR "\033[?25l"
#define SHOW_CURSOR "\033[?25h"

struct top {
	struct uc_options capture;
	uint64_t interval_ns;  /* -d */
	uint64_t count;        /* -n; 0: until stopped */
	bool help;
	bool tty;              /* stdout is a terminal: full screen */
	struct uc_traffic_table *table;
	uint64_t start_ns;     /* CLOCK_MONOTONIC when the hooks were attached */
	uint64_t mark_ns;      /* CLOCK_MONOTONIC at the end of the last interval */
	unsigned short rows, cols;
	bool cleared;          /* the screen was cleared at this size */
};

static const struct option long_options[] = {
	{ "path", required_argument, NULL, OPT_FILTER },
	{ "pid", required_argument, NULL, OPT_FILTER },
	{ "comm", required_argument, NULL, OPT_FILTER },
	{ "type", required_argument, NULL, OPT_FILTER },
	{ "inode", required_argument, NULL, OPT_FILTER },
	{ "cgroup", required_argument, NULL, OPT_FILTER },
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
			return uc_error(err, errlen, "invalid -d '%s': expected seconds from 0.1 to "
					"86400, such as 1 or 0.5", arg);
		return 0;
	case 'n':
		if (uc_cli_parse_number(arg, 1, UINT64_MAX, &t->count) < 0)
			return uc_error(err, errlen, "invalid -n '%s': expected a number of refreshes "
					"of 1 or more", arg);
		return 0;
	default: /* 'B' */
		if (uc_cli_parse_number(arg, 64, 2097152, &v) < 0)
			return uc_error(err, errlen, "invalid -B '%s': expected a size in KiB from 64 "
					"to 2097152", arg);
		t->capture.ring_kib = (uint32_t)v;
		return 0;
	}
}

static int parse_args(int argc, char **argv, struct top *t, char *err, size_t errlen)
{
	int opt, index = -1;

	t->interval_ns = 1000000000ull;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets where it was inside a previous argv */
	while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, &index)) != -1) {
		switch (opt) {
		case 'd': case 'n': case 'B':
			if (parse_value(t, opt, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'v': t->capture.verbose++; break;
		case 'h': t->help = true; break;
		case OPT_FILTER:
			if (uc_cli_parse_filter(long_options[index].name, optarg, &t->capture.filter,
						err, errlen) != 0)
				return -1;
			break;
		case ':':
			return uc_error(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			/* An unknown letter inside a cluster ("-dv") leaves optind on its word. */
			if (optopt > 0 && optopt < 256 && !strchr(SHORT_OPTIONS, optopt))
				return uc_error(err, errlen, "unknown option '-%c' (see --help)", optopt);
			return uc_error(err, errlen, "unknown option '%s' (see --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return uc_error(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	return 0;
}

/* ---- what a refresh shows ------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 1234567 -> "1.2M" (powers of 1000, as the live counter): a figure keeps its column. */
static const char *human(uint64_t n, char *out, size_t len)
{
	static const char units[] = "kMGTPE";
	double v = (double)n;
	unsigned u = 0;

	if (n < 10000) {
		snprintf(out, len, "%llu", (unsigned long long)n);
		return out;
	}
	while (v >= 1000 && u < sizeof(units) - 1) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, v < 10 ? "%.2f%c" : v < 100 ? "%.1f%c" : "%.0f%c", v, units[u - 1]);
	return out;
}

/* A process picks its own name (PR_SET_NAME), so comm is escaped as the text dump does; paths
 * come escaped already. In plain lines a space is escaped too, so that fields split on blanks. */
static void put_name(char *out, size_t len, const char *name, bool raw, bool plain)
{
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && used + 5 < len; p++) {
		bool bad = raw && (*p < 0x20 || *p >= 0x7f || *p == '\\');

		if (bad || (plain && *p == ' '))
			used += (size_t)snprintf(out + used, len - used, "\\x%02x", *p);
		else
			out[used++] = (char)*p;
	}
	out[used] = '\0';
}

/* The header figures: the session's own counts, as unixcap prints them at exit. */
static void summary(const struct top *t, const struct uc_stats *st, char *out, size_t len)
{
	struct uc_traffic_totals tot;
	uint64_t secs = (clock_ns(CLOCK_MONOTONIC) - t->start_ns) / 1000000000ull;
	char bytes[32], dropped[64] = "";

	uc_traffic_get_totals(t->table, &tot);
	if (tot.evicted[0] + tot.evicted[1])
		snprintf(dropped, sizeof(dropped), ", %llu idle rows dropped",
			 (unsigned long long)(tot.evicted[0] + tot.evicted[1]));
	if (t->tty)
		human(st->bytes, bytes, sizeof(bytes));
	else
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)st->bytes);
	snprintf(out, len, "%llu messages, %s bytes, %llu lost, %llu:%02llu:%02llu elapsed%s",
		 (unsigned long long)st->messages, bytes, (unsigned long long)st->lost_msgs,
		 (unsigned long long)(secs / 3600), (unsigned long long)(secs / 60 % 60),
		 (unsigned long long)(secs % 60), dropped);
}

/* SENT-MSGS SENT-BYTES RECV-MSGS RECV-BYTES RATE LOST UNSEEN: exact in plain lines. */
static void numbers(const struct uc_traffic_row *r, bool plain, char *out, size_t len)
{
	char sb[16], rb[16], rate[16], unseen[16];

	if (plain) {
		snprintf(out, len, "%llu %llu %llu %llu %llu %llu %llu",
			 (unsigned long long)r->sent_msgs, (unsigned long long)r->sent_bytes,
			 (unsigned long long)r->recv_msgs, (unsigned long long)r->recv_bytes,
			 (unsigned long long)r->rate, (unsigned long long)r->lost_msgs,
			 (unsigned long long)r->unseen_bytes);
		return;
	}
	snprintf(out, len, " %9llu %10s %9llu %10s %7s %6llu %6s", (unsigned long long)r->sent_msgs,
		 human(r->sent_bytes, sb, sizeof(sb)), (unsigned long long)r->recv_msgs,
		 human(r->recv_bytes, rb, sizeof(rb)), human(r->rate, rate, sizeof(rate)),
		 (unsigned long long)r->lost_msgs, human(r->unseen_bytes, unseen, sizeof(unseen)));
}

/* ---- plain lines, when stdout is not a terminal ------------------------------------------ */

static void plain_rows(struct top *t, FILE *f, enum uc_traffic_kind kind)
{
	size_t n = uc_traffic_rows(t->table, kind);
	const struct uc_traffic_row **rows = malloc((n ? n : 1) * sizeof(*rows));
	char name[LINE_LEN], nums[200];

	if (!rows)
		return;
	n = uc_traffic_sorted(t->table, kind, rows, n);
	for (size_t i = 0; i < n; i++) {
		put_name(name, sizeof(name), rows[i]->name, kind == UC_TRAFFIC_PROCESS, true);
		numbers(rows[i], true, nums, sizeof(nums));
		if (kind == UC_TRAFFIC_PROCESS)
			fprintf(f, "process %u %s %s\n", rows[i]->pid, name, nums);
		else
			fprintf(f, "socket %s %s\n", name, nums);
	}
	free(rows);
}

static void draw_plain(struct top *t, FILE *f, const struct uc_stats *st)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);
	time_t secs = (time_t)(now / 1000000000ull);
	struct tm tm;
	char when[32], figures[256];

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	summary(t, st, figures, sizeof(figures));
	fprintf(f, "%s.%03u unixcap top: %s\n", when, (unsigned)(now / 1000000ull % 1000), figures);
	plain_rows(t, f, UC_TRAFFIC_PROCESS);
	plain_rows(t, f, UC_TRAFFIC_PATH);
	fputc('\n', f);
}

/* ---- the full screen ------------------------------------------------------------------- */

/* One screen line, cut to the width. No newline after the last row, or the screen scrolls;
 * no clear-to-end after a full line: at the last column it would erase the last character. */
static void screen_line(struct top *t, FILE *f, unsigned *line, const char *text, bool reverse)
{
	size_t n = strlen(text);

	if (*line >= t->rows)
		return;
	if (*line)
		fputc('\n', f);
	++*line;
	if (n > t->cols)
		n = t->cols;
	if (reverse) {
		fprintf(f, REVERSE "%.*s%*s" NORMAL, (int)n, text, (int)(t->cols - n), "");
		return;
	}
	fprintf(f, "%.*s%s", (int)n, text, n < t->cols ? CLEAR_EOL : "");
}

/* The name column is cut on the left for paths ("...d/app.sock": the end tells most). */
static void screen_row(struct top *t, FILE *f, unsigned *line, const struct uc_traffic_row *r,
		       enum uc_traffic_kind kind, int width)
{
	char name[LINE_LEN], nums[200], text[LINE_LEN + 400];
	size_t n;

	put_name(name, sizeof(name), r->name, kind == UC_TRAFFIC_PROCESS, false);
	numbers(r, false, nums, sizeof(nums));
	n = strlen(name);
	if (kind == UC_TRAFFIC_PROCESS)
		snprintf(text, sizeof(text), "%7u %-*.*s%s", r->pid, width, width, name, nums);
	else if (n > (size_t)width && width > 3)
		snprintf(text, sizeof(text), "...%s%s", name + n - (size_t)(width - 3), nums);
	else
		snprintf(text, sizeof(text), "%-*s%s", width, name, nums);
	screen_line(t, f, line, text, false);
}

static void screen_table(struct top *t, FILE *f, unsigned *line, enum uc_traffic_kind kind,
			 size_t shown, int name_width)
{
	size_t total = uc_traffic_rows(t->table, kind);
	const struct uc_traffic_row **rows = malloc((shown ? shown : 1) * sizeof(*rows));
	bool process = kind == UC_TRAFFIC_PROCESS;
	int width = process ? name_width : name_width + 8; /* PATH spans PID's column too */
	char text[LINE_LEN];

	snprintf(text, sizeof(text), "%s: %zu", process ? "PROCESSES" : "SOCKETS", total);
	if (!rows || shown < total)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " (%zu shown)",
			 rows ? shown : 0);
	screen_line(t, f, line, text, false);
	snprintf(text, sizeof(text), "%s%-*s %9s %10s %9s %10s %7s %6s %6s",
		 process ? "    PID " : "", width, process ? "COMM" : "PATH", "SENT-MSGS",
		 "SENT-BYTES", "RECV-MSGS", "RECV-BYTES", "RATE/s", "LOST", "UNSEEN");
	screen_line(t, f, line, text, true);
	if (!rows)
		return;
	shown = uc_traffic_sorted(t->table, kind, rows, shown);
	for (size_t i = 0; i < shown; i++)
		screen_row(t, f, line, rows[i], kind, width);
	free(rows);
}

static void terminal_size(struct top *t)
{
	struct winsize ws = { 0 };
	unsigned short rows = 24, cols = 80; /* a pseudo-terminal nobody sized (script < /dev/null) */

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	if (rows != t->rows || cols != t->cols)
		t->cleared = false; /* a resize leaves old text where we no longer write */
	t->rows = rows;
	t->cols = cols;
}

/* Header, blank, then the two tables sharing the rows left: each gets half, or what the
 * other does not need. */
static void draw_screen(struct top *t, FILE *f, const struct uc_stats *st)
{
	size_t avail, procs = uc_traffic_rows(t->table, UC_TRAFFIC_PROCESS);
	size_t paths = uc_traffic_rows(t->table, UC_TRAFFIC_PATH), p, half;
	int name_width = NAME_WIDTH;
	char text[512], now[16], figures[256];
	time_t secs = time(NULL);
	struct tm tm;
	unsigned line = 0;

	terminal_size(t);
	if (t->cols > 8 + NAME_WIDTH + NUMBERS_WIDTH)
		name_width = t->cols - 8 - NUMBERS_WIDTH;
	avail = t->rows > 6 ? t->rows - 6u : 0; /* header, blank, two titles, two column heads */
	half = avail / 2;
	p = procs < half ? procs : half;
	if (paths < avail - p) /* the sockets need less than their half */
		p = procs < avail - paths ? procs : avail - paths;
	fputs(t->cleared ? HOME : HIDE_CURSOR CLEAR, f);
	t->cleared = true;
	localtime_r(&secs, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	summary(t, st, figures, sizeof(figures));
	snprintf(text, sizeof(text), "unixcap top - %s - %s", now, figures);
	screen_line(t, f, &line, text, false);
	screen_line(t, f, &line, "", false);
	screen_table(t, f, &line, UC_TRAFFIC_PROCESS, p, name_width);
	screen_table(t, f, &line, UC_TRAFFIC_PATH, avail - p < paths ? avail - p : paths,
		     name_width);
	fputs(CLEAR_EOS, f);
}

/* The whole refresh goes out in one write, so a terminal never shows half of one. */
static int refresh(struct top *t, const struct uc_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = 0;

	if (!f)
		return -ENOMEM;
	if (t->tty)
		draw_screen(t, f, st);
	else
		draw_plain(t, f, st);
	if (fclose(f) != 0 || fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		ret = errno ? -errno : -EIO;
	free(buf);
	return ret;
}

/* Returns 0, or 1 after saying why; a vanished reader (top | head) ends top without failing. */
static int show(struct top *t, const struct uc_stats *st)
{
	int ret = refresh(t, st);

	if (ret == -EPIPE)
		uc_stop_requested = 1;
	else if (ret < 0)
		fprintf(stderr, "unixcap top: writing to stdout failed: %s\n", strerror(-ret));
	return ret < 0 && ret != -EPIPE;
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
	now = clock_ns(CLOCK_MONOTONIC);
	uc_traffic_interval(t->table, now - t->mark_ns);
	t->mark_ns = now;
	uc_session_stats(s, &st);
	return show(t, &st);
}

/* Polls until the next refresh is due, refreshes, until -n refreshes or a signal. */
static int run(struct top *t, struct uc_session *s)
{
	uint64_t next = t->start_ns + t->interval_ns, done = 0, now, wait_ms;
	struct uc_stats st;

	uc_session_stats(s, &st);
	if (t->tty && show(t, &st) != 0) /* at once, not a second later: the empty tables */
		return 1;
	while (!uc_stop_requested) {
		now = clock_ns(CLOCK_MONOTONIC);
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
	if (t->tty) {
		fputs(NORMAL SHOW_CURSOR "\n", stdout);
		fflush(stdout);
	}
	uc_session_stats(s, &st);
	if (t->capture.verbose)
		fprintf(stderr, "unixcap top: %llu messages, %llu bytes sent, %llu stored, %llu lost\n",
			(unsigned long long)st.messages, (unsigned long long)st.bytes,
			(unsigned long long)st.stored, (unsigned long long)st.lost_msgs);
}

int uc_top_main(int argc, char **argv)
{
	struct top t = { 0 };
	struct uc_session *s;
	char err[512];
	int status;

	if (parse_args(argc, argv, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap top: %s\n", err);
		return 2;
	}
	if (t.help) {
		usage(stdout);
		return 0;
	}
	t.tty = isatty(STDOUT_FILENO);
	t.capture.no_payload = true; /* only lengths count here: no payload is copied or kept */
	if (!(t.table = uc_traffic_new(0))) {
		fprintf(stderr, "unixcap top: out of memory\n");
		return 1;
	}
	uc_stop_on_signals();
	s = uc_session_open(&t.capture, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "unixcap top: %s\n", err);
		uc_traffic_free(t.table);
		return 1;
	}
	if (t.capture.verbose)
		fprintf(stderr, "unixcap top: %s\n", uc_session_hooks(s));
	if (uc_session_narrowing(s)[0])
		fprintf(stderr, "unixcap top: %s\n", uc_session_narrowing(s));
	fprintf(stderr, "unixcap top: listening on AF_UNIX sockets\n");
	t.start_ns = t.mark_ns = clock_ns(CLOCK_MONOTONIC);
	status = run(&t, s);
	finish(&t, s);
	uc_session_close(s);
	uc_traffic_free(t.table);
	return status;
}
