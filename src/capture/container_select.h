/* SPDX-License-Identifier: BSD-2-Clause */
/* --container: the cgroup of one running container, by the start of its id or by its name. */
#ifndef UNIXCAP_CONTAINER_SELECT_H
#define UNIXCAP_CONTAINER_SELECT_H

#include <stddef.h>

/* The cgroup v2 directory (dir, an absolute path) and label (label, "docker:0123456789ab") of
 * the one container whose id starts with what, or whose name is what, among the cgroups that
 * exist now; a name or prefix that no cgroup holds is asked of dockerd (docker run --name).
 * 0, or -1 with one line in err: none matches, or several do. */
int uc_container_select(const char *what, char *dir, size_t dirlen, char *label, size_t labellen,
			char *err, size_t errlen);

#endif
