/* SPDX-License-Identifier: BSD-2-Clause */
/* The -w output: one pcapng file, standard output, or a series of files rotated by size (-C)
 * or time (-G), at most -W of them, named as tcpdump(8) names them (see pcap_files.c). */
#ifndef UNIXCAP_PCAP_FILES_H
#define UNIXCAP_PCAP_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "conversations/conversation.h"

struct uc_pcap_files_options {
	const char *path;        /* -w; "-" is stdout (no rotation allowed then) */
	bool flush_each;         /* -U */
	const char *description; /* interface description */
	const struct uc_decode_as *decode_as; size_t n_decode_as; /* kept by reference */
	uint64_t rotate_bytes;   /* -C MB * 1000000; 0: off */
	unsigned rotate_secs;    /* -G; 0: off. path is then a strftime(3) pattern */
	unsigned max_files;      /* -W; 0: no limit. Alone (without -C or -G) it changes nothing */
};

struct uc_pcap_files;

/* Opens the first file (created O_CREAT|O_TRUNC mode 0600, O_CLOEXEC) and writes its headers.
 * NULL with a one-line reason in err ("cannot write '%s': %s") and errno set. */
struct uc_pcap_files *uc_pcap_files_open(const struct uc_pcap_files_options *o, char *err,
					 size_t errlen);
/* Writes one message; first starts a new file if the current one is full (-C) or its time is
 * up (-G, judged by the message's timestamp), so each file is a complete pcapng on its own.
 * Returns 0, 1 when -W with -G has produced its last file (the capture should stop; the
 * message is not written), or -1 with errno. */
int uc_pcap_files_write(struct uc_pcap_files *f, const struct uc_message *m);
/* Called about every 50-1000 ms by the capture loop even when no message comes: flushes what
 * is buffered if a second or more has passed since the last flush (so a SIGKILL loses at most
 * about a second, and a reader following the file sees packets), and rotates on -G time even
 * when idle. now_ns is CLOCK_REALTIME ns. Returns as uc_pcap_files_write. */
int uc_pcap_files_tick(struct uc_pcap_files *f, uint64_t now_ns);
/* The file being written, or the one that could not be opened (for error messages); "-" for
 * stdout. */
const char *uc_pcap_files_current(const struct uc_pcap_files *f);
/* Writes the statistics block (st may be NULL: none), flushes, closes the file (not stdout)
 * and frees f. 0 or -1 with errno (also the error that made a rotation fail). NULL: 0. */
int uc_pcap_files_close(struct uc_pcap_files *f, const struct uc_stats *st);

#endif
