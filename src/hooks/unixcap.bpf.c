// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Kernel hooks: the syscall layer (tp_btf sys_enter/sys_exit) turns AF_UNIX sends into ring records. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "../records/record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load; the verifier sees them as constants. */
const volatile __u32 self_tgid;
const volatile __u32 no_payload; /* metadata only (unixcap top): no byte of any message copied */
const volatile __u32 type_mask;  /* bit (1 << SOCK_*) per accepted type; 0 = all */
const volatile __u32 n_pids;
const volatile __u32 pids[UC_MAX_PIDS];
const volatile __u32 follow_children; /* --children: the pids and what they start (follow.h) */
const volatile __u32 has_comm;
const volatile char comm_filter[UC_COMM_LEN];
const volatile __u32 n_patterns;
const volatile struct uc_pattern patterns[UC_MAX_PATTERNS];
const volatile __u32 n_path_ids;
const volatile struct uc_path_id path_ids[UC_MAX_PATHS_BY_ID];
const volatile __u32 self_mnt_ns;  /* path strings mean the same only in our mount namespace */
const volatile __u64 wakeup_bytes; /* force a consumer wake-up past this much queued data */
const volatile __u64 payload_high_water; /* payload only while less is queued; 0: no limit */
const volatile __u32 n_inodes;
const volatile __u64 inodes[UC_MAX_INODES];
const volatile __u32 has_cgroup;
const volatile __u64 peer_cgroup_id; /* --container: a peer socket made in it counts too */
const volatile __u32 fast_loads;     /* the kernel has bpf_rdonly_cast (kernel_compat.h) */

/* -s, 0 = whole messages. Not a constant like the above: a known snap length would make the
 * verifier walk each 16 KiB step of the copy loop apart (18 s and a refusal from -s 196608 on);
 * unknown, every -s is verified as one path, the same as 0. Set by user space before load. */
__u32 snaplen;

/* Raised by user space when its table of described sockets forgets some: every socket is then
 * described again before its next message (described.h). */
__u32 describe_gen;

/* Set by user space once the unix_stream_sendmsg hooks (fentry or kprobe) are attached: only
 * then can a send have been decoded there rather than by the syscall hooks. */
__u32 sends_snapped;

/* The helpers, by job, each using only those before it; they read the tunables above. */
#include "arch.h"
#include "kernel_compat.h"
#include "output.h"
#include "syscalls.h"
#include "pending.h"
#include "sockets.h"
#include "follow.h"
#include "filters.h"
#include "described.h"
#include "losses.h"
#include "payload.h"
#include "ancillary.h"
#include "events.h"

/* socketpair(AF_UNIX, type, 0, sv): no socket exists yet; its fds are read at sys_exit. */
static __always_inline int note_socketpair(struct pt_regs *regs, struct pending *p, long id,
					   __u64 pid_tgid)
{
	if (p->args[0] != AF_UNIX)
		return 0;
	p->sock_type = syscall_arg(regs, 1) & 0xf; /* without SOCK_NONBLOCK/SOCK_CLOEXEC */
	if (!type_matches(p->sock_type))
		return 0;
	p->args[3] = syscall_arg(regs, 3);
	p->nr = id;
	stash(p);
	return 0;
}

