/* SPDX-License-Identifier: BSD-2-Clause */
/* --json: one JSON object per message, one per line (schema in doc/json.md). */
#include "sinks/json.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "format/comment.h"
#include "core/container_id.h"
#include "core/json_string.h"
#include "core/hex.h"

/* Payload bytes encoded per fwrite: a multiple of 3, so that only the last chunk is padded. */
#define B64_CHUNK 12288

/* Fields of fixed size (comm, cgroup, kind, what) are read no further than their array. */
static void put_field(FILE *out, const char *s, size_t size)
{
	uc_json_string(out, (const uint8_t *)s, strnlen(s, size));
}

/* Socket names arrive as uc_sun_path_format writes them for people (every byte outside printable
 * ASCII, and every backslash, as \xNN); JSON carries the bytes themselves, so each \xNN is read
 * back. The formatter escapes backslashes, so a name holds no other backslash to mistake. */
static void put_name(FILE *out, const char *name, size_t size)
{
	size_t len = strnlen(name, size), n = 0;
	uint8_t raw[UC_NAME_LEN];

	for (size_t i = 0; i < len && n < sizeof(raw); i++) {
		int hi = -1, lo = -1;

		if (name[i] == '\\' && i + 3 < len && name[i + 1] == 'x') {
			hi = uc_hex_value(name[i + 2]);
			lo = uc_hex_value(name[i + 3]);
		}
		if (hi >= 0 && lo >= 0) {
			raw[n++] = (uint8_t)(hi << 4 | lo);
			i += 3;
		} else {
			raw[n++] = (uint8_t)name[i];
		}
	}
	uc_json_string(out, raw, n);
}

static size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0, o = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[v >> 18];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = abc[v >> 18];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

/* Encoded chunk by chunk into a stack buffer: a payload of several MiB needs no copy. */
static void put_base64(FILE *out, const uint8_t *p, uint32_t n)
{
	char buf[B64_CHUNK / 3 * 4];

	fputc('"', out);
	for (uint32_t off = 0; off < n; off += B64_CHUNK) {
		size_t take = n - off < B64_CHUNK ? n - off : B64_CHUNK;

		fwrite(buf, 1, base64_encode(p + off, take, buf), out);
	}
	fputc('"', out);
}

