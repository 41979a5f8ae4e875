/* SPDX-License-Identifier: BSD-2-Clause */
/* One hexadecimal digit's value, for the decoders of \xNN and %XX escapes. */
#ifndef UNIXCAP_HEX_H
#define UNIXCAP_HEX_H

/* 0-15, or -1 when c is not a hexadecimal digit (either case). */
static inline int uc_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
