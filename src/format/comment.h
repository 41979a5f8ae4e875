/* SPDX-License-Identifier: BSD-2-Clause */
/* The key=value metadata line each packet of a capture carries as its comment. */
#ifndef UNIXCAP_COMMENT_H
#define UNIXCAP_COMMENT_H

#include <stddef.h>

#include "unixcap.h"

/* Room for the longest metadata whole, every value escaped three times over: names 2 x 1317,
 * cgroup 765, the container's label, pod and name 1330, eight passed descriptors 8 x 1030,
 * numbers about 600 — under 14 500 bytes. A
 * comment cut short would be one -r refuses. */
#define UC_COMMENT_LEN 16384
/* A message no packet shows (accept, connect, a datagram's read, ...) has its comment in a
 * pcapng Custom Block under this enterprise number: 32473, IANA's number for documentation and
 * examples (RFC 5612), since unixcap has none of its own. */
#define UC_COMMENT_PEN 32473u

/* Writes "unixcap ts=... pid=... comm=... type=... event=... own=... own_ino=... peer=...
 * peer_ino=... len=... caplen=... stored=..." (format in the README); values are
 * %-escaped so that they never hold a space. Returns the length written. */
size_t uc_comment_format(char *out, size_t outlen, const struct uc_message *m);
/* The same text, with the part that stays the same for one process on one socket (pid, tid,
 * comm, uid, the peer's credentials, type, both ends, cgroup) formatted once and reused: a
 * writer (pcap_sink) keeps one cache. */
struct uc_comment_cache;
struct uc_comment_cache *uc_comment_cache_new(void);
void uc_comment_cache_free(struct uc_comment_cache *c);
size_t uc_comment_format_cached(struct uc_comment_cache *c, char *out, size_t outlen,
				const struct uc_message *m);
/* The inverse, for -r: fills m (zeroed first) from a comment's metadata, which ends at "; "
 * (the note that may follow) or at the end of text. Keys it does not know are skipped, so
 * files from later versions still read. m->data is left NULL. Returns 0, or -1 when text is
 * not a unixcap comment or a value is malformed. */
int uc_comment_parse(const char *text, struct uc_message *m);
/* Event name as in comments and the text dump: "data", "close", "shutdown", "eof", "lost". */
const char *uc_event_name(enum uc_message_event e);
/* Parses an event name; 0 when unknown. */
enum uc_message_event uc_event_parse(const char *name);

#endif
