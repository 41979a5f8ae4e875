/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the pcapng reader behind -r: files from the real writer, hand-built sections in
 * either byte order, several sections, and every kind of damage with its exact message. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "format/pcapng_reader.h"
#include "format/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u

/* ---- building files in memory, in either byte order ---- */

struct file {
	uint8_t d[4096];
	size_t n;
	bool be;     /* big-endian: every field of the section is written most significant first */
	size_t open; /* offset of the block under construction */
};

static void put8(struct file *f, uint8_t v)
{
	assert_true(f->n < sizeof(f->d));
	f->d[f->n++] = v;
}

static void put16(struct file *f, uint16_t v)
{
	if (f->be) {
		put8(f, (uint8_t)(v >> 8));
		put8(f, (uint8_t)v);
	} else {
		put8(f, (uint8_t)v);
		put8(f, (uint8_t)(v >> 8));
	}
}

static void put32(struct file *f, uint32_t v)
{
	if (f->be) {
		put16(f, (uint16_t)(v >> 16));
		put16(f, (uint16_t)v);
	} else {
		put16(f, (uint16_t)v);
		put16(f, (uint16_t)(v >> 16));
	}
}

static void put_bytes(struct file *f, const void *p, size_t len)
{
	assert_true(len <= sizeof(f->d) - f->n);
	memcpy(f->d + f->n, p, len);
	f->n += len;
}

static void pad(struct file *f)
{
	while (f->n % 4)
		put8(f, 0);
}

static void patch32(struct file *f, size_t at, uint32_t v)
{
	size_t n = f->n;

	f->n = at;
	put32(f, v);
	f->n = n;
}

/* Starts a block: its type and a length that block_end fills in. Returns its offset. */
static size_t block_begin(struct file *f, uint32_t type)
{
	f->open = f->n;
	put32(f, type);
	put32(f, 0);
	return f->open;
}

/* Ends the block: pads, writes the trailing length and patches the leading one. */
static void block_end(struct file *f)
{
	uint32_t total;

	pad(f);
	total = (uint32_t)(f->n - f->open + 4);
	put32(f, total);
	patch32(f, f->open + 4, total);
}

static void option(struct file *f, uint16_t code, const void *v, uint16_t len)
{
	put16(f, code);
	put16(f, len);
	put_bytes(f, v, len);
	pad(f);
}

static void end_of_options(struct file *f)
{
	put32(f, 0);
}

/* A Section Header Block, version major.0, with shb_userappl when application is not NULL. */
static size_t shb_version(struct file *f, bool be, uint16_t major, const char *application)
{
	size_t at;

	f->be = be;
	at = block_begin(f, BT_SHB);
	put32(f, 0x1A2B3C4Du);
	put16(f, major);
	put16(f, 0);
	put32(f, 0xFFFFFFFFu); /* section length -1: unknown */
	put32(f, 0xFFFFFFFFu);
	if (application) {
		option(f, 4, application, (uint16_t)strlen(application));
		end_of_options(f);
	}
	block_end(f);
	return at;
}

static size_t shb(struct file *f, bool be, const char *application)
{
	return shb_version(f, be, 1, application);
}

/* An Interface Description Block; tsresol < 0 writes no if_tsresol (microseconds). */
static size_t idb(struct file *f, uint16_t linktype, int tsresol)
{
	size_t at = block_begin(f, BT_IDB);

	put16(f, linktype);
	put16(f, 0);
	put32(f, 0); /* snaplen */
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;

		option(f, 9, &r, 1);
		end_of_options(f);
	}
	block_end(f);
	return at;
}

/* An Enhanced Packet Block with no options; units is the timestamp in the interface's units. */
static size_t epb(struct file *f, uint32_t iface, uint64_t units, const void *data, uint32_t len)
{
	size_t at = block_begin(f, BT_EPB);

	put32(f, iface);
	put32(f, (uint32_t)(units >> 32));
	put32(f, (uint32_t)units);
	put32(f, len);
	put32(f, len);
	put_bytes(f, data, len);
	block_end(f);
	return at;
}

