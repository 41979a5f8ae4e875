/* SPDX-License-Identifier: BSD-2-Clause */
/* The key=value metadata line each packet of a capture carries as its comment. */
#include "format/comment.h"
#include "core/container_id.h"
#include "core/decimal.h"
#include "core/hex.h"
#include "core/strings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Formatted by hand, not with printf: this runs for every packet, and vsnprintf was two
 * thirds of the consumer's time at 512-byte messages. */
struct out {
	char *buf;
	size_t len, used; /* used < len always: one byte is kept for the NUL */
};

/* The NUL is written once, at the end (uc_comment_format). */
static void put_bytes(struct out *o, const char *s, size_t n)
{
	size_t room = o->len - 1 - o->used;

	n = n < room ? n : room;
	memcpy(o->buf + o->used, s, n);
	o->used += n;
}

static void put_str(struct out *o, const char *s)
{
	put_bytes(o, s, strlen(s));
}

/* A string literal: its length is known, and the copy inlined. */
#define put_lit(o, s) put_bytes((o), (s), sizeof(s) - 1)

static void put_uint(struct out *o, uint64_t v)
{
	char digits[UC_DECIMAL_MAX];

	if (o->len - 1 - o->used >= UC_DECIMAL_MAX) {
		o->used += uc_decimal(o->buf + o->used, v);
		return;
	}
	put_bytes(o, digits, uc_decimal(digits, v));
}

/* " key=123", key a literal */
#define put_key_uint(o, key, v) (put_lit(o, key), put_uint(o, v))

/* Spaces, '%' and non-ASCII become %XX so a value is one word that a reader can decode. */
static void put_escaped(struct out *o, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	char *dst = o->buf + o->used, *end = o->buf + o->len - 1; /* locals: char stores alias o */

	for (const unsigned char *p = (const unsigned char *)value; *p && end - dst >= 3; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%') {
			*dst++ = (char)*p;
		} else {
			*dst++ = '%';
			*dst++ = hex[*p >> 4];
			*dst++ = hex[*p & 15];
		}
	}
	o->used = (size_t)(dst - o->buf); /* a value that does not fit is cut */
}

/* " key=value", key a literal */
#define put_value(o, key, value) (put_lit(o, " " key "="), put_escaped(o, value))

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

/* Nanoseconds as nine digits, each written in its place. */
static void put_nanoseconds(struct out *o, uint64_t ns)
{
	char digits[9];
	char *d = o->len - 1 - o->used >= sizeof(digits) ? o->buf + o->used : digits;

	for (int i = 8; i >= 0; i--, ns /= 10)
		d[i] = (char)('0' + ns % 10);
	if (d == digits)
		put_bytes(o, digits, sizeof(digits));
	else
		o->used += sizeof(digits);
}

/* The parts of a comment that one process on one socket repeats in every packet, formatted
 * once per identity (uc_comment_cache) and pasted in between the fields of each message. */
struct identity_text {
	/* 192 + 48 + 2 x 1320 + 60 + 780 at the most, and the container's label, pod and name
	 * (800 + 130 + 400): every part fits whole */
	char text[6144];
	size_t who_len, creds_end, ends_end, cgroup_end;
};

/* container=docker:0123456789ab (and pod=UID) when the cgroup names one: derived from the
 * cgroup path alone, so -r derives it again and reads these keys as ones it may skip; and
 * container_name=, which -r reads back. */
static void put_container(struct out *o, const struct uc_message *m)
{
	struct uc_container_id c;
	char label[sizeof(c.id) + 16];

	if (!m->cgroup_id || !uc_container_from_cgroup(m->cgroup, &c))
		return;
	uc_container_label(&c, label, sizeof(label));
	put_value(o, "container", label);
	if (c.pod[0])
		put_value(o, "pod", c.pod);
	if (m->container_name[0])
		put_value(o, "container_name", m->container_name);
}

