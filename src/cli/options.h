/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line options, parsed and checked before anything is opened or attached. */
#ifndef UNIXCAP_OPTIONS_H
#define UNIXCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "conversations/conversation.h"
#include "sinks/text.h"

#define UC_MAX_DECODE_AS 8

struct uc_cli {
	struct uc_options capture;
	int verbose;            /* -v, once per v: -vv also shows libbpf's own log */
	const char *write_path; /* -w; "-" is stdout; NULL: text dump */
	const char *read_path;  /* -r; "-" is stdin; NULL: capture live */
	bool json;              /* --json instead of the text dump */
	bool print;             /* --print: the dump on stdout besides -w FILE */
	const char *drop_user;  /* -Z */
	unsigned rotate_mb;     /* -C */
	unsigned rotate_secs;   /* -G */
	unsigned max_files;     /* -W */
	uint64_t count;         /* -c; 0: no limit */
	bool flush_each;        /* -U */
	enum uc_text_payload payload;
	struct uc_decode_as decode_as[UC_MAX_DECODE_AS]; /* --decode-as PATH=PROTO */
	unsigned n_decode_as;
	bool help, version;
	bool extcap;            /* set by extcap.c for --capture: nothing on stderr unless it fails */
};

/* Fills cli from argv. Returns 0, or -1 with a one-line reason in err (a usage error). */
int uc_cli_parse(int argc, char **argv, struct uc_cli *cli, char *err, size_t errlen);
void uc_cli_usage(FILE *out);
/* A whole decimal number from min to max: "12x", "-1" and overflow are errors, not 12, a wrap or
 * a clamp. 0, or -1 (out untouched). */
int uc_cli_parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* One capture filter option, for commands with their own option table (unixcap top): NAME is
 * path, pid, comm, type, inode or cgroup. Returns 0, 1 when NAME is none of them, or -1 with
 * a one-line reason in err (a usage error, worded as for unixcap itself). */
int uc_cli_parse_filter(const char *name, const char *arg, struct uc_filter *f, char *err,
			size_t errlen);

#endif
