/* SPDX-License-Identifier: BSD-2-Clause */
/* Loads and attaches bench/floor.bpf.c's empty syscall hooks until SIGINT or SIGTERM. */
#include "floor.skel.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct floor_bpf *skel;
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old); /* delivered only inside sigsuspend: none is missed */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: loading the BPF programs failed\n");
		return 1;
	}
	if (floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: attaching the BPF programs failed\n");
		floor_bpf__destroy(skel);
		return 1;
	}
	fprintf(stderr, "floor: listening\n");
	while (!stop)
		sigsuspend(&old);
	floor_bpf__destroy(skel);
	return 0;
}
