/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* SCM_RIGHTS and SCM_CREDENTIALS of a send: the descriptors passed and what they are. */
#ifndef UNIXCAP_HOOKS_ANCILLARY_H
#define UNIXCAP_HOOKS_ANCILLARY_H

#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define MAX_CMSGS 4

struct cmsg_head {
	__u64 len;
	__s32 level;
	__s32 type;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uc_rec_ancillary);
} anc_scratch SEC(".maps");

/* Never written: a record this large is cleared by copying zeros, not by memset. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uc_rec_ancillary);
} anc_zero SEC(".maps");

/* A path from the leaf up, crossing mount points, as far as UC_FD_DEPTH components go:
 * bpf_d_path is not allowed in tp_btf programs. */
static __always_inline void walk_path(struct file *file, struct uc_fd_info *info)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry), *parent;
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt), *up;

	for (int k = 0; k < UC_FD_DEPTH; k++) {
		if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
			up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt)
				return;
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d && k > 0)
			return;
		/* a pseudo file (memfd, eventfd, pipe) is its own parent: its name is all there is */
		bpf_probe_read_kernel_str(info->names[k], UC_FD_NAME,
					  BPF_CORE_READ(d, d_name.name));
		if (parent == d) {
			info->depth = 1;
			return;
		}
		info->depth = k + 1;
		d = parent;
	}
	info->truncated = d != BPF_CORE_READ(d, d_parent);
}

static __always_inline void describe_file(struct file *file, struct uc_fd_info *info)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct socket *sock;
	struct sock *sk;

	info->mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	info->ino = BPF_CORE_READ(inode, i_ino);
	if (info->mode != S_IFSOCK) {
		walk_path(file, info);
		return;
	}
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	info->sock_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (info->sock_family == AF_UNIX)
		info->unix_path_len = read_addr_path(BPF_CORE_READ((struct unix_sock *)sk, addr),
						     info->unix_path);
}

struct fd_walk {
	__u64 ufds; /* the int array in the user's control message */
	__u32 n;
};

static long describe_fd(__u64 i, struct fd_walk *w)
{
	__u32 zero = 0;
	struct uc_rec_ancillary *a = bpf_map_lookup_elem(&anc_scratch, &zero);
	struct uc_fd_info *info;
	struct file *file;
	int fd;

	if (!a || i >= UC_MAX_FDS || i >= w->n)
		return 1;
	info = &a->fds[i];
	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(w->ufds + i * sizeof(int))))
		return 1;
	info->fd = fd;
	file = fd_file(bpf_get_current_task_btf(), (__u32)fd);
	if (file)
		describe_file(file, info);
	return 0;
}

/* SCM_RIGHTS and SCM_CREDENTIALS of a sendmsg, described while the sender's fds still exist. */
static __always_inline void emit_ancillary(__u64 msg_id, __u32 cpu, const struct control *ctl)
{
	__u32 zero = 0;
	struct uc_rec_ancillary *a = bpf_map_lookup_elem(&anc_scratch, &zero);
	struct uc_rec_ancillary *zeros = bpf_map_lookup_elem(&anc_zero, &zero);
	struct cmsg_head h;
	__u64 off = 0;

	if (!a || !zeros || bpf_probe_read_kernel(a, sizeof(*a), zeros))
		return;
	for (int c = 0; c < MAX_CMSGS && off + sizeof(h) <= ctl->len; c++) {
		if (bpf_probe_read_user(&h, sizeof(h), (void *)(ctl->ptr + off)) ||
		    h.len < sizeof(h))
			break;
		if (h.level == SOL_SOCKET && h.type == SCM_RIGHTS) {
			struct fd_walk w = { ctl->ptr + off + sizeof(h),
					     (__u32)((h.len - sizeof(h)) / 4) };

			a->nfds = w.n;
			bpf_loop(UC_MAX_FDS, describe_fd, &w, 0);
		} else if (h.level == SOL_SOCKET && h.type == SCM_CREDENTIALS) {
			a->has_creds = !bpf_probe_read_user(&a->cred_pid, 3 * sizeof(__u32),
							    (void *)(ctl->ptr + off + sizeof(h)));
		}
		off += (h.len + 7) & ~7ULL; /* CMSG_ALIGN */
	}
	if (!a->nfds && !a->has_creds)
		return;
	a->head.kind = UC_REC_ANCILLARY;
	a->head.cpu = cpu;
	a->head.msg_id = msg_id;
	bpf_ringbuf_output(&ring, a, sizeof(*a), ring_flags());
}

#endif