/* ---- reading ---- */

static FILE *open_mem(const void *data, size_t n)
{
	/* fmemopen wants at least one byte; an empty input is an empty file */
	FILE *in = n ? fmemopen((void *)data, n, "r") : fopen("/dev/null", "r");

	assert_non_null(in);
	return in;
}

struct rd {
	FILE *in;
	struct uc_pcapng_reader *r;
	struct uc_pcapng_block b;
};

static void rd_open(struct rd *rd, const void *data, size_t n)
{
	rd->in = open_mem(data, n);
	rd->r = uc_pcapng_reader_new(rd->in);
	assert_non_null(rd->r);
	memset(&rd->b, 0, sizeof(rd->b));
}

static void rd_close(struct rd *rd)
{
	uc_pcapng_reader_free(rd->r);
	fclose(rd->in);
}

/* The next block must be of this kind, number and offset. */
static void expect_block(struct rd *rd, enum pcapng_block_kind kind, uint64_t number,
			 uint64_t offset)
{
	assert_int_equal(uc_pcapng_reader_next(rd->r, &rd->b), 1);
	assert_int_equal(rd->b.kind, kind);
	assert_int_equal(rd->b.number, number);
	assert_int_equal(rd->b.offset, offset);
}

static void expect_end(struct rd *rd)
{
	assert_int_equal(uc_pcapng_reader_next(rd->r, &rd->b), 0);
	assert_int_equal(uc_pcapng_reader_next(rd->r, &rd->b), 0); /* and again */
	assert_string_equal(uc_pcapng_reader_error(rd->r), "");
}

/* The next call fails with exactly this message, and so does every later one. */
static void expect_error(struct rd *rd, const char *message)
{
	assert_int_equal(uc_pcapng_reader_next(rd->r, &rd->b), -1);
	assert_string_equal(uc_pcapng_reader_error(rd->r), message);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(uc_pcapng_reader_next(rd->r, &rd->b), -1);
		assert_string_equal(uc_pcapng_reader_error(rd->r), message);
	}
}

/* Reads an in-memory file whose first ok_blocks blocks are good and whose next one fails with
 * this message. */
static void expect_file_error(const struct file *f, int ok_blocks, const char *message)
{
	struct rd rd;

	rd_open(&rd, f->d, f->n);
	for (int i = 0; i < ok_blocks; i++) {
		assert_int_equal(uc_pcapng_reader_next(rd.r, &rd.b), 1);
		assert_int_equal(rd.b.number, i + 1);
	}
	expect_error(&rd, message);
	rd_close(&rd);
}

/* ---- a file from the real writer ---- */

