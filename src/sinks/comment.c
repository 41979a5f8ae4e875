/* SPDX-License-Identifier: BSD-2-Clause */
/* The key=value metadata line each packet of a capture carries as its comment. */
#include "sinks/comment.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

/* Spaces, '%' and non-ASCII become %XX so a value is one word that a reader can decode. */
static void put_value(struct out *o, const char *key, const char *value)
{
	put(o, " %s=", key);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%')
			put(o, "%c", *p);
		else
			put(o, "%%%02X", *p);
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

size_t uc_comment_format(char *out, size_t outlen, const struct uc_message *m)
{
	struct out o = { out, outlen, 0 };

	if (outlen)
		out[0] = '\0';
	put(&o, "unixcap ts=%llu.%09llu pid=%u tid=%u", (unsigned long long)(m->ts_ns / 1000000000ULL),
	    (unsigned long long)(m->ts_ns % 1000000000ULL), m->pid, m->tid);
	put_value(&o, "comm", m->comm);
	put(&o, " uid=%u peer_pid=%u type=%s event=%s syscall=%u", m->uid, m->peer_pid,
	    uc_sock_type_name(m->sock_type), uc_event_name(m->event), m->syscall);
	if (m->peer_pid)
		put(&o, " peer_uid=%u peer_gid=%u", m->peer_uid, m->peer_gid);
	if (m->peek)
		put(&o, " peek=1");
	put_value(&o, "own", m->own_path);
	put(&o, " own_ino=%llu", (unsigned long long)m->own_ino);
	put_value(&o, "peer", m->peer_path);
	put(&o, " peer_ino=%llu len=%u caplen=%u stored=%u", (unsigned long long)m->peer_ino, m->len,
	    m->caplen, m->stored);
	if (m->cgroup_id)
		put_value(&o, "cgroup", m->cgroup[0] ? m->cgroup : "?");
	if (m->nfds)
		put(&o, " scm_rights=%u", m->nfds);
	for (unsigned i = 0; i < m->nfds_described; i++) {
		char fd[400];

		snprintf(fd, sizeof(fd), "%d,%s,%llu,%s", m->fds[i].fd, m->fds[i].kind,
			 (unsigned long long)m->fds[i].ino, m->fds[i].what);
		put_value(&o, "fd", fd);
	}
	if (m->has_creds)
		put(&o, " scm_creds=%u,%u,%u", m->cred_pid, m->cred_uid, m->cred_gid);
	if (m->lost_before_msgs)
		put(&o, " lost_before_msgs=%u lost_before_bytes=%llu", m->lost_before_msgs,
		    (unsigned long long)m->lost_before_bytes);
	return o.used;
}
