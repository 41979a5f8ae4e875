/* SPDX-License-Identifier: BSD-2-Clause */
/* How every unixcap command is told to stop: SIGINT, SIGTERM or SIGHUP set a flag it polls. */
#ifndef UNIXCAP_SIGNALS_H
#define UNIXCAP_SIGNALS_H

#include <signal.h>

/* Set by the signals below, or by the command itself (-c reached, an output error). */
extern volatile sig_atomic_t uc_stop_requested;

/* SIGINT, SIGTERM and SIGHUP set uc_stop_requested; SIGPIPE is ignored, so that a reader that
 * went away shows up as EPIPE on the next write and ends the command cleanly. */
void uc_stop_on_signals(void);
/* The same, but a write in progress (to a slow reader of the dump) finishes first; epoll and
 * poll waits still end at once (the kernel never restarts them). For the live capture. */
void uc_stop_on_signals_after_writes(void);

#endif
