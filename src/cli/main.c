/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap: parse options, open the output, capture (or read a file back) until told to stop, summarise. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unixcap.h"
#include "capture/container_select.h"
#include "cli/command.h"
#include "cli/extcap.h"
#include "cli/list_cmd.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "cli/output.h"
#include "cli/privileges.h"
#include "cli/progress.h"
#include "cli/proxy_cmd.h"
#include "cli/top_cmd.h"
#include "readback/replay.h"

struct run {
	struct uc_cli cli;
	struct uc_output out;
	struct uc_progress progress;
	uint64_t delivered;
	struct uc_command command; /* -- COMMAND */
};

static int on_message(const struct uc_message *m, void *ctx)
{
	struct run *r = ctx;

	if (uc_output_write(&r->out, m) != 0) { /* an error, or the last -W file is done */
		uc_stop_requested = 1;
		return 1;
	}
	if (m->event == UC_MSG_DATA && ++r->delivered == r->cli.count) {
		uc_stop_requested = 1;
		return 1;
	}
	return 0;
}

/* A word of COMMAND as a shell would take it back, on one line: quoted when it holds more
 * than letters, digits and _./:=@%+,-; a control character shown as '?'. */
static size_t append_word(char *out, size_t len, size_t used, const char *word, const char *sep)
{
	bool plain = word[0] && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_./:=@%+,-") == strlen(word);

	used += (size_t)snprintf(out + used, len - used, "%s%s", sep, plain ? word : "'");
	for (const char *c = word; !plain && *c && used + 5 < len; c++)
		used += (size_t)snprintf(out + used, len - used, "%s",
					 *c == '\''              ? "'\\''" :
					 (unsigned char)*c < ' ' ? "?" :
								   (char[]){ *c, 0 });
	if (!plain && used + 1 < len)
		used += (size_t)snprintf(out + used, len - used, "'");
	return used;
}

static void describe_filter(const struct uc_cli *cli, char *out, size_t len)
{
	const struct uc_filter *f = &cli->capture.filter;
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < f->n_paths && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, " --path %s", f->paths[i]);
	for (unsigned i = 0; i < f->n_pids && used < len && !cli->command; i++)
		used += (size_t)snprintf(out + used, len - used, " --pid %u", f->pids[i]);
	if (f->children && used < len && !cli->command)
		used += (size_t)snprintf(out + used, len - used, " --children");
	if (f->comm && used < len)
		used += (size_t)snprintf(out + used, len - used, " --comm %s", f->comm);
	for (unsigned i = 0; i < f->n_inodes && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, " --inode %llu",
					 (unsigned long long)f->inodes[i]);
	if (cli->container && used < len)
		used += (size_t)snprintf(out + used, len - used, " --container %s",
					 cli->container_label);
	else if (f->cgroup && used < len)
		used += (size_t)snprintf(out + used, len - used, " --cgroup %s", f->cgroup);
	for (unsigned t = 1; t < 8 && used < len; t++)
		if (f->type_mask & (1u << t))
			used += (size_t)snprintf(out + used, len - used, " --type %s",
						 uc_sock_type_name(t));
	for (char **word = cli->command; word && *word && used < len; word++)
		used = append_word(out, len, used, *word, word == cli->command ? " -- " : " ");
}

/* The pcapng interface's description: host and filter. */
static void describe_capture(const char *filter, char *out, size_t len)
{
	char host[256] = "localhost";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "AF_UNIX sockets on %s%s%s", host, filter[0] ? ", filter:" : "", filter);
}

