/* SPDX-License-Identifier: BSD-2-Clause */
/* -Z: leave root for another user once what needs root is done. */
#ifndef UNIXCAP_PRIVILEGES_H
#define UNIXCAP_PRIVILEGES_H

#include <stddef.h>

/* Switches to user's uid, primary gid and supplementary groups, for good (root cannot be
 * regained). 0, or -1 with a one-line reason in err. */
int uc_drop_privileges(const char *user, char *err, size_t errlen);

#endif
