/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket addresses as people read them and write them back, and the glob --path patterns use. */
#include "core/names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

size_t uc_sun_path_len(const char *raw, size_t len)
{
	if (len == 0 || raw[0] == '\0')
		return len;
	return strnlen(raw, len);
}

void uc_sun_path_format(const char *raw, size_t len, char *out, size_t outlen)
{
	size_t n = uc_sun_path_len(raw, len), o = 0, i = 0;

	if (outlen == 0)
		return;
	if (n > 0 && raw[0] == '\0') {
		if (o + 1 < outlen)
			out[o++] = '@';
		i = 1;
	}
	for (; i < n && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

int uc_sun_path_unescape(const char *text, char *raw, size_t max, size_t *len)
{
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		unsigned v;

		if (n >= max)
			return -1;
		if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
		    isxdigit((unsigned char)p[3]) && sscanf(p + 2, "%2x", &v) == 1) {
			raw[n++] = (char)v;
			p += 3;
		} else {
			raw[n++] = *p;
		}
	}
	*len = n;
	return 0;
}

bool uc_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star_p = p++;
			star_i = i;
		} else if (p < plen && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star_p != (size_t)-1) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
