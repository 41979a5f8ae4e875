/* SPDX-License-Identifier: BSD-2-Clause */
/* Wireshark's process-information entry (PEN 32622, entry type 3), little-endian throughout. */
#include "format/process_block.h"

#include <string.h>

#define ENTRY_PROCESS_INFORMATION 3u
#define OPT_END 0
#define OPT_NAME 2
#define OPT_PATH 3
#define OPT_CMDLINE 4
#define OPT_PPID 5
#define OPT_UID 6
#define OPT_USER 7
#define OPT_STARTTIME 9

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t put_option(uint8_t *out, size_t at, uint16_t code, const void *v, size_t len)
{
	out[at] = (uint8_t)code;
	out[at + 1] = (uint8_t)(code >> 8);
	out[at + 2] = (uint8_t)len;
	out[at + 3] = (uint8_t)(len >> 8);
	memcpy(out + at + 4, v, len);
	memset(out + at + 4 + len, 0, (4 - (len & 3)) & 3);
	return at + 4 + ((len + 3) & ~(size_t)3);
}

static size_t put_text(uint8_t *out, size_t at, uint16_t code, const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	return len ? put_option(out, at, code, s, len) : at;
}

static size_t put_number(uint8_t *out, size_t at, uint16_t code, uint64_t v, size_t len)
{
	uint8_t b[8];

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return put_option(out, at, code, b, len);
}

size_t uc_process_entry_encode(uint8_t out[UC_PROCESS_ENTRY_MAX], const struct uc_process_info *p)
{
	size_t at = 12, cmdline = p->cmdline_len <= sizeof(p->cmdline) ? p->cmdline_len : 0;

	if (cmdline && p->cmdline[cmdline - 1] == '\0')
		cmdline--; /* NUL-separated, as Wireshark reads it: none after the last argument */
	le32(out, ENTRY_PROCESS_INFORMATION);
	le32(out + 8, p->pid);
	at = put_text(out, at, OPT_NAME, p->name, sizeof(p->name) - 1);
	at = put_text(out, at, OPT_PATH, p->path, sizeof(p->path) - 1);
	if (cmdline)
		at = put_option(out, at, OPT_CMDLINE, p->cmdline, cmdline);
	if (p->ppid)
		at = put_number(out, at, OPT_PPID, p->ppid, 4);
	if (p->has_uid)
		at = put_number(out, at, OPT_UID, p->uid, 4);
	at = put_text(out, at, OPT_USER, p->user, sizeof(p->user) - 1);
	if (p->start_ns)
		at = put_number(out, at, OPT_STARTTIME, p->start_ns, 8);
	if (at > 12) { /* options end with opt_endofopt, and only when there are some */
		memset(out + at, 0, 4);
		at += 4;
	}
	le32(out + 4, (uint32_t)(at - 8));
	return at;
}

static void keep_text(char *dst, size_t room, const uint8_t *v, size_t len)
{
	len = len < room - 1 ? len : room - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static int decode_option(struct uc_process_info *p, uint16_t code, const uint8_t *v, size_t len)
{
	switch (code) {
	case OPT_NAME: keep_text(p->name, sizeof(p->name), v, len); return 0;
	case OPT_PATH: keep_text(p->path, sizeof(p->path), v, len); return 0;
	case OPT_USER: keep_text(p->user, sizeof(p->user), v, len); return 0;
	case OPT_CMDLINE:
		p->cmdline_len = len < sizeof(p->cmdline) ? len : sizeof(p->cmdline);
		memcpy(p->cmdline, v, p->cmdline_len);
		return 0;
	case OPT_PPID:
	case OPT_UID:
		if (len != 4)
			return -1;
		if (code == OPT_PPID) {
			p->ppid = get_le32(v);
		} else {
			p->uid = get_le32(v);
			p->has_uid = 1;
		}
		return 0;
	case OPT_STARTTIME:
		if (len != 8)
			return -1;
		p->start_ns = get_le32(v) | (uint64_t)get_le32(v + 4) << 32;
		return 0;
	}
	return 0; /* options of later versions (a UUID, a comment) are skipped */
}

int uc_process_entry_decode(const uint8_t *data, size_t len, struct uc_process_info *p,
			    const char **why)
{
	size_t entry_len, at = 12;

	memset(p, 0, sizeof(*p));
	if (len < 8)
		return *why = "a Wireshark custom block shorter than its entry header", -1;
	if (get_le32(data) != ENTRY_PROCESS_INFORMATION)
		return 0;
	entry_len = get_le32(data + 4);
	if (entry_len < 4 || entry_len > len - 8)
		return *why = "a process entry whose length runs past its block", -1;
	p->pid = get_le32(data + 8);
	while (at + 4 <= 8 + entry_len) {
		uint16_t code = (uint16_t)(data[at] | data[at + 1] << 8);
		size_t olen = (size_t)(data[at + 2] | data[at + 3] << 8);

		if (code == OPT_END)
			return 1;
		if (olen > 8 + entry_len - at - 4)
			return *why = "a process entry option runs past the entry", -1;
		if (decode_option(p, code, data + at + 4, olen) < 0)
			return *why = "a process entry's ppid, uid or start time of the wrong size",
			       -1;
		at += 4 + ((olen + 3) & ~(size_t)3);
	}
	return 1;
}