static void test_reads_back_the_writer(void **state)
{
	static const char head[3] = { 'a', 'b', 'c' };
	static const char data[6] = { 0, 1, 2, 0xfd, 0xfe, 0xff };
	const struct uc_pcapng_packet p = {
		.interface_id = 0,
		.ts_ns = 1700000000123456789ull,
		.head = head,
		.head_len = sizeof(head),
		.data = data,
		.data_len = sizeof(data),
		.origlen = 100,
		.flags = PCAPNG_DIR_OUTBOUND,
		.has_dropcount = true,
		.dropcount = 7,
		.comment = "hello",
	};
	int fd = memfd_create("pcapng-reader-test", 0);
	struct uc_pcapng_writer *w;
	struct rd rd;
	struct stat st;
	uint8_t *buf;

	(void)state;
	assert_true(fd >= 0);
	w = uc_pcapng_open(fd, false, NULL, NULL, "unixcap-test");
	assert_non_null(w);
	assert_int_equal(uc_pcapng_add_interface(w, PCAPNG_LINKTYPE_DBUS, 0, NULL, NULL), 0);
	assert_int_equal(uc_pcapng_add_ipv4_name(w, 0x7f000001u, "host"), 0);
	assert_int_equal(uc_pcapng_write_packet(w, &p), 0);
	assert_int_equal(uc_pcapng_write_stats(w, 0, 1700000001000000000ull, 10, 2), 0);
	assert_int_equal(uc_pcapng_write_custom(w, 0x12345u, "meta=1"), 0);
	assert_int_equal(uc_pcapng_close(w), 0);

	/* Block sizes by hand: SHB 8+16+(4+12)+4+4 = 48, IDB 8+8+(4+4)+4+4 = 32,
	 * NRB 8+(4+12)+4+4 = 32, EPB 8+20+12+(4+8)+(4+4)+(4+8)+4+4 = 80, ISB 8+12+12+12+4+4 = 52,
	 * CB 8+4+8+4 = 24. */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 268);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);

	rd_open(&rd, buf, (size_t)st.st_size);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
	assert_string_equal(rd.b.application, "unixcap-test");

	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 48);
	assert_int_equal(rd.b.linktype, PCAPNG_LINKTYPE_DBUS);

	/* block 3, the name resolution block, is skipped */
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 4, 112);
	assert_int_equal(rd.b.interface_id, 0);
	assert_int_equal(rd.b.packet_linktype, PCAPNG_LINKTYPE_DBUS);
	assert_int_equal(rd.b.ts_ns, 1700000000123456789ull); /* if_tsresol 9: as written */
	assert_int_equal(rd.b.caplen, 9);
	assert_int_equal(rd.b.origlen, 100);
	assert_int_equal(rd.b.flags, PCAPNG_DIR_OUTBOUND);
	assert_memory_equal(rd.b.data, "abc\0\1\2\xfd\xfe\xff", 9);
	assert_non_null(rd.b.comment);
	assert_string_equal(rd.b.comment, "hello");

	/* block 5, the statistics block, is skipped */
	expect_block(&rd, PCAPNG_BLOCK_CUSTOM, 6, 244);
	assert_int_equal(rd.b.pen, 0x12345u);
	/* the text, its NUL and the padding: a custom block has no length of its own */
	assert_int_equal(rd.b.caplen, 8);
	assert_memory_equal(rd.b.data, "meta=1\0\0", 8);
	assert_null(rd.b.comment);

	expect_end(&rd);
	rd_close(&rd);
	free(buf);
}

/* ---- big-endian, and timestamp resolutions ---- */