static void format_identity(struct identity_text *t, const struct uc_message *m)
{
	struct out o = { t->text, sizeof(t->text), 0 };

	put_key_uint(&o, " pid=", m->pid);
	put_key_uint(&o, " tid=", m->tid);
	put_value(&o, "comm", m->comm);
	put_key_uint(&o, " uid=", m->uid);
	put_key_uint(&o, " peer_pid=", m->peer_pid);
	put_lit(&o, " type=");
	put_str(&o, uc_sock_type_name(m->sock_type));
	t->who_len = o.used;
	if (m->peer_pid) {
		put_key_uint(&o, " peer_uid=", m->peer_uid);
		put_key_uint(&o, " peer_gid=", m->peer_gid);
	}
	t->creds_end = o.used;
	put_value(&o, "own", m->own_path);
	put_key_uint(&o, " own_ino=", m->own_ino);
	put_value(&o, "peer", m->peer_path);
	put_key_uint(&o, " peer_ino=", m->peer_ino);
	t->ends_end = o.used;
	if (m->cgroup_id)
		put_value(&o, "cgroup", m->cgroup[0] ? m->cgroup : "?");
	put_container(&o, m);
	t->cgroup_end = o.used;
}

static size_t assemble(char *out, size_t outlen, const struct uc_message *m,
		       const struct identity_text *t)
{
	struct out o = { out, outlen, 0 };

	if (!outlen)
		return 0;
	put_key_uint(&o, "unixcap ts=", m->ts_ns / 1000000000ULL);
	put_lit(&o, ".");
	put_nanoseconds(&o, m->ts_ns % 1000000000ULL);
	put_bytes(&o, t->text, t->who_len);
	put_lit(&o, " event=");
	put_str(&o, uc_event_name(m->event));
	put_key_uint(&o, " syscall=", m->syscall);
	put_bytes(&o, t->text + t->who_len, t->creds_end - t->who_len);
	if (m->peek)
		put_lit(&o, " peek=1");
	if (m->order_unknown)
		put_lit(&o, " order=unknown");
	put_bytes(&o, t->text + t->creds_end, t->ends_end - t->creds_end);
	put_key_uint(&o, " len=", m->len);
	put_key_uint(&o, " caplen=", m->caplen);
	put_key_uint(&o, " stored=", m->stored);
	put_bytes(&o, t->text + t->ends_end, t->cgroup_end - t->ends_end);
	put_fds(&o, m);
	if (m->lost_before_msgs) {
		put_key_uint(&o, " lost_before_msgs=", m->lost_before_msgs);
		put_key_uint(&o, " lost_before_bytes=", m->lost_before_bytes);
	}
	out[o.used] = '\0';
	return o.used;
}

size_t uc_comment_format(char *out, size_t outlen, const struct uc_message *m)
{
	struct identity_text t;

	format_identity(&t, m);
	return assemble(out, outlen, m, &t);
}

/* What format_identity reads, kept to tell whether a message has the same identity. */
struct identity_key {
	uint32_t pid, tid, uid, peer_pid, peer_uid, peer_gid;
	uint16_t sock_type;
	uint64_t own_ino, peer_ino, cgroup_id;
	char comm[sizeof(((struct uc_message *)0)->comm)];
	char own_path[UC_NAME_LEN], peer_path[UC_NAME_LEN];
	char cgroup[sizeof(((struct uc_message *)0)->cgroup)];
	char container_name[sizeof(((struct uc_message *)0)->container_name)];
};

#define CACHED_IDENTITIES 8 /* a writer and a reader per socket pair, a few pairs at once */

struct uc_comment_cache {
	struct cached_identity {
		bool valid;
		struct identity_key key;
		struct identity_text text;
	} slot[CACHED_IDENTITIES];
};

struct uc_comment_cache *uc_comment_cache_new(void)
{
	return calloc(1, sizeof(struct uc_comment_cache));
}

void uc_comment_cache_free(struct uc_comment_cache *c)
{
	free(c);
}

