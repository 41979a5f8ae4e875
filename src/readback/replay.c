/* SPDX-License-Identifier: BSD-2-Clause */
/* -r: the messages of a unixcap pcapng, delivered as the live capture delivered them. */
#include "readback/replay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "format/pcapng_reader.h"
#include "format/comment.h"
#include "format/pcapng.h"
#include "format/process_block.h"
#include "readback/process_table.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

/* The message being gathered: the packets of one message are consecutive and carry the same
 * metadata, so a change of metadata (or a custom block) ends it. */
struct replay {
	const struct uc_filter *filter;
	uc_message_fn fn;
	void *ctx;
	struct uc_replay_stats *stats;
	struct uc_process_table *processes; /* where process blocks are kept; NULL: checked only */
	bool stop;
	bool open; /* a message is being gathered */
	bool dbus; /* ... from D-Bus packets */
	struct uc_message m;
	char meta[UC_COMMENT_LEN];
	uint8_t *data;
	size_t len, cap;
	char *err;
	size_t errlen;
	int error; /* errno for a failure: EBADMSG (the file's content) unless set otherwise */
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct replay *r,
							 const struct uc_pcapng_block *b,
							 const char *fmt, ...)
{
	int used = snprintf(r->err, r->errlen,
			    "block %llu at offset %llu: ", (unsigned long long)b->number,
			    (unsigned long long)b->offset);
	va_list ap;

	if (used < 0 || (size_t)used >= r->errlen)
		return -1; /* the prefix alone filled err: it is cut, not overrun */
	va_start(ap, fmt);
	vsnprintf(r->err + used, r->errlen - (size_t)used, fmt, ap);
	va_end(ap);
	return -1;
}

/* Names in the file are as the text dump shows them (@abstract, \xNN escapes), as --path is written. */
static bool path_matches(const char *pattern, const char *path)
{
	return path[0] && uc_glob_match(pattern, strlen(pattern), path, strlen(path));
}

/* The capture's filters, applied to what the file holds (--cgroup cannot be: the options refuse it). */
static bool selected(const struct uc_filter *f, const struct uc_message *m)
{
	bool any;

	if (!f)
		return true;
	if (f->type_mask && !(f->type_mask & (1u << m->sock_type)))
		return false;
	if (f->comm && strcmp(f->comm, m->comm) != 0)
		return false;
	any = !f->n_pids;
	for (unsigned i = 0; i < f->n_pids; i++)
		any |= f->pids[i] == m->pid || (m->peer_pid && f->pids[i] == m->peer_pid);
	if (!any)
		return false;
	any = !f->n_inodes;
	for (unsigned i = 0; i < f->n_inodes; i++)
		any |= f->inodes[i] == m->own_ino || f->inodes[i] == m->peer_ino;
	if (!any)
		return false;
	any = !f->n_paths;
	for (unsigned i = 0; i < f->n_paths; i++)
		any |= path_matches(f->paths[i], m->own_path) ||
		       path_matches(f->paths[i], m->peer_path);
	return any;
}

static void deliver(struct replay *r)
{
	struct uc_message *m = &r->m;

	if (!r->open)
		return;
	r->open = false;
	if (r->dbus) { /* D-Bus messages, not the sends: what the packets hold */
		m->stored = m->caplen = (uint32_t)r->len;
		m->len = m->len > m->stored ? m->len : m->stored;
	} else if (r->len < m->stored) {
		m->stored = (uint32_t)r->len; /* the file was cut short inside this message */
	}
	m->data = r->len ? r->data : NULL;
	if (r->stop || !selected(r->filter, m))
		return;
	if (m->event == UC_MSG_DATA)
		r->stats->messages++;
	if (r->fn(m, r->ctx))
		r->stop = true;
}

/* The message's bytes: never more than its comment says were stored (a D-Bus message, which is
 * not one send, at most what stored can count), so no file makes memory grow without bound. */
static int append(struct replay *r, const struct uc_pcapng_block *b, const uint8_t *p, size_t n)
{
	size_t most = r->dbus ? UINT32_MAX : r->m.stored;

	if (n > most - r->len && r->dbus)
		return fail_at(r, b, "D-Bus packets with one comment hold more than %zu bytes",
			       most);
	if (n > most - r->len)
		return fail_at(r, b,
			       "packet data runs past the stored=%zu bytes its comment says: "
			       "damaged metadata",
			       most);
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 64 * 1024;
		uint8_t *grown;

		while (cap < r->len + n)
			cap *= 2;
		if (!(grown = realloc(r->data, cap))) {
			r->error = ENOMEM;
			return fail_at(r, b, "out of memory");
		}
		r->data = grown;
		r->cap = cap;
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
	return 0;
}

