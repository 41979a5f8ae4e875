/* SPDX-License-Identifier: BSD-2-Clause */
/* --json: one JSON object per message, one per line (schema in doc/json.md). */
#ifndef UNIXCAP_JSON_H
#define UNIXCAP_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "unixcap.h"

#endif
