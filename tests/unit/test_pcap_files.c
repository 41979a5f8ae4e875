/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the -w output: one file, stdout, and series rotated by size (-C) and time
 * (-G) with -W, named as tcpdump names them; every file read back block by block. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sinks/pcap_files.h"

#define NS 1000000000ull
#define T0 1700000000000000000ull
#define MSG_LEN 60000 /* one TCP segment; two messages pass 100000 bytes */
#define BT_SHB 0x0A0D0D0Au
#define BT_ISB 5u
#define BT_EPB 6u
#define IP_TCP_LEN 40

/* ---- a scratch directory per test ---- */

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pcap_files_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *in_dir(const char *name)
{
	static char path[4][PATH_MAX];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

/* The names in dir, sorted, joined by spaces. */
static char *listing(void)
{
	static char out[4096];
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.')
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
						 used ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return out;
}

/* ---- messages: one stream connection, message i carries bytes of value i ---- */

static uint8_t payload[MSG_LEN];

static struct uc_message msg(unsigned i, uint64_t ts)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	memset(payload, (int)i, sizeof(payload));
	m.ts_ns = ts;
	m.event = UC_MSG_DATA;
	m.pid = 10;
	snprintf(m.comm, sizeof(m.comm), "client");
	m.sock_type = SOCK_STREAM;
	m.own_ino = 100;
	m.peer_ino = 101;
	snprintf(m.peer_path, UC_NAME_LEN, "/run/t.sock");
	m.len = m.caplen = m.stored = MSG_LEN;
	m.data = payload;
	return m;
}

static void write_msgs(struct uc_pcap_files *f, unsigned from, unsigned to, uint64_t ts)
{
	for (unsigned i = from; i < to; i++) {
		struct uc_message m = msg(i, ts);

		assert_int_equal(uc_pcap_files_write(f, &m), 0);
	}
}

/* ---- reading a file back ---- */

struct summary {
	size_t blocks;
	unsigned ids[64]; /* the message (payload byte) of each data packet, in order */
	size_t n_ids;
	bool has_isb;
	uint64_t recv, drop;     /* isb_ifrecv, isb_ifdrop */
	uint8_t first_tcp_flags; /* of the first packet */
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Whole blocks from an SHB to the end of the file, or the test fails. */
static struct summary read_back(const char *path)
{
	struct summary s = { 0 };
	struct stat st;
	uint8_t *buf;
	size_t off = 0, n;
	bool first_epb = true;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	n = (size_t)st.st_size;
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, n), (ssize_t)n);
	close(fd);
	assert_true(n >= 28);
	assert_int_equal(rd32(buf), BT_SHB);
	while (off < n) {
		uint32_t type, len;

		assert_true(n - off >= 12);
		type = rd32(buf + off);
		len = rd32(buf + off + 4);
		assert_true(len >= 12 && len % 4 == 0 && len <= n - off);
		assert_int_equal(rd32(buf + off + len - 4), len);
		if (type == BT_EPB) {
			const uint8_t *epb = buf + off + 8;
			uint32_t caplen = rd32(epb + 12);

			if (first_epb)
				s.first_tcp_flags = epb[20 + 20 + 13];
			first_epb = false;
			if (caplen > IP_TCP_LEN) {
				assert_true(s.n_ids < 64);
				s.ids[s.n_ids++] = epb[20 + IP_TCP_LEN];
				assert_int_equal(epb[20 + caplen - 1], epb[20 + IP_TCP_LEN]);
			}
		} else if (type == BT_ISB) {
			const uint8_t *o = buf + off + 8 + 12, *end = buf + off + len - 4;

			s.has_isb = true;
			while (o + 4 <= end && (o[0] | o[1] << 8) != 0) {
				uint16_t code = (uint16_t)(o[0] | o[1] << 8),
					 olen = (uint16_t)(o[2] | o[3] << 8);

				if (code == 4)
					s.recv = rd64(o + 4);
				if (code == 5)
					s.drop = rd64(o + 4);
				o += 4 + ((olen + 3u) & ~3u);
			}
		}
		s.blocks++;
		off += len;
	}
	free(buf);
	return s;
}

static void assert_ids(const struct summary *s, unsigned from, unsigned to)
{
	assert_int_equal(s->n_ids, to - from);
	for (unsigned i = from; i < to; i++)
		assert_int_equal(s->ids[i - from], i);
}

static struct uc_pcap_files *open_files(const struct uc_pcap_files_options *o)
{
	char err[256] = "";
	struct uc_pcap_files *f = uc_pcap_files_open(o, err, sizeof(err));