/* What the writer relies on, and a live capture always holds: stored <= caplen <= len, no more
 * descriptors described than passed, lost bytes only with lost messages. */
static int check_consistent(struct replay *r, const struct uc_pcapng_block *b)
{
	const struct uc_message *m = &r->m;

	if (m->stored > m->caplen)
		return fail_at(r, b,
			       "its comment says stored=%u, more than caplen=%u: damaged metadata",
			       m->stored, m->caplen);
	if (m->caplen > m->len)
		return fail_at(r, b,
			       "its comment says caplen=%u, more than len=%u: damaged metadata",
			       m->caplen, m->len);
	if (m->nfds_described > m->nfds)
		return fail_at(r, b,
			       "its comment describes %u passed descriptors but says "
			       "scm_rights=%u: damaged metadata",
			       m->nfds_described, m->nfds);
	if (m->lost_before_bytes && !m->lost_before_msgs)
		return fail_at(r, b,
			       "its comment says lost_before_bytes=%llu without "
			       "lost_before_msgs: damaged metadata",
			       (unsigned long long)m->lost_before_bytes);
	return 0;
}

/* Starts a new message unless this packet continues the one being gathered: the same metadata,
 * and a payload only while that message holds fewer bytes than it stored (two messages alike to
 * the nanosecond are two messages). */
static int take_meta(struct replay *r, const struct uc_pcapng_block *b, const char *comment,
		     bool dbus, size_t payload)
{
	bool full = !dbus && payload && r->len >= r->m.stored;
	size_t n = strcspn(comment, ";");

	while (comment[n] == ';' && comment[n + 1] != ' ' && comment[n + 1])
		n += 1 + strcspn(comment + n + 1, ";");
	if (n >= sizeof(r->meta))
		n = sizeof(r->meta) - 1;
	if (r->open && r->dbus == dbus && !full && strncmp(r->meta, comment, n) == 0 &&
	    r->meta[n] == '\0')
		return 0;
	deliver(r);
	memcpy(r->meta, comment, n);
	r->meta[n] = '\0';
	if (uc_comment_parse(r->meta, &r->m) < 0)
		return fail_at(r, b, "its comment is not unixcap metadata: not a unixcap capture");
	if (check_consistent(r, b) < 0)
		return -1;
	r->open = true;
	r->dbus = dbus;
	r->len = 0;
	return 0;
}

/* The payload behind the synthetic IPv4 and TCP/UDP headers. */
static int payload(struct replay *r, const struct uc_pcapng_block *b, const uint8_t **p, size_t *n)
{
	const uint8_t *d = b->data;
	size_t ihl, head;

	if (b->caplen < 20 || d[0] >> 4 != 4 || (ihl = (size_t)(d[0] & 15) * 4) < 20 ||
	    ihl + 8 > b->caplen)
		return fail_at(r, b, "packet is not the IPv4 that unixcap writes");
	if (d[9] == IPPROTO_TCP_NUM) {
		if (ihl + 20 > b->caplen ||
		    (head = ihl + (size_t)(d[ihl + 12] >> 4) * 4) > b->caplen)
			return fail_at(r, b, "packet's TCP header is cut short");
	} else if (d[9] == IPPROTO_UDP_NUM) {
		head = ihl + 8;
	} else {
		return fail_at(r, b, "packet is neither the TCP nor the UDP unixcap writes");
	}
	*p = d + head;
	*n = b->caplen - head;
	return 0;
}

static int on_packet(struct replay *r, const struct uc_pcapng_block *b)
{
	bool dbus = b->packet_linktype == PCAPNG_LINKTYPE_DBUS;
	const uint8_t *p = b->data;
	size_t n = b->caplen;

	if (b->packet_linktype != PCAPNG_LINKTYPE_RAW && !dbus)
		return fail_at(r, b, "packet of link type %u: not a unixcap capture",
			       b->packet_linktype);
	if (!b->comment)
		return fail_at(r, b, "packet has no comment: not a unixcap capture");
	if (!dbus && payload(r, b, &p, &n) < 0)
		return -1;
	if (strstr(b->comment,
		   " event=connect ")) { /* a handshake: its connect is a custom block */
		deliver(r);
		return 0;
	}
	if (take_meta(r, b, b->comment, dbus, n) < 0)
		return -1;
	return n ? append(r, b, p, n) : 0;
}

