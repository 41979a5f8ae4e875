/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON strings from arbitrary bytes: valid UTF-8 kept, everything else escaped. */
#include "core/json_string.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or 0 when p[0] does not start one. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Bytes at p that go out as they are, or 0 when p[0] must be escaped. DEL is escaped too, with
 * the other control characters, so that a line on a terminal cannot drive it. */
static size_t plain_len(const uint8_t *p, size_t n)
{
	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f && p[0] != '"' && p[0] != '\\';
	return utf8_len(p, n);
}

/* One byte that cannot go out as it is: an invalid UTF-8 byte becomes the code point of the same
 * value (\u0080-\u00ff), as a Latin-1 reading of it would. */
static void put_escape(FILE *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	const char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"': fputs("\\\"", out); break;
	case '\\': fputs("\\\\", out); break;
	case '\n': fputs("\\n", out); break;
	case '\r': fputs("\\r", out); break;
	case '\t': fputs("\\t", out); break;
	default: fwrite(u, 1, sizeof(u), out);
	}
}

/* Runs that need no escape are written in one piece. */
void uc_json_string(FILE *out, const void *bytes, size_t n)
{
	const uint8_t *s = bytes;
	size_t i = 0, run = 0;

	fputc('"', out);
	while (i < n) {
		size_t k = plain_len(s + i, n - i);

		if (k) {
			i += k;
			continue;
		}
		fwrite(s + run, 1, i - run, out);
		put_escape(out, s[i]);
		run = ++i;
	}
	fwrite(s + run, 1, n - run, out);
	fputc('"', out);
}
