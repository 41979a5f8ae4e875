/* SPDX-License-Identifier: BSD-2-Clause */
/* Cgroup v2 ids (what the kernel reports) to paths (what people read), and --cgroup checks. */
#include "capture/cgroups.h"
#include "core/array.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define FILEID_KERNFS 0xfe /* include/linux/exportfs.h */

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
	char root[256];   /* where cgroup v2 is mounted, looked up once; "" when it is not */
};

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems);
 * "" when it is not. */
static void find_root(char *root, size_t len)
{
	char dev[256], dir[256], type[64];
	FILE *mounts = fopen("/proc/self/mounts", "re");

	root[0] = '\0';
	while (mounts && fscanf(mounts, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(root, len, "%s", dir);
			break;
		}
	if (mounts)
		fclose(mounts);
}

struct uc_cgroups *uc_cgroups_new(void)
{
	struct uc_cgroups *c = calloc(1, sizeof(struct uc_cgroups));

	if (c)
		find_root(c->root, sizeof(c->root));
	return c;
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
	struct known *items = uc_array_grow(c->items, &c->cap, c->n + 1, sizeof(*items), 64);

	if (!items)
		return;
	c->items = items;
	c->items[c->n].id = id;
	c->items[c->n].path = strdup(path[0] ? path : "/");
	if (c->items[c->n].path)
		c->n++;
}

/* A cgroup v2 id is the inode number of its directory. Every directory below dir_fd (whose
 * path is path, len bytes, below the root) on device dev, symbolic links not followed. */
static void visit_below(struct uc_cgroups *c, int dir_fd, dev_t dev, char *path, size_t len)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *e;
	struct stat st;

	if (!dir) {
		close(dir_fd);
		return;
	}
	while ((e = readdir(dir))) {
		int n, fd;

		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n = snprintf(path + len, PATH_MAX - len, "/%s", e->d_name);
		if (n < 0 || (size_t)n >= PATH_MAX - len)
			continue; /* too long a path to name */
		fd = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || st.st_dev != dev) { /* another mount: not this tree */
			close(fd);
			continue;
		}
		remember(c, (uint64_t)st.st_ino, path);
		visit_below(c, fd, dev, path, len + (size_t)n);
	}
	path[len] = '\0';
	closedir(dir);
}

static void visit_tree(struct uc_cgroups *c)
{
	char path[PATH_MAX] = "";
	int fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	remember(c, (uint64_t)st.st_ino, path);
	visit_below(c, fd, st.st_dev, path, 0);
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct known *)a)->id, y = ((const struct known *)b)->id;

	return x < y ? -1 : x > y;
}

static void walk(struct uc_cgroups *c)
{
	forget_all(c);
	if (c->root[0])
		visit_tree(c);
	qsort(c->items, c->n, sizeof(*c->items), by_id);
	if (c->cap > 2 * c->n + 64) { /* the tree shrank: so does the table */
		struct known *items = realloc(c->items, (c->n + 64) * sizeof(*items));

		if (items) {
			c->items = items;
			c->cap = c->n + 64;
		}
	}
}

/* A cgroup made since the last walk (a container just started), found at once: cgroupfs takes
 * the id as a file handle (FILEID_KERNFS), and the descriptor it opens names the directory. */
static bool learn_by_handle(struct uc_cgroups *c, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(id), .handle_type = FILEID_KERNFS } };
	char link[64], path[PATH_MAX];
	size_t root_len = strlen(c->root);
	int mount_fd, fd;
	ssize_t n;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	mount_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0)
		return false;
	fd = open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mount_fd);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0 || (size_t)n < root_len || memcmp(path, c->root, root_len) != 0)
		return false;
	path[n] = '\0';
	remember(c, id, path + root_len);
	qsort(c->items, c->n, sizeof(*c->items), by_id);
	return true;
}

const char *uc_cgroups_path(struct uc_cgroups *c, uint64_t id)
{
	struct known key = { .id = id }, *found;
	time_t now = time(NULL);

	found = c->n ? bsearch(&key, c->items, c->n, sizeof(*c->items), by_id) : NULL;
	if (!found && c->root[0] && learn_by_handle(c, id))
		found = bsearch(&key, c->items, c->n, sizeof(*c->items), by_id);
	if (!found && now != c->last_walk) {
		c->last_walk = now;
		walk(c);
		found = c->n ? bsearch(&key, c->items, c->n, sizeof(*c->items), by_id) : NULL;
	}
	return found ? found->path : "";
}

const char *uc_cgroups_root(const struct uc_cgroups *c)
{
	return c->root;
}

void uc_cgroups_visit(struct uc_cgroups *c, int (*fn)(const char *path, void *ctx), void *ctx)
{
	c->last_walk = time(NULL);
	walk(c);
	for (size_t i = 0; i < c->n; i++)
		if (fn(c->items[i].path, ctx))
			return;
}

int uc_cgroup_check(const char *path, char *err, size_t errlen)
{
	char root[256];
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
		find_root(root, sizeof(root));
		snprintf(err, errlen,
			 "invalid --cgroup '%s': not a cgroup v2 directory (cgroup v2 is %s)", path,
			 root[0] ? root : "not mounted");
		return -1;
	}
	return 0;
}
