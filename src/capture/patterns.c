/* SPDX-License-Identifier: BSD-2-Clause */
/* --path patterns in the kernel's prefix/suffix form (struct uc_pattern). */
#include "capture/patterns.h"

#include <stdio.h>
#include <string.h>

#include "core/names.h"

int uc_pattern_compile(const char *text, struct uc_pattern *kernel, char raw[UC_PATH_LEN],
		       size_t *raw_len, char *err, size_t errlen)
{
	size_t n = 0, first, last;
	const char *star;

	if (text[0] == '@') {
		raw[0] = '\0';
		if (uc_sun_path_unescape(text + 1, raw + 1, UC_PATH_LEN - 1, &n) < 0)
			goto too_long;
		n++;
	} else if (text[0] == '/' || text[0] == '*' || text[0] == '.') {
		if (uc_sun_path_unescape(text, raw, UC_PATH_LEN, &n) < 0)
			goto too_long;
	} else {
		snprintf(err, errlen, "invalid --path '%s': expected a path, a glob or @abstract",
			 text);
		return -1;
	}
	if (n <= 1 && raw[0] == '\0') {
		snprintf(err, errlen, "invalid --path '%s': empty abstract name", text);
		return -1;
	}
	star = memchr(raw, '*', n);
	memset(kernel, 0, sizeof(*kernel));
	first = star ? (size_t)(star - raw) : n;
	last = n;
	while (star && last > 0 && raw[last - 1] != '*')
		last--;
	kernel->has_star = star != NULL;
	kernel->prefix_len = (uint8_t)first;
	memcpy(kernel->prefix, raw, first);
	kernel->suffix_len = star ? (uint8_t)(n - last) : 0;
	memcpy(kernel->suffix, raw + last, kernel->suffix_len);
	*raw_len = n;
	return 0;
too_long:
	snprintf(err, errlen, "invalid --path '%s': longer than %d bytes", text, UC_PATH_LEN);
	return -1;
}
