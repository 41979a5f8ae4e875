/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What differs between architectures: syscall numbers and registers, 32-bit tasks, pages. */
#ifndef UNIXCAP_HOOKS_ARCH_H
#define UNIXCAP_HOOKS_ARCH_H

/* Only x86-64 so far. Another architecture adds a block defining the same names: its syscall
 * numbers, the registers syscall_nr() and syscall_arg() read, task_is_compat(), current_syscall(),
 * USER_HZ and its page math. */
#if defined(__TARGET_ARCH_x86)

/* x86_64 syscall numbers */
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_readv 19
#define NR_writev 20
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_connect 42
#define NR_accept 43
#define NR_shutdown 48
#define NR_socketpair 53
#define NR_accept4 288
#define NR_recvmmsg 299
#define NR_sendmmsg 307
#define NR_preadv2 327
#define NR_pwritev2 328

#define TS_COMPAT 0x0002 /* thread_info.status: the task is in a 32-bit syscall */

/* A task in a 32-bit syscall uses another table of numbers. */
static __always_inline bool task_is_compat(struct task_struct *task)
{
	return task->thread_info.status & TS_COMPAT;
}

/* The number of the syscall a sys_exit is for. */
static __always_inline __u32 syscall_nr(const struct pt_regs *regs)
{
	return (__u32)regs->orig_ax;
}

/* Argument i (0 to 5) of a syscall at sys_enter, read with plain loads (regs is a BTF pointer).
 * The fourth is in r10: rcx holds the return address of the syscall instruction. */
static __always_inline __u64 syscall_arg(const struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

/* The syscall the current thread is in (sendfile, splice, io_uring_enter, sendmmsg, ...). */
static __always_inline __u16 current_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return (__u16)BPF_CORE_READ(regs, orig_ax);
}

#define NSEC_PER_USER_HZ 10000000ULL /* /proc/PID/stat's start time: USER_HZ is 100 on x86_64 */

/* The kernel address of a page (page_address() on x86_64's direct map): vmemmap_base and
 * page_offset_base move with KASLR; both are kallsyms data symbols (CONFIG_KALLSYMS_ALL).
 * Weak: where they are missing, pages cannot be read and their bytes are reported unseen. */
extern const void vmemmap_base __ksym __weak;
extern const void page_offset_base __ksym __weak;
#define PAGE_SHIFT 12

static __always_inline bool page_math_known(void)
{
	return &vmemmap_base && &page_offset_base;
}

static __always_inline __u64 page_kaddr(struct page *page)
{
	__u64 vmemmap = 0, direct = 0, size = bpf_core_type_size(struct page);

	if (!page_math_known() || !size ||
	    bpf_probe_read_kernel(&vmemmap, sizeof(vmemmap), &vmemmap_base) ||
	    bpf_probe_read_kernel(&direct, sizeof(direct), &page_offset_base))
		return 0;
	return direct + (((__u64)page - vmemmap) / size << PAGE_SHIFT);
}

#else
#error "src/hooks/arch.h: no syscall numbers and registers for this architecture"
#endif

#endif
