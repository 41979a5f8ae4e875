/* SPDX-License-Identifier: BSD-2-Clause */
/* Reads pcapng block by block; a damaged or foreign file gets an error naming the block and offset. */
#include "format/pcapng_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BT_CB_COPY 0x00000BADu
#define BT_CB_NOCOPY 0x40000BADu
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define OPT_EPB_PROCESSID_THREADID 8

/* Every length read from the file is checked against this before anything is allocated. */
#define MAX_BLOCK (16u * 1024u * 1024u)
#define MAX_INTERFACES 4096u

struct interface {
	uint16_t linktype;
	uint8_t tsresol; /* if_tsresol as written: 9 is nanoseconds, 6 (the default) microseconds */
};

struct uc_pcapng_reader {
	FILE *in;
	uint64_t offset; /* of the next block */
	uint64_t number; /* blocks read */
	bool swap;       /* the section is in the other byte order */
	bool in_section;
	bool failed;
	struct interface *ifaces;
	uint32_t n_ifaces;
	uint8_t *body; /* the current block after its type and length */
	size_t body_cap;
	char *comment; /* a NUL-terminated copy of the current block's first comment */
	size_t comment_cap;
	char error[256];
};

__attribute__((format(printf, 2, 3))) static int fail(struct uc_pcapng_reader *r, const char *fmt,
						      ...)
{
	int used = snprintf(r->error, sizeof(r->error),
			    "block %llu at offset %llu: ", (unsigned long long)r->number,
			    (unsigned long long)r->offset);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error + used, sizeof(r->error) - (size_t)used, fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

static uint32_t u32(const struct uc_pcapng_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct uc_pcapng_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap16(v) : v;
}

struct uc_pcapng_reader *uc_pcapng_reader_new(FILE *in)
{
	struct uc_pcapng_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->in = in;
	return r;
}

void uc_pcapng_reader_free(struct uc_pcapng_reader *r)
{
	if (!r)
		return;
	free(r->ifaces);
	free(r->body);
	free(r->comment);
	free(r);
}

const char *uc_pcapng_reader_error(const struct uc_pcapng_reader *r)
{
	return r->error;
}

/* Reads exactly n bytes; a short read is a file cut short, or a read error. */
static int read_exact(struct uc_pcapng_reader *r, void *buf, size_t n, size_t *got)
{
	*got = fread(buf, 1, n, r->in);
	if (*got == n)
		return 0;
	if (ferror(r->in))
		return fail(r, "cannot read: %s", strerror(errno ? errno : EIO));
	return 1;
}

static const char *foreign_format(uint32_t magic)
{
	switch (magic) {
	case 0xa1b2c3d4u:
	case 0xd4c3b2a1u:
	case 0xa1b23c4du:
	case 0x4d3cb2a1u:
		return "a classic pcap file, not pcapng (unixcap writes and reads pcapng)";
	}
	return "not a pcapng file";
}

/* The first block of a section fixes the byte order of everything up to the next one. */
static int read_section_order(struct uc_pcapng_reader *r)
{
	uint8_t magic[4];
	uint32_t m;
	size_t got;
	int ret = read_exact(r, magic, sizeof(magic), &got);

	if (ret)
		return ret < 0 ? -1 : fail(r, "the file ends inside the section header");
	memcpy(&m, magic, sizeof(m));
	if (m != BYTE_ORDER_MAGIC && m != __builtin_bswap32(BYTE_ORDER_MAGIC))
		return fail(r, "section header has no byte-order magic: not a pcapng file");
	r->swap = m != BYTE_ORDER_MAGIC;
	memcpy(r->body, magic, sizeof(magic));
	return 0;
}

/* Reads the block at r->offset into r->body; returns its type and body length via out-params.
 * 1: clean end of file before a block; 0: a block; -1: error. */
static int read_block(struct uc_pcapng_reader *r, uint32_t *type, uint32_t *body_len)
{
	uint8_t head[8];
	uint32_t total, trailer;
	size_t got, already = 0;
	int ret;

	r->number++; /* before reading, so that a read error names this block */
	ret = read_exact(r, head, sizeof(head), &got);
	if (ret > 0 && got == 0 && r->number > 1) {
		r->number--; /* no block there */
		return 1;    /* sticky: later calls find the same end */
	}
	if (ret < 0)
		return -1;
	if (ret > 0 && r->number == 1 && got < 4)
		return fail(r, "the file is %s", got ? "too short to be a capture" : "empty");
	memcpy(type, head, 4);
	if (r->number == 1 && *type != BT_SHB)
		return fail(r, "%s", foreign_format(*type));
	if (ret > 0)
		return fail(r, "the file ends inside a block header (cut short)");
	if (!r->body && !(r->body = malloc(r->body_cap = 64 * 1024)))
		return fail(r, "out of memory");
	if (*type == BT_SHB) {
		if (read_section_order(r) < 0)
			return -1;
		already = 4;
	} else if (!r->in_section) {
		return fail(r, "no section header before this block");
	}
	*type = u32(r, head);
	total = u32(r, head + 4);
	if (total < 12 || total % 4)
		return fail(r, "block length %u is not a multiple of 4 of at least 12", total);
	if (total > MAX_BLOCK)
		return fail(r, "block length %u exceeds the %u-byte limit", total, MAX_BLOCK);
	*body_len = total - 12;
	if (total - 8 > r->body_cap) {
		uint8_t *grown = realloc(r->body, total - 8);

		if (!grown)
			return fail(r, "out of memory for a %u-byte block", total);
		r->body = grown;
		r->body_cap = total - 8;
	}
	ret = read_exact(r, r->body + already, total - 8 - already, &got);
	if (ret)
		return ret < 0 ?
			       -1 :
			       fail(r,
				    "the file ends inside the block: %zu of its %u bytes are there (cut short)",
				    got + already + 8, total);
	trailer = u32(r, r->body + *body_len);
	if (trailer != total)
		return fail(r, "block length %u at its start but %u at its end: damaged", total,
			    trailer);
	return 0;
}

/* Walks the options from p to end, calling fn for each; a length past the end is damage. */
static int walk_options(struct uc_pcapng_reader *r, const uint8_t *p, const uint8_t *end,
			int (*fn)(struct uc_pcapng_reader *, uint16_t, const uint8_t *, uint16_t,
				  void *),
			void *ctx)
{
	while (end - p >= 4) {
		uint16_t code = u16(r, p), len = u16(r, p + 2);
		size_t padded = ((size_t)len + 3u) & ~3u;

		if (code == OPT_ENDOFOPT)
			return 0;
		if ((size_t)(end - p - 4) < padded)
			return fail(r, "option %u of length %u runs past the end of the block",
				    code, len);
		if (fn(r, code, p + 4, len, ctx) < 0)
			return -1;
		p += 4 + padded;
	}
	return 0;
}

static int keep_comment(struct uc_pcapng_reader *r, const uint8_t *v, uint16_t len)
{
	if ((size_t)len + 1 > r->comment_cap) {
		char *grown = realloc(r->comment, (size_t)len + 1);

		if (!grown)
			return fail(r, "out of memory");
		r->comment = grown;
		r->comment_cap = (size_t)len + 1;
	}
	memcpy(r->comment, v, len);
	r->comment[len] = '\0';
	return 0;
}

static int section_option(struct uc_pcapng_reader *r, uint16_t code, const uint8_t *v, uint16_t len,
			  void *ctx)
{
	struct uc_pcapng_block *b = ctx;

	if (code == OPT_SHB_USERAPPL) {
		size_t n = len < sizeof(b->application) - 1 ? len : sizeof(b->application) - 1;

		memcpy(b->application, v, n);
		b->application[n] = '\0';
	}
	(void)r;
	return 0;
}

static int on_section(struct uc_pcapng_reader *r, uint32_t body_len, struct uc_pcapng_block *b)
{
	/* magic 4, major 2, minor 2, section length 8 */
	if (body_len < 16)
		return fail(r, "section header of %u bytes is too short", body_len);
	if (u16(r, r->body + 4) != 1)
		return fail(r, "pcapng major version %u is not 1", u16(r, r->body + 4));
	r->in_section = true;
	r->n_ifaces = 0;
	b->kind = PCAPNG_BLOCK_SECTION;
	b->application[0] = '\0';
	return walk_options(r, r->body + 16, r->body + body_len, section_option, b);
}

static int interface_option(struct uc_pcapng_reader *r, uint16_t code, const uint8_t *v,
			    uint16_t len, void *ctx)
{
	struct interface *i = ctx;

	(void)r;
	if (code == OPT_IF_TSRESOL && len >= 1)
		i->tsresol = v[0];
	return 0;
}

static int on_interface(struct uc_pcapng_reader *r, uint32_t body_len, struct uc_pcapng_block *b)
{
	struct interface *i;

	if (body_len < 8)
		return fail(r, "interface description of %u bytes is too short", body_len);
	if (r->n_ifaces == MAX_INTERFACES)
		return fail(r, "more than %u interfaces", MAX_INTERFACES);
	i = realloc(r->ifaces, (r->n_ifaces + 1) * sizeof(*i));
	if (!i)
		return fail(r, "out of memory");
	r->ifaces = i;
	i = &r->ifaces[r->n_ifaces];
	i->linktype = u16(r, r->body);
	i->tsresol = 6;
	if (walk_options(r, r->body + 8, r->body + body_len, interface_option, i) < 0)
		return -1;
	if ((i->tsresol & 0x80) ? (i->tsresol & 0x7f) > 63 : i->tsresol > 19)
		return fail(r, "interface time resolution %#x cannot be represented", i->tsresol);
	r->n_ifaces++;
	b->kind = PCAPNG_BLOCK_INTERFACE;
	b->linktype = i->linktype;
	return 0;
}

/* Timestamp units of the interface to nanoseconds since the epoch. */
static uint64_t to_ns(uint64_t units, uint8_t tsresol)
{
	unsigned __int128 v = units;

	if (tsresol & 0x80) {
		v = (v * 1000000000u) >> (tsresol & 0x7f);
	} else {
		for (uint8_t e = tsresol; e < 9; e++)
			v *= 10;
		for (uint8_t e = 9; e < tsresol; e++)
			v /= 10;
	}
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static int packet_option(struct uc_pcapng_reader *r, uint16_t code, const uint8_t *v, uint16_t len,
			 void *ctx)
{
	struct uc_pcapng_block *b = ctx;

	if (code == OPT_COMMENT && !b->comment) {
		if (keep_comment(r, v, len) < 0)
			return -1;
		b->comment = r->comment;
	} else if (code == OPT_EPB_FLAGS && len == 4) {
		b->flags = u32(r, v);
	} else if (code == OPT_EPB_PROCESSID_THREADID) {
		if (len != 8)
			return fail(r, "epb_processid_threadid option of %u bytes (it holds 8)",
				    len);
		b->pid = u32(r, v);
		b->tid = u32(r, v + 4);
	}
	return 0;
}

static int on_packet(struct uc_pcapng_reader *r, uint32_t body_len, struct uc_pcapng_block *b)
{
	const uint8_t *p = r->body;
	uint32_t caplen, padded;
	const struct interface *i;

	if (body_len < 20)
		return fail(r, "packet block of %u bytes is too short", body_len);
	b->interface_id = u32(r, p);
	if (b->interface_id >= r->n_ifaces)
		return fail(r, "packet on interface %u, but the section describes %u",
			    b->interface_id, r->n_ifaces);
	i = &r->ifaces[b->interface_id];
	caplen = u32(r, p + 12);
	if (caplen > body_len - 20)
		return fail(r, "packet of %u bytes does not fit its %u-byte block", caplen,
			    body_len + 12);
	padded = (caplen + 3u) & ~3u;
	padded = padded < body_len - 20 ? padded : body_len - 20;
	b->kind = PCAPNG_BLOCK_PACKET;
	b->packet_linktype = i->linktype;
	b->ts_ns = to_ns((uint64_t)u32(r, p + 4) << 32 | u32(r, p + 8), i->tsresol);
	b->caplen = caplen;
	b->origlen = u32(r, p + 16);
	b->data = p + 20;
	b->flags = 0;
	b->pid = b->tid = 0;
	b->comment = NULL;
	return walk_options(r, p + 20 + padded, p + body_len, packet_option, b);
}

static int on_custom(struct uc_pcapng_reader *r, uint32_t body_len, struct uc_pcapng_block *b)
{
	if (body_len < 4)
		return fail(r, "custom block of %u bytes has no enterprise number", body_len);
	b->kind = PCAPNG_BLOCK_CUSTOM;
	b->pen = u32(r, r->body);
	b->data = r->body + 4;
	b->caplen = body_len - 4;
	b->comment = NULL;
	return 0;
}

int uc_pcapng_reader_next(struct uc_pcapng_reader *r, struct uc_pcapng_block *b)
{
	for (;;) {
		uint32_t type = 0, body_len = 0;
		int ret;

		if (r->failed)
			return -1;
		ret = read_block(r, &type, &body_len);
		if (ret)
			return ret > 0 ? 0 : -1;
		b->number = r->number;
		b->offset = r->offset;
		if (type == BT_SHB)
			ret = on_section(r, body_len, b);
		else if (type == BT_IDB)
			ret = on_interface(r, body_len, b);
		else if (type == BT_EPB)
			ret = on_packet(r, body_len, b);
		else if (type == BT_CB_COPY || type == BT_CB_NOCOPY)
			ret = on_custom(r, body_len, b);
		else
			ret = 2; /* a block we do not need: name resolution, statistics, ... */
		if (ret < 0)
			return -1;
		r->offset += body_len + 12;
		if (ret == 0)
			return 1;
	}
}