/* Runs on every syscall of the machine: syscalls of no interest leave at the first test, and
 * arguments, task and fd table are read with plain loads through their BTF types. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct pending p = {};
	struct file *file;
	struct sock *sk;

	if (!is_send(id) && !is_recv(id) && !is_lifecycle(id) && id != NR_recvmmsg)
		return 0;
	task = bpf_get_current_task_btf();
	if ((pid_tgid >> 32) == self_tgid)
		return note_self_socket(task, regs, id); /* our output may go to a unix socket */
	if (task_is_compat(task))
		return 0; /* 32-bit syscall numbers differ */
	p.args[0] = syscall_arg(regs, 0);
	if (id == NR_socketpair)
		return another_capture(pid_tgid >> 32) ? 0 :
							 note_socketpair(regs, &p, id, pid_tgid);
	file = fd_file(task, (__u32)p.args[0]);
	sk = unix_sock_of(file, &p.sock_type, &p.own_ino);
	if (!sk)
		return 0;
	/* The filters before the lookup of other captures: excluded traffic need not know. */
	if (known_not_to_match(p.own_ino, p.sock_type) || !type_matches(p.sock_type) ||
	    !process_matches(sk, pid_tgid >> 32) || !cgroup_matches(sk) ||
	    !inode_matches(p.own_ino, sk))
		return skip_send(id, sk);
	if (another_capture(pid_tgid >> 32))
		return note_output_socket(sk, id);
	if (id == NR_close && !is_last_reference(file))
		return 0;
	p.args[1] = syscall_arg(regs, 1);
	p.args[2] = syscall_arg(regs, 2);
	p.args[3] = syscall_arg(regs, 3);
	p.args[4] = syscall_arg(regs, 4);
	p.args[5] = syscall_arg(regs, 5);
	p.nr = id;
	p.sk = (__u64)sk;
	if (is_send(id) && p.sock_type == SOCK_STREAM)
		begin_send(&p);
	if (id == NR_close) {
		p.peer_ino = peer_inode(sk);
		remember_close_names(sk, (__u32)pid_tgid);
		remember_closed(sk, p.own_ino);
	}
	stash(&p);
	return 0;
}

/* sendmmsg and recvmmsg: one message each; the kernel caps vlen at UIO_MAXIOV. */
#define MAX_MMSG UIO_MAXIOV

struct mmsg_walk {
	const struct pending *p; /* the task-storage slot: a copy would not fit the stack */
	__u64 pid_tgid;
	__u32 n;
	__u32 reading;
};

static long one_mmsg(__u64 i, struct mmsg_walk *w)
{
	__u32 zero = 0;
	struct send_scratch *s = bpf_map_lookup_elem(&send_scratch, &zero);

	if (!s || i >= w->n ||
	    bpf_probe_read_user(&s->mm, sizeof(s->mm), (void *)(w->p->args[1] + i * sizeof(s->mm))))
		return 1;
	if (w->reading) {
		emit_read(w->p, w->pid_tgid, s->mm.len);
		return 0;
	}
	__builtin_memset(&s->src, 0, sizeof(s->src));
	source_from_msghdr(&s->mm.hdr, &s->src);
	emit_message(w->p, &s->src, s->mm.len, w->pid_tgid, true);
	return 0;
}

/* The socket behind a descriptor the syscall just returned (accept) becomes the event's own. */
static __always_inline bool adopt_socket(struct pending *p, __u32 fd)
{
	struct sock *sk = unix_sock_of(fd_file(bpf_get_current_task_btf(), fd), &p->sock_type,
				       &p->own_ino);

	if (!sk)
		return false;
	p->sk = (__u64)sk;
	return true;
}

/* socketpair's first descriptor is the event's own socket, the second its peer. */
static __always_inline bool adopt_pair(struct pending *p, __u64 pid_tgid)
{
	int sv[2];

	if (bpf_probe_read_user(sv, sizeof(sv), (void *)p->args[3]) || !adopt_socket(p, sv[0]))
		return false;
	return process_matches((struct sock *)p->sk, pid_tgid >> 32) &&
	       cgroup_matches((struct sock *)p->sk) &&
	       inode_matches(p->own_ino, (struct sock *)p->sk);
}

/* A send of a unix socket that no syscall hook of ours is decoding on this thread: sendfile,
 * splice or io_uring. Fills p (socket, inode, type) when it passes the filters. */