/* A process block is checked, and kept for -r -w, not shown: the live dump does not show them. */
static int check_process_block(struct replay *r, const struct uc_pcapng_block *b)
{
	struct uc_process_info info;
	const char *why = NULL;
	int got = uc_process_entry_decode(b->data, b->caplen, &info, &why);

	if (got < 0)
		return fail_at(r, b, "%s", why);
	if (got == 0 || !r->processes)
		return 0;
	deliver(r); /* the message before it is written under the description it had */
	if (uc_process_table_keep(r->processes, &info) < 0) {
		r->error = ENOMEM;
		return fail_at(r, b, "out of memory for its process block");
	}
	return 0;
}

static int on_custom(struct replay *r, const struct uc_pcapng_block *b)
{
	size_t n = strnlen((const char *)b->data, b->caplen);
	char text[UC_COMMENT_LEN];

	if (b->pen == UC_WIRESHARK_PEN)
		return check_process_block(r, b);
	if (b->pen != UC_COMMENT_PEN)
		return 0; /* someone else's */
	deliver(r);
	if (n >= sizeof(text) || n == b->caplen)
		return fail_at(r, b, "custom block's metadata is not terminated");
	memcpy(text, b->data, n + 1);
	if (take_meta(r, b, text, false, 0) < 0)
		return -1;
	deliver(r);
	return 0;
}

static int on_block(struct replay *r, const struct uc_pcapng_block *b)
{
	switch (b->kind) {
	case PCAPNG_BLOCK_SECTION:
		deliver(r);
		if (strncmp(b->application, "unixcap", 7) != 0)
			return fail_at(r, b, "written by %s%s%s, not unixcap",
				       b->application[0] ? "'" : "",
				       b->application[0] ? b->application : "an unnamed program",
				       b->application[0] ? "'" : "");
		return 0;
	case PCAPNG_BLOCK_PACKET: return on_packet(r, b);
	case PCAPNG_BLOCK_CUSTOM: return on_custom(r, b);
	case PCAPNG_BLOCK_INTERFACE: return 0;
	}
	return 0;
}

int uc_replay(FILE *in, const struct uc_filter *filter, uc_message_fn fn, void *ctx,
	      struct uc_replay_stats *stats, char *err, size_t errlen)
{
	return uc_replay_until(in, NULL, filter, fn, ctx, stats, err, errlen);
}

int uc_replay_until(FILE *in, const volatile sig_atomic_t *stop, const struct uc_filter *filter,
		    uc_message_fn fn, void *ctx, struct uc_replay_stats *stats, char *err,
		    size_t errlen)
{
	return uc_replay_keeping_processes(in, stop, filter, fn, ctx, NULL, stats, err, errlen);
}

int uc_replay_keeping_processes(FILE *in, const volatile sig_atomic_t *stop,
				const struct uc_filter *filter, uc_message_fn fn, void *ctx,
				struct uc_process_table *processes, struct uc_replay_stats *stats,
				char *err, size_t errlen)
{
	struct uc_replay_stats ignored;
	struct replay r = { .filter = filter,
			    .fn = fn,
			    .ctx = ctx,
			    .processes = processes,
			    .stats = stats ? stats : &ignored,
			    .err = err,
			    .errlen = errlen };
	struct uc_pcapng_reader *reader = uc_pcapng_reader_new(in);
	struct uc_pcapng_block b;
	int ret = 0, got = 0;

	memset(r.stats, 0, sizeof(*r.stats));
	if (!reader) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	while (!r.stop && !(stop && *stop) && (got = uc_pcapng_reader_next(reader, &b)) > 0) {
		r.stats->blocks++;
		if ((ret = on_block(&r, &b)) < 0)
			break;
	}
	if (stop && *stop && ret == 0)
		r.stop = true; /* asked to: a read the signal interrupted is not damage */
	if (!r.stop && ret == 0 && got < 0) {
		snprintf(err, errlen, "%s", uc_pcapng_reader_error(reader));
		r.error = ferror(in) ? EIO : 0;
		ret = -1;
	}
	deliver(&r); /* what came before the damage was delivered */
	uc_pcapng_reader_free(reader);
	free(r.data);
	if (ret < 0) /* set last: the deliveries above may change errno */
		errno = r.error ? r.error : EBADMSG;
	return ret;
}
