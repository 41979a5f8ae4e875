/* SPDX-License-Identifier: BSD-2-Clause */
/* The live text dump: one header line per message, then its payload as text or hex. */
#ifndef UNIXCAP_TEXT_H
#define UNIXCAP_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/capture.h"

enum uc_text_payload {
	UC_TEXT_ESCAPED,  /* default: text with non-printables escaped */
	UC_TEXT_HEX,      /* -x */
	UC_TEXT_HEXASCII, /* -X */
	UC_TEXT_ASCII,    /* -A */
	UC_TEXT_NONE,     /* -q */
};

struct uc_text_options {
	enum uc_text_payload payload;
	bool flush_each; /* -U, or a terminal */
	int verbose;     /* -v adds tid, uid and the syscall */
	bool utc;
};

/* Writes one message (and any loss it reports) to out. Returns 0 or -1 with errno. */
int uc_text_write(FILE *out, const struct uc_text_options *opt, const struct uc_message *m);

#endif