	if (!f)
		fail_msg("uc_pcap_files_open: %s", err);
	return f;
}

/* ---- one file ---- */

static void test_single_file(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("one.pcapng"), .description = "d" };
	struct uc_pcap_files *f = open_files(&o);
	struct uc_stats st = { .messages = 7, .lost_msgs = 2, .taken_ns = T0 };
	struct summary s;
	struct stat sb;

	(void)state;
	assert_string_equal(uc_pcap_files_current(f), in_dir("one.pcapng"));
	assert_int_equal(stat(in_dir("one.pcapng"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_true(sb.st_size > 0); /* the headers are out at once */
	write_msgs(f, 0, 5, T0);
	assert_int_equal(uc_pcap_files_close(f, &st), 0);
	assert_string_equal(listing(), "one.pcapng");
	s = read_back(in_dir("one.pcapng"));
	assert_ids(&s, 0, 5);
	assert_int_equal(s.first_tcp_flags, 0x02); /* handshake first: SYN */
	assert_true(s.has_isb);
	assert_true(s.recv == 7 && s.drop == 2); /* without rotation: the capture's totals */
}

static void test_open_failure_names_the_file(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("missing/x.pcapng") };
	char err[256] = "";

	(void)state;
	errno = 0;
	assert_null(uc_pcap_files_open(&o, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot write '"));
	assert_non_null(strstr(err, "missing/x.pcapng': No such file or directory"));
	assert_null(strchr(err, '\n'));
}

/* ---- -C ---- */

/* -C alone: FILE, FILE1, FILE2, ...; a file is closed once it holds more than -C bytes,
 * with a statistics block of its own. */
static void test_size_rotation_names(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("c.pcapng"), .rotate_bytes = 100000 };
	struct uc_pcap_files *f = open_files(&o);
	struct uc_stats st = { .messages = 99, .taken_ns = T0 };
	const char *names[] = { "c.pcapng", "c.pcapng1", "c.pcapng2", "c.pcapng3", "c.pcapng4" };

	(void)state;
	write_msgs(f, 0, 10, T0);
	assert_string_equal(uc_pcap_files_current(f), in_dir("c.pcapng4"));
	assert_int_equal(uc_pcap_files_close(f, &st), 0);
	assert_string_equal(listing(), "c.pcapng c.pcapng1 c.pcapng2 c.pcapng3 c.pcapng4");
	for (unsigned k = 0; k < 5; k++) {
		struct summary s = read_back(in_dir(names[k]));

		assert_ids(&s, 2 * k, 2 * k + 2);
		/* each file starts the connection again with a handshake */
		assert_int_equal(s.first_tcp_flags, 0x02);
		assert_true(s.has_isb);
		assert_true(s.recv == 2 && s.drop == 0); /* per file, the last one too */
	}
}

/* -C -W 3: FILE0 FILE1 FILE2, then FILE0 again, overwritten (not appended to). */
static void test_size_rotation_wraps(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("w.pcapng"),
					   .rotate_bytes = 100000,
					   .max_files = 3 };
	struct uc_pcap_files *f = open_files(&o);
	struct summary s;

	(void)state;
	assert_string_equal(uc_pcap_files_current(f), in_dir("w.pcapng0"));
	write_msgs(f, 0, 10, T0);
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	assert_string_equal(listing(), "w.pcapng0 w.pcapng1 w.pcapng2");
	/* 0: messages 0-1 then 6-7; 1: 2-3 then 8-9 (the last, no statistics: st was NULL);
	 * 2: 4-5 */
	s = read_back(in_dir("w.pcapng0"));
	assert_ids(&s, 6, 8);
	assert_true(s.has_isb);
	s = read_back(in_dir("w.pcapng1"));
	assert_ids(&s, 8, 10);
	assert_false(s.has_isb);
	s = read_back(in_dir("w.pcapng2"));
	assert_ids(&s, 4, 6);
}

/* The counter is as wide as N-1: -W 11 gives FILE00 ... FILE10; -W 1 always FILE. */
static void test_size_rotation_width(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("p"),
					   .rotate_bytes = 1,
					   .max_files = 11 };
	struct uc_pcap_files *f = open_files(&o);
	struct summary s;

	(void)state;
	/* every message rotates, the first too: the headers alone exceed 1 byte (tcpdump too) */
	write_msgs(f, 0, 12, T0);
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	assert_string_equal(listing(), "p00 p01 p02 p03 p04 p05 p06 p07 p08 p09 p10");
	s = read_back(in_dir("p00"));
	assert_ids(&s, 10, 11);
	s = read_back(in_dir("p01"));
	assert_ids(&s, 11, 12);
	s = read_back(in_dir("p10"));
	assert_ids(&s, 9, 10);

	o.path = in_dir("q");
	o.max_files = 1;
	f = open_files(&o);
	write_msgs(f, 0, 3, T0);
	assert_string_equal(uc_pcap_files_current(f), in_dir("q"));
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	s = read_back(in_dir("q"));
	assert_ids(&s, 2, 3);
}

