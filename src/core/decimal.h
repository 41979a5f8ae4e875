/* SPDX-License-Identifier: BSD-2-Clause */
/* Unsigned decimals and short keys written by hand: they are made for every packet and every
 * conversation lookup, where snprintf's format parsing was a fifth of the consumer's time. */
#ifndef UNIXCAP_DECIMAL_H
#define UNIXCAP_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UC_DECIMAL_MAX 20 /* digits of UINT64_MAX */

/* Writes v's digits (no NUL) and returns how many. */
static inline size_t uc_decimal(char out[UC_DECIMAL_MAX], uint64_t v)
{
	char rev[UC_DECIMAL_MAX];
	size_t n = 0;

	do
		rev[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

/* "PREFIX<v>" with its NUL into out, which must hold strlen(prefix) + UC_DECIMAL_MAX + 1. */
static inline void uc_decimal_key(char *out, const char *prefix, uint64_t v)
{
	size_t p = strlen(prefix);

	memcpy(out, prefix, p);
	out[p + uc_decimal(out + p, v)] = '\0';
}

#endif