static void test_big_endian_section_and_resolutions(void **state)
{
	const uint32_t flags_in = PCAPNG_DIR_INBOUND;
	struct file f = { .n = 0 };
	size_t o_shb, o_if[3], o_pk[5];
	struct rd rd;

	(void)state;
	o_shb = shb(&f, true, "be-app");
	o_if[0] = idb(&f, PCAPNG_LINKTYPE_DBUS, -1); /* no if_tsresol: microseconds */
	o_if[1] = idb(&f, PCAPNG_LINKTYPE_RAW, 6);   /* microseconds, said */
	o_if[2] = idb(&f, 147, 0x94);                /* 2^-20 seconds */
	o_pk[0] = epb(&f, 0, 1700000000123456ull, "dbus", 4);
	o_pk[1] = epb(&f, 1, 1234567ull, "raw", 3);
	o_pk[2] = epb(&f, 2, 3ull << 20 | 1u << 19, "x", 1); /* 3.5 s */
	o_pk[3] = epb(&f, 2, (5ull << 20) + 1, "y", 1);      /* 5 s and 1e9 / 2^20 = 953.67 ns */
	/* a packet with options, all big-endian: flags and comment */
	o_pk[4] = block_begin(&f, BT_EPB);
	put32(&f, 2);
	put32(&f, (uint32_t)(((1700000000ull << 20) + 1) >> 32));
	put32(&f, (uint32_t)((1700000000ull << 20) + 1));
	put32(&f, 5);
	put32(&f, 6);
	put_bytes(&f, "hello", 5);
	pad(&f);
	put16(&f, 2); /* epb_flags */
	put16(&f, 4);
	put32(&f, flags_in);
	option(&f, 1, "big", 3);
	end_of_options(&f);
	block_end(&f);
	/* the file really is big-endian: the magic, then the SHB's length, most significant first */
	assert_memory_equal(f.d + 8, "\x1a\x2b\x3c\x4d", 4);
	assert_memory_equal(f.d + 4, "\0\0\0\x2c", 4);

	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, o_shb);
	assert_string_equal(rd.b.application, "be-app");
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, o_if[0]);
	assert_int_equal(rd.b.linktype, PCAPNG_LINKTYPE_DBUS);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 3, o_if[1]);
	assert_int_equal(rd.b.linktype, PCAPNG_LINKTYPE_RAW);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 4, o_if[2]);
	assert_int_equal(rd.b.linktype, 147);

	expect_block(&rd, PCAPNG_BLOCK_PACKET, 5, o_pk[0]);
	assert_int_equal(rd.b.interface_id, 0);
	assert_int_equal(rd.b.packet_linktype, PCAPNG_LINKTYPE_DBUS);
	assert_int_equal(rd.b.ts_ns, 1700000000123456000ull);
	assert_int_equal(rd.b.caplen, 4);
	assert_int_equal(rd.b.origlen, 4);
	assert_memory_equal(rd.b.data, "dbus", 4);
	assert_int_equal(rd.b.flags, 0);
	assert_null(rd.b.comment);

	expect_block(&rd, PCAPNG_BLOCK_PACKET, 6, o_pk[1]);
	assert_int_equal(rd.b.interface_id, 1);
	assert_int_equal(rd.b.packet_linktype, PCAPNG_LINKTYPE_RAW);
	assert_int_equal(rd.b.ts_ns, 1234567000ull);
	assert_int_equal(rd.b.caplen, 3);
	assert_memory_equal(rd.b.data, "raw", 3);

	expect_block(&rd, PCAPNG_BLOCK_PACKET, 7, o_pk[2]);
	assert_int_equal(rd.b.packet_linktype, 147);
	assert_int_equal(rd.b.ts_ns, 3500000000ull);

	expect_block(&rd, PCAPNG_BLOCK_PACKET, 8, o_pk[3]);
	assert_int_equal(rd.b.ts_ns, 5000000953ull); /* rounded down */

	expect_block(&rd, PCAPNG_BLOCK_PACKET, 9, o_pk[4]);
	assert_int_equal(rd.b.interface_id, 2);
	/* (1700000000 * 2^20 + 1) units of 2^-20 s; the high word is 415039, not 0 */
	assert_int_equal(rd.b.ts_ns, 1700000000000000953ull);
	assert_int_equal(rd.b.caplen, 5);
	assert_int_equal(rd.b.origlen, 6);
	assert_memory_equal(rd.b.data, "hello", 5);
	assert_int_equal(rd.b.flags, PCAPNG_DIR_INBOUND);
	assert_non_null(rd.b.comment);
	assert_string_equal(rd.b.comment, "big");

	expect_end(&rd);
	rd_close(&rd);
}