/* Losses are counted in the file they happen in, and a message is captured or lost, not both. */
static void test_rotation_statistics(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("s"), .rotate_bytes = 100000 };
	struct uc_pcap_files *f = open_files(&o);
	struct uc_message m = msg(0, T0);
	struct summary s;

	(void)state;
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 300;
	assert_int_equal(uc_pcap_files_write(f, &m), 0);
	m = msg(1, T0);
	m.stored = MSG_LEN - 10; /* part of it lost: still one packet with the stored bytes */
	assert_int_equal(uc_pcap_files_write(f, &m), 0);
	write_msgs(f, 2, 3, T0);
	assert_int_equal(uc_pcap_files_close(f, &(struct uc_stats){ .taken_ns = T0 }), 0);
	s = read_back(in_dir("s"));
	/* the one cut short is lost, not also captured: 1 + 4 = the 5 messages sent into this file */
	assert_true(s.has_isb && s.recv == 1 && s.drop == 4);
	s = read_back(in_dir("s1"));
	assert_true(s.has_isb && s.recv == 1 && s.drop == 0);
}

/* A next file that cannot be created: -1 with errno, current names it, and it sticks. */
static void test_rotation_open_failure(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("sub/r"), .rotate_bytes = 100000 };
	struct uc_pcap_files *f;
	struct uc_message m = msg(2, T0);
	struct summary s;

	(void)state;
	assert_int_equal(mkdir(in_dir("sub"), 0700), 0);
	f = open_files(&o);
	write_msgs(f, 0, 2, T0);
	assert_int_equal(rename(in_dir("sub"), in_dir("moved")), 0);
	errno = 0;
	assert_int_equal(uc_pcap_files_write(f, &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(uc_pcap_files_current(f), in_dir("sub/r1"));
	errno = 0;
	assert_int_equal(uc_pcap_files_write(f, &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(uc_pcap_files_tick(f, T0), -1);
	errno = 0;
	assert_int_equal(uc_pcap_files_close(f, NULL), -1);
	assert_int_equal(errno, ENOENT);
	s = read_back(in_dir("moved/r")); /* the file before is complete */
	assert_ids(&s, 0, 2);
	assert_true(s.has_isb);
}

/* ---- -G, with a fake clock ---- */

static char *local_name(const char *pattern, int64_t secs)
{
	static char out[8][PATH_MAX];
	static int next;
	char *p = out[next++ % 8];
	time_t t = (time_t)secs;
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	assert_true(strftime(p, PATH_MAX, pattern, &tm) > 0);
	return p;
}

/* Opens a -G series; *t1 is a second at or after the first file's start. */
static struct uc_pcap_files *open_timed(struct uc_pcap_files_options *o, int64_t *t1)
{
	int64_t t0 = (int64_t)time(NULL);
	struct uc_pcap_files *f = open_files(o);

	*t1 = (int64_t)time(NULL);
	/* the first name is the local time of the start (then maybe the -C counter) */
	if (strncmp(uc_pcap_files_current(f), local_name(o->path, t0),
		    strlen(local_name(o->path, t0))) != 0)
		assert_memory_equal(uc_pcap_files_current(f), local_name(o->path, *t1),
				    strlen(local_name(o->path, *t1)));
	return f;
}

static void test_time_rotation(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("g-%Y%m%d-%H%M%S.pcapng"),
					   .rotate_secs = 60 };
	int64_t t1;
	struct uc_pcap_files *f = open_timed(&o, &t1);
	const char *first = strdup(uc_pcap_files_current(f));
	char want[PATH_MAX];
	struct summary s;

	(void)state;
	write_msgs(f, 0, 1, (uint64_t)t1 * NS);
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 30) * NS), 0);
	assert_string_equal(uc_pcap_files_current(f), first);
	/* idle: the tick rotates, and the new interval starts at the tick's second */
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 60) * NS + 5), 0);
	assert_string_equal(uc_pcap_files_current(f), local_name(o.path, t1 + 60));
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 119) * NS), 0);
	assert_string_equal(uc_pcap_files_current(f), local_name(o.path, t1 + 60));
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 120) * NS), 0);
	assert_string_equal(uc_pcap_files_current(f), local_name(o.path, t1 + 120));
	write_msgs(f, 1, 2, (uint64_t)(t1 + 121) * NS);
	/* a message whose time is up rotates too */
	write_msgs(f, 2, 3, (uint64_t)(t1 + 200) * NS + 999);
	assert_string_equal(uc_pcap_files_current(f), local_name(o.path, t1 + 200));
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	snprintf(want, sizeof(want), "%s %s %s %s", strrchr(first, '/') + 1,
		 strrchr(local_name(o.path, t1 + 60), '/') + 1,
		 strrchr(local_name(o.path, t1 + 120), '/') + 1,
		 strrchr(local_name(o.path, t1 + 200), '/') + 1);
	assert_string_equal(listing(), want);
	s = read_back(first);
	assert_ids(&s, 0, 1);
	assert_true(s.has_isb && s.recv == 1);
	s = read_back(local_name(o.path, t1 + 60));
	assert_ids(&s, 0, 0); /* an idle interval: a valid file without packets */
	assert_true(s.has_isb && s.recv == 0);
	s = read_back(local_name(o.path, t1 + 120));
	assert_ids(&s, 1, 2);
	s = read_back(local_name(o.path, t1 + 200));
	assert_ids(&s, 2, 3);
	free((void *)first);
}

