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

static __always_inline void fill_identity(struct uc_rec_message *m, const struct pending *p,
					  struct sock *peer, __u64 pid_tgid)
{
	struct sock *sk = (struct sock *)p->sk; /* a plain load: CO-RE must not relocate p */

	m->ktime_ns = bpf_ktime_get_ns();
	m->own_ino = p->own_ino;
	m->peer_ino = peer ? peer_inode(sk) : 0;
	m->pid = pid_tgid >> 32;
	m->tid = (__u32)pid_tgid;
	m->uid = (__u32)bpf_get_current_uid_gid();
	m->peer_pid = pid_nr_of(BPF_CORE_READ(sk, sk_peer_pid));
	if (m->peer_pid) {
		m->peer_uid = BPF_CORE_READ(sk, sk_peer_cred, uid.val);
		m->peer_gid = BPF_CORE_READ(sk, sk_peer_cred, gid.val);
	}
	m->cgroup_id = bpf_get_current_cgroup_id();
	m->sock_type = p->sock_type;
	m->syscall = p->nr;
	m->order_unknown = p->overlap;
	bpf_get_current_comm(m->comm, sizeof(m->comm));
}

#define MSG_PEEK 2

/* What a read says beyond its length: MSG_PEEK, and where an unconnected datagram came from. */
static __always_inline void read_source(const struct pending *p, struct uc_rec_message *m)
{
	struct user_msghdr mh = {};
	const void *name = NULL;
	int namelen = 0;

	if (p->nr == NR_recvfrom) {
		m->peek = (p->args[3] & MSG_PEEK) != 0;
		name = (const void *)p->args[4];
		if (name && bpf_probe_read_user(&namelen, sizeof(namelen), (void *)p->args[5]))
			name = NULL;
	} else if (p->nr == NR_recvmsg) {
		m->peek = (p->args[2] & MSG_PEEK) != 0;
		if (!bpf_probe_read_user(&mh, sizeof(mh), (void *)p->args[1])) {
			name = mh.msg_name;
			namelen = mh.msg_namelen;
		}
	}
	if (name && namelen > (int)sizeof(__u16))
		m->peer_path_len = read_user_dest(name, namelen, m->peer_path);
}

/* Close, shutdown and end-of-file: connection events without payload, filtered like data. */
/* Not inlined (here, build_message, send_message and emit_send): each gets its own stack frame,
 * so the frames of sys_exit and its bpf_loop callbacks stay within the 512 bytes older verifiers
 * allow for a whole chain. */
static __noinline void emit_event(const struct pending *p, __u16 event, __u64 pid_tgid, __u32 len)
{
	struct sock *sk = (struct sock *)p->sk, *peer = NULL;
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0, tid = (__u32)pid_tgid;
	struct head_and_payload *hp = bpf_map_lookup_elem(&head_scratch, &zero);
	struct uc_rec_message *m = hp ? &hp->m : NULL;
	struct close_names *names;

	if (!m)
		return;
	__builtin_memset(m, 0, sizeof(*m));
	if (event == UC_EV_CLOSE) {
		fill_identity(m, p, NULL, pid_tgid);
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
		fill_identity(m, p, peer, pid_tgid);
		read_socket_paths(m, sk, peer);
		if (event == UC_EV_READ)
			read_source(p, m);
	}
	/* an unconnected datagram's destination is unknown here: rather report it than drop it */
	if (!(event == UC_EV_UNSEEN && !peer) && !path_matches(m, sk, peer, false))
		return;
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
	if (!bpf_ringbuf_output(&ring, m, sizeof(*m), ring_flags()))
		return;
	if (event == UC_EV_UNSEEN)
		note_lost_message(m,
				  len); /* reported with the pair's next message, or at the end */
	else if (m->lost_before_msgs && event == UC_EV_EOF)
		give_back_losses(m->peer_ino, m->own_ino, m->lost_before_bytes,
				 m->lost_before_msgs);
	else if (m->lost_before_msgs)
		give_back_losses(m->own_ino, m->peer_ino, m->lost_before_bytes,
				 m->lost_before_msgs);
}

/* The record of a send, in head_scratch: 0 if the path filter does not want it. */
static __noinline int build_message(const struct pending *p, const struct msg_source *src,
				    __u32 len, __u64 pid_tgid)
{
	struct sock *sk = (struct sock *)p->sk, *peer = unix_peer(sk);
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	const void *dest = src->dest;
	struct head_and_payload *hp;
	struct uc_rec_message *m;

	/* Built aside, so a message the path filter rejects costs no ring space and a message
	 * the ring has no room for is known to be one the user asked for. */
	hp = bpf_map_lookup_elem(&head_scratch, &zero);
	if (!hp)
		return 0;
	m = &hp->m;
	__builtin_memset(m, 0, sizeof(*m));
	fill_identity(m, p, peer, pid_tgid);
	read_socket_paths(m, sk, dest ? NULL : peer);
	if (dest)
		m->peer_path_len = read_user_dest(dest, src->dest_len, m->peer_path);
	if (!path_matches(m, sk, dest ? NULL : peer, dest != NULL))
		return 0;
	m->head.kind = UC_REC_MESSAGE;
	m->head.cpu = cpu;
	m->head.msg_id = next_msg_id(cpu);
	m->event = UC_EV_DATA;
	m->len = len;
	m->caplen = no_payload ? 0 : snaplen && snaplen < len ? snaplen : len;
	return 1;
}

/* The record built in head_scratch and its payload: 1 if the ring had no room for the record. */
static __noinline int send_message(const struct msg_source *src)
{
	__u32 zero = 0;
	struct head_and_payload *hp = bpf_map_lookup_elem(&head_scratch, &zero);
	struct uc_rec_message *m;
	int inlined;

	if (!hp)
		return 0;
	m = &hp->m;
	inlined = src->ctl.ptr ? 0 : emit_inline(hp, src->buf, m->caplen);
	if (inlined)
		return inlined < 0;
	if (bpf_ringbuf_output(&ring, m, sizeof(*m), ring_flags()))
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
	struct head_and_payload *hp;
	__u32 zero = 0;

	if (!build_message(p, src, len, pid_tgid) ||
	    !(hp = bpf_map_lookup_elem(&head_scratch, &zero)))
		return;
	if (with_losses)
		take_earlier_losses(&hp->m);
	if (!send_message(src))
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
	struct msg_source src;

	payload_source(p, &src);
	emit_message(p, &src, len, pid_tgid, true);
}

#endif
