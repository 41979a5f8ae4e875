/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Per-thread syscall state: what sys_enter saw for its sys_exit, and stream sends in flight. */
#ifndef UNIXCAP_HOOKS_PENDING_H
#define UNIXCAP_HOOKS_PENDING_H

/* What sys_enter saw, for sys_exit of the same thread. */
struct pending {
	__u64 args[6];
	__u64 sk;
	__u64 own_ino;
	__u64 peer_ino; /* for close: read while the socket is still whole */
	__u32 nr;
	__u16 sock_type;
	__u16 event;
	__u32 send_start; /* a stream send: its number among the socket's sends begun */
	__u8 in_flight;   /* counted in its socket's sends_in_flight entry */
	__u8 overlap;     /* another send on the socket ran at the same time */
	__u8 skipped;     /* a send the filters exclude: sock_send_length need not look again */
	__u8 pad;
};

#define NO_SYSCALL 0xffffffffu /* pending.nr once sys_exit has taken it */

/* Task storage, not a hash by tid: one slot per thread, found without hashing or locking, and
 * freed with the thread (one killed mid-syscall never reaches sys_exit). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending_by_task SEC(".maps");

static __always_inline void stash(const struct pending *p)
{
	struct pending *slot = bpf_task_storage_get(&pending_by_task, bpf_get_current_task_btf(), 0,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (slot)
		*slot = *p;
}

/* A send on a unix socket the filters exclude: noted (nr, sk) so that sock_send_length knows
 * the send is not one the syscall hooks missed, and leaves at once. */
static __always_inline int skip_send(long id, struct sock *sk)
{
	struct pending *slot;

	if (!is_send(id))
		return 0;
	slot = bpf_task_storage_get(&pending_by_task, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (slot) {
		slot->nr = id;
		slot->sk = (__u64)sk;
		slot->skipped = 1;
		slot->in_flight = 0;
	}
	return 0;
}

/* What this thread's sys_enter stashed, if anything. */
static __always_inline struct pending *stashed(void)
{
	struct pending *slot = bpf_task_storage_get(&pending_by_task, bpf_get_current_task_btf(), 0,
						    0);

	return slot && slot->nr != NO_SYSCALL ? slot : NULL;
}

/* Stream sends in progress per socket (by inode). The kernel queues a send's bytes somewhere
 * between its sys_enter and sys_exit, so two sends that overlap in time may reach the reader in
 * either order, whatever order their records take: such sends are marked, and a send that
 * overlapped none is in its true place. */
#define SEND_STARTED (1ULL << 32) /* sends begun, above the count of sends in flight */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64); /* sends begun << 32 | sends in flight: one atomic add counts both */
} sends_in_flight SEC(".maps");

static __always_inline void begin_send(struct pending *p)
{
	__u64 zero = 0, *n = bpf_map_lookup_elem(&sends_in_flight, &p->own_ino), was;

	if (!n) {
		bpf_map_update_elem(&sends_in_flight, &p->own_ino, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&sends_in_flight, &p->own_ino);
		if (!n)
			return;
	}
	was = __sync_fetch_and_add(n, SEND_STARTED + 1);
	p->overlap = (__u32)was != 0;
	p->send_start = (__u32)(was >> 32);
	p->in_flight = 1;
}

/* Before the send's records (a send that begins after this has its records after them too):
 * did another begin meanwhile? */
static __always_inline void check_overlap(struct pending *p, const __u64 *n)
{
	if ((__u32)(*(volatile const __u64 *)n >> 32) != p->send_start + 1)
		p->overlap = 1;
}

#endif
