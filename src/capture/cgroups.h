/* SPDX-License-Identifier: BSD-2-Clause */
/* Cgroup v2 ids (what the kernel reports) to paths (what people read), and --cgroup checks. */
#ifndef UNIXCAP_CGROUPS_H
#define UNIXCAP_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

struct uc_cgroups;

struct uc_cgroups *uc_cgroups_new(void);
/* The path below the cgroup v2 root ("/system.slice/x.service", "/" for the root), or ""
 * when the id names no cgroup there (it may be gone). Valid until the next call. */
const char *uc_cgroups_path(struct uc_cgroups *c, uint64_t id);
void uc_cgroups_free(struct uc_cgroups *c);
/* Where cgroup v2 is mounted ("" when it is not). */
const char *uc_cgroups_root(const struct uc_cgroups *c);
/* Walks the tree afresh and calls fn with each cgroup's path below the root ("/" for the
 * root), until fn returns non-zero. */
void uc_cgroups_visit(struct uc_cgroups *c, int (*fn)(const char *path, void *ctx), void *ctx);
/* 0 when path is a cgroup v2 directory; else -1 and one line in err. */
int uc_cgroup_check(const char *path, char *err, size_t errlen);

#endif
