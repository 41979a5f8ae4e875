/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What is reported: --pid, --comm, --type, --inode, --cgroup and --path; never a capture's own. */
#ifndef UNIXCAP_HOOKS_FILTERS_H
#define UNIXCAP_HOOKS_FILTERS_H

/* --cgroup: the process doing the I/O must be in this cgroup or below it. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Unix sockets unixcap itself writes to (its output may be one): reads of what it wrote are not
 * reported either, or a dump sent over a unix socket would feed on itself. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} self_socks SEC(".maps");

/* Whether any socket has been entered in self_socks: until then no read need look. */
__u32 self_socks_used;

/* Every other unixcap capture running (tgid -> its start in /proc's clock ticks, so that a
 * reused pid does not match), entered by user space: none reports another's I/O, or two whose
 * outputs are unix sockets would each capture the other's output, for ever and growing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} uc_captures SEC(".maps");

static __always_inline bool another_capture(__u32 tgid)
{
	__u64 *started = bpf_map_lookup_elem(&uc_captures, &tgid);
	struct task_struct *task;

	if (!started)
		return false;
	task = bpf_get_current_task_btf();
	return *started == task->group_leader->start_boottime / NSEC_PER_USER_HZ;
}

/* --path verdicts of connected stream and seqpacket sockets, whose addresses can no longer
 * change: sys_enter skips a socket known not to match, so excluded traffic costs one lookup.
 * Keyed by sockfs inode, not reused for 2^32 sockets, so an entry outliving its socket is
 * harmless. Values: 1 matches, 2 does not. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} path_verdicts SEC(".maps");

/* comm of the task behind a struct pid (the process that owns the peer end). */
static __always_inline bool pid_comm(struct pid *pid, char comm[UC_COMM_LEN])
{
	struct hlist_node *first;
	struct task_struct *task;

	if (!pid)
		return false;
	first = fast_loads ? rdonly(struct pid, pid)->tasks[PIDTYPE_PID].first :
			     BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
	if (!first)
		return false;
	task = (void *)first - bpf_core_field_offset(struct task_struct, pid_links);
	return bpf_probe_read_kernel_str(comm, UC_COMM_LEN, &task->comm) > 0;
}

static __always_inline bool comm_equal(const char *a)
{
	for (int i = 0; i < UC_COMM_LEN; i++) {
		if (a[i] != comm_filter[i])
			return false;
		if (!a[i])
			break;
	}
	return true;
}

/* --pid (or the processes --children follows) and --comm match either end: this process or
 * the one that owns the peer end. */
static __always_inline bool process_matches(struct sock *sk, __u32 tgid)
{
	struct pid *peer_pid = NULL;
	char comm[UC_COMM_LEN] = {};

	if (n_pids || has_comm || follow_children)
		peer_pid = fast_loads ? rdonly(struct sock, sk)->sk_peer_pid :
					BPF_CORE_READ(sk, sk_peer_pid);
	if (follow_children) {
		if (!is_followed(tgid) && !is_followed(pid_nr_of(peer_pid)))
			return false;
	} else if (n_pids) {
		__u32 peer_tgid = pid_nr_of(peer_pid);
		bool hit = false;

		for (int i = 0; i < UC_MAX_PIDS && i < n_pids; i++)
			if (pids[i] == tgid || pids[i] == peer_tgid)
				hit = true;
		if (!hit)
			return false;
	}
	if (has_comm) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (comm_equal(comm))
			return true;
		return pid_comm(peer_pid, comm) && comm_equal(comm);
	}
	return true;
}

/* --inode matches either end of the connection, unnamed sockets included. */
static __always_inline bool inode_matches(__u64 own_ino, struct sock *sk)
{
	__u64 peer;

	if (!n_inodes)
		return true;
	peer = peer_inode(sk);
	for (int i = 0; i < UC_MAX_INODES && i < n_inodes; i++)
		if (inodes[i] == own_ino || (peer && inodes[i] == peer))
			return true;
	return false;
}

/* --container: the peer socket was made by a process in the container (socket creation sets
 * sk_cgrp_data to the creator's cgroup v2), so a host daemon's replies to it count too. Walks
 * from that cgroup up to the root, at most 16 levels. */
