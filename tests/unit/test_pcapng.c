/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the pcapng writer: byte layout read back from memfds, error paths, tshark. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "format/pcapng.h"

/* ---- writev seam: the writer's only output call, so tests can inject faults ---- */

static struct {
	size_t max_bytes; /* >0: write at most this much per call (short writes) */
	bool eintr_every_other;
	bool return_zero;  /* report no progress */
	int fail_errno;    /* !=0: fail every call with this errno */
	const void *watch; /* records whether this pointer is handed to writev as is */
	bool watch_seen;
	unsigned calls;
	size_t limit; /* >0: a disk that fills after this many bytes: the call that
				* reaches it writes short, the next fails with limit_errno */
	int limit_errno;
	size_t total; /* bytes written while limit is set */
} fake;

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	struct iovec cut[64];
	size_t left = fake.max_bytes;
	int i, m = 0;

	fake.calls++;
	for (i = 0; i < n; i++)
		if (fake.watch && iov[i].iov_base == fake.watch)
			fake.watch_seen = true;
	if (fake.fail_errno) {
		errno = fake.fail_errno;
		return -1;
	}
	if (fake.return_zero)
		return 0;
	if (fake.eintr_every_other && fake.calls % 2) {
		errno = EINTR;
		return -1;
	}
	if (fake.limit) {
		if (fake.total >= fake.limit) {
			errno = fake.limit_errno;
			return -1;
		}
		left = fake.limit - fake.total;
		if (fake.max_bytes && fake.max_bytes < left)
			left = fake.max_bytes;
	} else if (!fake.max_bytes || n > 64) {
		return syscall(SYS_writev, fd, iov, n);
	}
	for (i = 0; i < n && left; i++, m++) {
		cut[m] = iov[i];
		if (cut[m].iov_len > left)
			cut[m].iov_len = left;
		left -= cut[m].iov_len;
	}
	if (fake.limit) {
		ssize_t r = syscall(SYS_writev, fd, cut, m);

		if (r > 0)
			fake.total += (size_t)r;
		return r;
	}
	return syscall(SYS_writev, fd, cut, m);
}

static int reset_fake(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* ---- reading a capture back ---- */

struct block {
	uint32_t type;
	uint32_t len;
	const uint8_t *body; /* after type and length, before the trailing length */
	size_t body_len;
};

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

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

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int new_fd(void)
{
	int fd = memfd_create("pcapng-test", 0);

	assert_true(fd >= 0);
	return fd;
}

static size_t file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (size_t)st.st_size;
}

/* Returns the whole file in a malloc'd buffer (caller frees). */
static uint8_t *slurp(int fd, size_t *len)
{
	size_t n = file_size(fd);
	uint8_t *buf = malloc(n ? n : 1);

	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, n, 0), (ssize_t)n);
	*len = n;
	return buf;
}

/* Splits the file into blocks, checking the framing every block must have. */
static size_t parse_blocks(const uint8_t *buf, size_t n, struct block *out, size_t max)
{
	size_t off = 0, count = 0;

	while (off < n) {
		uint32_t len;

		assert_true(n - off >= 12);
		len = rd32(buf + off + 4);
		assert_true(len >= 12);
		assert_int_equal(len % 4, 0);
		assert_true(len <= n - off);
		assert_int_equal(rd32(buf + off + len - 4), len); /* both ends agree */
		assert_true(count < max);
		out[count].type = rd32(buf + off);
		out[count].len = len;
		out[count].body = buf + off + 8;
		out[count].body_len = len - 12;
		count++;
		off += len;
	}
	assert_int_equal(off, n);
	return count;
}

/* Walks an option list (checking zero padding and a final opt_endofopt) and returns the
 * first option with this code, or NULL. */
static const uint8_t *find_opt(const uint8_t *o, size_t len, uint16_t code, uint16_t *olen)
{
	const uint8_t *found = NULL;
	size_t off = 0;
	bool ended = (len == 0);

	while (off < len) {
		uint16_t c, l;

		assert_true(len - off >= 4);
		c = rd16(o + off);
		l = rd16(o + off + 2);
		if (c == 0) {
			assert_int_equal(l, 0);
			assert_int_equal(off + 4, len);
			ended = true;
			break;
		}
		assert_true(off + 4 + pad4(l) <= len);
		for (size_t i = l; i < pad4(l); i++)
			assert_int_equal(o[off + 4 + i], 0);
		if (c == code && !found) {
			found = o + off + 4;
			*olen = l;
		}
		off += 4 + pad4(l);
	}
	assert_true(ended);
	return found;
}

static void assert_str_opt(const uint8_t *o, size_t len, uint16_t code, const char *want)
{
	uint16_t l = 0;
	const uint8_t *v = find_opt(o, len, code, &l);

	assert_non_null(v);
	assert_int_equal(l, strlen(want));
	assert_memory_equal(v, want, l);
}

static struct uc_pcapng_writer *open_with_iface(int fd, bool flush_each)
{
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, flush_each, NULL, NULL, NULL);

	assert_non_null(w);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL), 0);
	return w;
}

