/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Where a send's bytes are (msg_source), and their copy to the ring in chunks. */
#ifndef UNIXCAP_HOOKS_PAYLOAD_H
#define UNIXCAP_HOOKS_PAYLOAD_H

#define MAX_LOOPS (1 << 23)

/* Where the payload of a send lives: one buffer or an iovec array. */
struct control {
	__u64 ptr; /* user msg_control, 0 if none */
	__u64 len;
};

/* What an iov/kvec/bvec array and the memory it points to are: the syscall hooks see the
 * user's own iovec array; unix_stream_sendmsg sees the kernel's iov_iter. */
enum seg_kind {
	SEG_USER_IOV = 0, /* user array of user buffers (a syscall's iovec) */
	SEG_KERNEL_IOV,   /* kernel copy of a user iovec array (ITER_IOVEC) */
	SEG_KVEC,         /* kernel array of kernel buffers (ITER_KVEC) */
	SEG_BVEC,         /* kernel array of pages (ITER_BVEC: splice, sendfile, vmsplice) */
	SEG_NONE,
};

/* Where the payload of a send lives: one buffer or an iovec array; its destination and
 * control messages when it has them. */
struct msg_source {
	__u64 buf;
	__u64 iov;
	__u64 skip; /* bytes of the first segment already consumed (iov_iter.iov_offset) */
	__u32 iov_cnt;
	__u32 kind; /* enum seg_kind of iov */
	int dest_len;
	__u32 pad;
	__u64 dest; /* a user address; scalars only: send_message is a global function */
	struct control ctl;
};

static __always_inline void source_from_msghdr(const struct user_msghdr *mh, struct msg_source *src)
{
	src->iov = (__u64)mh->msg_iov;
	src->iov_cnt = mh->msg_iovlen > UIO_MAXIOV ? UIO_MAXIOV : (__u32)mh->msg_iovlen;
	src->dest = (__u64)mh->msg_name;
	src->dest_len = mh->msg_namelen;
	src->ctl.ptr = (__u64)mh->msg_control;
	src->ctl.len = mh->msg_controllen;
}

struct user_mmsghdr {
	struct user_msghdr hdr;
	__u32 len;
	__u32 pad;
};

/* A send's source and the user header it came from, kept off the stack: older verifiers allow
 * 512 bytes for sys_exit and every call below it together. */
struct send_scratch {
	struct user_mmsghdr mm;
	struct msg_source src;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct send_scratch);
} send_scratch SEC(".maps");

/* The source of a syscall's send, read through mh. */
static __always_inline void payload_source(const struct pending *p, struct msg_source *src,
					   struct user_msghdr *mh)
{
	__builtin_memset(src, 0, sizeof(*src));
	switch (p->nr) {
	case NR_write: src->buf = p->args[1]; break;
	case NR_sendto:
		src->buf = p->args[1];
		src->dest = p->args[4];
		src->dest_len = (int)p->args[5];
		break;
	case NR_writev:
	case NR_pwritev2:
		src->iov = p->args[1];
		src->iov_cnt = p->args[2] > UIO_MAXIOV ? UIO_MAXIOV : (__u32)p->args[2];
		break;
	case NR_sendmsg:
		if (!bpf_probe_read_user(mh, sizeof(*mh), (void *)p->args[1]))
			source_from_msghdr(mh, src);
		break;
	}
}

/* The iov_iter's segments as a msg_source; false for kinds that are not copied (ITER_XARRAY,
 * ITER_FOLIOQ, ...). The values of enum iter_type differ between kernels: CO-RE gives these. */
