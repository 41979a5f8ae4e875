/* SPDX-License-Identifier: BSD-2-Clause */
/* Time in nanoseconds: uc_now_ns (public, wall clock) and any other clock the same way. */
#ifndef UNIXCAP_CLOCK_H
#define UNIXCAP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock_gettime(clock) in nanoseconds. */
uint64_t uc_clock_ns(clockid_t clock);

#endif