static __always_inline bool peer_in_cgroup(struct sock *sk)
{
	struct sock *peer = unix_peer(sk);
	struct cgroup *cg;

	if (!peer)
		return false;
	cg = BPF_CORE_READ(peer, sk_cgrp_data.cgroup);
	for (int i = 0; i < 16 && cg; i++) {
		if (BPF_CORE_READ(cg, kn, id) == peer_cgroup_id)
			return true;
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	return false;
}

/* --cgroup: the process doing the I/O is in the cgroup or below; --container: or the peer's
 * socket was made there. */
static __always_inline bool cgroup_matches(struct sock *sk)
{
	if (!has_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1)
		return true;
	return peer_cgroup_id && sk && peer_in_cgroup(sk);
}

static __always_inline bool type_matches(__u16 type)
{
	return !type_mask || (type < 32 && (type_mask & (1u << type)));
}

/* A unix socket a capture (this one or another) sends on may be its output. */
static __always_inline int note_output_socket(struct sock *sk, long id)
{
	__u8 one = 1;

	if (sk && is_send(id)) {
		self_socks_used = 1; /* before the entry, as losses_kept */
		bpf_map_update_elem(&self_socks, (__u64 *)&sk, &one, BPF_ANY);
	}
	return 0;
}

static __always_inline int note_self_socket(struct task_struct *task, struct pt_regs *regs, long id)
{
	__u16 type;
	__u64 ino;

	if (!is_send(id))
		return 0;
	return note_output_socket(
		unix_sock_of(fd_file(task, (__u32)syscall_arg(regs, 0)), &type, &ino), id);
}

static __always_inline bool reads_our_output(const struct pending *p)
{
	struct sock *peer;

	if (!self_socks_used)
		return false;
	peer = unix_peer((struct sock *)p->sk);
	return peer && bpf_map_lookup_elem(&self_socks, (__u64 *)&peer);
}

static __always_inline bool known_not_to_match(__u64 own_ino, __u16 type)
{
	__u8 *verdict;

	if ((!n_patterns && !n_path_ids) || type == SOCK_DGRAM /* its peer may change */)
		return false;
	verdict = bpf_map_lookup_elem(&path_verdicts, &own_ino);
	return verdict && *verdict == 2;
}

/* Filesystem paths may carry the terminating NUL in their length; abstract names never. */
static __always_inline __u32 path_strlen(const char *path, __u32 len)
{
	if (len && len <= UC_PATH_LEN && path[0] && path[(len - 1) & 0x7f] == 0)
		return len - 1;
	return len;
}

static __always_inline __u32 mount_ns_of(struct vfsmount *mnt)
{
	struct mount *m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);

	if (fast_loads)
		return rdonly(struct mount, m)->mnt_ns->ns.inum;
	return BPF_CORE_READ(m, mnt_ns, ns.inum);
}

/* The socket file a unix socket is bound to (d NULL for none), and that file's identity. */
static __always_inline void bound_file(struct sock *s, struct dentry **d, struct vfsmount **mnt,
				       __u64 *ino, __u64 *dev)
{
	if (fast_loads) {
		struct unix_sock *u = rdonly(struct unix_sock, s);

		*d = u->path.dentry;
		*mnt = u->path.mnt;
		*ino = (*d)->d_inode->i_ino;
		*dev = (*d)->d_inode->i_sb->s_dev;
		return;
	}
	*d = BPF_CORE_READ((struct unix_sock *)s, path.dentry);
	*mnt = BPF_CORE_READ((struct unix_sock *)s, path.mnt);
	if (*d) {
		*ino = BPF_CORE_READ(*d, d_inode, i_ino);
		*dev = BPF_CORE_READ(*d, d_inode, i_sb, s_dev);
	}
}

/* A socket's name as pattern_hits sees it: a global function's pointer argument has a size. */
struct end_name {
	char path[UC_PATH_LEN];
};

/* Whether a name (len bytes, its NUL not counted) has --path pattern idx's form. Global, not
 * static: the verifier checks a global function once, with its arguments unknown, where it
 * checks a static one at every call with what it has learnt there; each comparison with a
 * pattern's length narrowed len another way, and the states that made took sys_exit and
 * sock_send_length past the verifier's million instructions with eight --path. */
