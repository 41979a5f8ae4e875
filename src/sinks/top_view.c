/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap top's refresh: a screen redrawn in place on a terminal, or plain lines. */
#include "sinks/top_view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_LEN 2400    /* a 439-byte path with every byte escaped, and the numbers */
#define NAME_WIDTH 15    /* COMM on an 87-column terminal; wider terminals widen it */
#define NUMBERS_WIDTH 64 /* " SENT-MSGS SENT-BYTES RECV-MSGS RECV-BYTES  RATE/s   LOST UNSEEN" */

#define CLEAR "\033[H\033[2J"
#define HOME "\033[H"
#define CLEAR_EOL "\033[K"
#define CLEAR_EOS "\033[J"
#define REVERSE "\033[7m"
#define NORMAL "\033[m"
#define HIDE_CURSOR "\033[?25l"
#define SHOW_CURSOR "\033[?25h"

/* One refresh being drawn. */
struct frame {
	struct uc_top_view *v;
	FILE *f;
	struct uc_traffic_table *table;
	unsigned line; /* screen lines written so far */
};

void uc_top_view_init(struct uc_top_view *v, bool tty, uint64_t start_ns)
{
	*v = (struct uc_top_view){ .tty = tty, .rows = 24, .cols = 80, .start_ns = start_ns };
}