static int capture(struct run *r, struct uc_session *s)
{
	struct uc_stats st;

	while (!uc_stop_requested) {
		if (r->cli.capture.filter.children && !uc_session_followed_alive(s))
			break; /* the last followed process has exited */
		if (uc_session_poll(s, 50, on_message, r) < 0) {
			fprintf(stderr, "unixcap: reading the ring buffer failed: %s\n",
				strerror(errno));
			return -1;
		}
		uc_session_stats(
			s, &st); /* taken_ns: one clock read serves the file and the counter */
		if (uc_output_tick(&r->out, st.taken_ns) != 0)
			uc_stop_requested = 1;
		uc_progress_update(&r->progress, &st, st.taken_ns);
	}
	if (uc_session_stop(s, on_message, r) < 0) {
		fprintf(stderr, "unixcap: draining the ring buffer failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The capture ended with the last process it followed, or earlier (a signal, -c, an error):
 * then COMMAND may still run, and is not waited for. */
static void say_how_command_ended(struct run *r, const struct uc_session *s)
{
	bool gone = !uc_session_followed_alive(s);
	char how[64];

	/* a Ctrl-C reaches COMMAND too: a moment for it to end, rather than "still running" */
	for (int i = 0; i < 20 && !r->command.ended && !gone; i++, usleep(10000))
		uc_command_reap(&r->command, false);
	uc_command_reap(&r->command, gone);
	uc_command_describe(&r->command, how, sizeof(how));
	fprintf(stderr, "%s %s\n", r->cli.command[0], how);
}

/* Closes the output (statistics block, flush) and says what was captured and lost. */
static int finish(struct run *r, struct uc_session *s)
{
	struct uc_stats st;
	int ret;

	uc_session_stats(s, &st);
	uc_progress_end(&r->progress, &st);
	ret = uc_output_close(&r->out, &st);
	if (!r->cli.extcap) /* Wireshark shows an extcap's stderr as an error */
		fprintf(stderr, "%llu messages captured, %llu lost\n",
			(unsigned long long)st.messages, (unsigned long long)st.lost_msgs);
	if (r->cli.command)
		say_how_command_ended(r, s);
	if (!r->cli.extcap && st.lost_msgs)
		fprintf(stderr,
			"of the %llu lost, %llu kept their record (sender, length, time; bytes "
			"lost) and %llu were not recorded at all\n",
			(unsigned long long)st.lost_msgs,
			(unsigned long long)(st.lost_msgs - st.unrecorded),
			(unsigned long long)st.unrecorded);
	if (r->cli.verbose)
		fprintf(stderr, "%llu bytes sent, %llu stored, %llu lost, %llu left out by -s\n",
			(unsigned long long)st.bytes, (unsigned long long)st.stored,
			(unsigned long long)st.lost_bytes, (unsigned long long)st.truncated);
	if (r->cli.verbose && (st.ring_full || st.unreadable))
		fprintf(stderr,
			"kernel: %llu times the ring buffer had no room (bytes withheld or a record "
			"dropped), %llu user buffers unreadable\n",
			(unsigned long long)st.ring_full, (unsigned long long)st.unreadable);
	if (st.unread)
		fprintf(stderr,
			"unixcap: stopped with %llu messages not yet written: counted as lost\n",
			(unsigned long long)st.unread);
	if (st.unfollowed)
		fprintf(stderr,
			"unixcap: %llu processes started by followed ones could not be followed (a "
			"table of %u was full): their I/O is missing\n",
			(unsigned long long)st.unfollowed, UC_MAX_FOLLOWED_PROCESSES);
	if (st.hook_misses)
		fprintf(stderr,
			"unixcap: the kernel skipped our hooks %llu times (a hook was already "
			"running on that CPU): messages sent then are missing\n",
			(unsigned long long)st.hook_misses);
	return ret;
}

/* -r: the file's messages through the same outputs as a live capture. */
static int read_back(struct run *r, const char *description)
{
	FILE *in = stdin;
	struct uc_replay_stats st;
	struct uc_process_table *processes = NULL; /* -w carries the file's process blocks over */
	char err[UC_ERROR_LEN];
	int ret;

	if (strcmp(r->cli.read_path, "-") != 0 && !(in = fopen(r->cli.read_path, "re"))) {
		fprintf(stderr, "unixcap: cannot read '%s': %s\n", r->cli.read_path,
			strerror(errno));
		return 1;
	}
	if ((r->cli.write_path && !(processes = uc_process_table_new())) ||
	    uc_output_open(&r->out, &r->cli, description, processes) < 0) {
		if (!processes && r->cli.write_path)
			fprintf(stderr, "unixcap: out of memory\n");
		uc_process_table_free(processes);
		if (in != stdin)
			fclose(in);
		return 1;
	}
	ret = uc_output_start(&r->out); /* 1: the reader of -w - has gone already */
	if (ret == 0 && (ret = uc_replay_keeping_processes(in, &uc_stop_requested,
							   &r->cli.capture.filter, on_message, r,
							   processes, &st, err, sizeof(err))) < 0)
		fprintf(stderr, "unixcap: %s: %s\n", r->cli.read_path, err);
	if (in != stdin)
		fclose(in);
	if (uc_output_close(&r->out, NULL) < 0)
		ret = -1;
	uc_process_table_free(processes);
	return ret < 0 ? 1 : 0;
}

/* The command line, or Wireshark's extcap call (src/cli/extcap.c). Returns -1 when there is
 * something to capture, else the exit status. */
static int parse_command_line(int argc, char **argv, struct uc_cli *cli)
{
	char err[UC_ERROR_LEN];
	int status;

	if (uc_extcap_call(argc, argv)) {
		status = uc_extcap_handle(argc, argv, cli, stdout, stderr);
		return status == UC_EXTCAP_CAPTURE ? -1 : status;
	}
	if (uc_cli_parse(argc, argv, cli, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap: %s\n", err);
		return 2;
	}
	if (cli->help || cli->version) {
		cli->help ? uc_cli_usage(stdout) : (void)puts("unixcap " UNIXCAP_VERSION);
		return 0;
	}
	return -1;
}

/* unixcap list|top|proxy ...: programs of their own on the library. -1 when argv[1] names none. */
static int run_subcommand(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*main)(int argc, char **argv);
	} subcommands[] = {
		{ "list", uc_list_main },
		{ "top", uc_top_main },
		{ "proxy", uc_proxy_main },
	};

	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].main(argc - 1, argv + 1);
	return -1;
}

/* A descriptor 0-2 that was closed (unixcap 2>&-) would be the next one opened: the capture
 * file, with "listening" then written into it. /dev/null takes each such place first. */
static int keep_standard_fds_taken(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	return 0;
}

/* The hooks are attached: -Z leaves root, then the -w file may be emptied (a start that
 * failed before leaves it as it was). -1 after one line on stderr. */
static int start_output(struct run *r)
{
	char err[UC_ERROR_LEN];
	int ret;

	if (r->cli.drop_user && uc_drop_privileges(r->cli.drop_user, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap: %s\n", err);
		return -1;
	}
	ret = uc_output_start(&r->out);
	if (ret > 0) /* the reader of -w - has gone already: a capture of nothing, exit 0 */
		uc_stop_requested = 1;
	return ret < 0 ? -1 : 0;
}

/* --container: its cgroup, found now, is what the kernel filters by. */
static int select_container(struct uc_cli *cli)
{
	char err[UC_ERROR_LEN];

	if (uc_container_select(cli->container, cli->container_dir, sizeof(cli->container_dir),
				cli->container_label, sizeof(cli->container_label), err,
				sizeof(err)) < 0) {
		fprintf(stderr, "unixcap: %s\n", err);
		return -1;
	}
	cli->capture.filter.cgroup = cli->container_dir;
	cli->capture.filter.cgroup_either_end = true;
	return 0;
}

/* -- COMMAND: forked now, held before its exec, and followed from its pid on. */
static int start_command(struct run *r)
{
	char err[UC_ERROR_LEN];
	struct uc_filter *f = &r->cli.capture.filter;
	bool stdout_taken = r->cli.write_path && !strcmp(r->cli.write_path, "-");

	if (uc_command_start(&r->command, r->cli.command, r->cli.drop_user, stdout_taken, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "unixcap: %s\n", err);
		return -1;
	}
	f->pids[0] = (uint32_t)r->command.pid;
	f->n_pids = 1;
	f->children = true;
	return 0;
}

static void announce(const struct run *r, const struct uc_session *s, const char *filter)
{
	if (r->cli.verbose)
		fprintf(stderr, "unixcap: %s\n", uc_session_hooks(s));
	if (!r->cli.extcap && uc_session_narrowing(s)[0])
		fprintf(stderr, "unixcap: %s\n", uc_session_narrowing(s));
	if (!r->cli.extcap)
		fprintf(stderr, "unixcap: listening on AF_UNIX sockets%s%s\n",
			filter[0] ? ", filter:" : "", filter);
}

/* Open the output, attach, capture until told to stop, summarise: the exit status. */
static int live_capture(struct run *r, const char *filter, const char *description)
{
	char err[UC_ERROR_LEN];
	struct uc_session *s;
	int status;

	uc_stop_on_signals_after_writes();
	if (uc_output_open(&r->out, &r->cli, description, NULL) <
	    0) /* before any hook: a bad -w costs nothing */
		return 1;
	uc_progress_init(&r->progress,
			 r->cli.extcap || !r->cli.write_path || !strcmp(r->cli.write_path, "-") ?
				 NULL :
				 stderr,
			 r->out.dump && isatty(STDOUT_FILENO));
	uc_set_libbpf_log(r->cli.verbose >= 2 ? UC_LIBBPF_ALL : UC_LIBBPF_QUIET);
	s = uc_session_open(&r->cli.capture, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "unixcap: %s\n", err);
		uc_output_close(&r->out, NULL);
		return 1;
	}
	if (start_output(r) < 0) {
		uc_session_close(s);
		uc_output_close(&r->out, NULL);
		return 1;
	}
	announce(r, s, filter);
	if (r->cli.command)
		uc_command_release(&r->command);
	status = capture(r, s);
	status = finish(r, s) < 0 || status < 0 ? 1 : 0;
	uc_session_close(s);
	return status;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	char filter[1024], description[1400];
	int status;

	if (keep_standard_fds_taken() < 0)
		return 1;
	if (argc > 1 && (status = run_subcommand(argc, argv)) >= 0)
		return status;
	status = parse_command_line(argc, argv, &r.cli);
	if (status >= 0)
		return status;
	if (r.cli.container && select_container(&r.cli) < 0)
		return 1;
	describe_filter(&r.cli, filter, sizeof(filter));
	describe_capture(filter, description, sizeof(description));
	uc_stop_on_signals();
	if (r.cli.read_path)
		return read_back(&r, description);
	if (r.cli.command && start_command(&r) < 0)
		return 1;
	status = live_capture(&r, filter, description);
	if (r.cli.command)
		uc_command_abandon(&r.command); /* a capture that did not start runs nothing */
	return status;
}