/* The epoch second in a name made with %s, after prefix. */
static long long second_in(const char *path, const char *prefix)
{
	const char *p = strstr(path, prefix);

	assert_non_null(p);
	return strtoll(p + strlen(prefix), NULL, 10);
}

/* -G -W 3: the third file's end stops the capture (1), as tcpdump exits there. */
static void test_time_rotation_stops_after_n_files(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("n-%s.pcapng"),
					   .rotate_secs = 10,
					   .max_files = 3 };
	int64_t t1;
	struct uc_pcap_files *f = open_timed(&o, &t1);
	long long start = second_in(uc_pcap_files_current(f), "/n-");
	struct uc_message m = msg(9, (uint64_t)(t1 + 35) * NS);
	char want[256], name[64];
	struct summary s;

	(void)state;
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 10) * NS), 0);
	write_msgs(f, 0, 1, (uint64_t)(t1 + 11) * NS);
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 20) * NS), 0);
	write_msgs(f, 1, 2, (uint64_t)(t1 + 21) * NS);
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 29) * NS), 0);
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 30) * NS), 1);
	assert_int_equal(uc_pcap_files_write(f, &m), 1); /* not written anywhere */
	assert_int_equal(uc_pcap_files_tick(f, (uint64_t)(t1 + 31) * NS), 1);
	assert_int_equal(uc_pcap_files_close(f, &(struct uc_stats){ .messages = 5 }), 0);
	snprintf(want, sizeof(want), "n-%lld.pcapng n-%lld.pcapng n-%lld.pcapng", start,
		 (long long)(t1 + 10), (long long)(t1 + 20));
	assert_string_equal(listing(), want);
	snprintf(name, sizeof(name), "n-%lld.pcapng", (long long)(t1 + 20));
	s = read_back(in_dir(name));
	assert_ids(&s, 1, 2);
	assert_true(s.has_isb && s.recv == 1); /* closed by the rotation that stopped it */
}

static void want_gw(char *out, size_t len, long long start, int64_t t1)
{
	snprintf(out, len, "gw-%lld-0 gw-%lld-1 gw-%lld-0 gw-%lld-0", start, start,
		 (long long)(t1 + 100), (long long)(t1 + 200));
}

/* -G with -C: the counter restarts with each interval: NAME NAME1 NAME2, then the next
 * interval's NAME; with -W 2 it is NAME0 NAME1 and wraps within the interval, and -W does not
 * stop the capture. */
