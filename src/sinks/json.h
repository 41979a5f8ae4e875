/* SPDX-License-Identifier: BSD-2-Clause */
/* --json: one JSON object per message, one per line (schema in doc/json.md). */
#ifndef UNIXCAP_JSON_H
#define UNIXCAP_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/capture.h"

/* Writes m as one line ending in "\n", every event included ("lost" too); flushes after it when
 * flush_each. Returns 0, or -1 with errno when out has an error. */
int uc_json_write(FILE *out, const struct uc_message *m, bool flush_each);

#endif