/* ---- layout tests ---- */

static void test_shb_layout(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, false, "x86_64", "Linux 6.1",
						    "unixcap 0.1");
	struct block b[4];
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_non_null(w);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 4), 1);
	assert_int_equal(b[0].type, 0x0A0D0D0A);
	assert_int_equal(rd32(b[0].body), 0x1A2B3C4D);
	assert_int_equal(rd16(b[0].body + 4), 1);
	assert_int_equal(rd16(b[0].body + 6), 0);
	assert_true(rd64(b[0].body + 8) == UINT64_MAX);
	assert_str_opt(b[0].body + 16, b[0].body_len - 16, 2, "x86_64");
	assert_str_opt(b[0].body + 16, b[0].body_len - 16, 3, "Linux 6.1");
	assert_str_opt(b[0].body + 16, b[0].body_len - 16, 4, "unixcap 0.1");
	/* 16 fixed + (4+8) + (4+12) + (4+12) + 4 end */
	assert_int_equal(b[0].len, 12 + 16 + 12 + 16 + 16 + 4);
	free(buf);
	close(fd);
}

static void test_shb_without_options(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, true, NULL, NULL, NULL);
	struct block b[2];
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_non_null(w);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 2), 1);
	assert_int_equal(b[0].len, 28);
	free(buf);
	close(fd);
}

static void test_idb_layout(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, false, NULL, NULL, NULL);
	struct block b[4];
	uint16_t l = 0;
	const uint8_t *v;
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 262144, "unix:/run/a.sock",
						 "stream socket"),
			 0);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_DBUS, 0, NULL, NULL), 1);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 4), 3);
	assert_int_equal(b[1].type, 1);
	assert_int_equal(rd16(b[1].body), PCAPNG_LINKTYPE_RAW);
	assert_int_equal(rd16(b[1].body + 2), 0);
	assert_int_equal(rd32(b[1].body + 4), 262144);
	assert_str_opt(b[1].body + 8, b[1].body_len - 8, 2, "unix:/run/a.sock");
	assert_str_opt(b[1].body + 8, b[1].body_len - 8, 3, "stream socket");
	v = find_opt(b[1].body + 8, b[1].body_len - 8, 9, &l);
	assert_non_null(v);
	assert_int_equal(l, 1);
	assert_int_equal(v[0], 9);
	/* Second IDB: only if_tsresol (4+4) and opt_endofopt (4). */
	assert_int_equal(b[2].type, 1);
	assert_int_equal(rd16(b[2].body), PCAPNG_LINKTYPE_DBUS);
	assert_int_equal(b[2].len, 12 + 8 + 8 + 4);
	assert_null(find_opt(b[2].body + 8, b[2].body_len - 8, 2, &l));
	free(buf);
	close(fd);
}

static void test_epb_layout(void **state)
{
	static const uint8_t head[3] = { 1, 2, 3 }, data[2] = { 4, 5 };
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct uc_pcapng_packet p = {
		.ts_ns = 0x123456789abcdef0ull,
		.head = head,
		.head_len = 3,
		.data = data,
		.data_len = 2,
		.origlen = 9,
		.flags = PCAPNG_DIR_OUTBOUND,
		.has_dropcount = true,
		.dropcount = 0x1122334455667788ull,
		.pid = 4242,
		.tid = 4243,
		.comment = "hi!!x",
	};
	struct block b[4];
	uint16_t l = 0;
	const uint8_t *o, *v;
	size_t n, olen;
	uint8_t *buf;

	(void)state;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 4), 3);
	assert_int_equal(b[2].type, 6);
	assert_int_equal(b[2].len, 88); /* 8 + 20 + 8 data + 12 + 8 + 12 + 12 + 4 options + 4 */
	assert_int_equal(rd32(b[2].body), 0);
	assert_int_equal(rd32(b[2].body + 4), 0x12345678);
	assert_int_equal(rd32(b[2].body + 8), 0x9abcdef0);
	assert_int_equal(rd32(b[2].body + 12), 5);
	assert_int_equal(rd32(b[2].body + 16), 9);
	assert_memory_equal(b[2].body + 20, "\1\2\3\4\5\0\0\0", 8); /* payload, zero padding */
	o = b[2].body + 28;
	olen = b[2].body_len - 28;
	assert_str_opt(o, olen, 1, "hi!!x");
	v = find_opt(o, olen, 2, &l);
	assert_non_null(v);
	assert_int_equal(l, 4);
	assert_int_equal(rd32(v), PCAPNG_DIR_OUTBOUND);
	v = find_opt(o, olen, 4, &l);
	assert_non_null(v);
	assert_int_equal(l, 8);
	assert_true(rd64(v) == 0x1122334455667788ull);
	v = find_opt(o, olen, 8, &l); /* epb_processid_threadid: pid, then tid */
	assert_non_null(v);
	assert_int_equal(l, 8);
	assert_int_equal(rd32(v), 4242);
	assert_int_equal(rd32(v + 4), 4243);
	free(buf);
	close(fd);
}

