/* SPDX-License-Identifier: BSD-2-Clause */
/* The key=value metadata line each packet of a capture carries as its comment. */
#ifndef UNIXCAP_COMMENT_H
#define UNIXCAP_COMMENT_H

#include <stddef.h>

#include "capture/capture.h"

#define UC_COMMENT_LEN 2048

/* Writes "unixcap ts=... pid=... comm=... type=... event=... own=... own_ino=... peer=...
 * peer_ino=... len=... caplen=... stored=..." (format in the README); values are
 * %-escaped so that they never hold a space. Returns the length written. */
size_t uc_comment_format(char *out, size_t outlen, const struct uc_message *m);
/* Event name as in comments and the text dump: "data", "close", "shutdown", "eof", "lost". */
const char *uc_event_name(enum uc_message_event e);

#endif
