/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket addresses as people read them and write them back, and the glob --path patterns use. */
#ifndef UNIXCAP_NAMES_H
#define UNIXCAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a sun_path that name the socket: filesystem paths end at their first NUL;
 * abstract names (leading NUL) keep every byte. */
size_t uc_sun_path_len(const char *raw, size_t len);
/* "" when unnamed, "@name" for abstract names, the path otherwise; bytes outside printable
 * ASCII (and backslash) are written as \xNN. out must hold UC_NAME_LEN bytes. */
void uc_sun_path_format(const char *raw, size_t len, char *out, size_t outlen);
/* Reads back the \xNN escapes uc_sun_path_format writes, so a name printed can be given back:
 * at most max bytes into raw, their count in *len. Returns 0, or -1 when text needs more. */
int uc_sun_path_unescape(const char *text, char *raw, size_t max, size_t *len);

/* Glob where only '*' is special (it matches any bytes, '/' included). */
bool uc_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif
