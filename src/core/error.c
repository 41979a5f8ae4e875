/* SPDX-License-Identifier: BSD-2-Clause */
/* One-line error messages: written into the caller's buffer, so the caller decides where they go. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

int uc_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
