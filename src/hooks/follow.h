/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* --children and `unixcap -- COMMAND`: the processes followed, and every process they start. */
#ifndef UNIXCAP_HOOKS_FOLLOW_H
#define UNIXCAP_HOOKS_FOLLOW_H

/* Followed processes by tgid. User space enters the first ones; the fork hook enters each new
 * process a followed one starts, before that process can run, so nothing of a short-lived child
 * is missed; the exit hook removes a process once its last thread is gone. An empty table after
 * the first entry means everything followed has exited. A plain hash, not LRU: an entry dropped
 * for room would silently end a process's capture. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UC_MAX_FOLLOWED);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* Processes a followed one started that the full table could not take: their I/O is missed. */
__u64 unfollowed;

static __always_inline bool is_followed(__u32 tgid)
{
	return tgid && bpf_map_lookup_elem(&followed, &tgid);
}

/* Runs in the parent, for threads too (same tgid: nothing to do). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 from = parent->tgid, tgid = child->tgid;
	__u8 one = 1;

	if (from == tgid || !is_followed(from))
		return 0;
	/* BPF_ANY: user space may have entered it already (--pid N --children seeding); only a
	 * full table fails */
	if (bpf_map_update_elem(&followed, &tgid, &one, BPF_ANY))
		__sync_fetch_and_add(&unfollowed, 1);
	return 0;
}

/* do_exit has counted the thread out of signal->live before this tracepoint: 0 means the whole
 * thread group is done, whichever of its threads ends last. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_process_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;

	if (task->signal->live.counter == 0)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}

#endif
