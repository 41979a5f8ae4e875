/* SPDX-License-Identifier: BSD-2-Clause */
/* The live text dump: one header line per message, then its payload as text or hex. */
#ifndef UNIXCAP_TEXT_H
#define UNIXCAP_TEXT_H

#include "unixcap.h"

#endif