static void test_epb_without_options(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, true);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };
	struct uc_pcapng_packet empty = { .ts_ns = 1 };
	struct block b[5];
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &empty), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 5), 4);
	assert_int_equal(b[2].len, 32 + 4); /* no flags, dropcount, comment, nor opt_endofopt */
	assert_memory_equal(b[2].body + 20, "abcd", 4);
	assert_int_equal(b[3].len, 32);
	assert_int_equal(rd32(b[3].body + 8), 1);
	assert_int_equal(rd32(b[3].body + 12), 0);
	free(buf);
	close(fd);
}

static void test_long_comment_cut_at_utf8_boundary(void **state)
{
	enum { N = 70000 };
	char *ascii = malloc(N + 1), *utf8 = malloc(N + 1);
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct uc_pcapng_packet p = { .data = "x", .data_len = 1, .origlen = 1 };
	struct block b[5];
	uint16_t l = 0;
	size_t n;
	uint8_t *buf;

	(void)state;
	memset(ascii, 'a', N);
	ascii[N] = 0;
	for (size_t i = 0; i < N; i += 2)
		memcpy(utf8 + i, "\xc3\xa9", 2); /* U+00E9, two bytes */
	utf8[N] = 0;
	p.comment = ascii;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	p.comment = utf8;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 5), 4);
	assert_non_null(find_opt(b[2].body + 24, b[2].body_len - 24, 1, &l));
	assert_int_equal(l, 65535);
	assert_non_null(find_opt(b[3].body + 24, b[3].body_len - 24, 1, &l));
	assert_int_equal(l, 65534); /* 65535 would split a character */
	free(buf);
	free(ascii);
	free(utf8);
	close(fd);
}

static void test_nrb_layout(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, false, NULL, NULL, NULL);
	struct block b[3];
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 0x7f000001, "localhost"), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 3), 2);
	assert_int_equal(b[1].type, 4);
	assert_int_equal(b[1].len, 36);
	assert_int_equal(rd16(b[1].body), 1);      /* nrb_record_ipv4 */
	assert_int_equal(rd16(b[1].body + 2), 14); /* 4 address + "localhost\0" */
	assert_memory_equal(b[1].body + 4, "\x7f\0\0\1localhost\0\0\0", 16);
	assert_int_equal(rd32(b[1].body + 20), 0); /* nrb_record_end */
	free(buf);
	close(fd);
}

static void test_isb_layout(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct block b[4];
	uint16_t l = 0;
	const uint8_t *v;
	size_t n;
	uint8_t *buf;

	(void)state;
	assert_int_equal(uc_pcapng_write_stats(w, 0, 0x100000002ull, 1000, 0x1ffffffffull), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 4), 3);
	assert_int_equal(b[2].type, 5);
	assert_int_equal(b[2].len, 52);
	assert_int_equal(rd32(b[2].body), 0);
	assert_int_equal(rd32(b[2].body + 4), 1);
	assert_int_equal(rd32(b[2].body + 8), 2);
	v = find_opt(b[2].body + 12, b[2].body_len - 12, 4, &l);
	assert_non_null(v);
	assert_int_equal(l, 8);
	assert_true(rd64(v) == 1000);
	v = find_opt(b[2].body + 12, b[2].body_len - 12, 5, &l);
	assert_non_null(v);
	assert_true(rd64(v) == 0x1ffffffffull);
	free(buf);
	close(fd);
}

/* ---- buffering ---- */

static void test_buffered_until_flush(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);

	(void)state;
	assert_int_equal(file_size(fd), 0);
	assert_int_equal(uc_pcapng_flush(w), 0);
	assert_int_equal(file_size(fd), 28 + 32);
	assert_int_equal(uc_pcapng_flush(w), 0);
	assert_int_equal(file_size(fd), 28 + 32);
	assert_int_equal(uc_pcapng_close(w), 0);
	close(fd);
}

static void test_flush_each_writes_at_once(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, true, NULL, NULL, NULL);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };

	(void)state;
	assert_int_equal(file_size(fd), 28);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL), 0);
	assert_int_equal(file_size(fd), 28 + 32);
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(file_size(fd), 28 + 32 + 36);
	assert_int_equal(uc_pcapng_close(w), 0);
	close(fd);
}