/* Binary resolutions saturate past 2^64 ns as decimal ones do, rather than wrap around. */
static void test_huge_timestamps_saturate(void **state)
{
	struct file f = { .n = 0 };
	struct rd rd;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, 1, 0);    /* seconds */
	idb(&f, 1, 0x80); /* 2^0 seconds: the same unit, written in binary */
	idb(&f, 1, 0x94); /* 2^-20 seconds */
	epb(&f, 0, 1ull << 40, "", 0);
	epb(&f, 1, 1ull << 40, "", 0);
	epb(&f, 2, UINT64_MAX, "", 0);
	epb(&f, 1, 18446744073ull, "", 0); /* the largest whole second that fits */

	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uc_pcapng_reader_next(rd.r, &rd.b), 1);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 5, 28 + 3 * 32);
	assert_int_equal(rd.b.ts_ns, UINT64_MAX);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 6, 28 + 3 * 32 + 32);
	assert_int_equal(rd.b.ts_ns, UINT64_MAX);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 7, 28 + 3 * 32 + 64);
	assert_int_equal(rd.b.ts_ns, UINT64_MAX);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 8, 28 + 3 * 32 + 96);
	assert_int_equal(rd.b.ts_ns, 18446744073000000000ull);
	expect_end(&rd);
	rd_close(&rd);
}

/* ---- several sections ---- */

static void test_second_section_numbers_interfaces_afresh(void **state)
{
	struct file f = { .n = 0 };
	size_t o[7];
	struct rd rd;

	(void)state;
	o[0] = shb(&f, false, "first");
	o[1] = idb(&f, PCAPNG_LINKTYPE_RAW, 9);
	o[2] = idb(&f, PCAPNG_LINKTYPE_DBUS, 9);
	o[3] = epb(&f, 1, 42, "one", 3);
	o[4] = shb(&f, true, "second"); /* and in the other byte order */
	o[5] = idb(&f, 147, -1);
	o[6] = epb(&f, 0, 42, "two", 3);

	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, o[0]);
	assert_string_equal(rd.b.application, "first");
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, o[1]);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 3, o[2]);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 4, o[3]);
	assert_int_equal(rd.b.interface_id, 1);
	assert_int_equal(rd.b.packet_linktype, PCAPNG_LINKTYPE_DBUS);
	assert_int_equal(rd.b.ts_ns, 42);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 5, o[4]);
	assert_string_equal(rd.b.application, "second");
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 6, o[5]);
	assert_int_equal(rd.b.linktype, 147);
	/* interface 0 of section 2 is its own, with its own resolution (microseconds) */
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 7, o[6]);
	assert_int_equal(rd.b.interface_id, 0);
	assert_int_equal(rd.b.packet_linktype, 147);
	assert_int_equal(rd.b.ts_ns, 42000);
	assert_memory_equal(rd.b.data, "two", 3);
	expect_end(&rd);
	rd_close(&rd);
}

static void test_second_section_forgets_old_interfaces(void **state)
{
	struct file f = { .n = 0 };
	size_t bad;
	char want[128];
	struct rd rd;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, 9);
	idb(&f, PCAPNG_LINKTYPE_DBUS, 9);
	epb(&f, 1, 1, "ok", 2);
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_DBUS, 9);
	epb(&f, 0, 2, "ok", 2);
	bad = epb(&f, 1, 3, "no", 2);
	assert_int_equal(bad, 28 + 32 + 32 + 36 + 28 + 32 + 36);

	rd_open(&rd, f.d, f.n);
	for (int i = 0; i < 7; i++)
		assert_int_equal(uc_pcapng_reader_next(rd.r, &rd.b), 1);
	assert_int_equal(rd.b.kind, PCAPNG_BLOCK_PACKET);
	assert_int_equal(rd.b.interface_id, 0);
	snprintf(want, sizeof(want),
		 "block 8 at offset %zu: packet on interface 1, but the section describes 1", bad);
	expect_error(&rd, want);
	rd_close(&rd);
}

/* ---- damage, each with the block and offset named ---- */

static void test_error_empty_file(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	expect_file_error(&f, 0, "block 1 at offset 0: the file is empty");
}

static void test_error_too_short(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	put_bytes(&f, "\x0a\x0d\x0d", 3);
	expect_file_error(&f, 0, "block 1 at offset 0: the file is too short to be a capture");
}

