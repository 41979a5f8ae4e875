/* SPDX-License-Identifier: BSD-2-Clause */
/* The key=value metadata line each packet of a capture carries as its comment. */
#include "sinks/comment.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Formatted by hand, not with printf: this runs for every packet, and vsnprintf was two
 * thirds of the consumer's time at 512-byte messages. */
struct out {
	char *buf;
	size_t len, used; /* used < len always: one byte is kept for the NUL */
};

static void put_bytes(struct out *o, const char *s, size_t n)
{
	size_t room = o->len - 1 - o->used;

	n = n < room ? n : room;
	memcpy(o->buf + o->used, s, n);
	o->used += n;
	o->buf[o->used] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put_bytes(o, s, strlen(s));
}

static void put_uint(struct out *o, uint64_t v)
{
	char digits[20];
	int n = 0;

	do
		digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	put_bytes(o, digits + sizeof(digits) - n, (size_t)n);
}

/* " key=123" */
static void put_key_uint(struct out *o, const char *key, uint64_t v)
{
	put_str(o, key);
	put_uint(o, v);
}

/* Spaces, '%' and non-ASCII become %XX so a value is one word that a reader can decode. */
static void put_value(struct out *o, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	put_str(o, " ");
	put_str(o, key);
	put_str(o, "=");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		const char escaped[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (*p > 0x20 && *p < 0x7f && *p != '%')
			put_bytes(o, (const char *)p, 1);
		else
			put_bytes(o, escaped, sizeof(escaped));
	}
}

const char *uc_event_name(enum uc_message_event e)
{
	switch (e) {
	case UC_MSG_DATA: return "data";
	case UC_MSG_CLOSE: return "close";
	case UC_MSG_SHUTDOWN: return "shutdown";
	case UC_MSG_EOF: return "eof";
	case UC_MSG_LOST: return "lost";
	case UC_MSG_CONNECT: return "connect";
	case UC_MSG_ACCEPT: return "accept";
	case UC_MSG_UNSEEN: return "unseen";
	case UC_MSG_READ: return "read";
	}
	return "unknown";
}

static void put_fds(struct out *o, const struct uc_message *m)
{
	if (m->nfds)
		put_key_uint(o, " scm_rights=", m->nfds);
	for (unsigned i = 0; i < m->nfds_described; i++) {
		char fd[400];

		snprintf(fd, sizeof(fd), "%d,%s,%llu,%s", m->fds[i].fd, m->fds[i].kind,
			 (unsigned long long)m->fds[i].ino, m->fds[i].what);
		put_value(o, "fd", fd);
	}
	if (m->has_creds) {
		put_key_uint(o, " scm_creds=", m->cred_pid);
		put_key_uint(o, ",", m->cred_uid);
		put_key_uint(o, ",", m->cred_gid);
	}
}

size_t uc_comment_format(char *out, size_t outlen, const struct uc_message *m)
{
	uint64_t ns = m->ts_ns % 1000000000ULL;
	char frac[10];
	struct out o = { out, outlen, 0 };

	if (!outlen)
		return 0;
	out[0] = '\0';
	for (int i = 8; i >= 0; i--, ns /= 10)
		frac[i] = (char)('0' + ns % 10);
	frac[9] = '\0';
	put_key_uint(&o, "unixcap ts=", m->ts_ns / 1000000000ULL);
	put_str(&o, ".");
	put_str(&o, frac);
	put_key_uint(&o, " pid=", m->pid);
	put_key_uint(&o, " tid=", m->tid);
	put_value(&o, "comm", m->comm);
	put_key_uint(&o, " uid=", m->uid);
	put_key_uint(&o, " peer_pid=", m->peer_pid);
	put_str(&o, " type=");
	put_str(&o, uc_sock_type_name(m->sock_type));
	put_str(&o, " event=");
	put_str(&o, uc_event_name(m->event));
	put_key_uint(&o, " syscall=", m->syscall);
	if (m->peer_pid) {
		put_key_uint(&o, " peer_uid=", m->peer_uid);
		put_key_uint(&o, " peer_gid=", m->peer_gid);
	}
	if (m->peek)
		put_str(&o, " peek=1");
	put_value(&o, "own", m->own_path);
	put_key_uint(&o, " own_ino=", m->own_ino);
	put_value(&o, "peer", m->peer_path);
	put_key_uint(&o, " peer_ino=", m->peer_ino);
	put_key_uint(&o, " len=", m->len);
	put_key_uint(&o, " caplen=", m->caplen);
	put_key_uint(&o, " stored=", m->stored);
	if (m->cgroup_id)
		put_value(&o, "cgroup", m->cgroup[0] ? m->cgroup : "?");
	put_fds(&o, m);
	if (m->lost_before_msgs) {
		put_key_uint(&o, " lost_before_msgs=", m->lost_before_msgs);
		put_key_uint(&o, " lost_before_bytes=", m->lost_before_bytes);
	}
	return o.used;
}
