/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Kernel-version shims: fields and values that changed between the kernels the hooks load on. */
#ifndef UNIXCAP_HOOKS_KERNEL_COMPAT_H
#define UNIXCAP_HOOKS_KERNEL_COMPAT_H

/* bpf_rdonly_cast turns a kernel pointer into a read-only BTF pointer whose fields are read with
 * plain loads (faulting loads give 0) instead of a bpf_probe_read_kernel call each; it came with
 * Linux 6.2 (commit a35b9af4ec2c "bpf: Add a kfunc for generic type cast"). Weak, so the object
 * loads without it: user space sets fast_loads only when the kernel's BTF has it, and the calls
 * stay in branches the verifier drops as dead when fast_loads is 0. */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;

#define rdonly(type, ptr) ((type *)bpf_rdonly_cast((void *)(ptr), bpf_core_type_id_kernel(type)))

/* struct file counts its references in f_ref (a file_ref_t, 0 for one reference) since Linux 6.13
 * (commit 90ee6ed776c0 "fs: port files to file_ref"), in f_count (1 for one) before. */
struct file___old {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

static __always_inline bool is_last_reference(struct file *file)
{
	if (bpf_core_field_exists(file->f_ref))
		return BPF_CORE_READ(file, f_ref.refcnt.counter) == 0; /* FILE_REF_ONEREF */
	return BPF_CORE_READ((struct file___old *)file, f_count.counter) == 1;
}

/* iov_iter's array of user iovecs is __iov since Linux 6.4 (commit "iov_iter: add iter_iov()
 * helper and use it"), iov before. */
struct iov_iter___old {
	const struct iovec *iov;
} __attribute__((preserve_access_index));

static __always_inline __u64 iter_iovec(struct iov_iter *it)
{
	return bpf_core_field_exists(it->__iov) ?
		       (__u64)BPF_CORE_READ(it, __iov) :
		       (__u64)BPF_CORE_READ((struct iov_iter___old *)it, iov);
}

/* ITER_UBUF (one user buffer) exists since Linux 6.0 (commit "new iov_iter flavour -
 * ITER_UBUF"). The values of enum iter_type differ between kernels: CO-RE gives this kernel's. */
static __always_inline bool iter_is_ubuf(__u8 type)
{
	return bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	       type == bpf_core_enum_value(enum iter_type, ITER_UBUF);
}

/* A sock's inode number: struct sock keeps it in sk_ino since Linux 6.17 (commit 5d6b58c932ec
 * "net: lockless sock_i_ino()", also in 6.16.y); before, only its struct socket has it. */
static __always_inline __u64 sk_inode(struct sock *sk)
{
	struct socket_alloc *a;
	struct socket *sock;

	if (!sk)
		return 0;
	if (bpf_core_field_exists(sk->sk_ino))
		return fast_loads ? rdonly(struct sock, sk)->sk_ino : BPF_CORE_READ(sk, sk_ino);
	sock = fast_loads ? rdonly(struct sock, sk)->sk_socket : BPF_CORE_READ(sk, sk_socket);
	if (!sock)
		return 0; /* orphaned: its owner has closed it */
	a = container_of(sock, struct socket_alloc, socket);
	return fast_loads ? rdonly(struct socket_alloc, a)->vfs_inode.i_ino :
			    BPF_CORE_READ(a, vfs_inode.i_ino);
}

#endif