static __always_inline bool undecoded_send(struct sock *sk, __u64 pid_tgid, struct pending *p)
{
	struct pending *decoding;

	if ((pid_tgid >> 32) == self_tgid)
		return false;
	decoding = stashed();
	if (decoding && is_send(decoding->nr) && decoding->sk == (__u64)sk)
		return false;
	p->sock_type = BPF_CORE_READ(sk, sk_type);
	p->own_ino = sk_inode(sk);
	if (known_not_to_match(p->own_ino, p->sock_type) || !type_matches(p->sock_type) ||
	    !process_matches(sk, pid_tgid >> 32) || !cgroup_matches(sk) ||
	    !inode_matches(p->own_ino, sk) || another_capture(pid_tgid >> 32))
		return false;
	p->sk = (__u64)sk;
	return true;
}

/* What unix_stream_sendmsg's iov_iter held at entry (at return it has been consumed), and
 * which send its exit hook decoded, so that sock_send_length does not report it unseen. */
struct iter_snap {
	struct pending p;
	struct msg_source src;
	__u64 decoded_sk;
	__u32 decoded_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct iter_snap);
} iter_by_task SEC(".maps");

/* Entry of unix_stream_sendmsg: remember where an undecoded send's bytes are. */
static __always_inline int snap_send(struct sock *sk, struct msghdr *msg)
{
	struct iter_snap *snap = bpf_task_storage_get(&iter_by_task, bpf_get_current_task_btf(), 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!snap)
		return 0;
	__builtin_memset(snap, 0, sizeof(*snap));
	snap->src.kind = SEG_NONE;
	if (!undecoded_send(sk, bpf_get_current_pid_tgid(), &snap->p) ||
	    !source_from_iter(&msg->msg_iter, &snap->src))
		snap->src.kind = SEG_NONE;
	return 0;
}

/* Return of unix_stream_sendmsg: its first ret bytes went; they become a message record and
 * data slices like a write()'s, named by the syscall the thread is in. */
static __always_inline int emit_snapped(long ret, bool with_losses)
{
	struct iter_snap *snap = bpf_task_storage_get(&iter_by_task, bpf_get_current_task_btf(), 0,
						      0);

	if (!snap || snap->src.kind == SEG_NONE)
		return 0;
	/* used in place: copies of the snapshot would not fit the 512 bytes of stack older
	 * verifiers allow this hook and the calls below it together */
	if (ret > 0) {
		snap->p.nr = current_syscall();
		emit_message(&snap->p, &snap->src, (__u32)ret, bpf_get_current_pid_tgid(),
			     with_losses);
		snap->decoded_sk = snap->p.sk;
		snap->decoded_len = (__u32)ret;
	}
	snap->src.kind = SEG_NONE;
	return 0;
}

SEC("fentry/unix_stream_sendmsg")
int BPF_PROG(on_unix_send, struct socket *sock, struct msghdr *msg, size_t len)
{
	return snap_send(BPF_CORE_READ(sock, sk), msg);
}

SEC("fexit/unix_stream_sendmsg")
int BPF_PROG(on_unix_sent, struct socket *sock, struct msghdr *msg, size_t len, int ret)
{
	return emit_snapped(ret, true);
}

/* The same with kprobes, for kernels that refuse BPF trampolines but have kprobes. */
SEC("kprobe/unix_stream_sendmsg")
int BPF_KPROBE(kp_unix_send, struct socket *sock, struct msghdr *msg)
{
	return snap_send(BPF_CORE_READ(sock, sk), msg);
}

SEC("kretprobe/unix_stream_sendmsg")
int BPF_KRETPROBE(kp_unix_sent, int ret)
{
	return emit_snapped(ret, false);
}

/* True once for the send unix_stream_sendmsg's exit hook has just decoded. */
static __always_inline bool just_decoded(struct sock *sk, int ret)
{
	struct iter_snap *snap = bpf_task_storage_get(&iter_by_task, bpf_get_current_task_btf(), 0,
						      0);

	if (!snap || snap->decoded_sk != (__u64)sk || snap->decoded_len != (__u32)ret)
		return false;
	snap->decoded_sk = 0;
	return true;
}

