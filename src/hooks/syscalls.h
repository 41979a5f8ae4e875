/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The syscalls the hooks decode, by kind, and the limits and flags they share. */
#ifndef UNIXCAP_HOOKS_SYSCALLS_H
#define UNIXCAP_HOOKS_SYSCALLS_H

#define SHUT_WR 1
#define SHUT_RDWR 2
#define UIO_MAXIOV 1024

static __always_inline bool is_send(__u32 nr)
{
	return nr == NR_write || nr == NR_writev || nr == NR_sendto || nr == NR_sendmsg ||
	       nr == NR_pwritev2 || nr == NR_sendmmsg;
}

static __always_inline bool is_lifecycle(__u32 nr)
{
	return nr == NR_close || nr == NR_shutdown || nr == NR_connect || nr == NR_accept ||
	       nr == NR_accept4 || nr == NR_socketpair;
}

static __always_inline bool is_recv(__u32 nr)
{
	return nr == NR_read || nr == NR_readv || nr == NR_recvfrom || nr == NR_recvmsg ||
	       nr == NR_preadv2;
}

#endif