void uc_top_view_resize(struct uc_top_view *v, unsigned short rows, unsigned short cols)
{
	if (rows != v->rows || cols != v->cols)
		v->cleared = false; /* a resize leaves old text where we no longer write */
	v->rows = rows;
	v->cols = cols;
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
static void summary(const struct frame *fr, const struct uc_stats *st, uint64_t mono_ns, char *out,
		    size_t len)
{
	struct uc_traffic_totals tot;
	uint64_t secs = (mono_ns - fr->v->start_ns) / 1000000000ull;
	char bytes[32], dropped[64] = "";

	uc_traffic_get_totals(fr->table, &tot);
	if (tot.evicted[0] + tot.evicted[1])
		snprintf(dropped, sizeof(dropped), ", %llu idle rows dropped",
			 (unsigned long long)(tot.evicted[0] + tot.evicted[1]));
	if (fr->v->tty)
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

/* A process as comm, and "@docker:0123456789ab" after it when it is in a container. */
static void row_name(char *out, size_t len, const struct uc_traffic_row *r,
		     enum uc_traffic_kind kind, bool plain)
{
	size_t used;

	put_name(out, len, r->name, kind == UC_TRAFFIC_PROCESS, plain);
	used = strlen(out);
	if (kind == UC_TRAFFIC_PROCESS && r->container[0] && used + 2 < len) {
		out[used++] = '@';
		put_name(out + used, len - used, r->container, true, plain);
	}
}

/* ---- plain lines, when stdout is not a terminal ------------------------------------------ */

static void plain_rows(struct frame *fr, enum uc_traffic_kind kind)
{
	size_t n = uc_traffic_rows(fr->table, kind);
	const struct uc_traffic_row **rows = malloc((n ? n : 1) * sizeof(*rows));
	char name[LINE_LEN], nums[200];

	if (!rows)
		return;
	n = uc_traffic_sorted(fr->table, kind, rows, n);
	for (size_t i = 0; i < n; i++) {
		row_name(name, sizeof(name), rows[i], kind, true);
		numbers(rows[i], true, nums, sizeof(nums));
		if (kind == UC_TRAFFIC_PROCESS)
			fprintf(fr->f, "process %u %s %s\n", rows[i]->pid, name, nums);
		else
			fprintf(fr->f, "socket %s %s\n", name, nums);
	}
	free(rows);
}

static void draw_plain(struct frame *fr, const struct uc_stats *st, uint64_t mono_ns,
		       uint64_t wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	char when[32], figures[256];

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	summary(fr, st, mono_ns, figures, sizeof(figures));
	fprintf(fr->f, "%s.%03u unixcap top: %s\n", when, (unsigned)(wall_ns / 1000000ull % 1000),
		figures);
	plain_rows(fr, UC_TRAFFIC_PROCESS);
	plain_rows(fr, UC_TRAFFIC_PATH);
	fputc('\n', fr->f);
}

/* ---- the full screen ------------------------------------------------------------------- */

/* One screen line, cut to the width. No newline after the last row, or the screen scrolls;
 * no clear-to-end after a full line: at the last column it would erase the last character. */
static void screen_line(struct frame *fr, const char *text, bool reverse)
{
	unsigned short cols = fr->v->cols;
	size_t n = strlen(text);

	if (fr->line >= fr->v->rows)
		return;
	if (fr->line)
		fputc('\n', fr->f);
	fr->line++;
	if (n > cols)
		n = cols;
	if (reverse) {
		fprintf(fr->f, REVERSE "%.*s%*s" NORMAL, (int)n, text, (int)(cols - n), "");
		return;
	}
	fprintf(fr->f, "%.*s%s", (int)n, text, n < cols ? CLEAR_EOL : "");
}

/* The name column is cut on the left for paths ("...d/app.sock": the end tells most). */
static void screen_row(struct frame *fr, const struct uc_traffic_row *r, enum uc_traffic_kind kind,
		       int width)
{
	char name[LINE_LEN], nums[200], text[LINE_LEN + 400];
	size_t n;

	row_name(name, sizeof(name), r, kind, false);
	numbers(r, false, nums, sizeof(nums));
	n = strlen(name);
	if (kind == UC_TRAFFIC_PROCESS)
		snprintf(text, sizeof(text), "%7u %-*.*s%s", r->pid, width, width, name, nums);
	else if (n > (size_t)width && width > 3)
		snprintf(text, sizeof(text), "...%s%s", name + n - (size_t)(width - 3), nums);
	else
		snprintf(text, sizeof(text), "%-*s%s", width, name, nums);
	screen_line(fr, text, false);
}

static void screen_table(struct frame *fr, enum uc_traffic_kind kind, size_t shown, int name_width)
{
	size_t total = uc_traffic_rows(fr->table, kind);
	const struct uc_traffic_row **rows = malloc((shown ? shown : 1) * sizeof(*rows));
	bool process = kind == UC_TRAFFIC_PROCESS;
	int width = process ? name_width : name_width + 8; /* PATH spans PID's column too */
	char text[LINE_LEN];

	snprintf(text, sizeof(text), "%s: %zu", process ? "PROCESSES" : "SOCKETS", total);
	if (!rows || shown < total)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " (%zu shown)",
			 rows ? shown : 0);
	screen_line(fr, text, false);
	snprintf(text, sizeof(text), "%s%-*s %9s %10s %9s %10s %7s %6s %6s",
		 process ? "    PID " : "", width, process ? "COMM" : "PATH", "SENT-MSGS",
		 "SENT-BYTES", "RECV-MSGS", "RECV-BYTES", "RATE/s", "LOST", "UNSEEN");
	screen_line(fr, text, true);
	if (!rows)
		return;
	shown = uc_traffic_sorted(fr->table, kind, rows, shown);
	for (size_t i = 0; i < shown; i++)
		screen_row(fr, rows[i], kind, width);
	free(rows);
}

/* Header, blank, then the two tables sharing the rows left: each gets half, or what the
 * other does not need. */
static void draw_screen(struct frame *fr, const struct uc_stats *st, uint64_t mono_ns,
			uint64_t wall_ns)
{
	struct uc_top_view *v = fr->v;
	size_t avail, procs = uc_traffic_rows(fr->table, UC_TRAFFIC_PROCESS);
	size_t paths = uc_traffic_rows(fr->table, UC_TRAFFIC_PATH), p, half;
	int name_width = NAME_WIDTH;
	char text[512], now[16], figures[256];
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;

	if (v->cols > 8 + NAME_WIDTH + NUMBERS_WIDTH)
		name_width = v->cols - 8 - NUMBERS_WIDTH;
	avail = v->rows > 6 ? v->rows - 6u : 0; /* header, blank, two titles, two column heads */
	half = avail / 2;
	p = procs < half ? procs : half;
	if (paths < avail - p) /* the sockets need less than their half */
		p = procs < avail - paths ? procs : avail - paths;
	fputs(v->cleared ? HOME : HIDE_CURSOR CLEAR, fr->f);
	v->cleared = true;
	localtime_r(&secs, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	summary(fr, st, mono_ns, figures, sizeof(figures));
	snprintf(text, sizeof(text), "unixcap top - %s - %s", now, figures);
	screen_line(fr, text, false);
	screen_line(fr, "", false);
	screen_table(fr, UC_TRAFFIC_PROCESS, p, name_width);
	screen_table(fr, UC_TRAFFIC_PATH, avail - p < paths ? avail - p : paths, name_width);
	fputs(CLEAR_EOS, fr->f);
}

/* The whole refresh goes out in one write, so a terminal never shows half of one. */
int uc_top_view_draw(struct uc_top_view *v, FILE *out, struct uc_traffic_table *table,
		     const struct uc_stats *st, uint64_t mono_ns, uint64_t wall_ns)
{
	char *buf = NULL;
	size_t len = 0;
	struct frame fr = { .v = v, .table = table, .f = open_memstream(&buf, &len) };
	int ret = 0, saved;

	if (!fr.f) {
		errno = ENOMEM;
		return -1;
	}
	if (v->tty)
		draw_screen(&fr, st, mono_ns, wall_ns);
	else
		draw_plain(&fr, st, mono_ns, wall_ns);
	if (fclose(fr.f) != 0 || fwrite(buf, 1, len, out) != len || fflush(out) != 0) {
		if (!errno)
			errno = EIO;
		ret = -1;
	}
	saved = errno;
	free(buf);
	errno = saved;
	return ret;
}

void uc_top_view_end(const struct uc_top_view *v, FILE *out)
{
	if (!v->tty)
		return;
	fputs(NORMAL SHOW_CURSOR "\n", out);
	fflush(out);
}
