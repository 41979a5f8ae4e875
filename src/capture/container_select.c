/* SPDX-License-Identifier: BSD-2-Clause */
/* --container: every cgroup that is a container's own (its segment the path's last) is a
 * candidate; the kernel then filters by that one cgroup, as for --cgroup. */
#include "capture/container_select.h"

#include <stdio.h>
#include <string.h>

#include "capture/cgroups.h"
#include "capture/docker_api.h"
#include "core/container_id.h"
#include "core/error.h"

struct search {
	const char *what;
	unsigned found;
	char path[4096];
	char label[300];
	char others[200]; /* the labels of further matches, for the error */
};

static int consider(const char *path, void *ctx)
{
	struct search *s = ctx;
	struct uc_container_id c;
	char label[sizeof(s->label)];
	size_t n = strlen(s->what), used;

	if (!uc_container_from_cgroup(path, &c) || c.end != strlen(path))
		return 0; /* not a container, or a cgroup inside one */
	/* a name whole, a 64-digit id by its start */
	if (strcmp(c.id, s->what) != 0 && (strlen(c.id) != 64 || strncmp(c.id, s->what, n) != 0))
		return 0;
	uc_container_label(&c, label, sizeof(label));
	if (s->found++ == 0) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		snprintf(s->label, sizeof(s->label), "%s", label);
	} else if ((used = strlen(s->others)) < sizeof(s->others) - 1) {
		snprintf(s->others + used, sizeof(s->others) - used, ", %.*s",
			 (int)(sizeof(s->others) - used - 3), label);
	}
	return 0;
}

int uc_container_select(const char *what, char *dir, size_t dirlen, char *label, size_t labellen,
			char *err, size_t errlen)
{
	struct uc_cgroups *cgroups = uc_cgroups_new();
	struct uc_docker_container docker;
	struct search s;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	if (!cgroups)
		return uc_error(err, errlen, "--container: out of memory");
	s.what = what;
	if (!uc_cgroups_root(cgroups)[0])
		ret = uc_error(err, errlen, "--container %s: cgroup v2 is not mounted", what);
	else
		uc_cgroups_visit(cgroups, consider, &s);
	if (!ret && s.found == 0 && uc_docker_inspect(what, &docker, NULL) == 0) {
		s.what = docker.id; /* a Docker name (or a prefix only dockerd knows) */
		uc_cgroups_visit(cgroups, consider, &s);
	}
	if (!ret && s.found == 0)
		ret = uc_error(err, errlen,
			       "--container %s: no running container has that id or name (looked "
			       "for among the cgroups below %s)",
			       what, uc_cgroups_root(cgroups));
	else if (!ret && s.found > 1)
		ret = uc_error(err, errlen,
			       "--container %s: %u containers match (%s%s): give more of the id",
			       what, s.found, s.label, s.others);
	if (!ret) {
		snprintf(dir, dirlen, "%s%s", uc_cgroups_root(cgroups), s.path);
		snprintf(label, labellen, "%s", s.label);
	}
	uc_cgroups_free(cgroups);
	return ret;
}
