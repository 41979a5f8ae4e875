/* SPDX-License-Identifier: BSD-2-Clause */
/* The live text dump: one header line per message, then its payload as text or hex. */
#include "sinks/text.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/container_id.h"
#include "format/comment.h"

#define INDENT "    "

static void put_time(FILE *out, uint64_t ts_ns, bool utc)
{
	time_t sec = (time_t)(ts_ns / 1000000000ULL);
	struct tm tm;
	char buf[16];

	if (utc)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(out, "%s.%09llu", buf, (unsigned long long)(ts_ns % 1000000000ULL));
}

static void put_end(FILE *out, const char *path, uint64_t ino)
{
	fprintf(out, "%s(%llu)", path[0] ? path : "unnamed", (unsigned long long)ino);
}

/* A process picks its own name (PR_SET_NAME): escaped like paths so it cannot break the line. */
static void put_comm(FILE *out, const char *comm)
{
	for (const unsigned char *p = (const unsigned char *)comm; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			fputc(*p, out);
		else
			fprintf(out, "\\x%02x", *p);
	}
}

/* "@docker:0123456789ab" after the process, when its cgroup names a container, and "(web)" when
 * dockerd named it. */
static void put_container(FILE *out, const struct uc_message *m)
{
	struct uc_container_id c;
	char label[sizeof(c.id) + 16];

	if (!m->cgroup_id || !uc_container_from_cgroup(m->cgroup, &c))
		return;
	uc_container_label(&c, label, sizeof(label));
	fputc('@', out);
	put_comm(out, label); /* a name is the runtime's: shown as comm is, escaped */
	if (m->container_name[0]) {
		fputc('(', out);
		put_comm(out, m->container_name);
		fputc(')', out);
	}
}

static void put_header(FILE *out, const struct uc_text_options *opt, const struct uc_message *m)
{
	bool eof = m->event == UC_MSG_EOF || m->event == UC_MSG_READ;

	put_time(out, m->ts_ns, opt->utc);
	fputc(' ', out);
	put_comm(out, m->comm);
	fprintf(out, "[%u", m->pid);
	if (opt->verbose)
		fprintf(out, "/%u uid=%u", m->tid, m->uid);
	fputc(']', out);
	put_container(out, m);
	fprintf(out, " %s ", uc_sock_type_name(m->sock_type));
	put_end(out, m->own_path, m->own_ino);
	fputs(eof ? " < " : " > ", out);
	put_end(out, m->peer_path, m->peer_ino);
	if (m->event == UC_MSG_READ) {
		fprintf(out, " read %u%s\n", m->len, m->peek ? " (peek: left queued)" : "");
		return;
	}
	if (m->event == UC_MSG_UNSEEN) {
		fprintf(out,
			" UNSEEN %u bytes (sent by sendfile, splice or io_uring: not "
			"captured)\n",
			m->len);
		return;
	}
	if (m->event != UC_MSG_DATA) {
		fprintf(out, " %s\n", uc_event_name(m->event));
		return;
	}
	fprintf(out, " len %u", m->len);
	if (opt->verbose)
		fprintf(out, " syscall %u", m->syscall);
	if (m->caplen < m->len)
		fprintf(out, " (kept %u, -s)", m->caplen);
	fputc('\n', out);
}

/* Text as it reads, one indented line per line of payload; bytes a terminal would not show
 * as themselves are escaped, so the dump stays greppable and cannot drive the terminal. */
static void put_escaped(FILE *out, const uint8_t *p, uint32_t n)
{
	bool line_start = true;

	for (uint32_t i = 0; i < n; i++) {
		if (line_start)
			fputs(INDENT, out);
		line_start = false;
		switch (p[i]) {
		case '\n':
			fputs("\\n\n", out);
			line_start = true;
			break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\\': fputs("\\\\", out); break;
		default:
			if (p[i] >= 0x20 && p[i] < 0x7f)
				fputc(p[i], out);
			else
				fprintf(out, "\\x%02x", p[i]);
		}
	}
	if (!line_start)
		fputc('\n', out);
}

static void put_ascii(FILE *out, const uint8_t *p, uint32_t n)
{
	bool line_start = true;

	for (uint32_t i = 0; i < n; i++) {
		if (line_start)
			fputs(INDENT, out);
		line_start = p[i] == '\n';
		fputc(p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '.', out);
	}
	if (!line_start)
		fputc('\n', out);
}

/* tcpdump's -x / -X layout: offset, 16 bytes in groups of two, optionally the ASCII. */
static void put_hex(FILE *out, const uint8_t *p, uint32_t n, bool ascii)
{
	for (uint32_t off = 0; off < n; off += 16) {
		uint32_t row = n - off < 16 ? n - off : 16;

		fprintf(out, "\t0x%04x:  ", off);
		for (uint32_t i = 0; i < 16; i++) {
			if (i < row)
				fprintf(out, "%02x", p[off + i]);
			else if (ascii)
				fputs("  ", out);
			if (i % 2 == 1 && (ascii || i + 1 < row)) /* -x: no trailing space */
				fputc(' ', out);
		}
		if (ascii) {
			fputc(' ', out);
			for (uint32_t i = 0; i < row; i++)
				fputc(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.',
				      out);
		}
		fputc('\n', out);
	}
}

/* Passed descriptors and credentials as they were when sent: what each fd is, not its number. */
static void put_ancillary(FILE *out, const struct uc_message *m)
{
	for (unsigned i = 0; i < m->nfds_described; i++)
		fprintf(out, INDENT "[passed fd %d: %s %s%sinode %llu]\n", m->fds[i].fd,
			m->fds[i].kind, m->fds[i].what, m->fds[i].what[0] ? ", " : "",
			(unsigned long long)m->fds[i].ino);
	if (m->nfds > m->nfds_described)
		fprintf(out, INDENT "[and %u more passed fds]\n", m->nfds - m->nfds_described);
	if (m->has_creds)
		fprintf(out, INDENT "[credentials pid %u uid %u gid %u]\n", m->cred_pid,
			m->cred_uid, m->cred_gid);
}

static void put_losses(FILE *out, const struct uc_text_options *opt, const struct uc_message *m)
{
	if (m->lost_before_msgs) {
		put_time(out, m->ts_ns, opt->utc);
		fprintf(out, " LOST %llu bytes in %u messages ",
			(unsigned long long)m->lost_before_bytes, m->lost_before_msgs);
		put_end(out, m->own_path, m->own_ino);
		fputs(" > ", out);
		put_end(out, m->peer_path, m->peer_ino);
		fputs(" (ring buffer full)\n", out);
	}
}

int uc_text_write(FILE *out, const struct uc_text_options *opt, const struct uc_message *m)
{
	put_losses(out, opt, m);
	if (m->event != UC_MSG_LOST) {
		put_header(out, opt, m);
		switch (opt->payload) {
		case UC_TEXT_ESCAPED: put_escaped(out, m->data, m->stored); break;
		case UC_TEXT_ASCII: put_ascii(out, m->data, m->stored); break;
		case UC_TEXT_HEX: put_hex(out, m->data, m->stored, false); break;
		case UC_TEXT_HEXASCII: put_hex(out, m->data, m->stored, true); break;
		case UC_TEXT_NONE: break;
		}
		put_ancillary(out, m);
		if (m->stored < m->caplen)
			fprintf(out,
				INDENT "[LOST %u bytes of this message: ring buffer full or memory "
				       "unreadable]\n",
				m->caplen - m->stored);
	}
	if (opt->flush_each)
		fflush(out);
	return ferror(out) ? -1 : 0;
}