static void test_large_payload_not_copied_and_ordered(void **state)
{
	enum { BIG = 65536 };
	uint8_t *big = malloc(BIG);
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct uc_pcapng_packet small = { .data = "0123456789", .data_len = 10, .origlen = 10 };
	struct uc_pcapng_packet large = {
		.head = "HDR!", .head_len = 4, .data = big, .data_len = BIG, .origlen = BIG + 4
	};
	struct block b[6];
	size_t n;
	uint8_t *buf;

	(void)state;
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	fake.watch = big;
	assert_int_equal(uc_pcapng_write_packet(w, &small), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &large), 0);
	assert_true(fake.watch_seen); /* handed to the kernel straight from the caller's memory */
	assert_int_equal(uc_pcapng_write_packet(w, &small), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 6), 5);
	assert_int_equal(rd32(b[2].body + 12), 10);
	assert_int_equal(rd32(b[3].body + 12), BIG + 4);
	assert_memory_equal(b[3].body + 20, "HDR!", 4);
	assert_memory_equal(b[3].body + 24, big, BIG);
	assert_int_equal(rd32(b[4].body + 12), 10);
	free(buf);
	free(big);
	close(fd);
}

static void test_buffer_spills_on_block_boundaries(void **state)
{
	static uint8_t payload[4000];
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct uc_pcapng_packet p = { .data = payload, .data_len = 4000, .origlen = 4000 };
	struct block *b = calloc(200, sizeof(*b));
	size_t n;
	uint8_t *buf;

	(void)state;
	for (int i = 0; i < 100; i++) {
		memset(payload, i, sizeof(payload));
		assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	}
	/* 100 blocks of 4032 bytes exceed the buffer, so part is out, cut between blocks. */
	buf = slurp(fd, &n);
	assert_true(n > 0);
	assert_true(parse_blocks(buf, n, b, 200) < 102);
	free(buf);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 200), 102);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(b[i + 2].len, 4032);
		assert_int_equal(b[i + 2].body[20], i);
		assert_int_equal(b[i + 2].body[20 + 3999], i);
	}
	free(buf);
	free(b);
	close(fd);
}

/* Writes the same mixed capture through w; used to compare normal and faulty writev. */
static void write_sample(struct uc_pcapng_writer *w)
{
	static uint8_t big[70000];
	struct uc_pcapng_packet p = { .head = "head",
				      .head_len = 4,
				      .data = big,
				      .data_len = 3,
				      .origlen = 7,
				      .flags = PCAPNG_DIR_INBOUND,
				      .comment = "c" };

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, "if", "desc"), 0);
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 0x0a000001, "host"), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	p.data_len = p.origlen = sizeof(big);
	p.origlen += 4;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_write_stats(w, 0, 5, 2, 0), 0);
}

static void test_short_writes_and_eintr(void **state)
{
	for (int flush_each = 0; flush_each < 2; flush_each++) {
		int ref_fd = new_fd(), fd = new_fd();
		struct uc_pcapng_writer *w = uc_pcapng_open(ref_fd, flush_each, "hw", "os", "app");
		size_t ref_n, n;
		uint8_t *ref, *got;

		reset_fake(state);
		write_sample(w);
		assert_int_equal(uc_pcapng_close(w), 0);
		fake.max_bytes = 7;
		fake.eintr_every_other = true;
		w = uc_pcapng_open(fd, flush_each, "hw", "os", "app");
		write_sample(w);
		assert_int_equal(uc_pcapng_close(w), 0);
		assert_true(fake.calls > 2 * (70000 / 7)); /* the faults really were exercised */
		ref = slurp(ref_fd, &ref_n);
		got = slurp(fd, &n);
		assert_int_equal(n, ref_n);
		assert_memory_equal(got, ref, n);
		free(ref);
		free(got);
		close(ref_fd);
		close(fd);
	}
}

/* ---- errors ---- */

static void test_open_bad_fd(void **state)
{
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	errno = 0;
	assert_null(uc_pcapng_open(-1, false, NULL, NULL, NULL));
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_true(fd >= 0);
	assert_null(uc_pcapng_open(fd, true, NULL, NULL, NULL)); /* read-only */
	assert_int_equal(errno, EBADF);
	close(fd);
}

static void test_rejects_invalid_packets(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, true);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };
	struct uc_pcapng_packet bad;
	struct block b[4];
	size_t n, before = file_size(fd);
	uint8_t *buf;

	(void)state;
	bad = p;
	bad.interface_id = 1;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &bad), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(uc_pcapng_write_stats(w, 1, 0, 0, 0), -1);
	assert_int_equal(errno, EINVAL);
	bad = p;
	bad.data_len = PCAPNG_MAX_RECORD + 1; /* rejected before data is read */
	bad.origlen = PCAPNG_MAX_RECORD + 1;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &bad), -1);
	assert_int_equal(errno, EINVAL);
	bad.head_len = UINT32_MAX; /* head_len + data_len must not wrap to something small */
	bad.data_len = 2;
	bad.origlen = UINT32_MAX;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &bad), -1);
	assert_int_equal(errno, EINVAL);
	bad = p;
	bad.origlen = 3;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &bad), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(file_size(fd), before); /* nothing of the rejected calls was written */
	/* Rejections are not sticky: the writer still works. */
	bad = p;
	bad.data_len = PCAPNG_MAX_RECORD; /* the limit itself is accepted */
	bad.data = calloc(1, PCAPNG_MAX_RECORD);
	bad.origlen = PCAPNG_MAX_RECORD;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &bad), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, &n);
	assert_int_equal(parse_blocks(buf, n, b, 4), 4);
	free((void *)bad.data);
	free(buf);
	close(fd);
}

