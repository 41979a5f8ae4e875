/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap -- COMMAND: the child is forked first, so that its pid can be followed by the kernel
 * before it runs a single instruction of COMMAND; it execs only when the hooks are attached. */
#include "cli/command.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unixcap.h"
#include "cli/privileges.h"
#include "core/error.h"

/* Through sudo, COMMAND runs as the user who typed it, as the files of -Z do. */
static const char *sudo_user(void)
{
	const char *name = getenv("SUDO_USER"), *uid = getenv("SUDO_UID");
	struct passwd *pw;

	if (getuid() != 0 || !name || !uid || !(pw = getpwnam(name)))
		return NULL;
	return (unsigned long)pw->pw_uid == strtoul(uid, NULL, 10) && pw->pw_uid != 0 ? name : NULL;
}

/* The environment of the user COMMAND now runs as. */
static void set_user_environment(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		return;
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
}

/* In the child: never returns. */
static void run_child(char **argv, const char *user, bool stdout_taken, int wait_fd)
{
	char err[UC_ERROR_LEN], go;
	sigset_t none;

	signal(SIGPIPE, SIG_DFL); /* unixcap ignores it; an ignored signal survives exec */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (user && uc_drop_privileges(user, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap: %s\n", err);
		_exit(127);
	}
	if (user)
		set_user_environment(user);
	if (stdout_taken && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	if (read(wait_fd, &go, 1) != 1) /* unixcap did not start: run nothing */
		_exit(127);
	close(wait_fd);
	execvp(argv[0], argv);
	fprintf(stderr, "unixcap: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int uc_command_start(struct uc_command *c, char **argv, const char *user, bool stdout_taken,
		     char *err, size_t errlen)
{
	int fds[2];

	memset(c, 0, sizeof(*c));
	c->release_fd = -1;
	if (!user)
		user = sudo_user();
	if (pipe2(fds, O_CLOEXEC) < 0)
		return uc_error(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
	fflush(NULL); /* nothing buffered is written twice */
	c->pid = fork();
	if (c->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return uc_error(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
	}
	if (c->pid == 0) {
		close(fds[1]);
		run_child(argv, user, stdout_taken, fds[0]);
	}
	close(fds[0]);
	c->release_fd = fds[1];
	return 0;
}

void uc_command_release(struct uc_command *c)
{
	char go = 1;

	if (write(c->release_fd, &go, 1) != 1)
		perror("unixcap: releasing the command");
	close(c->release_fd);
	c->release_fd = -1;
}

void uc_command_abandon(struct uc_command *c)
{
	if (c->release_fd < 0) /* released: it runs on its own */
		return;
	close(c->release_fd);
	c->release_fd = -1;
	uc_command_reap(c, true);
}

void uc_command_reap(struct uc_command *c, bool wait)
{
	pid_t got;

	if (c->ended || c->pid <= 0)
		return;
	do
		got = waitpid(c->pid, &c->status, wait ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	c->ended = got == c->pid;
}

void uc_command_describe(const struct uc_command *c, char *out, size_t len)
{
	if (!c->ended)
		snprintf(out, len, "still running (pid %d)", (int)c->pid);
	else if (WIFEXITED(c->status))
		snprintf(out, len, "exited with status %d", WEXITSTATUS(c->status));
	else
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(c->status),
			 strsignal(WTERMSIG(c->status)));
}
