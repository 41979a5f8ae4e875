/* SPDX-License-Identifier: BSD-2-Clause */
/* Which processes hold each socket: /proc/PID/fd scanned once, looked up by sockfs inode. */
#include "inventory/owners.h"
#include "core/container_id.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/array.h"

struct uc_owners {
	struct uc_owner *v; /* sorted by inode, then pid; one entry per (inode, pid) */
	size_t n, cap;
	unsigned denied;
};

static bool parse_decimal(const char *s, const char *end_char, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return end_char ? *s == *end_char : *s == '\0';
}

static void read_comm(int proc_fd, uint32_t pid, char comm[16])
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%u/comm", pid);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, 15);
		close(fd);
	}
	if (n <= 0) {
		strcpy(comm, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

/* The container of the process's cgroup v2 path (the "0::" line of /proc/PID/cgroup). */
static void read_container(int proc_fd, uint32_t pid, char label[48])
{
	char path[64], text[4096], *line;
	struct uc_container_id c;
	ssize_t n = -1;
	int fd;

	label[0] = '\0';
	snprintf(path, sizeof(path), "%u/cgroup", pid);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	text[n] = '\0';
	line = !strncmp(text, "0::", 3) ? text : strstr(text, "\n0::");
	if (!line)
		return;
	line += line == text ? 3 : 4;
	line[strcspn(line, "\n")] = '\0';
	if (uc_container_from_cgroup(line, &c))
		uc_container_label(&c, label, 48);
}

static int push(struct uc_owners *o, uint64_t inode, uint32_t pid, const char *comm,
		const char *container)
{
	struct uc_owner *v = uc_array_grow(o->v, &o->cap, o->n + 1, sizeof(*v), 1024);

	if (!v)
		return -1;
	o->v = v;
	o->v[o->n].inode = inode;
	o->v[o->n].pid = pid;
	snprintf(o->v[o->n].comm, sizeof(o->v[o->n].comm), "%s", comm);
	snprintf(o->v[o->n].container, sizeof(o->v[o->n].container), "%s", container);
	o->n++;
	return 0;
}

/* A process that ends while we read it just has fewer descriptors, or none. */
static int scan_process(struct uc_owners *o, int proc_fd, uint32_t pid)
{
	char path[64], link[64], comm[16] = "", container[48] = "";
	struct dirent *e;
	int fd_dir;
	DIR *d;

	snprintf(path, sizeof(path), "%u/fd", pid);
	fd_dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd_dir < 0) {
		o->denied += errno == EACCES || errno == EPERM;
		return 0;
	}
	d = fdopendir(fd_dir);
	if (!d) {
		close(fd_dir);
		return 0;
	}
	while ((e = readdir(d))) {
		ssize_t n = readlinkat(fd_dir, e->d_name, link, sizeof(link) - 1);
		uint64_t inode;

		if (n <= 8 || memcmp(link, "socket:[", 8) != 0)
			continue;
		link[n] = '\0';
		if (!parse_decimal(link + 8, "]", &inode))
			continue;
		if (!comm[0]) { /* read once, and only for processes that hold a socket */
			read_comm(proc_fd, pid, comm);
			read_container(proc_fd, pid, container);
		}
		if (push(o, inode, pid, comm, container) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int by_inode_pid(const void *a, const void *b)
{
	const struct uc_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Sorted, then one entry per (inode, pid): a process may hold a socket in several descriptors. */
static void sort_unique(struct uc_owners *o)
{
	size_t kept = 0;

	if (o->n)
		qsort(o->v, o->n, sizeof(*o->v), by_inode_pid);
	for (size_t i = 0; i < o->n; i++)
		if (!kept || by_inode_pid(&o->v[kept - 1], &o->v[i]) != 0)
			o->v[kept++] = o->v[i];
	o->n = kept;
}

struct uc_owners *uc_owners_scan(const char *proc, char *err, size_t errlen)
{
	struct uc_owners *o = calloc(1, sizeof(*o));
	DIR *d = opendir(proc);
	struct dirent *e;
	uint64_t pid;

	if (!o || !d) {
		uc_error(err, errlen, "cannot read %s: %s", proc, strerror(o ? errno : ENOMEM));
		goto failed;
	}
	while ((e = readdir(d))) {
		if (!parse_decimal(e->d_name, NULL, &pid) || pid == 0 || pid > UINT32_MAX)
			continue;
		if (scan_process(o, dirfd(d), (uint32_t)pid) < 0) {
			uc_error(err, errlen, "reading %s: out of memory", proc);
			goto failed;
		}
	}
	closedir(d);
	sort_unique(o);
	return o;
failed:
	if (d)
		closedir(d);
	uc_owners_free(o);
	return NULL;
}

size_t uc_owners_find(const struct uc_owners *o, uint64_t inode, const struct uc_owner **first)
{
	size_t lo = 0, hi = o->n, end;

	while (lo < hi) { /* the first entry whose inode is not below */
		size_t mid = lo + (hi - lo) / 2;

		if (o->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < o->n && o->v[end].inode == inode; end++)
		;
	*first = end > lo ? &o->v[lo] : NULL;
	return end - lo;
}

unsigned uc_owners_denied(const struct uc_owners *o)
{
	return o->denied;
}

void uc_owners_free(struct uc_owners *o)
{
	if (!o)
		return;
	free(o->v);
	free(o);
}
