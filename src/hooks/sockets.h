/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* From fd to file, socket and sock: inodes, peers, and the names sockets are bound to. */
#ifndef UNIXCAP_HOOKS_SOCKETS_H
#define UNIXCAP_HOOKS_SOCKETS_H

#define AF_UNIX 1
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* task is the current task as a BTF pointer: its fd table is read with plain loads. The slot
 * fds[fd] has a variable index, which a load through a BTF pointer may not have: with
 * bpf_rdonly_cast it is read as a struct kiocb, whose first member is a struct file * (ki_filp;
 * CO-RE checks it is first), else with a probe read. */
static __always_inline struct file *fd_file(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = task->files ? task->files->fdt : NULL;
	struct file **fds;
	struct file *file = NULL;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (fast_loads && bpf_core_field_offset(struct kiocb, ki_filp) == 0)
		return rdonly(struct kiocb, &fds[fd])->ki_filp;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* unix_sock_of with plain loads through read-only BTF pointers. */
static __always_inline struct sock *unix_sock_loaded(struct file *file, __u16 *type, __u64 *ino)
{
	struct file *f = rdonly(struct file, file);
	struct inode *inode = f->f_inode;
	struct socket *sock;
	struct sock *sk;

	if ((inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = rdonly(struct socket, f->private_data);
	sk = sock->sk;
	if (!sk || sk->__sk_common.skc_family != AF_UNIX)
		return NULL;
	*type = sock->type;
	*ino = inode->i_ino;
	return sk;
}

/* The AF_UNIX sock behind fd and its sockfs inode number, or NULL. Each field is read once:
 * this runs for every I/O syscall of the machine on a socket. */
static __always_inline struct sock *unix_sock_of(struct file *file, __u16 *type, __u64 *ino)
{
	struct inode *inode;
	struct socket *sock;
	struct sock *sk;
	__u16 mode;

	if (!file)
		return NULL;
	if (fast_loads)
		return unix_sock_loaded(file, type, ino);
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX)
		return NULL;
	*type = BPF_CORE_READ(sock, type);
	*ino = BPF_CORE_READ(inode, i_ino);
	return sk;
}

static __always_inline struct sock *unix_peer(struct sock *sk)
{
	if (fast_loads)
		return rdonly(struct unix_sock, sk)->peer;
	return BPF_CORE_READ((struct unix_sock *)sk, peer);
}

/* The name a unix socket is bound to, NULL for none. */
static __always_inline struct unix_address *unix_addr(struct sock *sk)
{
	if (fast_loads)
		return rdonly(struct unix_sock, sk)->addr;
	return BPF_CORE_READ((struct unix_sock *)sk, addr);
}

/* The inode a socket had when its last descriptor was closed, for its peer to go on naming it:
 * the kernel forgets it at once (sock_orphan), though the peer may read and close much later.
 * Keyed by the struct sock, which the peer's reference keeps from being reused. */
struct closed_sock {
	__u64 ino;
	__u64 peer; /* its peer then: an entry left by an earlier socket at this address fails */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct closed_sock);
} closed_socks SEC(".maps");

static __always_inline void remember_closed(struct sock *sk, __u64 ino)
{
	struct closed_sock c = { .ino = ino, .peer = (__u64)unix_peer(sk) };

	if (c.peer)
		bpf_map_update_elem(&closed_socks, (__u64 *)&sk, &c, BPF_ANY);
}

/* The inode of sk's peer, also once its owner has closed it. */
static __always_inline __u64 peer_inode(struct sock *sk)
{
	struct sock *peer = unix_peer(sk);
	struct closed_sock *c;
	__u64 ino = sk_inode(peer);

	if (ino || !peer)
		return ino;
	c = bpf_map_lookup_elem(&closed_socks, (__u64 *)&peer);
	return c && c->peer == (__u64)sk ? c->ino : 0;
}

static __always_inline __u32 pid_nr_of(struct pid *pid)
{
	if (fast_loads)
		return rdonly(struct pid, pid)->numbers[0].nr;
	return pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/* Bounds a sun_path length in the very register later passed as a size: a clamp written in C
 * lets clang test a copy, and the verifier then rejects the unbounded original. */
static __always_inline __u64 clamp_path_len(int len)
{
	__u64 n = len > 0 ? (__u64)len : 0;

	asm volatile("if %[n] <= %[max] goto +1; %[n] = %[max]"
		     : [n] "+r"(n)
		     : [max] "i"(UC_PATH_LEN));
	return n;
}

static __always_inline int addr_len(struct unix_address *addr)
{
	return fast_loads ? rdonly(struct unix_address, addr)->len : BPF_CORE_READ(addr, len);
}

static __always_inline __u8 read_addr_path(struct unix_address *addr, char *out)
{
	__u64 len;

	if (!addr)
		return 0;
	len = clamp_path_len(addr_len(addr) - (int)sizeof(__u16));
	if (len && bpf_probe_read_kernel(out, len, &addr->name[0].sun_path))
		return 0;
	return len;
}

/* The destination given to sendto/sendmsg, for unconnected datagram sockets. */
static __always_inline __u8 read_user_dest(const void *uaddr, int namelen, char *out)
{
	__u64 len = clamp_path_len(namelen - (int)sizeof(__u16));

	long n;

	if (!uaddr || !len || bpf_probe_read_user(out, len, uaddr + sizeof(__u16)))
		return 0;
	if (!out[0])
		return len; /* abstract: every byte of the given length is the name */
	/* a filesystem path ends at its NUL, whatever addrlen the caller passed */
	n = bpf_probe_read_user_str(out, UC_PATH_LEN, uaddr + sizeof(__u16));
	return n > 0 ? (__u8)(n - 1) : 0;
}

/* Addresses of a socket being closed, read at sys_enter: by sys_exit it may be freed. */
struct close_names {
	__u8 own_len;
	__u8 peer_len;
	char own[UC_PATH_LEN];
	char peer[UC_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct close_names);
} closing SEC(".maps");

static __always_inline void remember_close_names(struct sock *sk, __u32 tid)
{
	struct unix_address *own = unix_addr(sk);
	struct sock *peer = unix_peer(sk);
	struct close_names names = {};

	names.own_len = read_addr_path(own, names.own);
	if (peer)
		names.peer_len = read_addr_path(unix_addr(peer), names.peer);
	bpf_map_update_elem(&closing, &tid, &names, BPF_ANY);
}

static __always_inline void read_socket_paths(struct uc_rec_message *m, struct sock *sk,
					      struct sock *peer)
{
	m->own_path_len = read_addr_path(unix_addr(sk), m->own_path);
	if (peer)
		m->peer_path_len = read_addr_path(unix_addr(peer), m->peer_path);
}

#endif