__noinline int pattern_hits(const struct end_name *name, __u32 len, __u32 idx)
{
	const volatile struct uc_pattern *pat;
	__u32 plen, slen;

	if (!name || idx >= UC_MAX_PATTERNS)
		return 0;
	pat = &patterns[idx];
	plen = pat->prefix_len;
	slen = pat->suffix_len;
	if (!pat->has_star ? len != plen : len < plen + slen)
		return 0;
	for (__u32 i = 0; i < UC_PATH_LEN && i < plen; i++)
		if (name->path[i] != pat->prefix[i])
			return 0;
	for (__u32 i = 0; i < UC_PATH_LEN && i < slen; i++) {
		__u64 at = (__u64)len - slen + i; /* wraps far past the end if len < slen */

		/* one register, checked and then used: clang would otherwise compute it again for
		 * the load, and Linux 6.1's verifier does not carry the check over to the copy */
		barrier_var(at);
		if (at >= UC_PATH_LEN)
			return 0;
		if (name->path[at] != pat->suffix[i])
			return 0;
	}
	return 1;
}

/* A name against every --path pattern: 0 (no), 1 (yes) or 2 (only a pattern with several '*'
 * matched, by its prefix and suffix). Global too: inlined, its sixteen results would multiply
 * the states at each place a message is matched. */
__noinline int patterns_match(const struct end_name *name, __u32 len)
{
	int best = 0;

	for (int i = 0; i < UC_MAX_PATTERNS && i < n_patterns; i++)
		if (pattern_hits(name, len, i)) {
			if (!patterns[i].approximate)
				return 1;
			best = 2;
		}
	return best;
}

/* One end against --path: by the identity of its socket file when it has one, by its name
 * only when that name was bound in our mount namespace (or is abstract). Returns 0 (no),
 * 1 (yes) or 2 (only a pattern with several '*' matched, by its prefix and suffix). */
static __always_inline int end_matches(const char *path, __u32 raw_len, struct sock *s,
				       bool name_in_current_ns)
{
	__u32 len = path_strlen(path, raw_len);
	struct dentry *d = NULL;
	struct vfsmount *mnt = NULL;
	__u64 ino = 0, dev = 0;
	__u32 ns;

	if (!len)
		return 0;
	if (s)
		bound_file(s, &d, &mnt, &ino, &dev);
	if (d) {
		for (int i = 0; i < UC_MAX_PATHS_BY_ID && i < n_path_ids; i++)
			if (path_ids[i].ino == ino && path_ids[i].dev == dev)
				return 1;
	}
	if (path[0] && self_mnt_ns) {
		ns = mnt ? mount_ns_of(mnt) : 0;
		if (!ns && name_in_current_ns)
			ns = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), nsproxy,
					   mnt_ns, ns.inum);
		if (ns && ns != self_mnt_ns)
			return 0;
	}
	return n_patterns ? patterns_match((const struct end_name *)path, len) : 0;
}

/* --path against either end: enum uc_path_match. peer is NULL when the peer name is an
 * unconnected send's destination (a name in the sender's namespace) or was saved at close.
 * A connected stream's verdict is kept for sys_enter, which then skips a socket that fails. */
static __always_inline __u8 path_verdict(const char *own_path, __u8 own_len, const char *peer_path,
					 __u8 peer_len, struct sock *sk, struct sock *peer,
					 bool dest, __u16 type, __u64 own_ino)
{
	int own, other;
	__u8 match, verdict;

	if (!n_patterns && !n_path_ids)
		return UC_PATH_MATCHED;
	own = end_matches(own_path, own_len, sk, false);
	other = own == 1 ? 1 : end_matches(peer_path, peer_len, peer, dest);
	match = own == 1 || other == 1 ? UC_PATH_MATCHED : (own | other);
	if (sk && peer && !dest && type != SOCK_DGRAM && own_ino) {
		verdict = match ? 1 : 2;
		bpf_map_update_elem(&path_verdicts, &own_ino, &verdict, BPF_ANY);
	}
	return match;
}

/* path_verdict for a message record, kept in m->path_match. */
static __always_inline bool path_matches(struct uc_rec_message *m, struct sock *sk,
					 struct sock *peer, bool dest)
{
	m->path_match = path_verdict(m->own_path, m->own_path_len, m->peer_path, m->peer_path_len,
				     sk, peer, dest, m->sock_type, m->own_ino);
	return m->path_match != UC_PATH_NOT_MATCHED;
}

#endif
