/* SPDX-License-Identifier: BSD-2-Clause */
/* The capture library: open a session with filters, receive whole messages, read statistics, close.
 * Its declarations are the public header's (include/unixcap.h). */
#ifndef UNIXCAP_CAPTURE_H
#define UNIXCAP_CAPTURE_H

#include "unixcap.h"

#endif