static __always_inline bool source_from_iter(struct iov_iter *it, struct msg_source *src)
{
	__u8 type = BPF_CORE_READ(it, iter_type);

	src->skip = BPF_CORE_READ(it, iov_offset);
	src->iov_cnt = BPF_CORE_READ(it, nr_segs) > UIO_MAXIOV ? UIO_MAXIOV :
								 BPF_CORE_READ(it, nr_segs);
	if (iter_is_ubuf(type)) {
		src->buf = (__u64)BPF_CORE_READ(it, ubuf) + src->skip;
		src->kind = SEG_USER_IOV;
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		src->iov = iter_iovec(it);
		src->kind = SEG_KERNEL_IOV;
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_KVEC)) {
		src->iov = (__u64)BPF_CORE_READ(it, kvec);
		src->kind = SEG_KVEC;
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_BVEC) && page_math_known()) {
		src->iov = (__u64)BPF_CORE_READ(it, bvec);
		src->kind = SEG_BVEC;
	} else {
		return false;
	}
	return true;
}

struct copy_state {
	__u64 msg_id;
	__u64 iov;      /* user iovec array, 0 for a single buffer */
	__u64 base;     /* current user segment */
	__u64 seg_left; /* bytes left in it */
	__u32 iov_next;
	__u32 iov_cnt;
	__u32 offset; /* within the message */
	__u32 left;   /* bytes still to copy */
	__u32 cpu;
	__u32 failed; /* 1: ring full (or above payload_high_water), 2: unreadable user memory */
	__u32 kind;   /* enum seg_kind */
	__u64 skip;   /* of the first segment */
};

/* Partial chunks are assembled here, since ring reservations need a constant size. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uc_rec_data);
} scratch SEC(".maps");

/* The next segment of an array: user or kernel iovec, kvec, or bio_vec (a page range). */
static __always_inline int next_segment(struct copy_state *s)
{
	struct bio_vec bv;
	struct iovec v;
	long err;

	if (!s->iov || s->iov_next >= s->iov_cnt)
		return 2;
	if (s->kind == SEG_BVEC) {
		if (bpf_probe_read_kernel(&bv, sizeof(bv), (struct bio_vec *)s->iov + s->iov_next))
			return 2;
		v.iov_base = (void *)page_kaddr(bv.bv_page);
		if (!v.iov_base)
			return 2;
		v.iov_base += bv.bv_offset;
		v.iov_len = bv.bv_len;
	} else {
		err = s->kind == SEG_USER_IOV ?
			      bpf_probe_read_user(&v, sizeof(v),
						  (struct iovec *)s->iov + s->iov_next) :
			      bpf_probe_read_kernel(&v, sizeof(v),
						    (struct iovec *)s->iov + s->iov_next);
		if (err)
			return 2;
	}
	s->base = (__u64)v.iov_base;
	s->seg_left = v.iov_len;
	s->iov_next++;
	/* the iov_iter's offset into its first segment (tested on skip, not on the index: a
	 * test on the index would make the verifier walk every iteration apart) */
	if (s->skip) {
		__u64 n = s->skip < s->seg_left ? s->skip : s->seg_left;

		s->base += n;
		s->seg_left -= n;
		s->skip = 0;
	}
	return 0;
}

static __always_inline long read_data(const struct copy_state *s, void *dst, __u32 n)
{
	if (s->kind == SEG_KVEC || s->kind == SEG_BVEC)
		return bpf_probe_read_kernel(dst, n, (void *)s->base);
	return bpf_probe_read_user(dst, n, (void *)s->base);
}

/* A whole chunk goes straight into a ring reservation, submitted in the same branch: a kernel
 * whose verifier does not correlate two tests of the same size would see a reservation leak. */
static __always_inline void label_chunk(struct uc_rec_data *rec, const struct copy_state *s,
					__u32 n)
{
	rec->head.kind = UC_REC_DATA;
	rec->head.cpu = s->cpu;
	rec->head.msg_id = s->msg_id;
	rec->offset = s->offset;
	rec->len = n;
}

static __always_inline int emit_full_chunk(struct copy_state *s)
{
	struct uc_rec_data *rec = bpf_ringbuf_reserve(&ring, sizeof(*rec), 0);

	if (!rec)
		return 1;
	if (read_data(s, rec->data, UC_CHUNK)) {
		bpf_ringbuf_discard(rec, 0);
		return 2;
	}
	label_chunk(rec, s, UC_CHUNK);
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}

