/* SPDX-License-Identifier: BSD-2-Clause */
/* The running captures know each other: each enters itself in every other's uc_captures map and their entries in its own. */
#include "capture/registry.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGISTRY_MAP_NAME "uc_captures"

/* Field 22 of /proc/self/stat: when this process started, in clock ticks since boot (what the
 * hooks compare with the task's start_boottime, so that a reused pid is not taken for us). */
static int own_start_ticks(uint64_t *ticks)
{
	char buf[1024], *end;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	unsigned long long v;
	char *p;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -1;
	*ticks = v;
	return 0;
}

static bool is_registry(int fd, uint32_t own_id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.id != own_id &&
	       strcmp(info.name, REGISTRY_MAP_NAME) == 0 && info.type == BPF_MAP_TYPE_LRU_HASH &&
	       info.key_size == sizeof(uint32_t) && info.value_size == sizeof(uint64_t);
}

static void copy_entries(int from, int to)
{
	uint32_t key, next, *prev = NULL;
	uint64_t start;

	while (bpf_map_get_next_key(from, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(from, &key, &start) == 0)
			bpf_map_update_elem(to, &key, &start, BPF_ANY);
	}
}

/* Another capture's map: it learns of us, we of everyone it knows. Kept open to leave it. */
static void meet(struct uc_registry *r, int fd)
{
	bpf_map_update_elem(fd, &r->tgid, &r->start, BPF_ANY);
	copy_entries(fd, r->own_fd);
	r->met++;
	if (r->n_fds < UC_REGISTRY_MAX)
		r->fds[r->n_fds++] = fd;
	else
		close(fd);
}

/* Each capture enters itself in its own map before it looks for the others, so of two starting
 * together the one that looks last finds the other's map with the other already in it. */
int uc_registry_join(struct uc_registry *r, int own_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id = 0;
	int fd, err;

	memset(r, 0, sizeof(*r));
	r->own_fd = own_fd;
	r->tgid = (uint32_t)getpid();
	if (own_start_ticks(&r->start) < 0 || bpf_obj_get_info_by_fd(own_fd, &info, &len) < 0 ||
	    bpf_map_update_elem(own_fd, &r->tgid, &r->start, BPF_ANY) < 0)
		return -1;
	while ((err = bpf_map_get_next_id(id, &id)) == 0) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (is_registry(fd, info.id))
			meet(r, fd);
		else
			close(fd);
	}
	return err == -ENOENT ? 0 : -1; /* ENOENT: past the last map; EPERM: no CAP_SYS_ADMIN */
}

void uc_registry_leave(struct uc_registry *r)
{
	for (unsigned i = 0; i < r->n_fds; i++) {
		bpf_map_delete_elem(r->fds[i], &r->tgid);
		close(r->fds[i]);
	}
	r->n_fds = 0;
}
