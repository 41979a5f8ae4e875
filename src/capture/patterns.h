/* SPDX-License-Identifier: BSD-2-Clause */
/* --path patterns in the kernel's prefix/suffix form (struct uc_pattern). */
#ifndef UNIXCAP_PATTERNS_H
#define UNIXCAP_PATTERNS_H

#include <stddef.h>

#include "records/record.h"

/* Parses a --path argument (a path, a glob with "*", or @name) into the raw bytes it matches and the
 * kernel's prefix/suffix form. Returns 0, or -1 with a one-line reason in err. */
int uc_pattern_compile(const char *text, struct uc_pattern *kernel, char raw[UC_PATH_LEN],
		       size_t *raw_len, char *err, size_t errlen);

#endif
