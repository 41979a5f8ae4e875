/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Who a socket is, said once (UC_REC_SOCKET), so that its sends and reads go as small UC_REC_IO. */
#ifndef UNIXCAP_HOOKS_DESCRIBED_H
#define UNIXCAP_HOOKS_DESCRIBED_H

/* What the last UC_REC_SOCKET of a socket said, by sockfs inode (not reused for 2^32 sockets,
 * so an entry outliving its socket is harmless). The pointers and the peer's inode tell when it
 * no longer holds: connect replaces a datagram socket's peer, bind gives a socket its address,
 * accept gives a client's peer its own inode. */
struct described {
	__u64 peer;     /* the peer's struct sock then */
	__u64 own_addr; /* the struct unix_address of each end then */
	__u64 peer_addr;
	__u64 peer_ino;  /* the peer's inode then (closed_socks keeps it once the peer closes) */
	__u32 gen;       /* describe_gen then */
	__u8 path_match; /* the --path verdict (enum uc_path_match) */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct described);
} described SEC(".maps");

/* What a record of a described socket need not repeat: its --path verdict (above 0) and its
 * peer's inode. */
struct description {
	__u64 peer_ino;
	int verdict;
};

/* describe()'s working state, kept off the stack: older verifiers allow 512 bytes for a whole
 * chain of calls, and describe is the deepest link of a send's. */
struct describing {
	struct uc_rec_socket rec;
	struct described entry;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct describing);
} describing SEC(".maps");

static __always_inline __u64 addr_of(struct sock *sk)
{
	return sk ? (__u64)BPF_CORE_READ((struct unix_sock *)sk, addr) : 0;
}

/* The UC_REC_SOCKET of sk as it is now, in the ring unless --path excludes it, and its peer's
 * inode: its verdict, or -1 when the ring had no room (its messages then go as full records).
 * Global, as emit_event (events.h), so that its --path matching is checked once: sk is then an
 * address to it, and peer_ino plain memory. */
__noinline int describe(__u64 sk_addr, __u64 own_ino, __u32 type, __u64 *peer_ino)
{
	__u32 zero = 0;
	struct describing *w = bpf_map_lookup_elem(&describing, &zero);
	struct sock *sk = (struct sock *)sk_addr, *peer;
	struct uc_rec_socket *r;

	if (!w || !peer_ino)
		return -1;
	peer = unix_peer(sk);
	r = &w->rec;
	__builtin_memset(w, 0, sizeof(*w));
	w->entry.peer = (__u64)peer;
	w->entry.own_addr = addr_of(sk);
	w->entry.peer_addr = addr_of(peer);
	w->entry.peer_ino = *peer_ino = peer ? peer_inode(sk) : 0;
	w->entry.gen = describe_gen;
	r->head.kind = UC_REC_SOCKET;
	r->head.cpu = bpf_get_smp_processor_id();
	r->own_ino = own_ino;
	r->peer_ino = w->entry.peer_ino;
	r->sock_type = type;
	r->peer_pid = pid_nr_of(BPF_CORE_READ(sk, sk_peer_pid));
	if (r->peer_pid) {
		r->peer_uid = BPF_CORE_READ(sk, sk_peer_cred, uid.val);
		r->peer_gid = BPF_CORE_READ(sk, sk_peer_cred, gid.val);
	}
	r->own_path_len = read_addr_path((struct unix_address *)w->entry.own_addr, r->own_path);
	r->peer_path_len = read_addr_path((struct unix_address *)w->entry.peer_addr, r->peer_path);
	r->path_match = path_verdict(r->own_path, r->own_path_len, r->peer_path, r->peer_path_len,
				     sk, peer, false, type, own_ino);
	if (r->path_match && bpf_ringbuf_output(&ring, r, sizeof(*r), ring_flags()))
		return -1;
	w->entry.path_match = r->path_match;
	bpf_map_update_elem(&described, &own_ino, &w->entry, BPF_ANY);
	return r->path_match;
}

/* sk's --path verdict, once user space knows who sk is now (described first if it does not),
 * and its peer's inode. */
static __always_inline int described_verdict(struct sock *sk, __u64 own_ino, __u16 type,
					     __u64 *peer_ino)
{
	struct described *d = bpf_map_lookup_elem(&described, &own_ino);
	struct sock *peer;

	if (!d || d->gen != describe_gen)
		return describe((__u64)sk, own_ino, type, peer_ino);
	peer = unix_peer(sk);
	if (d->peer != (__u64)peer || d->own_addr != addr_of(sk) || d->peer_addr != addr_of(peer))
		return describe((__u64)sk, own_ino, type, peer_ino);
	/* the peer's inode changes under the same struct sock when the server accepts it */
	if (d->peer_ino != (peer ? peer_inode(sk) : 0))
		return describe((__u64)sk, own_ino, type, peer_ino);
	*peer_ino = d->peer_ino;
	return d->path_match;
}

#endif
