/* SPDX-License-Identifier: BSD-2-Clause */
/* Docker's API socket, asked who a container is: its id and name. */
#ifndef UNIXCAP_DOCKER_API_H
#define UNIXCAP_DOCKER_API_H

#include <stddef.h>
#include <stdint.h>

struct uc_docker_container {
	char id[65];    /* 64 hex digits */
	char name[128]; /* without Docker's leading '/' */
};

/* The socket: $DOCKER_HOST when it is unix://PATH, else /run/docker.sock. */
const char *uc_docker_socket(void);
/* Asks dockerd (GET /containers/WHAT/json: WHAT an id, a unique id prefix or a name) within
 * about 250 ms. 0 and c filled, or -1 (no dockerd, no such container, a reply that does not
 * parse). *sock_ino (may be NULL) gets the sockfs inode of the socket unixcap used, so that the
 * capture can leave its own request and dockerd's reply out. */
int uc_docker_inspect(const char *what, struct uc_docker_container *c, uint64_t *sock_ino);

/* Names of Docker containers by cgroup, each asked of dockerd once (again 10 s after a lookup
 * that failed): a table of the last 64 ids. */
struct uc_docker_names;
struct uc_docker_names *uc_docker_names_new(void);
void uc_docker_names_free(struct uc_docker_names *n);
/* The name of the Docker container cgroup_path is the cgroup of, or "" (not Docker's, or not
 * known). *asked_ino is the inode of the socket a lookup used now, or 0 when none was made. */
const char *uc_docker_name_of(struct uc_docker_names *n, const char *cgroup_path,
			      uint64_t *asked_ino);

#endif
