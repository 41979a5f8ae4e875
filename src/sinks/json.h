/* SPDX-License-Identifier: BSD-2-Clause */
/* --json: one JSON object per message, one per line (schema in doc/json.md). */
#ifndef UNIXCAP_JSON_H
#define UNIXCAP_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "unixcap.h"

/* A JSON string, quotes included, from n arbitrary bytes, escaped as uc_json_write escapes its
 * strings (for other commands' JSON: unixcap list). */
void uc_json_string(FILE *out, const void *s, size_t n);

#endif