/* A partial chunk is assembled aside, since ring reservations need a constant size. */
static __always_inline int emit_partial_chunk(struct copy_state *s, __u32 n)
{
	struct uc_rec_data *rec;
	__u32 zero = 0;

	rec = bpf_map_lookup_elem(&scratch, &zero);
	if (!rec)
		return 1;
	if (read_data(s, rec->data, n & (UC_CHUNK - 1)))
		return 2;
	label_chunk(rec, s, n);
	return bpf_ringbuf_output(&ring, rec,
				  offsetof(struct uc_rec_data, data) + (n & (UC_CHUNK - 1)),
				  ring_flags()) ?
		       1 :
		       0;
}

static __always_inline int emit_chunk(struct copy_state *s, __u32 n)
{
	return n == UC_CHUNK ? emit_full_chunk(s) : emit_partial_chunk(s, n);
}

static long copy_step(__u64 index, struct copy_state *s)
{
	__u32 n;

	if (!s->left)
		return 1;
	if (!s->seg_left) {
		s->failed = next_segment(s);
		return s->failed ? 1 : 0;
	}
	n = s->left < UC_CHUNK ? s->left : UC_CHUNK;
	if (n > s->seg_left)
		n = s->seg_left;
	s->failed = payload_fits(offsetof(struct uc_rec_data, data) + n) ? emit_chunk(s, n) : 1;
	if (s->failed)
		return 1;
	s->base += n;
	s->seg_left -= n;
	s->offset += n;
	s->left -= n;
	return 0;
}

/* A message cut short says so at once with an empty slice (small enough to fit where the
 * slice that failed did not), so user space need not wait for this CPU's next record. */
static __always_inline void mark_short_end(const struct copy_state *s)
{
	struct uc_rec_data *end = bpf_ringbuf_reserve(&ring, offsetof(struct uc_rec_data, data), 0);

	if (!end)
		return;
	end->head.kind = UC_REC_DATA;
	end->head.cpu = s->cpu;
	end->head.msg_id = s->msg_id;
	end->offset = s->offset;
	end->len = 0;
	bpf_ringbuf_submit(end, ring_flags());
}

static __always_inline void copy_payload(__u64 msg_id, __u32 cpu, __u32 caplen,
					 const struct msg_source *src)
{
	struct copy_state s = {
		.msg_id = msg_id,
		.iov = src->iov,
		.iov_cnt = src->iov_cnt,
		.left = caplen,
		.cpu = cpu,
		.base = src->buf,
		.seg_left = src->buf ? caplen : 0,
		.kind = src->kind,
		.skip = src->skip,
	};
	struct uc_counters *c = my_counters();
	__u32 loops = caplen / UC_CHUNK + 2 * s.iov_cnt + 2;

	bpf_loop(loops < MAX_LOOPS ? loops : MAX_LOOPS, copy_step, &s, 0);
	if (s.left)
		mark_short_end(&s);
	if (!c)
		return;
	c->msgs++;
	c->bytes += caplen;
	if (s.left) {
		c->lost_msgs++;
		c->lost_bytes += s.left;
		if (s.failed == 2)
			c->unreadable++;
		else
			c->ring_full++;
	}
}

/* A small message from one buffer goes out inside its message record: 1 sent, -1 the ring had
 * no room, 0 send it the usual way (too large, from an iovec, or its memory unreadable:
 * copy_payload reports that). */
static __always_inline int emit_inline(void *rec, __u32 head_len, __u8 *data, __u64 buf,
				       __u32 caplen)
{
	struct uc_counters *c = my_counters();
	__u64 n = caplen;

	if (!buf || !caplen || caplen > UC_INLINE_MAX)
		return 0;
	asm volatile("if %[n] <= %[max] goto +1; %[n] = %[max]"
		     : [n] "+r"(n)
		     : [max] "i"(UC_INLINE_MAX));
	if (!payload_fits(head_len + n) || bpf_probe_read_user(data, n, (void *)buf))
		return 0;
	if (bpf_ringbuf_output(&ring, rec, head_len + n, ring_flags()))
		return -1;
	if (c) {
		c->msgs++;
		c->bytes += n;
	}
	return 1;
}

#endif
