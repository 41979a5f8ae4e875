/* SPDX-License-Identifier: BSD-2-Clause */
/* Which container a cgroup path belongs to, as the common runtimes name their cgroups. */
#ifndef UNIXCAP_CONTAINER_ID_H
#define UNIXCAP_CONTAINER_ID_H

#include <stdbool.h>
#include <stddef.h>

struct uc_container_id {
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "nspawn", "lxc", "cri" */
	char id[256];        /* the 64-digit id, or the machine's or container's name */
	char pod[40];        /* the Kubernetes pod UID ("" when none) */
	size_t end;          /* where the container's segment ends in the path */
};

/* Recognises, in a cgroup path ("/system.slice/docker-<id>.scope", "/docker/<id>",
 * "/kubepods.slice/.../cri-containerd-<id>.scope", "/machine.slice/machine-web.scope",
 * "/lxc.payload.web/..."), the outermost container. false when the path names none. */
bool uc_container_from_cgroup(const char *path, struct uc_container_id *out);
/* "docker:0123456789ab": the runtime and the id's first 12 digits, or a name whole. Returns
 * the length written (cut to fit len). */
size_t uc_container_label(const struct uc_container_id *c, char *out, size_t len);

#endif
