/* SPDX-License-Identifier: BSD-2-Clause */
/* One-line error messages: written into the caller's buffer, so the caller decides where they go. */
#ifndef UNIXCAP_ERROR_H
#define UNIXCAP_ERROR_H

#include <stddef.h>

/* Formats the message into err and returns -1, so callers write `return uc_error(...)`. */
__attribute__((format(printf, 3, 4))) int uc_error(char *err, size_t errlen, const char *fmt, ...);

#endif