static void test_error_classic_pcap(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	/* a classic pcap file header, little-endian: magic, 2.4, zone, sigfigs, snaplen, DLT */
	put32(&f, 0xa1b2c3d4u);
	put16(&f, 2);
	put16(&f, 4);
	put32(&f, 0);
	put32(&f, 0);
	put32(&f, 65535);
	put32(&f, 1);
	expect_file_error(&f, 0,
			  "block 1 at offset 0: a classic pcap file, not pcapng "
			  "(unixcap writes and reads pcapng)");
	/* and big-endian, and the nanosecond kind */
	f.n = 0;
	f.be = true;
	put32(&f, 0xa1b23c4du);
	put32(&f, 0x00020004u);
	expect_file_error(&f, 0,
			  "block 1 at offset 0: a classic pcap file, not pcapng "
			  "(unixcap writes and reads pcapng)");
}

static void test_error_first_block_not_a_section(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	expect_file_error(&f, 0, "block 1 at offset 0: not a pcapng file");
}

static void test_error_section_without_byte_order_magic(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	patch32(&f, 8, 0x1A2B3C4Eu);
	expect_file_error(&f, 0,
			  "block 1 at offset 0: section header has no byte-order magic: "
			  "not a pcapng file");
}

static void test_error_length_not_multiple_of_4(void **state)
{
	struct file f = { .n = 0 };
	size_t at;

	(void)state;
	shb(&f, false, NULL);
	at = idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	patch32(&f, at + 4, 30);
	expect_file_error(&f, 1,
			  "block 2 at offset 28: block length 30 is not a multiple of 4 of at "
			  "least 12");
	/* and one too short to hold its own framing */
	patch32(&f, at + 4, 8);
	expect_file_error(&f, 1,
			  "block 2 at offset 28: block length 8 is not a multiple of 4 of at "
			  "least 12");
}

static void test_error_length_beyond_limit(void **state)
{
	struct file f = { .n = 0 };
	size_t at;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	at = epb(&f, 0, 1, "data", 4);
	patch32(&f, at + 4, 16u * 1024u * 1024u + 4u);
	expect_file_error(&f, 2,
			  "block 3 at offset 48: block length 16777220 exceeds the "
			  "16777216-byte limit");
	/* 16 MiB itself is allowed: this one is only cut short */
	patch32(&f, at + 4, 16u * 1024u * 1024u);
	expect_file_error(&f, 2,
			  "block 3 at offset 48: the file ends inside the block: 36 of its "
			  "16777216 bytes are there (cut short)");
}

static void test_error_trailer_differs(void **state)
{
	struct file f = { .n = 0 };
	size_t at;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	at = epb(&f, 0, 1, "data", 4);
	patch32(&f, at + 36 - 4, 40);
	epb(&f, 0, 2, "more", 4); /* whole blocks after it are not read */
	expect_file_error(&f, 2,
			  "block 3 at offset 48: block length 36 at its start but 40 at its "
			  "end: damaged");
}

static void test_error_cut_inside_block(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	epb(&f, 0, 1, "data", 4);
	f.n -= 16; /* 20 of the packet block's 36 bytes */
	{
		struct rd rd;

		rd_open(&rd, f.d, f.n);
		expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
		expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 28);
		expect_error(&rd,
			     "block 3 at offset 48: the file ends inside the block: 20 of its 36 "
			     "bytes are there (cut short)");
		rd_close(&rd);
	}
}

static void test_error_cut_inside_block_header(void **state)
{
	struct file f = { .n = 0 };
	struct rd rd;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	put32(&f, BT_EPB);
	put16(&f, 0); /* 6 of the 8 bytes of type and length */
	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 28);
	expect_error(&rd, "block 3 at offset 48: the file ends inside a block header (cut short)");
	rd_close(&rd);
}

static void test_error_cut_inside_section_header(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	f.n = 10; /* type, length and half the byte-order magic */
	expect_file_error(&f, 0, "block 1 at offset 0: the file ends inside the section header");
}

