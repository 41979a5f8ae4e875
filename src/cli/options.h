/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line options, parsed and checked before anything is opened or attached. */
#ifndef UNIXCAP_OPTIONS_H
#define UNIXCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>

#include "unixcap.h"
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
	char **command; /* after "--": run it and capture it and what it starts; NULL-ended */
	const char *container;     /* --container ID-PREFIX|NAME, resolved into container_dir */
	char container_dir[4096];  /* its cgroup, which capture.filter.cgroup then names */
	char container_label[300]; /* "docker:0123456789ab" */
	bool help, version;
	bool extcap; /* set by extcap.c for --capture: nothing on stderr unless it fails */
};

/* Fills cli from argv. Returns 0, or -1 with a one-line reason in err (a usage error). */
int uc_cli_parse(int argc, char **argv, struct uc_cli *cli, char *err, size_t errlen);
void uc_cli_usage(FILE *out);
/* A whole decimal number from min to max: "12x", "-1" and overflow are errors, not 12, a wrap or
 * a clamp. 0, or -1 (out untouched). */
int uc_cli_parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The capture filter options every command shares, as getopt_long table entries: their values
 * are distinct (so that getopt_long still refuses an ambiguous abbreviation such as --c), and
 * a command's own long options take values from UC_OPT_COMMAND on. list has no --cgroup. */
enum {
	UC_OPT_PATH = 0x100,
	UC_OPT_PID,
	UC_OPT_COMM,
	UC_OPT_TYPE,
	UC_OPT_INODE,
	UC_OPT_CGROUP,
	UC_OPT_COMMAND,
};
#define UC_SOCKET_FILTER_OPTIONS                                  \
	{ "path", required_argument, NULL, UC_OPT_PATH },         \
		{ "pid", required_argument, NULL, UC_OPT_PID },   \
		{ "comm", required_argument, NULL, UC_OPT_COMM }, \
		{ "type", required_argument, NULL, UC_OPT_TYPE }, \
	{                                                         \
		"inode", required_argument, NULL, UC_OPT_INODE    \
	}
#define UC_CAPTURE_FILTER_OPTIONS                                \
	UC_SOCKET_FILTER_OPTIONS,                                \
	{                                                        \
		"cgroup", required_argument, NULL, UC_OPT_CGROUP \
	}

/* One filter option as getopt_long returned it (UC_OPT_PATH ... UC_OPT_CGROUP). Returns 0, 1
 * when opt is none of them, or -1 with a one-line reason in err (a usage error). */
int uc_cli_parse_filter(int opt, const char *arg, struct uc_filter *f, char *err, size_t errlen);
/* The usage error for what getopt_long returned instead of an option (':' a value missing, '?'
 * an unknown option; opterr = 0 and short options starting with ':'), or for an argument left
 * over (opt = 0, argv[optind]); "(see COMMAND--help)", where command is "" or, say, "unixcap
 * list ". Returns -1. */
int uc_cli_usage_error(int opt, char **argv, const char *short_options, const char *command,
		       char *err, size_t errlen);

#endif
