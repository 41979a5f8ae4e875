/* SPDX-License-Identifier: BSD-2-Clause */
/* uc_container_of: from a member embedded in a structure (list link, hash node) to the structure. */
#ifndef UNIXCAP_CONTAINER_H
#define UNIXCAP_CONTAINER_H

#include <stddef.h>

#define uc_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
