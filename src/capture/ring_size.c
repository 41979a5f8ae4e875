/* SPDX-License-Identifier: BSD-2-Clause */
/* The ring a capture gets when -B is not given, scaled to the machine's memory. */
#include "unixcap.h"

#include <stdio.h>

#define MIN_DEFAULT_KIB (64u * 1024)   /* what every machine gets at least */
#define MAX_DEFAULT_KIB (1024u * 1024) /* 1 GiB: a second of a 1 GB/s burst */

/* 1/32 of MemTotal, a power of two within the bounds. The ring absorbs what the consumer cannot
 * store at once: measured on 2 CPUs with 24 GiB, a 2 GiB burst of 64 KiB writes lost 35 % of its
 * messages with a 64 MiB ring and none with 512 MiB. Its pages are the kernel's and are all
 * allocated when the capture starts (about 1.5 ms per MiB there). */
uint32_t uc_default_ring_kib(void)
{
	unsigned long long total_kib = 0;
	uint32_t kib = MIN_DEFAULT_KIB;
	FILE *f = fopen("/proc/meminfo", "re");

	if (f) {
		if (fscanf(f, "MemTotal: %llu kB", &total_kib) != 1)
			total_kib = 0;
		fclose(f);
	}
	while (kib < MAX_DEFAULT_KIB && (unsigned long long)kib * 2 <= total_kib / 32)
		kib *= 2;
	return kib;
}
