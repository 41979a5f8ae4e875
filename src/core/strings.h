/* SPDX-License-Identifier: BSD-2-Clause */
/* A bounded string copy for the per-message paths, where snprintf("%s")'s format parsing was a
 * measurable share of each message's cost. */
#ifndef UNIXCAP_STRINGS_H
#define UNIXCAP_STRINGS_H

#include <stddef.h>
#include <string.h>

/* src into dst of size bytes (size >= 1), cut to fit, always NUL-terminated. */
static inline void uc_copy_string(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif
