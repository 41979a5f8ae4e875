/* SPDX-License-Identifier: BSD-2-Clause */
/* libbpf's own messages, on stderr or not, as the program asks (its print hook is process-wide). */
#include "unixcap.h"

#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

/* A hook per level: libbpf's hook takes no context, and a level kept beside it would be state
 * shared by every session of the process. */
static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

static int print_all(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

void uc_set_libbpf_log(enum uc_libbpf_log level)
{
	libbpf_set_print(level >= UC_LIBBPF_ALL      ? print_all :
			 level == UC_LIBBPF_WARNINGS ? print_warnings :
						       NULL);
}
