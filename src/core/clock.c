/* SPDX-License-Identifier: BSD-2-Clause */
/* Time in nanoseconds: uc_now_ns (public, wall clock) and any other clock the same way. */
#include "core/clock.h"

#include "unixcap.h"

uint64_t uc_clock_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

uint64_t uc_now_ns(void)
{
	return uc_clock_ns(CLOCK_REALTIME);
}