/* Every socket send passes __sock_sendmsg, which fires sock_send_length (Linux 6.3 and later).
 * A send of a unix socket that no hook of ours decoded went by sendfile, splice or io_uring:
 * say how many bytes went unseen, and where. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(on_sock_send_length, struct sock *sk, int ret, int flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pending p = {};

	if (ret <= 0 || sk->__sk_common.skc_family != AF_UNIX ||
	    (sends_snapped && just_decoded(sk, ret)) || !undecoded_send(sk, pid_tgid, &p))
		return 0;
	emit_event(&p, UC_EV_UNSEEN, pid_tgid, (__u32)ret, NULL);
	return 0;
}

/* What the syscall did, read from the slot its sys_enter filled — in place: a copy would not
 * fit the 512 bytes of stack older verifiers allow sys_exit and its callbacks together. */
static __always_inline void syscall_done(struct pending *p, long ret, __u64 pid_tgid)
{
	if ((p->nr == NR_sendmmsg || p->nr == NR_recvmmsg) && ret > 0) {
		struct mmsg_walk w = { .p = p,
				       .pid_tgid = pid_tgid,
				       .n = (__u32)ret,
				       .reading = p->nr == NR_recvmmsg };

		bpf_loop(MAX_MMSG, one_mmsg, &w, 0);
	} else if (is_send(p->nr) && ret > 0)
		emit_send(p, (__u32)ret, pid_tgid);
	else if (is_recv(p->nr) && ret > 0 && !reads_our_output(p))
		emit_read(p, pid_tgid, (__u32)ret);
	else if (is_recv(p->nr) && ret == 0 && p->sock_type != SOCK_DGRAM &&
		 !((p->nr == NR_read || p->nr == NR_recvfrom) && p->args[2] == 0))
		emit_event(p, UC_EV_EOF, pid_tgid, 0, NULL);
	else if (p->nr == NR_shutdown && ret == 0 &&
		 (p->args[1] == SHUT_WR || p->args[1] == SHUT_RDWR))
		emit_event(p, UC_EV_SHUTDOWN, pid_tgid, 0, NULL);
	else if (p->nr == NR_close && ret == 0)
		emit_event(p, UC_EV_CLOSE, pid_tgid, 0, NULL);
	else if (p->nr == NR_connect && ret == 0 && p->sock_type != SOCK_DGRAM)
		emit_event(p, UC_EV_CONNECT, pid_tgid, 0, NULL);
	else if ((p->nr == NR_accept || p->nr == NR_accept4) && ret >= 0 &&
		 adopt_socket(p, (__u32)ret))
		emit_event(p, UC_EV_ACCEPT, pid_tgid, 0, NULL);
	else if (p->nr == NR_socketpair && ret == 0 && p->sock_type != SOCK_DGRAM &&
		 adopt_pair(p, pid_tgid))
		emit_event(p, UC_EV_CONNECT, pid_tgid, 0, NULL);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__u32 nr = syscall_nr(regs);
	struct pending *found;
	__u64 *sends = NULL;

	if (!is_send(nr) && !is_recv(nr) && !is_lifecycle(nr) && nr != NR_recvmmsg)
		return 0; /* nothing was stashed: no map lookup for the syscalls of no interest */
	found = stashed();
	if (!found)
		return 0;
	if (found->skipped) {
		found->skipped = 0;
		found->nr = NO_SYSCALL;
		return 0;
	}
	if (found->in_flight)
		sends = bpf_map_lookup_elem(&sends_in_flight, &found->own_ino);
	if (found->nr == NR_close && ret != 0)
		bpf_map_delete_elem(&closing, &tid);
	if (sends && found->nr == nr)
		check_overlap(found, sends);
	if (found->nr == nr) /* else a stale entry: this thread's earlier sys_exit was skipped */
		syscall_done(found, ret, pid_tgid);
	if (sends)
		__sync_fetch_and_add(sends, -1); /* after the send's records */
	found->in_flight = 0;
	found->nr = NO_SYSCALL;
	return 0;
}
