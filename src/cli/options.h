/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line options, parsed and checked before anything is opened or attached. */
#ifndef UNIXCAP_OPTIONS_H
#define UNIXCAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "sinks/text.h"

struct uc_cli {
	struct uc_options capture;
	const char *write_path; /* -w; "-" is stdout; NULL: text dump */
	uint64_t count;         /* -c; 0: no limit */
	bool flush_each;        /* -U */
	enum uc_text_payload payload;
	bool help, version;
};

/* Fills cli from argv. Returns 0, or -1 with a one-line reason in err (a usage error). */
int uc_cli_parse(int argc, char **argv, struct uc_cli *cli, char *err, size_t errlen);
void uc_cli_usage(FILE *out);

#endif
