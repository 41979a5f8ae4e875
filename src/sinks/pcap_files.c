/* SPDX-License-Identifier: BSD-2-Clause */
/* The -w output as one file or a rotating series, as tcpdump's -C, -G and -W.
 *
 * File names and rotation follow tcpdump 4.99 (tcpdump.c: MakeFilename, getWflagChars,
 * dump_packet_and_trunc; tcpdump(8) on -C, -G and -W):
 *  - The name is FILE, or with -G strftime(FILE, localtime(start of the current -G interval)).
 *  - With -C a counter is appended, zero-padded to WIDTH digits, where WIDTH is the number of
 *    digits of N-1 for -W N (N=1: 0, N=2..10: 1, N=11..100: 2, ...) and 0 without -W; when the
 *    counter is 0 and WIDTH is 0 nothing is appended. So:
 *      -C alone:         FILE, FILE1, FILE2, ... (never wraps)
 *      -C -W 10:         FILE0 ... FILE9, then FILE0 again (overwritten: opened O_TRUNC)
 *      -C -W 11:         FILE00 ... FILE10;  -C -W 1: FILE, over and over
 *  - -C rotates before writing a message when the current file already holds more than -C
 *    bytes (tcpdump: ftell > Cflag), so a file ends a little above -C.
 *  - -G rotates when now - start >= -G seconds, in whole seconds (tcpdump: time(NULL)); the
 *    new interval starts now (not start + -G). Times are the message's timestamp in
 *    uc_pcap_files_write and now_ns in uc_pcap_files_tick, which also rotates when idle
 *    (tcpdump rotates only when a packet comes). A pattern without % conversions names every
 *    file the same, and each rotation truncates it, as tcpdump does.
 *  - -G with -W N (no -C): the capture stops when the N-th file's time is up (tcpdump exits
 *    with "Maximum file limit reached"): uc_pcap_files_write/_tick return 1.
 *  - -G with -C: each -G interval restarts the counter at 0: NAME, NAME1, NAME2 ... where NAME
 *    is the strftime of the interval's start (NAME0, NAME1 ... with -W, which then wraps the
 *    counter within an interval and does not stop the capture: tcpdump's man page says -W is
 *    "ignored" with both, but its code wraps the counter, and so do we).
 *  - If a -G rotation and a -C rotation are both due, the -G one happens first and the new,
 *    nearly empty file is not full.
 * The old file is closed before the new one is opened: with -W 1 or a pattern without %
 * conversions they are the same file.
 *
 * Each file is a complete pcapng: its own Section Header and Interface Description Blocks and
 * a fresh uc_pcap_sink, so a connection continuing into the next file starts there with the
 * synthetic "already open when first seen" handshake. A file closed by rotation ends with an
 * Interface Statistics Block for what that file received: isb_ifrecv counts the data messages
 * written into it, isb_ifdrop the messages lost in it: each message's lost_before_msgs (the
 * ones never recorded before it) plus each data message not stored whole (stored < caplen).
 * With rotation on, the last file's block at uc_pcap_files_close counts the same way (so the
 * series is consistent); without rotation it carries the capture's totals (st), as before. */
#include "sinks/pcap_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "readback/process_table.h"
#include "sinks/output_fd.h"
#include "sinks/pcap_sink.h"

#define NS_PER_S 1000000000ull
#define FLUSH_EVERY_NS NS_PER_S