static void test_null_arguments(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, true);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };
	size_t before = file_size(fd);

	(void)state;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, NULL), -1);
	assert_int_equal(errno, EINVAL);
	p.data = NULL; /* data_len says 4 bytes are there */
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 1, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(uc_pcapng_write_packet(NULL, &p), -1);
	assert_int_equal(uc_pcapng_add_interface(NULL, 1, 0, NULL, NULL), -1);
	assert_int_equal(uc_pcapng_add_ipv4_name(NULL, 1, "a"), -1);
	assert_int_equal(uc_pcapng_write_stats(NULL, 0, 0, 0, 0), -1);
	assert_int_equal(uc_pcapng_flush(NULL), -1);
	assert_int_equal(uc_pcapng_close(NULL), 0);
	assert_int_equal(file_size(fd), before);
	assert_int_equal(uc_pcapng_close(w), 0);
	close(fd);
}

static void test_closed_fd_error_is_sticky(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, false);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };

	(void)state;
	close(fd);
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0); /* buffered, nothing written yet */
	errno = 0;
	assert_int_equal(uc_pcapng_flush(w), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 1, "a"), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_write_stats(w, 0, 0, 0, 0), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_flush(w), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(uc_pcapng_close(w), -1);
	assert_int_equal(errno, EBADF);
}

static void test_first_error_is_kept(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, true);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };

	(void)state;
	fake.fail_errno = ENOSPC;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, ENOSPC);
	/* A later, different fault and then a healthy disk: the first error is still reported. */
	fake.fail_errno = EIO;
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, ENOSPC);
	fake.fail_errno = 0;
	errno = 0;
	assert_int_equal(uc_pcapng_write_stats(w, 0, 0, 0, 0), -1);
	assert_int_equal(errno, ENOSPC);
	errno = 0;
	assert_int_equal(uc_pcapng_close(w), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(file_size(fd), 28 + 32); /* nothing after the failure */
	close(fd);
}

static void test_device_full(void **state)
{
	/* /dev/full fails every write with ENOSPC: a real device error rather than a fake one. */
	int fd = open("/dev/full", O_WRONLY);
	struct uc_pcapng_writer *w;

	(void)state;
	if (fd < 0)
		skip();
	errno = 0;
	assert_null(uc_pcapng_open(fd, true, "hw", NULL, NULL));
	assert_int_equal(errno, ENOSPC);
	w = uc_pcapng_open(fd, false, "hw", NULL, NULL);
	assert_non_null(w);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL), 0);
	errno = 0;
	assert_int_equal(uc_pcapng_close(w), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void test_no_progress_write_is_an_error(void **state)
{
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, true);
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };

	(void)state;
	fake.return_zero = true; /* a writev that returns 0 must not make the writer spin */
	errno = 0;
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(fake.calls, 3);
	fake.return_zero = false;
	assert_int_equal(uc_pcapng_close(w), -1);
	assert_int_equal(errno, EIO);
	close(fd);
}

/* ---- a write that fails half way: the file is cut back to its last whole block ---- */

static uint8_t fault_payload[250000];
static const uint32_t fault_sizes[] = { 10,   700,   4000,  20000,  3,  70000,
					1500, 16000, 17000, 250000, 64, 9000 };
#define FAULT_PACKETS 60
#define FAULT_MAX_BLOCKS (FAULT_PACKETS + 4)

/* Writes packets of every path (copied into the buffer, handed to writev uncopied) and
 * flushes. Returns 0 when everything went out, else the errno of the first failure. */
static int write_fault_sequence(struct uc_pcapng_writer *w)
{
	for (int i = 0; i < FAULT_PACKETS; i++) {
		uint32_t len = fault_sizes[i % (sizeof(fault_sizes) / sizeof(fault_sizes[0]))];
		struct uc_pcapng_packet p = { .ts_ns = (uint64_t)i,
					      .data = fault_payload,
					      .data_len = len,
					      .origlen = len,
					      .comment = i % 3 ? NULL : "third" };

		memset(fault_payload, i, len); /* the writer keeps no reference after the call */
		if (uc_pcapng_write_packet(w, &p) < 0)
			return errno;
	}
	return uc_pcapng_flush(w) < 0 ? errno : 0;
}

/* The same sequence without faults; returns the file (caller frees), its length, and the
 * offsets where its blocks end. */
