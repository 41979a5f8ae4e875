/* SPDX-License-Identifier: BSD-2-Clause */
/* Unsigned decimals and short keys written by hand: they are made for every packet and every
 * conversation lookup, where snprintf's format parsing was a fifth of the consumer's time. */
#ifndef UNIXCAP_DECIMAL_H
#define UNIXCAP_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UC_DECIMAL_MAX 20 /* digits of UINT64_MAX */

/* How many digits v has. */
static inline size_t uc_decimal_digits(uint64_t v)
{
	size_t n = 1;

	for (uint64_t p = 10; n < UC_DECIMAL_MAX && v >= p; p *= 10)
		n++;
	return n;
}

/* Writes v's digits (no NUL) and returns how many. Each digit goes straight to its place: bytes
 * written one at a time into a scratch buffer and then copied as a word stall the store buffer. */
static inline size_t uc_decimal(char out[UC_DECIMAL_MAX], uint64_t v)
{
	size_t n = uc_decimal_digits(v);
	char *p = out + n;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
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