struct uc_pcap_files {
	struct uc_pcap_files_options o;
	char *path, *description; /* copies of o's strings */
	bool to_stdout;
	int fd;                    /* -1 when no file is open */
	bool regular;              /* fd is a regular file: truncated when it begins */
	bool watch;                /* fd is a stream whose reader may go away: ticks look */
	bool created;              /* the first file is new: removed if the capture never starts */
	bool started;              /* uc_pcap_files_start has written the first headers */
	struct uc_pcap_sink *sink; /* NULL when no file is open */
	char current[PATH_MAX + 1];
	int width;          /* tcpdump's WflagChars, when -C is on; else 0 */
	unsigned c_count;   /* tcpdump's Cflag_count: the -C counter in the name */
	unsigned g_count;   /* tcpdump's Gflag_count: -G rotations so far */
	int64_t interval_s; /* tcpdump's Gflag_time: start of the -G interval */
	uint64_t now_ns;    /* the latest time seen, for messages without one */
	uint64_t last_flush_ns;
	uint64_t file_msgs, file_lost; /* this file's statistics block */
	int err;                       /* a failed rotation; sticky */
	bool done;                     /* -G -W: the last file is closed */
};

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Digits of n-1 (tcpdump's getWflagChars): the width that numbers 0..n-1 need, 0 for n <= 1. */
static int counter_width(unsigned n)
{
	int c = 0;

	for (unsigned x = n ? n - 1 : 0; x > 0; x /= 10)
		c++;
	return c;
}

/* tcpdump's MakeFilename: strftime under -G, then the -C counter unless it is 0 with width 0. */
static int make_name(struct uc_pcap_files *f, char *out, size_t len)
{
	char base[PATH_MAX + 1];
	int n;

	if (f->o.rotate_secs) {
		time_t t = (time_t)f->interval_s;
		struct tm tm;

		if (!localtime_r(&t, &tm))
			return fail(EOVERFLOW);
		/* 0 is an empty pattern (open says ENOENT) or one that does not fit */
		if (strftime(base, sizeof(base), f->path, &tm) == 0 && f->path[0])
			return fail(ENAMETOOLONG);
		if (!f->path[0])
			base[0] = '\0';
	} else {
		if (strlen(f->path) >= sizeof(base))
			return fail(ENAMETOOLONG);
		strcpy(base, f->path);
	}
	if (f->c_count == 0 && f->width == 0)
		n = snprintf(out, len, "%s", base);
	else
		n = snprintf(out, len, "%s%0*u", base, f->width, f->c_count);
	if (n < 0 || (size_t)n >= len)
		return fail(ENAMETOOLONG);
	return 0;
}

/* Names and opens the next file, changing nothing in it yet; on failure current names it,
 * f->err is set and *why says what is wrong. */
static int open_named(struct uc_pcap_files *f, const char **why)
{
	char name[sizeof(f->current)];
	struct uc_output_file file;

	if (make_name(f, name, sizeof(name)) < 0) {
		/* current keeps the pattern so the error still says which -w failed */
		snprintf(f->current, sizeof(f->current), "%s", f->path);
		*why = strerror(errno);
		return f->err = errno, -1;
	}
	memcpy(f->current, name, sizeof(name));
	if (uc_output_file_open(name, &file, why) < 0)
		return f->err = errno, -1;
	f->fd = file.fd;
	f->regular = file.regular;
	f->watch = !file.regular;
	f->created = file.created;
	return 0;
}

/* Process blocks from /proc (a live capture) or from the file replayed (-r -w). */
static int start_process_blocks(struct uc_pcap_files *f)
{
	if (f->o.describe_processes)
		return uc_pcap_describe_processes(f->sink, uc_process_source_proc, NULL);
	if (f->o.replayed_processes)
		return uc_pcap_describe_processes(f->sink, uc_process_table_source,
						  f->o.replayed_processes);
	return 0;
}

/* Empties the file opened (only now: a capture that fails to start leaves it as it was) and
 * writes its headers at once, so a reader (or a crash) finds a valid file from the start. */
static int begin_file(struct uc_pcap_files *f)
{
	int e;

	if (!f->regular || ftruncate(f->fd, 0) == 0) {
		f->sink = uc_pcap_open(f->fd, f->o.flush_each, f->description);
		if (f->sink && uc_pcap_flush(f->sink) == 0 && start_process_blocks(f) == 0) {
			uc_pcap_decode_as(f->sink, f->o.decode_as, f->o.n_decode_as);
			f->file_msgs = f->file_lost = 0;
			return 0;
		}
	}
	e = errno;
	if (f->sink)
		uc_pcap_close(f->sink, NULL, 0);
	f->sink = NULL;
	if (!f->to_stdout)
		close(f->fd);
	f->fd = -1;
	return f->err = e, fail(e);
}

static int open_file(struct uc_pcap_files *f)
{
	const char *why;

	return open_named(f, &why) < 0 ? -1 : begin_file(f);
}

/* Statistics block, flush, close. st NULL: no statistics block. */
static int close_file(struct uc_pcap_files *f, const struct uc_stats *st, uint64_t ts_ns)
{
	int ret = 0, e = 0;

	if (!f->sink)
		return 0;
	if (uc_pcap_close(f->sink, st, ts_ns) < 0) {
		ret = -1;
		e = errno;
	}
	f->sink = NULL;
	if (!f->to_stdout && close(f->fd) < 0 && !ret) {
		ret = -1;
		e = errno;
	}
	f->fd = -1;
	if (ret < 0)
		errno = e;
	return ret;
}

static int close_rotated(struct uc_pcap_files *f, uint64_t now_ns)
{
	struct uc_stats st = { .messages = f->file_msgs,
			       .lost_msgs = f->file_lost,
			       .taken_ns = now_ns };

	if (close_file(f, &st, now_ns) < 0)
		return f->err = errno, -1;
	return 0;
}

/* tcpdump's -G branch of dump_packet_and_trunc. */
static int rotate_time(struct uc_pcap_files *f, int64_t now_s, uint64_t now_ns)
{
	f->interval_s = now_s;
	f->g_count++;
	if (close_rotated(f, now_ns) < 0)
		return -1;
	if (!f->o.rotate_bytes && f->o.max_files && f->g_count >= f->o.max_files) {
		f->done = true;
		return 1;
	}
	f->c_count = 0;
	return open_file(f);
}

/* tcpdump's -C branch. */
static int rotate_size(struct uc_pcap_files *f, uint64_t now_ns)
{
	if (close_rotated(f, now_ns) < 0)
		return -1;
	f->c_count++;
	if (f->o.max_files && f->c_count >= f->o.max_files)
		f->c_count = 0;
	return open_file(f);
}

static int check_time(struct uc_pcap_files *f, uint64_t now_ns)
{
	int64_t now_s = (int64_t)(now_ns / NS_PER_S);

	if (!f->o.rotate_secs || now_s - f->interval_s < (int64_t)f->o.rotate_secs)
		return 0;
	return rotate_time(f, now_s, now_ns);
}

static int stopped(const struct uc_pcap_files *f)
{
	if (!f->started)
		return fail(EINVAL);
	if (f->done)
		return 1;
	if (f->err)
		return fail(f->err);
	return 0;
}

/* "-", or the name that says the same: not a file of its own to open (and refuse: a link). */
static bool names_stdout(const char *path)
{
	return strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0;
}

struct uc_pcap_files *uc_pcap_files_prepare(const struct uc_pcap_files_options *o, char *err,
					    size_t errlen)
{
	struct uc_pcap_files *f;
	const char *why;
	int e;

	if (!o || !o->path) {
		snprintf(err, errlen, "no output file");
		errno = EINVAL;
		return NULL;
	}
	if (names_stdout(o->path) && (o->rotate_bytes || o->rotate_secs)) {
		snprintf(err, errlen,
			 "cannot rotate the standard output (-w %s): -C and -G need a "
			 "file name",
			 o->path);
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto fail_errno;
	f->o = *o;
	f->fd = -1;
	f->path = strdup(o->path);
	f->description = o->description ? strdup(o->description) : NULL;
	if (!f->path || (o->description && !f->description))
		goto fail_errno;
	f->to_stdout = names_stdout(o->path);
	f->width = o->rotate_bytes ? counter_width(o->max_files) : 0;
	f->now_ns = f->last_flush_ns = uc_now_ns();
	f->interval_s = (int64_t)(f->now_ns / NS_PER_S);
	tzset();
	if (f->to_stdout) {
		snprintf(f->current, sizeof(f->current), "%s", o->path);
		f->fd = STDOUT_FILENO;
		f->watch = uc_fd_is_stream(f->fd);
	} else if (open_named(f, &why) < 0) {
		goto fail;
	}
	return f;

fail_errno:
	why = strerror(errno);
fail:
	e = errno;
	snprintf(err, errlen, "cannot write '%s': %s", f && f->current[0] ? f->current : o->path,
		 why);
	if (f) {
		free(f->path);
		free(f->description);
		free(f);
	}
	errno = e;
	return NULL;
}

int uc_pcap_files_start(struct uc_pcap_files *f, char *err, size_t errlen)
{
	if (begin_file(f) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", f->current, strerror(errno));
		return -1;
	}
	f->started = true;
	return 0;
}

struct uc_pcap_files *uc_pcap_files_open(const struct uc_pcap_files_options *o, char *err,
					 size_t errlen)
{
	struct uc_pcap_files *f = uc_pcap_files_prepare(o, err, errlen);
	int e;

	if (f && uc_pcap_files_start(f, err, errlen) < 0) {
		e = errno;
		uc_pcap_files_close(f, NULL);
		errno = e;
		return NULL;
	}
	return f;
}

int uc_pcap_files_write(struct uc_pcap_files *f, const struct uc_message *m)
{
	uint64_t t = m->ts_ns ? m->ts_ns : f->now_ns;
	int r = stopped(f);

	if (r)
		return r;
	if (t > f->now_ns)
		f->now_ns = t;
	r = check_time(f, t);
	if (r)
		return r;
	if (f->o.rotate_bytes && uc_pcap_bytes(f->sink) > f->o.rotate_bytes) {
		r = rotate_size(f, t);
		if (r)
			return r;
	}
	if (uc_pcap_write(f->sink, m) < 0)
		return -1;
	if (m->event == UC_MSG_DATA && m->stored < m->caplen)
		f->file_lost++;
	else if (m->event == UC_MSG_DATA)
		f->file_msgs++;
	f->file_lost += m->lost_before_msgs;
	return 0;
}

int uc_pcap_files_tick(struct uc_pcap_files *f, uint64_t now_ns)
{
	int r = stopped(f);

	if (r)
		return r;
	if (f->watch && uc_fd_reader_gone(f->fd))
		return fail(EPIPE);
	if (now_ns > f->now_ns)
		f->now_ns = now_ns;
	r = check_time(f, now_ns);
	if (r)
		return r;
	/* A clock set back restarts the second rather than stopping the flushes. */
	if (now_ns < f->last_flush_ns || now_ns - f->last_flush_ns >= FLUSH_EVERY_NS) {
		f->last_flush_ns = now_ns;
		return uc_pcap_flush(f->sink);
	}
	return 0;
}

const char *uc_pcap_files_current(const struct uc_pcap_files *f)
{
	return f->current;
}

int uc_pcap_files_close(struct uc_pcap_files *f, const struct uc_stats *st)
{
	int ret = 0, e = 0;

	if (!f)
		return 0;
	if (f->sink) {
		struct uc_stats per_file = { .messages = f->file_msgs, .lost_msgs = f->file_lost };
		bool rotating = f->o.rotate_bytes || f->o.rotate_secs;
		uint64_t ts = st ? st->taken_ns : 0;

		if (st && rotating) {
			per_file.taken_ns = ts;
			st = &per_file;
		}
		ret = close_file(f, st, ts);
		e = errno;
	} else if (f->err && f->started) { /* a failed start was reported by start */
		ret = -1;
		e = f->err;
	}
	if (!f->started && f->fd >= 0 && !f->to_stdout)
		close(f->fd);
	if (!f->started && f->created)
		unlink(f->current);
	free(f->path);
	free(f->description);
	free(f);
	if (ret < 0)
		errno = e;
	return ret;
}
