/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Message records: a send with its payload, and the events without one (read, close, ...). */
#ifndef UNIXCAP_HOOKS_EVENTS_H
#define UNIXCAP_HOOKS_EVENTS_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct head_and_payload);
} head_scratch SEC(".maps");

/* A UC_REC_IO with room for a small payload to travel inside it. */
struct io_and_payload {
	struct uc_rec_io io;
	__u8 data[UC_INLINE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct io_and_payload);
} io_scratch SEC(".maps");

/* What a message says of the process and the moment; the socket's description is apart. */
static __always_inline void fill_identity(struct uc_rec_message *m, const struct pending *p,
					  __u64 peer_ino, __u64 pid_tgid)
{
	m->ktime_ns = bpf_ktime_get_ns();
	m->own_ino = p->own_ino;
	m->peer_ino = peer_ino;
	m->pid = pid_tgid >> 32;
	m->tid = (__u32)pid_tgid;
	m->uid = (__u32)bpf_get_current_uid_gid();
	m->cgroup_id = bpf_get_current_cgroup_id();
	m->sock_type = p->sock_type;
	m->syscall = p->nr;
	m->order_unknown = p->overlap;
	bpf_get_current_comm(m->comm, sizeof(m->comm));
}

/* The peer's credentials (SO_PEERCRED), for a record that describes its socket itself. */
static __always_inline void fill_peer_creds(struct uc_rec_message *m, struct sock *sk)
{
	m->peer_pid = pid_nr_of(BPF_CORE_READ(sk, sk_peer_pid));
	if (m->peer_pid) {
		m->peer_uid = BPF_CORE_READ(sk, sk_peer_cred, uid.val);
		m->peer_gid = BPF_CORE_READ(sk, sk_peer_cred, gid.val);
	}
}

/* m as a UC_REC_IO in io_scratch (its socket has been described), NULL without scratch. */
static __always_inline struct io_and_payload *io_of(const struct uc_rec_message *m)
{
	__u32 zero = 0;
	struct io_and_payload *ip = bpf_map_lookup_elem(&io_scratch, &zero);
	struct uc_rec_io *io;

	if (!ip)
		return NULL;
	io = &ip->io;
	io->head = m->head;
	io->head.kind = UC_REC_IO;
	io->ktime_ns = m->ktime_ns;
	io->own_ino = m->own_ino;
	io->peer_ino = m->peer_ino;
	io->lost_before_bytes = m->lost_before_bytes;
	io->cgroup_id = m->cgroup_id;
	io->lost_before_msgs = m->lost_before_msgs;
	io->pid = m->pid;
	io->tid = m->tid;
	io->uid = m->uid;
	io->len = m->len;
	io->caplen = m->caplen;
	io->event = m->event;
	io->sock_type = m->sock_type;
	io->syscall = m->syscall;
	io->peek = m->peek;
	io->order_unknown = m->order_unknown;
	__builtin_memcpy(io->comm, m->comm, sizeof(io->comm));
	return ip;
}

/* m in the ring, as a UC_REC_IO when its socket is described: 0, or non-zero when the ring had
 * no room. */
static __always_inline long output_message(struct uc_rec_message *m, bool compact)
{
	struct io_and_payload *ip = compact ? io_of(m) : NULL;

	if (ip)
		return bpf_ringbuf_output(&ring, &ip->io, sizeof(ip->io), ring_flags());
	return bpf_ringbuf_output(&ring, m, sizeof(*m), ring_flags());
}

#define MSG_PEEK 2

/* The name a read asks its datagram's source in (recvfrom's or recvmsg's), NULL if none. */
static __always_inline const void *read_source_name(const struct pending *p, int *namelen)
{
	struct {
		const void *name;
		int namelen;
	} asked = {};

	if (p->nr == NR_recvfrom) {
		asked.name = (const void *)p->args[4];
		if (asked.name &&
		    bpf_probe_read_user(&asked.namelen, sizeof(asked.namelen), (void *)p->args[5]))
			return NULL;
	} else if (p->nr == NR_recvmsg) {
		/* msg_name and msg_namelen lead struct user_msghdr */
		if (bpf_probe_read_user(&asked, sizeof(asked), (void *)p->args[1]))
			return NULL;
	}
	*namelen = asked.namelen;
	return asked.namelen > (int)sizeof(__u16) ? asked.name : NULL;
}

static __always_inline bool read_peeks(const struct pending *p)
{
	if (p->nr == NR_recvfrom)
		return (p->args[3] & MSG_PEEK) != 0;
	return p->nr == NR_recvmsg && (p->args[2] & MSG_PEEK) != 0;
}

/* What emit_read learnt before the record: the name the read asks its datagram's source in, or
 * else its socket's description (verdict above 0: the record goes as a UC_REC_IO). */
struct read_seen {
	struct description d;
	__u64 source; /* a user address; scalars only: emit_event is a global function */
	int namelen;
	int pad;
};

/* Close, shutdown and end-of-file: connection events without payload, filtered like data. */
/* Not inlined (here, build_message, send_message, emit_send and describe): each gets its own
 * stack frame, and no large one calls another, so that sys_exit, its bpf_loop callbacks and
 * what they call stay within the 512 bytes older verifiers allow for a whole chain of calls.
 * Global, not static: the verifier checks it once, with its arguments unknown, rather than
 * again at each of its eight calls with all that the caller's paths have learnt, which took
 * sys_exit past the verifier's million instructions on some 6.18 builds. p and read are then
 * plain memory to it (p may be NULL as far as it knows). */
__noinline int emit_event(const struct pending *p, __u16 event, __u64 pid_tgid, __u32 len,
			  const struct read_seen *read)
{
	struct sock *sk, *peer = NULL;
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0, tid = (__u32)pid_tgid;
	struct head_and_payload *hp = bpf_map_lookup_elem(&head_scratch, &zero);
	struct uc_rec_message *m = hp ? &hp->m : NULL;
	struct close_names *names;
	/* a pointer, not a flag: the verifier then knows read is there wherever d is */
	const struct description *d = read && read->d.verdict > 0 ? &read->d : NULL;

	if (!m || !p)
		return 0;
	sk = (struct sock *)p->sk;
	__builtin_memset(m, 0, sizeof(*m));
	if (event == UC_EV_CLOSE) {
		fill_identity(m, p, 0, pid_tgid);
		fill_peer_creds(m, (struct sock *)p->sk);
		m->peer_ino = p->peer_ino;
		names = bpf_map_lookup_elem(&closing, &tid);
		if (names) {
			m->own_path_len = names->own_len;
			m->peer_path_len = names->peer_len;
			__builtin_memcpy(m->own_path, names->own, UC_PATH_LEN);
			__builtin_memcpy(m->peer_path, names->peer, UC_PATH_LEN);
			bpf_map_delete_elem(&closing, &tid);
		}
		sk = NULL; /* being closed: only the names saved at sys_enter are safe to use */
	} else {
		peer = unix_peer(sk);
		fill_identity(m, p, 0, pid_tgid);
		m->peek = read && read_peeks(p);
		if (d) {
			m->peer_ino = d->peer_ino;
			m->path_match = d->verdict;
		} else {
			m->peer_ino = peer ? peer_inode(sk) : 0;
			fill_peer_creds(m, sk);
			/* where an unconnected datagram came from; a connected peer's name wins */
			if (read && read->source)
				m->peer_path_len = read_user_dest((const void *)read->source,
								  read->namelen, m->peer_path);
			read_socket_paths(m, sk, peer);
		}
	}
	/* an unconnected datagram's destination is unknown here: rather report it than drop it */
	if (!d && !(event == UC_EV_UNSEEN && !peer) && !path_matches(m, sk, peer, false))
		return 0;
	m->head.kind = UC_REC_MESSAGE;
	m->head.cpu = cpu;
	m->head.msg_id = next_msg_id(cpu);
	m->event = event;
	m->len = len;
	if (event == UC_EV_UNSEEN)
		m->syscall = current_syscall();
	/* The end of a direction comes after every byte sent that way, recorded or not: a close or
	 * shutdown by the sender, or end-of-file at the reader, whichever the ring has room for. */
	if (event == UC_EV_CLOSE || event == UC_EV_SHUTDOWN)
		take_earlier_losses(m);
	else if (event == UC_EV_EOF)
		take_losses(m,
			    (struct uc_loss_key){ .own_ino = m->peer_ino, .peer_ino = m->own_ino });
	if (!output_message(m, d != NULL))
		return 0;
	if (event == UC_EV_UNSEEN)
		note_lost_message(m,
				  len); /* reported with the pair's next message, or at the end */
	else if (m->lost_before_msgs && event == UC_EV_EOF)
		give_back_losses(m->peer_ino, m->own_ino, m->lost_before_bytes,
				 m->lost_before_msgs);
	else if (m->lost_before_msgs)
		give_back_losses(m->own_ino, m->peer_ino, m->lost_before_bytes,
				 m->lost_before_msgs);
	return 0;
}

/* A read, told by its socket's description unless it names a datagram's source. */
static __always_inline void emit_read(const struct pending *p, __u64 pid_tgid, __u32 len)
{
	struct read_seen read;

	__builtin_memset(&read, 0, sizeof(read)); /* every byte: the verifier reads it all */
	read.d.verdict = -1;
	read.source = (__u64)read_source_name(p, &read.namelen);
	if (!read.source)
		read.d.verdict = described_verdict((struct sock *)p->sk, p->own_ino, p->sock_type,
						   &read.d.peer_ino);
	if (read.d.verdict != UC_PATH_NOT_MATCHED)
		emit_event(p, UC_EV_READ, pid_tgid, len, &read);
}

enum { BUILT_NONE, BUILT_FULL, BUILT_COMPACT };

/* The record of a send, in head_scratch: BUILT_NONE if the path filter does not want it,
 * BUILT_COMPACT if its socket is described (d; it is to go as a UC_REC_IO). Global, as
 * emit_event: the --path matching below is then checked once, not once per caller. */
__noinline int build_message(const struct pending *p, const struct msg_source *src, __u32 len,
			     __u64 pid_tgid, const struct description *d)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	struct sock *sk, *peer;
	const void *dest;
	struct head_and_payload *hp;
	struct uc_rec_message *m;

	/* Built aside, so a message the path filter rejects costs no ring space and a message
	 * the ring has no room for is known to be one the user asked for. */
	hp = bpf_map_lookup_elem(&head_scratch, &zero);
	if (!hp || !p || !src)
		return 0;
	sk = (struct sock *)p->sk;
	peer = unix_peer(sk);
	dest = (const void *)src->dest;
	m = &hp->m;
	if (d) { /* the names stay unset: a UC_REC_IO does not carry them */
		__builtin_memset(m, 0, offsetof(struct uc_rec_message, own_path));
		fill_identity(m, p, d->peer_ino, pid_tgid);
		m->path_match = d->verdict;
	} else {
		__builtin_memset(m, 0, sizeof(*m));
		fill_identity(m, p, peer ? peer_inode(sk) : 0, pid_tgid);
		fill_peer_creds(m, sk);
		read_socket_paths(m, sk, dest ? NULL : peer);
		if (dest)
			m->peer_path_len = read_user_dest(dest, src->dest_len, m->peer_path);
		if (!path_matches(m, sk, dest ? NULL : peer, dest != NULL))
			return 0;
	}
	m->head.kind = UC_REC_MESSAGE;
	m->head.cpu = cpu;
	m->head.msg_id = next_msg_id(cpu);
	m->event = UC_EV_DATA;
	m->len = len;
	m->caplen = no_payload ? 0 : snaplen && snaplen < len ? snaplen : len;
	return d ? BUILT_COMPACT : BUILT_FULL;
}

/* The record built in head_scratch, as a UC_REC_IO when compact, and its payload: 1 if the ring
 * had no room for the record. Global, as emit_event: checked once, not at each of its callers
 * (one of which is itself a bpf_loop callback) with their states, its own copy loop inside. */
__noinline int send_message(const struct msg_source *src, int compact)
{
	__u32 zero = 0;
	struct head_and_payload *hp = bpf_map_lookup_elem(&head_scratch, &zero);
	struct io_and_payload *ip;
	struct uc_rec_message *m;
	int inlined = 0;

	if (!hp || !src)
		return 0;
	m = &hp->m;
	ip = compact ? io_of(m) : NULL;
	if (!src->ctl.ptr && ip)
		inlined = emit_inline(ip, sizeof(ip->io), ip->data, src->buf, m->caplen);
	else if (!src->ctl.ptr)
		inlined = emit_inline(hp, sizeof(hp->m), hp->data, src->buf, m->caplen);
	if (inlined)
		return inlined < 0;
	if (ip ? bpf_ringbuf_output(&ring, &ip->io, sizeof(ip->io), ring_flags()) :
		 bpf_ringbuf_output(&ring, m, sizeof(*m), ring_flags()))
		return 1;
	if (src->ctl.ptr && src->ctl.len >= sizeof(struct cmsg_head))
		emit_ancillary(m->head.msg_id, m->head.cpu, &src->ctl);
	copy_payload(m->head.msg_id, m->head.cpu, m->caplen, src);
	return 0;
}

/* A send, with the losses of its socket pair: reported by it, or kept for the next one when it
 * cannot be recorded either. Inlined with with_losses constant, so that the kprobe hooks, which
 * may not use a map holding locks, never refer to the losses map (their losses count only in
 * the totals). */
static __always_inline void emit_message(const struct pending *p, const struct msg_source *src,
					 __u32 len, __u64 pid_tgid, bool with_losses)
{
	struct description d = { .verdict = -1 };
	struct head_and_payload *hp;
	__u32 zero = 0;
	int built;

	/* a send is told by its socket's description, unless it names its destination; described
	 * here rather than in build_message, whose frame a chain of calls could not also hold */
	if (!src->dest)
		d.verdict = described_verdict((struct sock *)p->sk, p->own_ino, p->sock_type,
					      &d.peer_ino);
	if (d.verdict == UC_PATH_NOT_MATCHED)
		return;
	built = build_message(p, src, len, pid_tgid, d.verdict > 0 ? &d : NULL);
	if (!built || !(hp = bpf_map_lookup_elem(&head_scratch, &zero)))
		return;
	if (with_losses)
		take_earlier_losses(&hp->m);
	if (!send_message(src, built == BUILT_COMPACT))
		return;
	if (with_losses) {
		note_lost_message(&hp->m, len);
	} else {
		count_ring_full(len);
		count_unpaired(len, 1);
	}
}

static __noinline void emit_send(const struct pending *p, __u32 len, __u64 pid_tgid)
{
	__u32 zero = 0;
	struct send_scratch *s = bpf_map_lookup_elem(&send_scratch, &zero);

	if (!s)
		return;
	payload_source(p, &s->src, &s->mm.hdr);
	emit_message(p, &s->src, len, pid_tgid, true);
}

#endif