static uint8_t *fault_reference(bool flush_each, size_t *n, size_t *ends, size_t *n_ends)
{
	struct block b[FAULT_MAX_BLOCKS];
	int fd = new_fd();
	struct uc_pcapng_writer *w = open_with_iface(fd, flush_each);
	uint8_t *buf;
	size_t off = 0;

	assert_int_equal(write_fault_sequence(w), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
	buf = slurp(fd, n);
	*n_ends = parse_blocks(buf, *n, b, FAULT_MAX_BLOCKS);
	for (size_t i = 0; i < *n_ends; i++)
		ends[i] = off += b[i].len;
	close(fd);
	return buf;
}

/* The end of the last whole block at or below limit. */
static size_t boundary_below(const size_t *ends, size_t n_ends, size_t limit)
{
	size_t best = 0;

	for (size_t i = 0; i < n_ends && ends[i] <= limit; i++)
		best = ends[i];
	return best;
}

/* Checks that the file holds skip bytes of its own, then exactly the reference's first keep
 * bytes, whole blocks only. */
static void assert_cut_at(int fd, size_t skip, const uint8_t *ref, size_t keep)
{
	struct block b[FAULT_MAX_BLOCKS];
	size_t n;
	uint8_t *got = slurp(fd, &n);

	assert_int_equal(n, skip + keep);
	if (keep)
		parse_blocks(got + skip, keep, b, FAULT_MAX_BLOCKS);
	assert_memory_equal(got + skip, ref, keep);
	free(got);
}

/* A disk that fills at every interesting offset: inside the first block, on a block edge,
 * inside the buffer, inside a large block written around the buffer. Buffered and -U, with
 * and without short writes on the way. */
static void test_failed_write_cuts_back_to_whole_blocks(void **state)
{
	static const size_t limits[] = { 1,    27,    28,     29,     60,     61,     100,
					 5000, 70000, 262144, 262145, 300001, 500000, 1000000 };
	size_t ends[FAULT_MAX_BLOCKS], n_ends, ref_n;

	for (int mode = 0; mode < 3; mode++) {
		bool flush_each = mode == 1;
		uint8_t *ref;

		reset_fake(state);
		ref = fault_reference(flush_each, &ref_n, ends, &n_ends);
		for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
			size_t keep = boundary_below(ends, n_ends, limits[k]);
			int fd = new_fd(), err;
			struct uc_pcapng_writer *w;

			reset_fake(state);
			fake.limit = limits[k];
			fake.limit_errno = ENOSPC;
			fake.max_bytes = mode == 2 ? 4093 : 0; /* and short writes before the end */
			errno = 0;
			w = uc_pcapng_open(fd, flush_each, NULL, NULL, NULL);
			if (!w) { /* -U writes the section header at once */
				assert_int_equal(errno, ENOSPC);
				assert_int_equal(keep, 0);
				assert_cut_at(fd, 0, ref, 0);
				close(fd);
				continue;
			}
			err = uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL) < 0 ?
				      errno :
				      write_fault_sequence(w);
			assert_int_equal(err, ENOSPC);
			assert_true(uc_pcapng_bytes(w) == keep); /* what the file holds now */
			errno = 0;
			assert_int_equal(uc_pcapng_close(w), -1);
			assert_int_equal(errno, ENOSPC); /* still the first error */
			assert_cut_at(fd, 0, ref, keep);
			close(fd);
		}
		free(ref);
	}
}

/* A file with bytes before the section, written at its offset or O_APPEND at its end: only
 * the writer's own tail is cut. */
static void test_cut_back_respects_start_offset(void **state)
{
	size_t ends[FAULT_MAX_BLOCKS], n_ends, ref_n, keep;
	uint8_t *ref = fault_reference(false, &ref_n, ends, &n_ends);
	char junk[100];

	memset(junk, 'j', sizeof(junk));
	keep = boundary_below(ends, n_ends, 300001);
	for (int append = 0; append < 2; append++) {
		int fd = new_fd();
		struct uc_pcapng_writer *w;

		reset_fake(state);
		assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		if (append) { /* the offset says 0, the writes go to the end */
			assert_int_equal(fcntl(fd, F_SETFL, O_APPEND), 0);
			assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		}
		fake.limit = 300001;
		fake.limit_errno = EIO;
		w = open_with_iface(fd, false);
		assert_int_equal(write_fault_sequence(w), EIO);
		assert_int_equal(uc_pcapng_close(w), -1);
		assert_int_equal(errno, EIO);
		assert_cut_at(fd, sizeof(junk), ref, keep);
		{
			uint8_t *got;
			size_t n;

			got = slurp(fd, &n);
			assert_memory_equal(got, junk, sizeof(junk));
			free(got);
		}
		close(fd);
	}
	free(ref);
}

/* The real thing: RLIMIT_FSIZE with SIGXFSZ ignored makes the kernel write short up to the
 * limit and then fail with EFBIG. In a child, so the limit cannot hit the test's own logs. */