static void test_time_and_size_rotation(void **state)
{
	struct uc_pcap_files_options o = { .path = in_dir("gc-%s-"),
					   .rotate_secs = 60,
					   .rotate_bytes = 100000 };
	int64_t t1;
	struct uc_pcap_files *f = open_timed(&o, &t1);
	long long start = second_in(uc_pcap_files_current(f), "/gc-");
	char want[512], name[64];
	struct summary s;

	(void)state;
	write_msgs(f, 0, 6, (uint64_t)t1 * NS);         /* gc-S-, gc-S-1, gc-S-2 */
	write_msgs(f, 6, 7, (uint64_t)(t1 + 100) * NS); /* gc-T- */
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	snprintf(want, sizeof(want), "gc-%lld- gc-%lld-1 gc-%lld-2 gc-%lld-", start, start, start,
		 (long long)(t1 + 100));
	assert_string_equal(listing(), want);
	snprintf(name, sizeof(name), "gc-%lld-2", start);
	s = read_back(in_dir(name));
	assert_ids(&s, 4, 6);
	snprintf(name, sizeof(name), "gc-%lld-", (long long)(t1 + 100));
	s = read_back(in_dir(name));
	assert_ids(&s, 6, 7);

	o.path = in_dir("gw-%s-");
	o.max_files = 2;
	f = open_timed(&o, &t1);
	start = second_in(uc_pcap_files_current(f), "/gw-");
	write_msgs(f, 0, 6, (uint64_t)t1 * NS);         /* 0, 1, 0 again */
	write_msgs(f, 6, 7, (uint64_t)(t1 + 100) * NS); /* the next interval: no stop */
	write_msgs(f, 7, 8, (uint64_t)(t1 + 200) * NS);
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	want_gw(want, sizeof(want), start, t1);
	assert_non_null(strstr(listing(), want));
	assert_int_equal(strlen(strstr(listing(), "gw-")), strlen(want)); /* nothing more */
	snprintf(name, sizeof(name), "gw-%lld-0", start);
	s = read_back(in_dir(name));
	assert_ids(&s, 4, 6);
	snprintf(name, sizeof(name), "gw-%lld-1", start);
	s = read_back(in_dir(name));
	assert_ids(&s, 2, 4);
	snprintf(name, sizeof(name), "gw-%lld-0", (long long)(t1 + 100));
	s = read_back(in_dir(name));
	assert_ids(&s, 6, 7);
	snprintf(name, sizeof(name), "gw-%lld-0", (long long)(t1 + 200));
	s = read_back(in_dir(name));
	assert_ids(&s, 7, 8);
	snprintf(name, sizeof(name), "gw-%lld-2", start);
	assert_int_equal(access(in_dir(name), F_OK), -1);
}

/* ---- flushing ---- */

static off_t size_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

/* Buffered bytes go out once a second of ticks has passed, not before. */
static void test_tick_flushes_each_second(void **state)
{
	struct timespec ts;
	struct uc_pcap_files_options o = { .path = in_dir("f.pcapng") };
	struct uc_pcap_files *f;
	uint64_t before, after;
	struct uc_message m;
	off_t headers;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
	f = open_files(&o);
	clock_gettime(CLOCK_REALTIME, &ts);
	after = (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
	headers = size_of(in_dir("f.pcapng"));
	m = msg(1, after);
	m.len = m.caplen = m.stored = 100; /* small: stays in the buffer */
	assert_int_equal(uc_pcap_files_write(f, &m), 0);
	assert_true(after - before < NS / 2); /* else this machine is too busy for the test */
	assert_int_equal(uc_pcap_files_tick(f, after), 0); /* under a second after the open */
	assert_int_equal(size_of(in_dir("f.pcapng")), headers);
	assert_int_equal(uc_pcap_files_tick(f, after + NS), 0);
	assert_true(size_of(in_dir("f.pcapng")) > headers);
	assert_int_equal(uc_pcap_files_close(f, NULL), 0);
}

/* ---- stdout ---- */

static void test_stdout(void **state)
{
	struct uc_pcap_files_options o = { .path = "-", .rotate_bytes = 1000000 };
	char err[256] = "";
	struct uc_pcap_files *f;
	int saved, fd;
	struct summary s;

	(void)state;
	errno = 0;
	assert_null(uc_pcap_files_open(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "standard output"));
	o.rotate_bytes = 0;
	o.rotate_secs = 5;
	assert_null(uc_pcap_files_open(&o, err, sizeof(err)));

	/* without rotation it writes to fd 1 and leaves it open */
	o.rotate_secs = 0;
	fd = open(in_dir("stdout.pcapng"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	f = uc_pcap_files_open(&o, err, sizeof(err));
	if (f) {
		write_msgs(f, 0, 2, T0);
		assert_string_equal(uc_pcap_files_current(f), "-");
		assert_int_equal(uc_pcap_files_close(f, NULL), 0);
	}
	assert_int_equal(fcntl(STDOUT_FILENO, F_GETFD), 0); /* still open */
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_non_null(f);
	s = read_back(in_dir("stdout.pcapng"));
	assert_ids(&s, 0, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_file, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_open_failure_names_the_file, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_size_rotation_names, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_size_rotation_wraps, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_size_rotation_width, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_rotation_statistics, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_rotation_open_failure, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_time_rotation, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_time_rotation_stops_after_n_files, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_time_and_size_rotation, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_tick_flushes_each_second, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_stdout, make_dir, remove_dir),
	};

	/* strftime names in a fixed zone, whatever the machine's */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
