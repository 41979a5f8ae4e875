/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The ring every record goes to, message ids, and the per-CPU counters of what went or was lost. */
#ifndef UNIXCAP_HOOKS_OUTPUT_H
#define UNIXCAP_HOOKS_OUTPUT_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by user space (-B) */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uc_counters);
} counters SEC(".maps");

struct msg_seq {
	__u64 next;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct msg_seq);
} msg_seqs SEC(".maps");

/* A message record with room for a small payload to travel inside it (built in head_scratch). */
struct head_and_payload {
	struct uc_rec_message m;
	__u8 data[UC_INLINE_MAX];
};

static __always_inline struct uc_counters *my_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline __u64 ring_flags(void)
{
	return bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) > wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
									    BPF_RB_NO_WAKEUP;
}

/* Payload goes to the ring only while it stays below the high-water mark: the rest of the ring
 * is kept for records that say who sent how many bytes, so that under overload a message loses
 * its bytes and keeps its record. */
static __always_inline bool payload_fits(__u64 bytes)
{
	return !payload_high_water ||
	       bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + bytes <= payload_high_water;
}

static __always_inline __u64 next_msg_id(__u32 cpu)
{
	__u32 zero = 0;
	struct msg_seq *seq = bpf_map_lookup_elem(&msg_seqs, &zero);

	if (!seq)
		return 0;
	return ((__u64)cpu << 48) | ++seq->next;
}

#endif
