/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket addresses as people read them, and --path patterns as the kernel and we match them. */
#ifndef UNIXCAP_NAMES_H
#define UNIXCAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "records/record.h"

/* Bytes of a sun_path that name the socket: filesystem paths end at their first NUL;
 * abstract names (leading NUL) keep every byte. */
size_t uc_sun_path_len(const char *raw, size_t len);
/* "" when unnamed, "@name" for abstract names, the path otherwise; bytes outside printable
 * ASCII (and backslash) are written as \xNN. out must hold UC_NAME_LEN bytes. */
void uc_sun_path_format(const char *raw, size_t len, char *out, size_t outlen);
/* Parses a --path argument (a path, a glob with "*", or @name) into the raw bytes it matches and the
 * kernel's prefix/suffix form. Returns 0, or -1 with a one-line reason in err. */
int uc_pattern_compile(const char *text, struct uc_pattern *kernel, char raw[UC_PATH_LEN],
		       size_t *raw_len, char *err, size_t errlen);
/* Glob where only '*' is special (it matches any bytes, '/' included). */
bool uc_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif
