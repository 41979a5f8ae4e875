/* SPDX-License-Identifier: BSD-2-Clause */
/* Streams a single-section pcapng file (draft-ietf-opsawg-pcapng) to a file descriptor. */
#include "format/pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_NRB 0x00000004u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BT_CB_NOCOPY 0x40000BADu /* custom block that editors drop rather than copy */
#define BT_CB_COPY 0x00000BADu   /* custom block that editors copy */

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_HARDWARE 2
#define OPT_SHB_OS 3
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define OPT_EPB_DROPCOUNT 4
#define OPT_EPB_PROCESSID_THREADID 8
#define OPT_ISB_IFRECV 4
#define OPT_ISB_IFDROP 5
#define NRB_RECORD_END 0
#define NRB_RECORD_IPV4 1

#define WRITER_BUF_SIZE (256u * 1024u)
/* Blocks above this skip the buffer, so a large payload is handed to the kernel uncopied. */
#define COPY_MAX (16u * 1024u)
/* Option and NRB record lengths are 16-bit; longer strings are cut at a UTF-8 boundary. */
#define MAX_OPT_LEN 65535u
#define BLK_MAX_IOV 16
#define BLK_SCRATCH 256

struct uc_pcapng_writer {
	int fd;
	bool flush_each;
	/* regular: a regular file, cut back to its last whole block when a write fails, so that
	 * readers see every block before the failure and no half block; is_append: O_APPEND */
	bool regular, is_append;
	int err; /* first write errno; sticky because the stream is corrupt after it */
	uint32_t n_interfaces;
	uint64_t start;   /* file offset of the Section Header Block (regular files) */
	uint64_t written; /* bytes of whole blocks written out since start */
	size_t used;
	uint8_t buf[WRITER_BUF_SIZE];
};

/* A block under construction: small fields live in scratch, caller memory is only referenced. */
struct blk {
	struct iovec iov[BLK_MAX_IOV];
	int n_iov;
	bool overflow;
	size_t len;
	size_t scratch_used;
	uint8_t scratch[BLK_SCRATCH];
};

static int fail(int err)
{
	errno = err;
	return -1;
}

static void blk_ref(struct blk *b, const void *p, size_t len)
{
	struct iovec *last = b->n_iov ? &b->iov[b->n_iov - 1] : NULL;

	if (!len)
		return;
	if (last && (const uint8_t *)last->iov_base + last->iov_len == (const uint8_t *)p) {
		last->iov_len += len; /* consecutive scratch writes share one iovec */
	} else if (b->n_iov == BLK_MAX_IOV) {
		b->overflow = true;
		return;
	} else {
		b->iov[b->n_iov].iov_base = (void *)p;
		b->iov[b->n_iov++].iov_len = len;
	}
	b->len += len;
}

static void blk_copy(struct blk *b, const void *p, size_t len)
{
	uint8_t *dst = b->scratch + b->scratch_used;

	if (len > BLK_SCRATCH - b->scratch_used) {
		b->overflow = true;
		return;
	}
	memcpy(dst, p, len);
	b->scratch_used += len;
	blk_ref(b, dst, len);
}

static void blk_u16(struct blk *b, uint16_t v)
{
	blk_copy(b, &v, sizeof(v));
}
static void blk_u32(struct blk *b, uint32_t v)
{
	blk_copy(b, &v, sizeof(v));
}
static void blk_u64(struct blk *b, uint64_t v)
{
	blk_copy(b, &v, sizeof(v));
}

static void blk_pad(struct blk *b)
{
	static const uint8_t zeros[3];

	blk_copy(b, zeros, (4 - (b->len & 3)) & 3);
}

/* Byte order is the host's throughout; the section's byte-order magic tells readers which. */
static void blk_begin(struct blk *b, uint32_t type)
{
	b->n_iov = 0;
	b->overflow = false;
	b->len = 0;
	b->scratch_used = 0;
	blk_u32(b, type);
	blk_u32(b, 0); /* total length, patched by blk_end */
}

static void blk_end(struct blk *b)
{
	uint32_t total = (uint32_t)(b->len + 4);

	blk_u32(b, total);
	memcpy(b->scratch + 4, &total, sizeof(total));
}

static size_t utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	/* Back up over continuation bytes so a multi-byte character is never split. */
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static void blk_opt(struct blk *b, uint16_t code, const void *val, size_t len)
{
	blk_u16(b, code);
	blk_u16(b, (uint16_t)len);
	if (len <= 8)
		blk_copy(b, val, len);
	else
		blk_ref(b, val, len);
	blk_pad(b);
}

static void blk_opt_str(struct blk *b, uint16_t code, const char *s, bool *any)
{
	if (!s)
		return;
	blk_opt(b, code, s, utf8_cut(s, MAX_OPT_LEN));
	*any = true;
}

static void blk_opt_end(struct blk *b, bool any)
{
	if (any)
		blk_u32(b, OPT_ENDOFOPT);
}

static int record_error(struct uc_pcapng_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return fail(w->err);
}

/* Writes every byte, resuming after short writes and EINTR; iov is consumed in place. *done
 * counts the bytes written, also when it fails part way. */
static int writev_all(int fd, struct iovec *iov, int n, size_t *done)
{
	*done = 0;
	while (n > 0) {
		ssize_t r = writev(fd, iov, n); /* n <= BLK_MAX_IOV + 1, far below IOV_MAX */

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return fail(EIO); /* no progress would otherwise loop forever */
		*done += (size_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Bytes of whole blocks among the first done bytes of buf[0, used): the buffer holds only
 * whole blocks, each telling its own length at offset 4. */
static size_t whole_blocks(const uint8_t *buf, size_t used, size_t done)
{
	size_t off = 0;

	while (used - off >= 8) {
		uint32_t len;

		memcpy(&len, buf + off + 4, sizeof(len));
		if (len < 12 || len > used - off || len > done - off)
			break;
		off += len;
	}
	return off;
}

/* A write of the buffer (used bytes) and maybe a large block after it failed once done bytes
 * had gone out: on a regular file, cut off the part of a block that did not go out whole (full
 * disk, EIO, file size limit), so the file ends on a block boundary and readers see every
 * block before the failure. Whole blocks that went out are kept: a full disk keeps what fits.
 * (The large block cannot have gone out whole: the write would not have failed.) The fd of a
 * pipe or a device is left alone: nothing can be taken back from it. */
static void keep_whole_blocks(struct uc_pcapng_writer *w, size_t used, size_t done)
{
	size_t keep = whole_blocks(w->buf, used, done);
	off_t end;

	w->written += keep;
	if (!w->regular || done == keep)
		return;
	end = (off_t)(w->start + w->written);
	if (ftruncate(w->fd, end) == 0 && !w->is_append)
		lseek(w->fd, end, SEEK_SET); /* O_APPEND writes go to the end whatever the offset */
}

/* One writev for buffered bytes plus an optional block keeps the file order and saves a copy. */
static int write_out(struct uc_pcapng_writer *w, const struct blk *b)
{
	struct iovec iov[BLK_MAX_IOV + 1];
	size_t used = w->used, done;
	int n = 0;

	if (used) {
		iov[n].iov_base = w->buf;
		iov[n++].iov_len = used;
	}
	if (b) {
		memcpy(iov + n, b->iov, sizeof(b->iov[0]) * (size_t)b->n_iov);
		n += b->n_iov;
	}
	w->used = 0;
	if (writev_all(w->fd, iov, n, &done) < 0) {
		int err = errno;

		keep_whole_blocks(w, used, done);
		return record_error(w, err);
	}
	w->written += done;
	return 0;
}

static int emit(struct uc_pcapng_writer *w, const struct blk *b)
{
	int i;

	if (w->err)
		return fail(w->err);
	if (b->overflow)
		return fail(EINVAL);
	if (w->flush_each || b->len > COPY_MAX || b->len > WRITER_BUF_SIZE - w->used)
		return write_out(w, b);
	for (i = 0; i < b->n_iov; i++) {
		memcpy(w->buf + w->used, b->iov[i].iov_base, b->iov[i].iov_len);
		w->used += b->iov[i].iov_len;
	}
	return 0;
}

static int write_shb(struct uc_pcapng_writer *w, const char *hardware, const char *os,
		     const char *application)
{
	struct blk b;
	bool any = false;

	blk_begin(&b, BT_SHB);
	blk_u32(&b, 0x1A2B3C4Du);
	blk_u16(&b, 1);
	blk_u16(&b, 0);
	blk_u64(&b, UINT64_MAX); /* section length -1: unknown, so the file can go to a pipe */
	blk_opt_str(&b, OPT_SHB_HARDWARE, hardware, &any);
	blk_opt_str(&b, OPT_SHB_OS, os, &any);
	blk_opt_str(&b, OPT_SHB_USERAPPL, application, &any);
	blk_opt_end(&b, any);
	blk_end(&b);
	return emit(w, &b);
}

/* Where the section starts, for cutting back after a failed write: the current offset, or
 * for O_APPEND the end of the file, where the first write will go. Anything but a seekable
 * regular file is never cut. */
static void locate(struct uc_pcapng_writer *w, int fl)
{
	struct stat st;
	off_t pos;

	w->regular = false;
	w->is_append = (fl & O_APPEND) != 0;
	w->start = 0;
	if (fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	pos = w->is_append ? st.st_size : lseek(w->fd, 0, SEEK_CUR);
	if (pos < 0)
		return;
	w->start = (uint64_t)pos;
	w->regular = true;
}

struct uc_pcapng_writer *uc_pcapng_open(int fd, bool flush_each, const char *hardware,
					const char *os, const char *application)
{
	struct uc_pcapng_writer *w;
	int fl = fcntl(fd, F_GETFL);

	/* Catch a bad or read-only fd now rather than at the first flush, maybe minutes later. */
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		errno = EBADF;
		return NULL;
	}
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	w->flush_each = flush_each;
	w->err = 0;
	w->n_interfaces = 0;
	w->used = 0;
	w->written = 0;
	locate(w, fl);
	if (write_shb(w, hardware, os, application) < 0) {
		int err = errno;

		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int uc_pcapng_add_interface(struct uc_pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
			    const char *name, const char *description)
{
	static const uint8_t tsresol = 9; /* 10^-9 s: timestamps are nanoseconds */
	struct blk b;
	bool any = true;

	if (!w)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	if (w->n_interfaces >= INT_MAX)
		return fail(ENOSPC);
	blk_begin(&b, BT_IDB);
	blk_u16(&b, linktype);
	blk_u16(&b, 0);
	blk_u32(&b, snaplen);
	blk_opt_str(&b, OPT_IF_NAME, name, &any);
	blk_opt_str(&b, OPT_IF_DESCRIPTION, description, &any);
	blk_opt(&b, OPT_IF_TSRESOL, &tsresol, 1);
	blk_opt_end(&b, any);
	blk_end(&b);
	if (emit(w, &b) < 0)
		return -1;
	return (int)w->n_interfaces++;
}

int uc_pcapng_add_ipv4_name(struct uc_pcapng_writer *w, uint32_t ipv4_host_order, const char *name)
{
	static const uint8_t nul;
	/* The record value is the address in network order followed by a NUL-terminated name. */
	uint8_t addr[4] = { (uint8_t)(ipv4_host_order >> 24), (uint8_t)(ipv4_host_order >> 16),
			    (uint8_t)(ipv4_host_order >> 8), (uint8_t)ipv4_host_order };
	struct blk b;
	size_t len;

	if (!w || !name)
		return fail(EINVAL);
	len = utf8_cut(name, MAX_OPT_LEN - sizeof(addr) - 1);
	blk_begin(&b, BT_NRB);
	blk_u16(&b, NRB_RECORD_IPV4);
	blk_u16(&b, (uint16_t)(sizeof(addr) + len + 1));
	blk_copy(&b, addr, sizeof(addr));
	blk_ref(&b, name, len);
	blk_copy(&b, &nul, 1);
	blk_pad(&b);
	blk_u16(&b, NRB_RECORD_END);
	blk_u16(&b, 0);
	blk_end(&b);
	return emit(w, &b);
}

static int check_packet(const struct uc_pcapng_writer *w, const struct uc_pcapng_packet *p)
{
	uint64_t caplen;

	if (!w || !p)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	caplen = (uint64_t)p->head_len + p->data_len;
	if (p->interface_id >= w->n_interfaces || caplen > PCAPNG_MAX_RECORD || p->origlen < caplen)
		return fail(EINVAL);
	if ((p->head_len && !p->head) || (p->data_len && !p->data))
		return fail(EINVAL);
	return 0;
}

int uc_pcapng_write_packet(struct uc_pcapng_writer *w, const struct uc_pcapng_packet *p)
{
	struct blk b;
	bool any = false;

	if (check_packet(w, p) < 0)
		return -1;
	const uint32_t fixed[] = { p->interface_id, (uint32_t)(p->ts_ns >> 32), (uint32_t)p->ts_ns,
				   p->head_len + p->data_len, p->origlen };

	blk_begin(&b, BT_EPB);
	blk_copy(&b, fixed, sizeof(fixed)); /* one copy: this runs for every packet */
	blk_ref(&b, p->head, p->head_len);
	blk_ref(&b, p->data, p->data_len);
	blk_pad(&b);
	blk_opt_str(&b, OPT_COMMENT, p->comment, &any);
	if (p->flags) {
		blk_opt(&b, OPT_EPB_FLAGS, &p->flags, sizeof(p->flags));
		any = true;
	}
	if (p->has_dropcount) {
		blk_opt(&b, OPT_EPB_DROPCOUNT, &p->dropcount, sizeof(p->dropcount));
		any = true;
	}
	if (p->pid) {
		const uint32_t process[2] = { p->pid, p->tid };

		blk_opt(&b, OPT_EPB_PROCESSID_THREADID, process, sizeof(process));
		any = true;
	}
	blk_opt_end(&b, any);
	blk_end(&b);
	return emit(w, &b);
}

int uc_pcapng_write_stats(struct uc_pcapng_writer *w, uint32_t interface_id, uint64_t ts_ns,
			  uint64_t received, uint64_t dropped)
{
	struct blk b;

	if (!w)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	if (interface_id >= w->n_interfaces)
		return fail(EINVAL);
	blk_begin(&b, BT_ISB);
	blk_u32(&b, interface_id);
	blk_u32(&b, (uint32_t)(ts_ns >> 32));
	blk_u32(&b, (uint32_t)ts_ns);
	blk_opt(&b, OPT_ISB_IFRECV, &received, sizeof(received));
	blk_opt(&b, OPT_ISB_IFDROP, &dropped, sizeof(dropped));
	blk_opt_end(&b, true);
	blk_end(&b);
	return emit(w, &b);
}

int uc_pcapng_flush(struct uc_pcapng_writer *w)
{
	if (!w)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	if (!w->used)
		return 0;
	return write_out(w, NULL);
}

uint64_t uc_pcapng_bytes(const struct uc_pcapng_writer *w)
{
	return w ? w->written + w->used : 0;
}

int uc_pcapng_close(struct uc_pcapng_writer *w)
{
	int r, err;

	if (!w)
		return 0;
	r = uc_pcapng_flush(w);
	err = errno;
	free(w);
	if (r < 0)
		errno = err;
	return r;
}

int uc_pcapng_write_custom(struct uc_pcapng_writer *w, uint32_t pen, const char *text)
{
	static const uint8_t nul;
	struct blk b;

	if (!w || !text)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	blk_begin(&b, BT_CB_NOCOPY);
	blk_u32(&b, pen);
	blk_ref(&b, text, utf8_cut(text, MAX_OPT_LEN));
	blk_copy(&b, &nul, 1);
	blk_pad(&b);
	blk_end(&b);
	return emit(w, &b);
}

int uc_pcapng_write_custom_data(struct uc_pcapng_writer *w, uint32_t pen, const void *data,
				size_t len)
{
	struct blk b;

	if (!w || (len && !data) || len > PCAPNG_MAX_RECORD)
		return fail(EINVAL);
	if (w->err)
		return fail(w->err);
	blk_begin(&b, BT_CB_COPY);
	blk_u32(&b, pen);
	blk_ref(&b, data, len);
	blk_pad(&b);
	blk_end(&b);
	return emit(w, &b);
}
