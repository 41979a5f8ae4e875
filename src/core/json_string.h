/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON strings from arbitrary bytes: valid UTF-8 kept, everything else escaped. */
#ifndef UNIXCAP_JSON_STRING_H
#define UNIXCAP_JSON_STRING_H

#include <stddef.h>
#include <stdio.h>

/* A JSON string, quotes included, from n arbitrary bytes: valid UTF-8 goes out as it is; quotes,
 * backslashes and control characters (DEL too) are escaped, and each byte that is not UTF-8
 * becomes the code point of its value (\u0080-\u00ff), as a Latin-1 reading would. */
void uc_json_string(FILE *out, const void *s, size_t n);

#endif