static void test_file_size_limit_keeps_whole_blocks(void **state)
{
	static const size_t limits[] = { 100000, 263000, 777777 };
	size_t ends[FAULT_MAX_BLOCKS], n_ends, ref_n;

	for (int flush_each = 0; flush_each < 2; flush_each++) {
		uint8_t *ref;

		reset_fake(state);
		ref = fault_reference(flush_each, &ref_n, ends, &n_ends);
		for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
			char path[] = "/tmp/test_pcapng_fsize_XXXXXX";
			int fd = mkstemp(path), status;
			pid_t pid;

			assert_true(fd >= 0);
			unlink(path);
			pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				struct rlimit rl;
				struct uc_pcapng_writer *w;
				int err, r;

				signal(SIGXFSZ, SIG_IGN);
				if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
					_exit(20);
				rl.rlim_cur = limits[k];
				if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
					_exit(21);
				w = uc_pcapng_open(fd, flush_each, NULL, NULL, NULL);
				if (!w || uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL,
								  NULL) < 0)
					_exit(22);
				err = write_fault_sequence(w);
				r = uc_pcapng_close(w);
				_exit(err == EFBIG && r < 0 && errno == EFBIG ? 0 : 23);
			}
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
			assert_true(file_size(fd) <= limits[k]);
			assert_true(file_size(fd) + 250000 + 64 >
				    limits[k]); /* no more than a block lost */
			assert_cut_at(fd, 0, ref, boundary_below(ends, n_ends, limits[k]));
			close(fd);
		}
		free(ref);
	}
}

/* A pipe cannot be cut back: the writer just reports the error, sticky. */
static void test_pipe_error_is_reported(void **state)
{
	struct uc_pcapng_packet p = { .data = "abcd", .data_len = 4, .origlen = 4 };
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct uc_pcapng_writer *w;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	w = open_with_iface(fds[1], false);
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0); /* buffered */
	errno = 0;
	assert_int_equal(uc_pcapng_flush(w), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(uc_pcapng_write_packet(w, &p), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(uc_pcapng_close(w), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
	signal(SIGPIPE, old);
}

static void test_bytes_counts_buffered_and_written(void **state)
{
	static uint8_t big[70000];
	struct uc_pcapng_packet small = { .data = "abcd", .data_len = 4, .origlen = 4 };
	struct uc_pcapng_packet large = { .data = big,
					  .data_len = sizeof(big),
					  .origlen = sizeof(big) };
	int fd = new_fd();
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, false, NULL, NULL, NULL);

	(void)state;
	assert_true(uc_pcapng_bytes(NULL) == 0);
	assert_true(uc_pcapng_bytes(w) == 28);
	assert_int_equal(file_size(fd), 0);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 0, NULL, NULL), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &small), 0);
	assert_true(uc_pcapng_bytes(w) == 28 + 32 + 36);
	assert_int_equal(uc_pcapng_write_packet(w, &large), 0); /* written out with the buffer */
	assert_true(uc_pcapng_bytes(w) == 28 + 32 + 36 + 32 + sizeof(big));
	assert_int_equal(file_size(fd), uc_pcapng_bytes(w));
	assert_int_equal(uc_pcapng_write_packet(w, &small), 0);
	assert_int_equal(uc_pcapng_flush(w), 0);
	assert_int_equal(file_size(fd), uc_pcapng_bytes(w));
	assert_int_equal(uc_pcapng_close(w), 0);
	close(fd);
}

/* ---- tshark round trip ---- */

/* Minimal IPv4 + TCP/UDP headers; checksums stay 0 because tshark does not verify them by
 * default and synth.c (tested on its own) is not linked here. */
static size_t ip_header(uint8_t *h, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
			uint16_t dport, size_t payload_len)
{
	size_t l4 = proto == 6 ? 20 : 8, total = 20 + l4 + payload_len;

	memset(h, 0, 20 + l4);
	h[0] = 0x45;
	h[2] = (uint8_t)(total >> 8);
	h[3] = (uint8_t)total;
	h[8] = 64;
	h[9] = proto;
	for (int i = 0; i < 4; i++) {
		h[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		h[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	h[20] = (uint8_t)(sport >> 8);
	h[21] = (uint8_t)sport;
	h[22] = (uint8_t)(dport >> 8);
	h[23] = (uint8_t)dport;
	if (proto == 17) {
		h[24] = (uint8_t)((8 + payload_len) >> 8);
		h[25] = (uint8_t)(8 + payload_len);
	}
	return 20 + l4;
}

static void tcp_packet(struct uc_pcapng_writer *w, bool from_client, uint8_t flags, uint32_t seq,
		       uint32_t ack, const char *data, const struct uc_pcapng_packet *extra)
{
	uint8_t h[40];
	size_t len = data ? strlen(data) : 0;
	struct uc_pcapng_packet p = *extra;

	if (from_client)
		ip_header(h, 6, 0x7f000001, 0x7f000002, 40000, 50000, len);
	else
		ip_header(h, 6, 0x7f000002, 0x7f000001, 50000, 40000, len);
	for (int i = 0; i < 4; i++) {
		h[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
		h[28 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	h[32] = 0x50;
	h[33] = flags;
	h[34] = h[35] = 0xff;
	p.head = h;
	p.head_len = 40;
	p.data = data;
	p.data_len = (uint32_t)len;
	p.origlen = (uint32_t)len + 40;
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
}

static char *run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	char *out = calloc(1, 4096);
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, 4095, f);
	out[n] = 0;
	*status = pclose(f);
	return out;
}

static void write_capture(int fd)
{
	struct uc_pcapng_writer *w = uc_pcapng_open(fd, false, "test-hw", "test-os", "test_pcapng");
	struct uc_pcapng_packet out = { .flags = PCAPNG_DIR_OUTBOUND,
					.ts_ns = 1700000000000000000 };
	struct uc_pcapng_packet in = { .flags = PCAPNG_DIR_INBOUND, .ts_ns = 1700000000000001000 };
	struct uc_pcapng_packet data = out;
	uint8_t h[28];

	assert_non_null(w);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_RAW, 262144, "unix:/run/t.sock",
						 "unixcap test"),
			 0);
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 0x7f000002, "server"), 0);
	tcp_packet(w, true, 0x02, 100, 0, NULL, &out);
	tcp_packet(w, false, 0x12, 500, 101, NULL, &in);
	tcp_packet(w, true, 0x10, 101, 501, NULL, &out);
	data.comment = "first write";
	data.has_dropcount = true;
	data.dropcount = 3;
	tcp_packet(w, true, 0x18, 101, 501, "ping", &data);
	in.head = h;
	in.head_len = (uint32_t)ip_header(h, 17, 0x7f000002, 0x7f000001, 34567, 34568, 5);
	in.data = "dgram";
	in.data_len = 5;
	in.origlen = 33;
	assert_int_equal(uc_pcapng_write_packet(w, &in), 0);
	assert_int_equal(uc_pcapng_write_stats(w, 0, 1700000000000002000ull, 5, 3), 0);
	assert_int_equal(uc_pcapng_close(w), 0);
}