static void test_error_caplen_exceeds_block(void **state)
{
	struct file f = { .n = 0 };
	size_t at;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	at = epb(&f, 0, 1, "12345678", 8); /* 12 + 20 + 8 = 40 bytes */
	patch32(&f, at + 8 + 12, 9);
	expect_file_error(&f, 2,
			  "block 3 at offset 48: packet of 9 bytes does not fit its 40-byte "
			  "block");
}

static void test_error_option_runs_past_block(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	block_begin(&f, BT_EPB);
	put32(&f, 0);
	put32(&f, 0);
	put32(&f, 1);
	put32(&f, 4);
	put32(&f, 4);
	put_bytes(&f, "data", 4);
	put16(&f, 1); /* opt_comment of 20 bytes ... */
	put16(&f, 20);
	put_bytes(&f, "only 8 b", 8); /* ... of which 8 are there */
	block_end(&f);
	expect_file_error(&f, 2,
			  "block 3 at offset 48: option 1 of length 20 runs past the end of the "
			  "block");
}

/* A section, a raw interface and one 4-byte packet with the option code of len bytes. */
static void packet_with_option(struct file *f, uint16_t code, const void *v, uint16_t len)
{
	f->n = 0;
	shb(f, false, NULL);
	idb(f, PCAPNG_LINKTYPE_RAW, -1);
	block_begin(f, BT_EPB);
	put32(f, 0);
	put32(f, 0);
	put32(f, 1);
	put32(f, 4);
	put32(f, 4);
	put_bytes(f, "data", 4);
	option(f, code, v, len);
	end_of_options(f);
	block_end(f);
}

/* epb_processid_threadid is read back, and one of any other length than 8 is damage. */
static void test_process_option(void **state)
{
	static const uint16_t bad_lengths[] = { 4, 12 };
	const uint32_t process[2] = { 777, 778 };
	struct file f = { .n = 0 };
	struct rd rd;

	(void)state;
	packet_with_option(&f, 8, process, sizeof(process));
	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 28);
	expect_block(&rd, PCAPNG_BLOCK_PACKET, 3, 48);
	assert_int_equal(rd.b.pid, 777);
	assert_int_equal(rd.b.tid, 778);
	expect_end(&rd);
	rd_close(&rd);

	for (size_t i = 0; i < sizeof(bad_lengths) / sizeof(bad_lengths[0]); i++) {
		static const uint8_t zeros[12];
		char want[128];

		packet_with_option(&f, 8, zeros, bad_lengths[i]);
		snprintf(
			want, sizeof(want),
			"block 3 at offset 48: epb_processid_threadid option of %u bytes (it holds 8)",
			bad_lengths[i]);
		expect_file_error(&f, 2, want);
	}
}

static void test_error_major_version_2(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb_version(&f, false, 2, NULL);
	expect_file_error(&f, 0, "block 1 at offset 0: pcapng major version 2 is not 1");
	/* also as a later section, in the other byte order */
	f.n = 0;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	shb_version(&f, true, 2, NULL);
	{
		struct rd rd;

		rd_open(&rd, f.d, f.n);
		expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
		expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 28);
		expect_error(&rd, "block 3 at offset 48: pcapng major version 2 is not 1");
		rd_close(&rd);
	}
}

static void test_error_unrepresentable_resolution(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, 20);
	expect_file_error(&f, 1,
			  "block 2 at offset 28: interface time resolution 0x14 cannot be "
			  "represented");
}

/* After -1 nothing more is read, even when whole, valid blocks follow. */
static void test_error_is_sticky(void **state)
{
	struct file f = { .n = 0 };
	struct rd rd;

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	epb(&f, 5, 1, "bad!", 4); /* no interface 5 */
	epb(&f, 0, 1, "good", 4);
	shb(&f, false, NULL);
	rd_open(&rd, f.d, f.n);
	expect_block(&rd, PCAPNG_BLOCK_SECTION, 1, 0);
	expect_block(&rd, PCAPNG_BLOCK_INTERFACE, 2, 28);
	expect_error(&rd,
		     "block 3 at offset 48: packet on interface 5, but the section describes 1");
	rd_close(&rd);
}

