// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The floor of a syscall-tracepoint design: EMPTY programs on tp_btf/sys_enter and sys_exit. Once
 * any BPF program is attached there, every syscall of the machine takes the traced entry/exit path
 * and runs it; what the pump loses with these attached is what unixcap cannot avoid on a kernel
 * without kprobes/fentry, however little its own programs do.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int floor_exit(void *ctx)
{
	return 0;
}
