/* SPDX-License-Identifier: BSD-2-Clause */
/* Splits one direction of a D-Bus connection into SASL lines and whole binary messages. */
#ifndef UNIXCAP_DBUS_SPLIT_H
#define UNIXCAP_DBUS_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* D-Bus specification limits: a whole message (header, padding, body) and one array. */
#define UC_DBUS_MAX_MESSAGE (1u << 27)
#define UC_DBUS_MAX_ARRAY (1u << 26)
/* Longest SASL line accepted, CRLF excluded. Real lines are a few hundred bytes at most; longer
 * means the stream is not SASL, and the bound keeps a hostile peer from growing the buffer. */
#define UC_DBUS_MAX_SASL_LINE 16384u
/* The fixed part of every message header. */
#define UC_DBUS_HEADER_LEN 16u

/*
 * The state of one direction. Phases, in order:
 *
 * Client side (the connecting peer):
 *   1. One NUL byte (the credentials byte). It is reported on its own, as a one-byte line
 *      sasl_line(ctx, "\0", 1), so that every other line is plain text. libdbus sends it in
 *      a sendmsg of its own. Any other first byte is a protocol error.
 *   2. CRLF-terminated SASL lines, up to and including the first line whose command (first
 *      word) is BEGIN.
 *   3. Binary messages, from the byte after BEGIN's CRLF (often in the same write).
 *
 * Server side: CRLF-terminated SASL lines, then binary messages. The server direction is fed
 * without seeing the client's BEGIN, so it switches on its own bytes: once an "OK ..." line
 * has been seen (and no "REJECTED ..." since, which restarts authentication), a line that
 * would begin with 'l' or 'B' is the first message instead. That is unambiguous because the
 * server's SASL commands are OK, REJECTED, DATA, ERROR and AGREE_UNIX_FD, none of which
 * begins with 'l' or 'B'. This is deliberately wider than "the previous line was OK or
 * AGREE_UNIX_FD": a server that does not pass fds answers NEGOTIATE_UNIX_FD with ERROR, and
 * its first message then follows an ERROR line.
 *
 * SASL lines must be printable ASCII (0x20..0x7e) ended by CRLF and at most
 * UC_DBUS_MAX_SASL_LINE long; anything else is a protocol error.
 *
 * Binary messages: the 16-byte header is checked (endianness 'l' or 'B', type 1..4, major
 * version 1, serial not 0, header-field array at most UC_DBUS_MAX_ARRAY, total length at most
 * UC_DBUS_MAX_MESSAGE); total = 16 + header-field length rounded up to 8 + body length.
 *
 * Unsynced: after a gap, a protocol error or running out of memory, nothing more is parsed and
 * every later byte goes to ops->unsynced. There is no safe resync rule: a message body may
 * carry any bytes, including whole serialized D-Bus messages (an "ay" argument), so a scan for
 * a plausible header can lock onto the wrong bytes and produce packets that look authoritative
 * but are not. Raw bytes are honest; a guessed frame is not.
 */
struct uc_dbus_split;

/* Callbacks; any may be NULL to ignore that kind. Pointers are valid only during the call
 * (message bytes may point into the caller's data or into the splitter's buffer). A callback
 * must not call back into the same splitter. */
struct uc_dbus_split_ops {
	/* One SASL line without its CRLF; line[len] is '\0'. The client's leading credentials
	 * byte comes first as its own line: len 1, line[0] == '\0'. */
	void (*sasl_line)(void *ctx, const char *line, size_t len);
	/* One whole binary D-Bus message, header first: what LINKTYPE_DBUS expects. */
	void (*message)(void *ctx, const uint8_t *msg, size_t len);
	/* Bytes that cannot be framed: everything after a gap or an error, in order, including
	 * the incomplete line or message that was buffered when the splitter lost sync. */
	void (*unsynced)(void *ctx, const uint8_t *data, size_t len);
	/* Called once, when a protocol error (or out of memory) makes the splitter unsynced. */
	void (*error)(void *ctx, const char *why);
};

/* client_side: true for the bytes the connecting peer sends. NULL when out of memory. */
struct uc_dbus_split *uc_dbus_split_new(bool client_side);
/* NULL is a no-op. Buffered bytes are dropped: call uc_dbus_split_flush first to keep them. */
void uc_dbus_split_free(struct uc_dbus_split *s);

/* Consumes len bytes that follow the bytes fed before, calling ops as units complete; what is
 * incomplete is buffered. Returns 0, also after a protocol error (that is data, reported by
 * ops->error). Returns -1 with errno EINVAL for NULL s or ops (or NULL data with len > 0) and
 * ENOMEM when buffering failed; in that case the bytes were still handed to ops->unsynced, so
 * nothing is dropped, and the splitter stays unsynced. */
int uc_dbus_split_feed(struct uc_dbus_split *s, const uint8_t *data, size_t len,
		       const struct uc_dbus_split_ops *ops, void *ctx);

/* Hands the buffered incomplete line or message, if any, to ops->unsynced. Call it at end of
 * stream and before uc_dbus_split_gap, so the fragment is reported before the gap and not
 * after it. A flushed fragment leaves the stream position unknown, so the splitter then stays
 * unsynced; with nothing buffered it changes nothing. */
void uc_dbus_split_flush(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx);

/* lost bytes are missing from the stream here. lost == 0 is a no-op; otherwise the splitter
 * becomes unsynced for good (see above). A fragment still buffered (no flush before) is
 * reported by the next feed or flush, after the gap. */
void uc_dbus_split_gap(struct uc_dbus_split *s, size_t lost);

/* True once the splitter reports everything through ops->unsynced. */
bool uc_dbus_split_unsynced(const struct uc_dbus_split *s);
/* Bytes buffered waiting for the rest of their line or message. */
size_t uc_dbus_split_pending(const struct uc_dbus_split *s);

/* True when a client's first bytes are "\0AUTH" (needs at least 5 bytes). */
bool uc_dbus_looks_like(const uint8_t *data, size_t len);
/* True when fewer than 5 bytes are known and they are a prefix of "\0AUTH": the caller should
 * wait for more before deciding. libdbus sends the NUL alone, so a first message of 1 byte is
 * the usual case, not an exception. */
bool uc_dbus_undecided(const uint8_t *data, size_t len);

#endif
