/* SPDX-License-Identifier: BSD-2-Clause */
/* Cgroup v2 ids (what the kernel reports) to paths (what people read), and --cgroup checks. */
#include "capture/cgroups.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#define CGROUP2_MAGIC 0x63677270

struct known {
	uint64_t id;
	char *path;
};

/* The cgroups that exist, as of the last walk of the tree: cgroups come and go (a scope per
 * login, a unit per container), so each walk replaces the table rather than adding to it. */
struct uc_cgroups {
	struct known *items; /* sorted by id */
	size_t n, cap;
	time_t last_walk; /* a walk of the tree per second at most, for ids not found */
};

const char *uc_cgroup_root(void)
{
	static char root[256];
	static int looked;
	char dev[256], dir[256], type[64];
	FILE *mounts;

	if (looked++)
		return root;
	mounts = fopen("/proc/self/mounts", "re");
	while (mounts && fscanf(mounts, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	if (mounts)
		fclose(mounts);
	return root;
}

struct uc_cgroups *uc_cgroups_new(void)
{
	return calloc(1, sizeof(struct uc_cgroups));
}

static void forget_all(struct uc_cgroups *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].path);
	c->n = 0;
}

void uc_cgroups_free(struct uc_cgroups *c)
{
	if (!c)
		return;
	forget_all(c);
	free(c->items);
	free(c);
}

static void remember(struct uc_cgroups *c, uint64_t id, const char *path)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct known *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return;
		c->items = items;
		c->cap = cap;
	}
	c->items[c->n].id = id;
	c->items[c->n].path = strdup(path[0] ? path : "/");
	if (c->items[c->n].path)
		c->n++;
}

static struct uc_cgroups *walking; /* nftw has no context argument */

/* A cgroup v2 id is the inode number of its directory. */
static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D)
		remember(walking, (uint64_t)st->st_ino, path + strlen(uc_cgroup_root()));
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct known *)a)->id, y = ((const struct known *)b)->id;

	return x < y ? -1 : x > y;
}

static void walk(struct uc_cgroups *c)
{
	forget_all(c);
	walking = c;
	if (uc_cgroup_root()[0])
		nftw(uc_cgroup_root(), visit, 16, FTW_PHYS | FTW_MOUNT);
	qsort(c->items, c->n, sizeof(*c->items), by_id);
	if (c->cap > 2 * c->n + 64) { /* the tree shrank: so does the table */
		struct known *items = realloc(c->items, (c->n + 64) * sizeof(*items));

		if (items) {
			c->items = items;
			c->cap = c->n + 64;
		}
	}
}

const char *uc_cgroups_path(struct uc_cgroups *c, uint64_t id)
{
	struct known key = { .id = id }, *found;
	time_t now = time(NULL);

	found = c->n ? bsearch(&key, c->items, c->n, sizeof(*c->items), by_id) : NULL;
	if (!found && now != c->last_walk) {
		c->last_walk = now;
		walk(c);
		found = c->n ? bsearch(&key, c->items, c->n, sizeof(*c->items), by_id) : NULL;
	}
	return found ? found->path : "";
}

int uc_cgroup_check(const char *path, char *err, size_t errlen)
{
	struct statfs fs;
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "invalid --cgroup '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "invalid --cgroup '%s': not a directory", path);
		return -1;
	}
	if (statfs(path, &fs) < 0 || fs.f_type != CGROUP2_MAGIC) {
		snprintf(err, errlen, "invalid --cgroup '%s': not a cgroup v2 directory (cgroup v2 is %s)",
			 path, uc_cgroup_root()[0] ? uc_cgroup_root() : "not mounted");
		return -1;
	}
	return 0;
}
