/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap -- COMMAND: start COMMAND held before its exec, let it go once the hooks follow it,
 * and say how it ended. */
#ifndef UNIXCAP_COMMAND_H
#define UNIXCAP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct uc_command {
	pid_t pid;
	int release_fd; /* a byte written here lets the child exec; closed unwritten, it exits */
	bool ended;
	int status; /* waitpid's, once ended */
};

/* Forks the child that will run argv: it takes its user (user, or with no user the one who ran
 * sudo when unixcap runs as root through it) at once and waits. stdout_taken: unixcap's stdout
 * carries the capture (-w -), so the command's goes to stderr. 0, or -1 with a line in err. */
int uc_command_start(struct uc_command *c, char **argv, const char *user, bool stdout_taken,
		     char *err, size_t errlen);
/* The hooks follow c->pid: the child execs. */
void uc_command_release(struct uc_command *c);
/* The capture could not start: the child exits without running anything. */
void uc_command_abandon(struct uc_command *c);
/* Collects the child's status if it has ended (waiting for it if wait). */
void uc_command_reap(struct uc_command *c, bool wait);
/* "exited with status 0", "killed by signal 9 (Killed)", "still running (pid 123)". */
void uc_command_describe(const struct uc_command *c, char *out, size_t len);

#endif
