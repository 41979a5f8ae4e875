/* SPDX-License-Identifier: BSD-2-Clause */
/* Where messages go: a pcapng file (or -w -), and/or the text dump or JSON lines on stdout. */
#ifndef UNIXCAP_OUTPUT_H
#define UNIXCAP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "unixcap.h"
#include "cli/options.h"
#include "sinks/pcap_files.h"
#include "sinks/text.h"

struct uc_output {
	const struct uc_cli *cli;
	struct uc_pcap_files *pcap; /* -w: one file, stdout or a rotating series */
	bool dump;                  /* text or JSON on stdout */
	bool watch_stdout;          /* the dump goes to a stream whose reader may go away */
	struct uc_text_options text;
	int write_errno;        /* first output error */
	char failed_name[4200]; /* what could not be written */
};

/* Opens what cli asks for, changing no file yet; description names the capture in the pcapng
 * interface. replayed: with -r, the input's processes, whose blocks -w carries over (NULL for a
 * live capture, which describes its processes from /proc). On failure prints one line on
 * stderr and returns -1. */
int uc_output_open(struct uc_output *o, const struct uc_cli *cli, const char *description,
		   struct uc_process_table *replayed);
/* Once the capture really starts: empties the -w file and writes its headers. 0; 1 when the
 * reader of -w - is already gone (stop, exit 0); -1 after one line on stderr. */
int uc_output_start(struct uc_output *o);
/* Writes one message everywhere. 0; 1 when -G with -W has written its last file (stop); or -1
 * on an output error (then remembered for close). */
int uc_output_write(struct uc_output *o, const struct uc_message *m);
/* Called every poll: flushes the file about every second, rotates on -G time, stops when the
 * reader of a pipe (-w - or the dump) has gone away. As write. */
int uc_output_tick(struct uc_output *o, uint64_t now_ns);
/* Closes everything, with statistics in the pcapng when st is given. Prints one line on
 * stderr for an output error other than a vanished reader, and returns -1 then. */
int uc_output_close(struct uc_output *o, const struct uc_stats *st);

#endif