static bool same_identity(const struct identity_key *k, const struct uc_message *m)
{
	return k->pid == m->pid && k->tid == m->tid && k->uid == m->uid &&
	       k->peer_pid == m->peer_pid && k->peer_uid == m->peer_uid &&
	       k->peer_gid == m->peer_gid && k->sock_type == m->sock_type &&
	       k->own_ino == m->own_ino && k->peer_ino == m->peer_ino &&
	       k->cgroup_id == m->cgroup_id && strcmp(k->comm, m->comm) == 0 &&
	       strcmp(k->own_path, m->own_path) == 0 && strcmp(k->peer_path, m->peer_path) == 0 &&
	       strcmp(k->cgroup, m->cgroup) == 0 &&
	       strcmp(k->container_name, m->container_name) == 0;
}

static void remember_identity(struct identity_key *k, const struct uc_message *m)
{
	k->pid = m->pid;
	k->tid = m->tid;
	k->uid = m->uid;
	k->peer_pid = m->peer_pid;
	k->peer_uid = m->peer_uid;
	k->peer_gid = m->peer_gid;
	k->sock_type = m->sock_type;
	k->own_ino = m->own_ino;
	k->peer_ino = m->peer_ino;
	k->cgroup_id = m->cgroup_id;
	uc_copy_string(k->comm, sizeof(k->comm), m->comm);
	uc_copy_string(k->own_path, sizeof(k->own_path), m->own_path);
	uc_copy_string(k->peer_path, sizeof(k->peer_path), m->peer_path);
	uc_copy_string(k->cgroup, sizeof(k->cgroup), m->cgroup);
	uc_copy_string(k->container_name, sizeof(k->container_name), m->container_name);
}

size_t uc_comment_format_cached(struct uc_comment_cache *c, char *out, size_t outlen,
				const struct uc_message *m)
{
	/* multiplied before mixing: the two ends of a pair often have pids and inodes one apart */
	uint64_t h = (m->pid * 0x9E3779B97F4A7C15ULL) ^ (m->own_ino * 0xC2B2AE3D27D4EB4FULL);
	struct cached_identity *e = &c->slot[(h >> 32) % CACHED_IDENTITIES];

	if (!e->valid || !same_identity(&e->key, m)) {
		remember_identity(&e->key, m);
		format_identity(&e->text, m);
		e->valid = true;
	}
	return assemble(out, outlen, m, &e->text);
}

enum uc_message_event uc_event_parse(const char *name)
{
	for (int e = UC_MSG_DATA; e <= UC_MSG_READ; e++)
		if (strcmp(name, uc_event_name((enum uc_message_event)e)) == 0)
			return (enum uc_message_event)e;
	return 0;
}

/* ---- parsing, for -r ---- */

