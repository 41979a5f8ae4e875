/* SPDX-License-Identifier: BSD-2-Clause */
/* D-Bus connections as Wireshark reads them: one LINKTYPE_DBUS packet per message, the SASL
 * lines before them kept as text in the packet comments. */
#include "sinks/dbus_sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/comment.h"
#include "sinks/dbus_split.h"

#define SASL_TEXT 2048

/* One direction's SASL lines not yet shown in a comment. Held only from a line to the message
 * after it: a connection's SASL exchange is over after its first messages. */
struct sasl_text {
	char shown[SASL_TEXT];   /* " | "-separated */
	uint8_t wire[SASL_TEXT]; /* the same lines as they were sent, for the raw fallback */
	size_t wire_len;
};

struct uc_dbus_flow {
	struct uc_dbus_split *split[2];
	struct sasl_text *sasl[2]; /* NULL when no line is waiting */
};

/* What a callback of the splitter needs: the flow, the output, and the first error. */
struct feed {
	struct uc_dbus_flow *d;
	const struct uc_dbus_out *out;
	uint64_t dropcount;
	int error;
};

struct uc_dbus_flow *uc_dbus_flow_new(void)
{
	struct uc_dbus_flow *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->split[0] = uc_dbus_split_new(true);
	d->split[1] = uc_dbus_split_new(false);
	if (!d->split[0] || !d->split[1]) {
		uc_dbus_flow_free(d);
		return NULL;
	}
	return d;
}

void uc_dbus_flow_free(struct uc_dbus_flow *d)
{
	if (!d)
		return;
	uc_dbus_split_free(d->split[0]);
	uc_dbus_split_free(d->split[1]);
	free(d->sasl[0]);
	free(d->sasl[1]);
	free(d);
}

static void on_sasl_line(void *ctx, const char *line, size_t len)
{
	struct feed *f = ctx;
	struct sasl_text **sasl = &f->d->sasl[f->out->dir];
	size_t used, n = len == 1 && line[0] == '\0' ? 1 : len + 2;

	if (!*sasl && !(*sasl = calloc(1, sizeof(**sasl)))) {
		if (!f->error)
			f->error = ENOMEM;
		return;
	}
	if ((*sasl)->wire_len + n <= SASL_TEXT) {
		memcpy((*sasl)->wire + (*sasl)->wire_len, line, len);
		memcpy((*sasl)->wire + (*sasl)->wire_len + len, "\r\n", n - len);
		(*sasl)->wire_len += n;
	}
	used = strlen((*sasl)->shown);
	snprintf((*sasl)->shown + used, SASL_TEXT - used, "%s%s", used ? " | " : "",
		 len == 1 && line[0] == '\0' ? "\\0" : line);
}

static void forget_sasl(struct uc_dbus_flow *d, int dir)
{
	free(d->sasl[dir]);
	d->sasl[dir] = NULL;
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct feed *f = ctx;
	const struct uc_dbus_out *out = f->out;
	const char *sasl = f->d->sasl[out->dir] ? f->d->sasl[out->dir]->shown : "";
	char comment[UC_COMMENT_LEN + 2 * SASL_TEXT]; /* the metadata whole: only a note may be cut */
	uint32_t kept = len > PCAPNG_MAX_RECORD ? PCAPNG_MAX_RECORD : (uint32_t)len;
	struct uc_pcapng_packet p = {
		.interface_id = out->iface,
		.ts_ns = out->ts_ns,
		.data = msg,
		.data_len = kept,
		.origlen = (uint32_t)len,
		.comment = comment,
		.flags = out->dir == 0 ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND,
		.has_dropcount = f->dropcount > 0,
		.dropcount = f->dropcount,
		.pid = out->pid,
		.tid = out->tid,
	};

	snprintf(comment, sizeof(comment), "%s%s%s%s", out->meta, sasl[0] ? "; SASL: " : "", sasl,
		 kept < len ? "; message longer than a pcapng record: cut at 256 KiB" : "");
	if (uc_pcapng_write_packet(out->w, &p) < 0 && !f->error)
		f->error = errno;
	forget_sasl(f->d, out->dir);
	f->dropcount = 0;
}

/* Bytes that are not D-Bus after all: SASL text kept for the next message's comment came
 * before them on the wire, so it goes first (a stream whose first byte was a lone NUL, as
 * libdbus's is, had it moved to the end). */
static void on_unsynced(void *ctx, const uint8_t *data, size_t len)
{
	struct feed *f = ctx;
	const struct sasl_text *sasl = f->d->sasl[f->out->dir];

	if (sasl && sasl->wire_len &&
	    f->out->raw(f->out->raw_ctx, sasl->wire, sasl->wire_len) < 0 && !f->error)
		f->error = errno;
	forget_sasl(f->d, f->out->dir);
	if (f->out->raw(f->out->raw_ctx, data, len) < 0 && !f->error)
		f->error = errno;
}

static const struct uc_dbus_split_ops ops = {
	.sasl_line = on_sasl_line,
	.message = on_message,
	.unsynced = on_unsynced,
};

/* Bytes lost mid-stream: the splitter can no longer tell where messages start, so what it
 * holds and all that follows goes out raw. */
static void lose(struct uc_dbus_flow *d, struct feed *f, uint64_t lost)
{
	if (!lost)
		return;
	uc_dbus_split_flush(d->split[f->out->dir], &ops, f);
	uc_dbus_split_gap(d->split[f->out->dir], (size_t)lost);
}

int uc_dbus_flow_write(struct uc_dbus_flow *d, const struct uc_dbus_out *out, const uint8_t *data,
		       uint32_t stored, uint64_t lost_before, uint32_t lost_after)
{
	struct feed f = { .d = d, .out = out, .dropcount = out->dropcount };

	lose(d, &f, lost_before);
	if (stored && uc_dbus_split_feed(d->split[out->dir], data, stored, &ops, &f) < 0 &&
	    !f.error)
		f.error = errno;
	lose(d, &f, lost_after);
	if (f.error) {
		errno = f.error;
		return -1;
	}
	return 0;
}

/* SASL text with no message after it goes out raw, so no byte that flowed is dropped. */
int uc_dbus_flow_finish(struct uc_dbus_flow *d, const struct uc_dbus_out *out)
{
	struct feed f = { .d = d, .out = out };
	const struct sasl_text *sasl;

	uc_dbus_split_flush(d->split[out->dir], &ops, &f);
	sasl = d->sasl[out->dir];
	if (sasl && sasl->wire_len && out->raw(out->raw_ctx, sasl->wire, sasl->wire_len) < 0)
		f.error = errno;
	forget_sasl(d, out->dir);
	if (f.error) {
		errno = f.error;
		return -1;
	}
	return 0;
}
