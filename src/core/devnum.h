/* SPDX-License-Identifier: BSD-2-Clause */
/* Device numbers in the kernel's own encoding, as BPF reads s_dev and unix_diag reports it. */
#ifndef UNIXCAP_DEVNUM_H
#define UNIXCAP_DEVNUM_H

#include <stdint.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

/* A stat(2) st_dev as the kernel holds it: major << 20 | minor, the minor in 20 bits (glibc's
 * dev_t spreads minors of 256 and up over two fields). */
static inline uint32_t uc_kernel_dev(dev_t dev)
{
	return (uint32_t)(major(dev) << 20 | (minor(dev) & 0xfffff));
}

#endif