/* ts is a string: nanoseconds since the epoch do not fit a double, which most readers parse into. */
static void put_time(FILE *out, uint64_t ts_ns)
{
	unsigned long long s = ts_ns / 1000000000ULL, ns = ts_ns % 1000000000ULL;
	time_t sec = (time_t)s;
	char date[32] = "";
	struct tm tm;

	if (gmtime_r(&sec, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "{\"ts\":\"%llu.%09llu\",\"time\":\"%s.%09lluZ\"", s, ns, date, ns);
}

static void put_process(FILE *out, const struct uc_message *m)
{
	fprintf(out, ",\"event\":\"%s\",\"type\":\"%s\",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"comm\":",
		uc_event_name(m->event), uc_sock_type_name(m->sock_type), m->pid, m->tid, m->uid);
	put_field(out, m->comm, sizeof(m->comm));
	fprintf(out, ",\"syscall\":%u", m->syscall);
}

/* An unnamed socket has no path: null, not "", which is no name a socket can have. */
static void put_ends(FILE *out, const struct uc_message *m)
{
	fputs(",\"own\":{\"path\":", out);
	if (m->own_path[0])
		put_name(out, m->own_path, sizeof(m->own_path));
	else
		fputs("null", out);
	fprintf(out, ",\"inode\":%llu},\"peer\":{\"path\":", (unsigned long long)m->own_ino);
	if (m->peer_path[0])
		put_name(out, m->peer_path, sizeof(m->peer_path));
	else
		fputs("null", out);
	fprintf(out, ",\"inode\":%llu", (unsigned long long)m->peer_ino);
	if (m->peer_pid)
		fprintf(out, ",\"pid\":%u,\"uid\":%u,\"gid\":%u", m->peer_pid, m->peer_uid,
			m->peer_gid);
	fputc('}', out);
}

static void put_sizes(FILE *out, const struct uc_message *m)
{
	fprintf(out, ",\"len\":%u,\"caplen\":%u,\"stored\":%u", m->len, m->caplen, m->stored);
	/* Other events keep nothing: their len counts bytes read or unseen, not bytes cut off. */
	if (m->event == UC_MSG_DATA) {
		fputs(",\"payload\":", out);
		put_base64(out, m->data, m->stored);
		if (m->caplen > m->stored)
			fprintf(out, ",\"lost_bytes\":%u", m->caplen - m->stored);
		if (m->len > m->caplen)
			fprintf(out, ",\"truncated\":%u", m->len - m->caplen);
	}
	if (m->lost_before_msgs)
		fprintf(out, ",\"lost_before\":{\"messages\":%u,\"bytes\":%llu}",
			m->lost_before_msgs, (unsigned long long)m->lost_before_bytes);
}

/* Socket addresses in "what" are formatted like own and peer; other kinds hold a path as is. */
static void put_fds(FILE *out, const struct uc_message *m)
{
	fputs(",\"fds\":[", out);
	for (unsigned i = 0; i < m->nfds_described && i < UC_MAX_PASSED_FDS; i++) {
		const struct uc_passed_fd *fd = &m->fds[i];

		fprintf(out, "%s{\"fd\":%d,\"kind\":", i ? "," : "", fd->fd);
		put_field(out, fd->kind, sizeof(fd->kind));
		fprintf(out, ",\"inode\":%llu,\"what\":", (unsigned long long)fd->ino);
		if (strcmp(fd->kind, "socket") == 0)
			put_name(out, fd->what, sizeof(fd->what));
		else
			put_field(out, fd->what, sizeof(fd->what));
		fputc('}', out);
	}
	fprintf(out, "],\"fds_passed\":%u", m->nfds);
}

/* "container":{"runtime":"docker","id":"<64 digits>"[,"pod":"<uid>"][,"name":"web"]} when the
 * cgroup names one. */
static void put_container(FILE *out, const struct uc_message *m)
{
	struct uc_container_id c;

	if (!m->cgroup_id || !uc_container_from_cgroup(m->cgroup, &c))
		return;
	fprintf(out, ",\"container\":{\"runtime\":\"%s\",\"id\":", c.runtime);
	put_field(out, c.id, sizeof(c.id));
	if (c.pod[0]) {
		fputs(",\"pod\":", out);
		put_field(out, c.pod, sizeof(c.pod));
	}
	if (m->container_name[0]) {
		fputs(",\"name\":", out);
		put_field(out, m->container_name, sizeof(m->container_name));
	}
	fputc('}', out);
}

static void put_extras(FILE *out, const struct uc_message *m)
{
	if (m->peek)
		fputs(",\"peek\":true", out);
	if (m->cgroup_id) {
		fputs(",\"cgroup\":", out);
		if (m->cgroup[0])
			put_field(out, m->cgroup, sizeof(m->cgroup));
		else
			fputs("\"?\"", out);
	}
	put_container(out, m);
	if (m->nfds)
		put_fds(out, m);
	if (m->has_creds)
		fprintf(out, ",\"creds\":{\"pid\":%u,\"uid\":%u,\"gid\":%u}", m->cred_pid,
			m->cred_uid, m->cred_gid);
}

int uc_json_write(FILE *out, const struct uc_message *m, bool flush_each)
{
	put_time(out, m->ts_ns);
	put_process(out, m);
	put_ends(out, m);
	put_sizes(out, m);
	put_extras(out, m);
	fputs("}\n", out);
	if (flush_each)
		fflush(out);
	return ferror(out) ? -1 : 0;
}