static void test_tshark_reads_capture(void **state)
{
	char path[] = "/tmp/test_pcapng_XXXXXX";
	char cmd[512];
	int fd, status;
	char *out;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		printf("SKIP: tshark not installed\n");
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* Unlinked at once so a failed assertion leaves no file; tshark reads it via /proc. */
	unlink(path);
	write_capture(fd);
	snprintf(cmd, sizeof(cmd), "tshark -r /proc/%d/fd/%d -q 2>&1", (int)getpid(), fd);
	out = run(cmd, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("tshark -q said: %s\n", out);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r /proc/%d/fd/%d -T fields -e frame.comment -e tcp.payload "
		 "-e udp.payload -e frame.p2p_dir -e frame.drop_count 2>/dev/null",
		 (int)getpid(), fd);
	out = run(cmd, &status);
	close(fd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* p2p_dir 0 is "sent" (outbound), 1 "received" (inbound). */
	assert_string_equal(out, "\t\t\t0\t\n"
				 "\t\t\t1\t\n"
				 "\t\t\t0\t\n"
				 "first write\t70696e67\t\t0\t3\n"
				 "\t\t646772616d\t1\t\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_shb_layout, reset_fake),
		cmocka_unit_test_setup(test_shb_without_options, reset_fake),
		cmocka_unit_test_setup(test_idb_layout, reset_fake),
		cmocka_unit_test_setup(test_epb_layout, reset_fake),
		cmocka_unit_test_setup(test_epb_without_options, reset_fake),
		cmocka_unit_test_setup(test_long_comment_cut_at_utf8_boundary, reset_fake),
		cmocka_unit_test_setup(test_nrb_layout, reset_fake),
		cmocka_unit_test_setup(test_isb_layout, reset_fake),
		cmocka_unit_test_setup(test_buffered_until_flush, reset_fake),
		cmocka_unit_test_setup(test_flush_each_writes_at_once, reset_fake),
		cmocka_unit_test_setup(test_large_payload_not_copied_and_ordered, reset_fake),
		cmocka_unit_test_setup(test_buffer_spills_on_block_boundaries, reset_fake),
		cmocka_unit_test_setup(test_short_writes_and_eintr, reset_fake),
		cmocka_unit_test_setup(test_open_bad_fd, reset_fake),
		cmocka_unit_test_setup(test_rejects_invalid_packets, reset_fake),
		cmocka_unit_test_setup(test_null_arguments, reset_fake),
		cmocka_unit_test_setup(test_closed_fd_error_is_sticky, reset_fake),
		cmocka_unit_test_setup(test_first_error_is_kept, reset_fake),
		cmocka_unit_test_setup(test_device_full, reset_fake),
		cmocka_unit_test_setup(test_no_progress_write_is_an_error, reset_fake),
		cmocka_unit_test_setup(test_failed_write_cuts_back_to_whole_blocks, reset_fake),
		cmocka_unit_test_setup(test_cut_back_respects_start_offset, reset_fake),
		cmocka_unit_test_setup(test_file_size_limit_keeps_whole_blocks, reset_fake),
		cmocka_unit_test_setup(test_pipe_error_is_reported, reset_fake),
		cmocka_unit_test_setup(test_bytes_counts_buffered_and_written, reset_fake),
		cmocka_unit_test_setup(test_tshark_reads_capture, reset_fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
