/* SPDX-License-Identifier: BSD-2-Clause */
/* --children: the followed processes as they are when the capture starts, from /proc. */
#include "capture/follow.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/array.h"
#include "core/error.h"

struct parent_of {
	uint32_t pid, ppid;
};

struct processes {
	struct parent_of *items;
	size_t len, cap;
};

/* The ppid field of /proc/PID/stat, after the last ')' (a comm may hold one) and the state:
 * -1 for a process that has exited (a zombie's exit has been seen already: followed, it would
 * never leave the table). */
static int read_ppid(const char *pid, uint32_t *ppid)
{
	char state;
	char path[300], buf[512], *name_end;
	unsigned long parent;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	name_end = strrchr(buf, ')');
	if (!name_end || sscanf(name_end + 1, " %c %lu", &state, &parent) != 2 || state == 'Z' ||
	    state == 'X')
		return -1;
	*ppid = (uint32_t)parent;
	return 0;
}

/* Every process and its parent, as /proc lists them now. */
static int list_parents(struct processes *out)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;

	if (!proc)
		return -1;
	while ((e = readdir(proc))) {
		struct parent_of p;
		struct parent_of *grown;

		if (!isdigit((unsigned char)e->d_name[0]) || read_ppid(e->d_name, &p.ppid) < 0)
			continue;
		p.pid = (uint32_t)strtoul(e->d_name, NULL, 10);
		grown = uc_array_grow(out->items, &out->cap, out->len + 1, sizeof(p), 256);
		if (!grown) {
			closedir(proc);
			return -1;
		}
		out->items = grown;
		out->items[out->len++] = p;
	}
	closedir(proc);
	return 0;
}

static int enter(int map_fd, uint32_t pid)
{
	__u8 one = 1;

	return bpf_map_update_elem(map_fd, &pid, &one, BPF_ANY);
}

/* Descendants by rounds: each round enters the children of what is entered, until none is new. */
static void enter_descendants(int map_fd, const struct processes *all)
{
	const struct parent_of *p = all->items;
	size_t n = all->len, entered;
	__u8 v;

	do {
		entered = 0;
		for (size_t i = 0; i < n; i++)
			if (bpf_map_lookup_elem(map_fd, &p[i].pid, &v) != 0 &&
			    bpf_map_lookup_elem(map_fd, &p[i].ppid, &v) == 0 &&
			    enter(map_fd, p[i].pid) == 0)
				entered++;
	} while (entered);
}

int uc_follow_start(int map_fd, const uint32_t *pids, unsigned n_pids, char *err, size_t errlen)
{
	struct processes all = { 0 };
	char pid[16];
	uint32_t ppid;

	for (unsigned i = 0; i < n_pids; i++) {
		snprintf(pid, sizeof(pid), "%u", pids[i]);
		if (read_ppid(pid, &ppid) < 0)
			return uc_error(err, errlen, "--pid %u: no such process (or it has exited)",
					pids[i]);
		if (enter(map_fd, pids[i]) < 0)
			return uc_error(err, errlen, "cannot follow process %u: %s", pids[i],
					strerror(errno));
	}
	if (list_parents(&all) < 0) {
		free(all.items);
		return uc_error(err, errlen, "cannot list processes in /proc: %s", strerror(errno));
	}
	enter_descendants(map_fd, &all);
	free(all.items);
	return 0;
}

bool uc_follow_any_left(int map_fd)
{
	uint32_t key;

	return bpf_map_get_next_key(map_fd, NULL, &key) == 0;
}
