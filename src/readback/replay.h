/* SPDX-License-Identifier: BSD-2-Clause */
/* -r: the messages of a unixcap pcapng, delivered as the live capture delivered them. */
#ifndef UNIXCAP_REPLAY_H
#define UNIXCAP_REPLAY_H

#include "unixcap.h"

#endif