/* Undoes put_value's %XX escaping into out (NUL-terminated; a value too long is an error). */
static int unescape(const char *v, size_t n, char *out, size_t outlen)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '%') {
			int hi = i + 2 < n ? uc_hex_value(v[i + 1]) : -1;
			int lo = i + 2 < n ? uc_hex_value(v[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (used + 1 >= outlen)
			return -1;
		out[used++] = (char)c;
	}
	out[used] = '\0';
	return 0;
}

static int parse_u64(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

static int parse_u32(const char *v, size_t n, uint32_t *out)
{
	uint64_t x;

	if (parse_u64(v, n, UINT32_MAX, &x) < 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* "1700000000.000000042" */
static int parse_ts(const char *v, size_t n, uint64_t *ts_ns)
{
	const char *dot = memchr(v, '.', n);
	uint64_t sec, ns;

	if (!dot || v + n - dot != 10 ||
	    parse_u64(v, (size_t)(dot - v), UINT64_MAX / 1000000000ULL - 1, &sec) < 0 ||
	    parse_u64(dot + 1, 9, 999999999ULL, &ns) < 0)
		return -1;
	*ts_ns = sec * 1000000000ULL + ns;
	return 0;
}

/* "a,b,c": up to three numbers separated by commas. */
static int parse_triple(const char *v, size_t n, uint32_t out[3])
{
	for (int k = 0; k < 3; k++) {
		const char *comma = k < 2 ? memchr(v, ',', n) : v + n;
		size_t len;

		if (!comma)
			return -1;
		len = (size_t)(comma - v);
		if (parse_u32(v, len, &out[k]) < 0)
			return -1;
		v += len + 1;
		n -= len + (k < 2 ? 1 : 0);
	}
	return 0;
}

/* "fd=3,socket,5123,/run/x.sock" once unescaped: the description may hold commas itself. */
static int parse_fd(const char *v, size_t n, struct uc_message *m)
{
	char text[UC_COMMENT_LEN], *field[3], *save = NULL;
	struct uc_passed_fd *fd;
	uint64_t ino, num;
	bool neg;
	char *what;

	if (m->nfds_described >= UC_MAX_PASSED_FDS || unescape(v, n, text, sizeof(text)) < 0)
		return -1;
	fd = &m->fds[m->nfds_described];
	for (int k = 0; k < 3; k++)
		if (!(field[k] = strtok_r(k ? NULL : text, ",", &save)))
			return -1;
	what = strtok_r(NULL, "", &save);
	neg = field[0][0] == '-';
	if (parse_u64(field[0] + neg, strlen(field[0] + neg), neg ? 1ull << 31 : INT32_MAX, &num) <
		    0 ||
	    parse_u64(field[2], strlen(field[2]), UINT64_MAX, &ino) < 0 ||
	    strlen(field[1]) >= sizeof(fd->kind))
		return -1;
	fd->fd = (int)(neg ? -(int64_t)num : (int64_t)num);
	fd->ino = ino;
	snprintf(fd->kind, sizeof(fd->kind), "%s", field[1]);
	snprintf(fd->what, sizeof(fd->what), "%s", what ? what : "");
	m->nfds_described++;
	return 0;
}

enum field_kind { F_U32, F_U64, F_STR, F_SPECIAL };

struct field {
	const char *key;
	enum field_kind kind;
	size_t offset, size; /* in struct uc_message */
};

#define FIELD(k, kind, member)                                   \
	{                                                        \
		k, kind, offsetof(struct uc_message, member),    \
			sizeof(((struct uc_message *)0)->member) \
	}

static const struct field fields[] = {
	FIELD("pid", F_U32, pid),
	FIELD("tid", F_U32, tid),
	FIELD("uid", F_U32, uid),
	FIELD("peer_pid", F_U32, peer_pid),
	FIELD("peer_uid", F_U32, peer_uid),
	FIELD("peer_gid", F_U32, peer_gid),
	FIELD("len", F_U32, len),
	FIELD("caplen", F_U32, caplen),
	FIELD("stored", F_U32, stored),
	FIELD("lost_before_msgs", F_U32, lost_before_msgs),
	FIELD("own_ino", F_U64, own_ino),
	FIELD("peer_ino", F_U64, peer_ino),
	FIELD("lost_before_bytes", F_U64, lost_before_bytes),
	FIELD("comm", F_STR, comm),
	FIELD("own", F_STR, own_path),
	FIELD("peer", F_STR, peer_path),
	FIELD("container_name", F_STR, container_name),
	{ "cgroup", F_SPECIAL, 0, 0 },
	{ "ts", F_SPECIAL, 0, 0 },
	{ "type", F_SPECIAL, 0, 0 },
	{ "event", F_SPECIAL, 0, 0 },
	{ "syscall", F_SPECIAL, 0, 0 },
	{ "peek", F_SPECIAL, 0, 0 },
	{ "scm_rights", F_SPECIAL, 0, 0 },
	{ "fd", F_SPECIAL, 0, 0 },
	{ "scm_creds", F_SPECIAL, 0, 0 },
	{ "order", F_SPECIAL, 0, 0 },
};

/* The keys that are not a plain number or string. */
static int parse_special(const char *key, const char *v, size_t n, struct uc_message *m)
{
	char word[16];
	uint32_t x, triple[3];

	if (strcmp(key, "ts") == 0)
		return parse_ts(v, n, &m->ts_ns);
	if (strcmp(key, "fd") == 0)
		return parse_fd(v, n, m);
	if (strcmp(key, "cgroup") ==
	    0) { /* the file keeps the path, not the id: 1 says "present" */
		m->cgroup_id = 1;
		if (n == 1 && v[0] == '?')
			return 0;
		return unescape(v, n, m->cgroup, sizeof(m->cgroup));
	}
	if (strcmp(key, "scm_creds") == 0) {
		if (parse_triple(v, n, triple) < 0)
			return -1;
		m->has_creds = true;
		m->cred_pid = triple[0], m->cred_uid = triple[1], m->cred_gid = triple[2];
		return 0;
	}
	if (strcmp(key, "order") == 0) {
		m->order_unknown = n == 7 && memcmp(v, "unknown", 7) == 0;
		return m->order_unknown ? 0 : -1;
	}
	if (strcmp(key, "type") == 0 || strcmp(key, "event") == 0) {
		if (unescape(v, n, word, sizeof(word)) < 0)
			return -1;
		if (key[0] == 't' && strcmp(word, "unknown") == 0)
			return 0; /* 0: a loss report's pair whose type was never seen (checked below) */
		if (key[0] == 't')
			return (m->sock_type = (uint16_t)uc_sock_type_parse(word)) ? 0 : -1;
		return (m->event = uc_event_parse(word)) ? 0 : -1;
	}
	if (parse_u32(v, n, &x) < 0)
		return -1;
	if (strcmp(key, "syscall") == 0) {
		if (x > UINT16_MAX)
			return -1;
		m->syscall = (uint16_t)x;
	} else if (strcmp(key, "peek") == 0) {
		if (x > 1)
			return -1;
		m->peek = x == 1;
	} else {
		m->nfds = x; /* scm_rights */
	}
	return 0;
}

static int parse_pair(const char *key, size_t klen, const char *v, size_t n, struct uc_message *m)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		uint8_t *dst = (uint8_t *)m + f->offset;
		uint64_t x;

		if (strlen(f->key) != klen || memcmp(f->key, key, klen) != 0)
			continue;
		switch (f->kind) {
		case F_U32: return parse_u32(v, n, (uint32_t *)dst);
		case F_U64:
			if (parse_u64(v, n, UINT64_MAX, &x) < 0)
				return -1;
			memcpy(dst, &x, sizeof(x));
			return 0;
		case F_STR: return unescape(v, n, (char *)dst, f->size);
		case F_SPECIAL: return parse_special(f->key, v, n, m);
		}
	}
	return 0; /* a key from a later version */
}

int uc_comment_parse(const char *text, struct uc_message *m)
{
	static const char prefix[] = "unixcap ";
	const char *p = text, *end = strstr(text, "; ");
	bool seen_ts = false, seen_event = false, seen_type = false;

	memset(m, 0, sizeof(*m));
	if (strncmp(text, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	if (!end)
		end = text + strlen(text);
	p += sizeof(prefix) - 1;
	while (p < end) {
		const char *space = memchr(p, ' ', (size_t)(end - p)), *stop = space ? space : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (!eq || parse_pair(p, (size_t)(eq - p), eq + 1, (size_t)(stop - eq - 1), m) < 0)
			return -1;
		seen_ts |= eq - p == 2 && memcmp(p, "ts", 2) == 0;
		seen_event |= eq - p == 5 && memcmp(p, "event", 5) == 0;
		seen_type |= eq - p == 4 && memcmp(p, "type", 4) == 0;
		p = stop + (space ? 1 : 0);
	}
	return seen_ts && seen_event && seen_type && (m->sock_type || m->event == UC_MSG_LOST) ? 0 :
												 -1;
}
