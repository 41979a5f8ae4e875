/* SPDX-License-Identifier: BSD-2-Clause */
/* How every unixcap command is told to stop: SIGINT, SIGTERM or SIGHUP set a flag it polls. */
#include "cli/signals.h"

volatile sig_atomic_t uc_stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	uc_stop_requested = 1;
}

/* Handlers are set even when a script started us in the background, where SIGINT is ignored. */
static void set_stop_handlers(int flags)
{
	struct sigaction sa = { .sa_handler = request_stop, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void uc_stop_on_signals(void)
{
	set_stop_handlers(0);
}

/* stdio cannot resume a write that failed with EINTR: the dump would end in an error. */
void uc_stop_on_signals_after_writes(void)
{
	set_stop_handlers(SA_RESTART);
}
