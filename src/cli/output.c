/* SPDX-License-Identifier: BSD-2-Clause */
/* Where messages go: a pcapng file (or -w -), and/or the text dump or JSON lines on stdout. */
#include "cli/output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sinks/json.h"
#include "sinks/output_fd.h"

static void remember_error(struct uc_output *o, const char *name)
{
	if (o->write_errno)
		return;
	o->write_errno = errno ? errno : EIO;
	snprintf(o->failed_name, sizeof(o->failed_name), "%s", name);
}

int uc_output_open(struct uc_output *o, const struct uc_cli *cli, const char *description,
		   struct uc_process_table *replayed)
{
	char err[UC_ERROR_LEN];
	struct uc_pcap_files_options files = {
		.path = cli->write_path,
		.flush_each = cli->flush_each,
		.description = description,
		.decode_as = cli->decode_as,
		.n_decode_as = cli->n_decode_as,
		.rotate_bytes = (uint64_t)cli->rotate_mb * 1000000u,
		.rotate_secs = cli->rotate_secs,
		.max_files = cli->max_files,
		.describe_processes =
			!cli->read_path, /* a replay's processes are not this machine's */
		.replayed_processes = replayed,
	};

	memset(o, 0, sizeof(*o));
	o->cli = cli;
	o->dump = !cli->write_path || cli->print;
	o->text.payload = cli->payload;
	o->text.verbose = cli->verbose;
	o->text.flush_each = cli->flush_each || isatty(STDOUT_FILENO);
	o->watch_stdout = o->dump && uc_fd_is_stream(STDOUT_FILENO);
	if (cli->write_path && !(o->pcap = uc_pcap_files_prepare(&files, err, sizeof(err)))) {
		fprintf(stderr, "unixcap: %s\n", err);
		return -1;
	}
	return 0;
}

int uc_output_start(struct uc_output *o)
{
	char err[UC_ERROR_LEN];

	if (!o->pcap || uc_pcap_files_start(o->pcap, err, sizeof(err)) == 0)
		return 0;
	if (errno == EPIPE) { /* remembered: the writes still tried on the way out fail as EPIPE */
		remember_error(o, uc_pcap_files_current(o->pcap));
		return 1;
	}
	fprintf(stderr, "unixcap: %s\n", err);
	return -1;
}

static const char *dump_name(const struct uc_output *o)
{
	return o->cli->json ? "the JSON lines" : "the text dump";
}

/* stdio may have failed some calls before, and errno since said something else: a reader
 * that went away is known by the descriptor. */
static void remember_dump_error(struct uc_output *o)
{
	if (o->watch_stdout && uc_fd_reader_gone(STDOUT_FILENO))
		errno = EPIPE;
	remember_error(o, dump_name(o));
}

/* 1 from the files (their last -W file is done) stops the capture; -1 is an error. */
static int files_result(struct uc_output *o, int ret)
{
	if (ret < 0)
		remember_error(o, uc_pcap_files_current(o->pcap));
	return ret;
}

int uc_output_write(struct uc_output *o, const struct uc_message *m)
{
	int ret = o->pcap ? files_result(o, uc_pcap_files_write(o->pcap, m)) : 0;

	if (ret != 0 || !o->dump)
		return ret;
	ret = o->cli->json ? uc_json_write(stdout, m, o->text.flush_each) :
			     uc_text_write(stdout, &o->text, m);
	if (ret < 0) {
		remember_dump_error(o);
		return -1;
	}
	return 0;
}

int uc_output_tick(struct uc_output *o, uint64_t now_ns)
{
	if (o->watch_stdout && uc_fd_reader_gone(STDOUT_FILENO)) {
		errno = EPIPE;
		remember_error(o, dump_name(o));
		return -1;
	}
	return o->pcap ? files_result(o, uc_pcap_files_tick(o->pcap, now_ns)) : 0;
}

int uc_output_close(struct uc_output *o, const struct uc_stats *st)
{
	if (o->pcap) {
		char name[sizeof(o->failed_name)];

		snprintf(name, sizeof(name), "%s", uc_pcap_files_current(o->pcap));
		if (uc_pcap_files_close(o->pcap, st) < 0)
			remember_error(o, name);
	}
	if (o->dump && fflush(stdout) != 0)
		remember_dump_error(o);
	o->pcap = NULL;
	if (!o->write_errno ||
	    o->write_errno == EPIPE) /* a reader that went away ends us cleanly */
		return 0;
	fprintf(stderr, "unixcap: writing %s failed: %s\n", o->failed_name,
		strerror(o->write_errno));
	return -1;
}