/* ---- a read error names the block being read, counted from 1 ---- */

struct failing {
	const uint8_t *data;
	size_t n, pos;
	size_t fail_at; /* reads at or past this offset fail with EIO */
};

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	struct failing *c = cookie;
	size_t n;

	if (c->pos >= c->fail_at) {
		errno = EIO;
		return -1;
	}
	n = c->fail_at - c->pos;
	if (n > size)
		n = size;
	if (n > c->n - c->pos)
		n = c->n - c->pos;
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	return (ssize_t)n;
}

static void read_failing(const struct file *f, size_t fail_at, int ok_blocks, const char *message)
{
	struct failing c = { .data = f->d, .n = f->n, .fail_at = fail_at };
	cookie_io_functions_t io = { .read = failing_read };
	FILE *in = fopencookie(&c, "r", io);
	struct uc_pcapng_reader *r;
	struct uc_pcapng_block b;

	assert_non_null(in);
	setvbuf(in, NULL, _IONBF, 0); /* every fread reaches failing_read */
	r = uc_pcapng_reader_new(in);
	assert_non_null(r);
	for (int i = 0; i < ok_blocks; i++)
		assert_int_equal(uc_pcapng_reader_next(r, &b), 1);
	assert_int_equal(uc_pcapng_reader_next(r, &b), -1);
	assert_string_equal(uc_pcapng_reader_error(r), message);
	assert_int_equal(uc_pcapng_reader_next(r, &b), -1);
	assert_string_equal(uc_pcapng_reader_error(r), message);
	uc_pcapng_reader_free(r);
	fclose(in);
}

static void test_error_read_fails(void **state)
{
	struct file f = { .n = 0 };

	(void)state;
	shb(&f, false, NULL);
	idb(&f, PCAPNG_LINKTYPE_RAW, -1);
	/* at the very first byte: block 1, not block 0 */
	read_failing(&f, 0, 0, "block 1 at offset 0: cannot read: Input/output error");
	/* at the start of the second block */
	read_failing(&f, 28, 1, "block 2 at offset 28: cannot read: Input/output error");
	/* inside the second block */
	read_failing(&f, 36, 1, "block 2 at offset 28: cannot read: Input/output error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_back_the_writer),
		cmocka_unit_test(test_big_endian_section_and_resolutions),
		cmocka_unit_test(test_huge_timestamps_saturate),
		cmocka_unit_test(test_second_section_numbers_interfaces_afresh),
		cmocka_unit_test(test_second_section_forgets_old_interfaces),
		cmocka_unit_test(test_error_empty_file),
		cmocka_unit_test(test_error_too_short),
		cmocka_unit_test(test_error_classic_pcap),
		cmocka_unit_test(test_error_first_block_not_a_section),
		cmocka_unit_test(test_error_section_without_byte_order_magic),
		cmocka_unit_test(test_error_length_not_multiple_of_4),
		cmocka_unit_test(test_error_length_beyond_limit),
		cmocka_unit_test(test_error_trailer_differs),
		cmocka_unit_test(test_error_cut_inside_block),
		cmocka_unit_test(test_error_cut_inside_block_header),
		cmocka_unit_test(test_error_cut_inside_section_header),
		cmocka_unit_test(test_error_caplen_exceeds_block),
		cmocka_unit_test(test_error_option_runs_past_block),
		cmocka_unit_test(test_process_option),
		cmocka_unit_test(test_error_major_version_2),
		cmocka_unit_test(test_error_unrepresentable_resolution),
		cmocka_unit_test(test_error_is_sticky),
		cmocka_unit_test(test_error_read_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
