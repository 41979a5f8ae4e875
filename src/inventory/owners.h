/* SPDX-License-Identifier: BSD-2-Clause */
/* Which processes hold each socket: /proc/PID/fd scanned once, looked up by sockfs inode. */
#ifndef UNIXCAP_OWNERS_H
#define UNIXCAP_OWNERS_H

#include <stddef.h>
#include <stdint.h>

struct uc_owner {
	uint64_t inode; /* sockfs inode */
	uint32_t pid;
	char comm[16];      /* /proc/PID/comm; "?" when it could not be read */
	char container[48]; /* "docker:0123456789ab" when its cgroup is a container's, else "" */
};

struct uc_owners;

/* Reads proc (normally "/proc"): every socket descriptor of every process. Processes that end
 * meanwhile, or whose descriptors we may not read, are left out (counted: uc_owners_denied).
 * Returns NULL with a one-line reason in err when proc itself cannot be read. */
struct uc_owners *uc_owners_scan(const char *proc, char *err, size_t errlen);
/* The processes holding inode, each once, by pid; *first is NULL when there is none. */
size_t uc_owners_find(const struct uc_owners *o, uint64_t inode, const struct uc_owner **first);
/* Processes whose descriptors could not be read (not root, or not dumpable). */
unsigned uc_owners_denied(const struct uc_owners *o);
void uc_owners_free(struct uc_owners *o);

#endif
