/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Loss accounting: what a socket pair lost, kept until a later record of the pair reports it. */
#ifndef UNIXCAP_HOOKS_LOSSES_H
#define UNIXCAP_HOOKS_LOSSES_H

/* struct uc_loss with its lock: kprobe programs may not use a map holding one, so only the
 * syscall, tracepoint and fentry hooks touch it. */
struct loss_entry {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 bytes;
	__u64 msgs;
};

_Static_assert(sizeof(struct loss_entry) == sizeof(struct uc_loss), "user space reads uc_loss");

/* Whether any pair has ever had a loss kept for later: until then no message need look its
 * pair up (most captures lose nothing, and the lookup would cost every message). */
__u32 losses_kept;

/* Allocated as pairs first lose something (entries stay: see give_back_losses). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct uc_loss_key);
	__type(value, struct loss_entry);
} losses SEC(".maps");

static __always_inline void count_unpaired(__u64 bytes, __u64 msgs)
{
	struct uc_counters *c = my_counters();

	if (c) {
		__sync_fetch_and_add(&c->unpaired_bytes, bytes);
		__sync_fetch_and_add(&c->unpaired_msgs, msgs);
	}
}

/* Losses of the pair own -> peer to report later: on its entry, made if missing, else in the
 * totals only. Entries are never deleted here: a CPU that has just looked one up would add
 * to freed memory. */
static __always_inline void give_back_losses(__u64 own, __u64 peer, __u64 bytes, __u64 msgs)
{
	struct uc_loss_key key = { .own_ino = own, .peer_ino = peer };
	struct loss_entry fresh = { .bytes = bytes, .msgs = msgs }, *have;

	if (!losses_kept)
		losses_kept =
			1; /* before the entry: a message that then finds none finds it later */
	have = bpf_map_lookup_elem(&losses, &key);
	if (!have) {
		if (!bpf_map_update_elem(&losses, &key, &fresh, BPF_NOEXIST))
			return;
		have = bpf_map_lookup_elem(&losses, &key); /* another CPU made it first */
	}
	if (!have) {
		count_unpaired(bytes, msgs); /* the table is full */
		return;
	}
	bpf_spin_lock(&have->lock);
	have->bytes += bytes;
	have->msgs += msgs;
	bpf_spin_unlock(&have->lock);
}

static __always_inline void count_ring_full(__u32 len)
{
	struct uc_counters *c = my_counters();

	if (c) {
		c->ring_full++;
		c->lost_msgs++;
		c->lost_bytes += len;
	}
}

/* m could not be recorded: it, and the earlier losses it was to report, wait for the next. */
static __always_inline void note_lost_message(const struct uc_rec_message *m, __u32 len)
{
	count_ring_full(len);
	give_back_losses(m->own_ino, m->peer_ino, m->lost_before_bytes + len,
			 m->lost_before_msgs + 1);
}

/* Taken to zero, an entry waits for the pair's next loss; user space reads what is left. */
static __always_inline void take_losses(struct uc_rec_message *m, struct uc_loss_key key)
{
	struct loss_entry *have;

	if (!losses_kept)
		return;
	have = bpf_map_lookup_elem(&losses, &key);
	if (!have || !have->msgs)
		return;
	bpf_spin_lock(&have->lock);
	m->lost_before_bytes = have->bytes;
	m->lost_before_msgs = (__u32)have->msgs;
	have->bytes = 0;
	have->msgs = 0;
	bpf_spin_unlock(&have->lock);
}

static __always_inline void take_earlier_losses(struct uc_rec_message *m)
{
	take_losses(m, (struct uc_loss_key){ .own_ino = m->own_ino, .peer_ino = m->peer_ino });
}

#endif
