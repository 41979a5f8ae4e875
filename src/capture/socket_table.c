/* SPDX-License-Identifier: BSD-2-Clause */
/* Sockets as the hooks described them (UC_REC_SOCKET), for the UC_REC_IO records that name them. */
#include "capture/socket_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

struct described {
	struct uc_hash_node node;
	struct uc_rec_socket rec;
};

struct uc_socket_table {
	struct uc_hash by_inode;
	size_t max;
};

static uint64_t inode_hash(uint64_t ino)
{
	return uc_hash_bytes(UC_HASH_SEED, &ino, sizeof(ino));
}

static struct described *find(const struct uc_socket_table *t, uint64_t ino)
{
	for (struct uc_hash_node *n = uc_hash_first(&t->by_inode, inode_hash(ino)); n;
	     n = uc_hash_next(n)) {
		struct described *d = uc_container_of(n, struct described, node);

		if (d->rec.own_ino == ino)
			return d;
	}
	return NULL;
}

struct uc_socket_table *uc_socket_table_new(size_t max)
{
	struct uc_socket_table *t = calloc(1, sizeof(*t));

	if (!t || uc_hash_init(&t->by_inode, 1024) < 0) {
		free(t);
		return NULL;
	}
	t->max = max ? max : UC_SOCKET_TABLE_MAX;
	return t;
}

static void free_described(struct uc_hash_node *n)
{
	free(uc_container_of(n, struct described, node));
}

void uc_socket_table_free(struct uc_socket_table *t)
{
	if (!t)
		return;
	uc_hash_clear(&t->by_inode, free_described);
	uc_hash_destroy(&t->by_inode);
	free(t);
}

int uc_socket_table_put(struct uc_socket_table *t, const struct uc_rec_socket *r)
{
	struct described *d = find(t, r->own_ino);
	int emptied = 0;

	if (d) {
		d->rec = *r;
		return 0;
	}
	/* Sockets whose close was never seen (their process died) would otherwise stay for ever. */
	if (t->by_inode.count >= t->max) {
		uc_hash_clear(&t->by_inode, free_described);
		emptied = 1;
	}
	d = malloc(sizeof(*d));
	if (!d)
		return -1;
	d->rec = *r;
	uc_hash_add(&t->by_inode, &d->node, inode_hash(r->own_ino));
	return emptied;
}

const struct uc_rec_socket *uc_socket_table_get(const struct uc_socket_table *t, uint64_t own_ino)
{
	const struct described *d = find(t, own_ino);

	return d ? &d->rec : NULL;
}

void uc_socket_table_forget(struct uc_socket_table *t, uint64_t own_ino)
{
	struct described *d = find(t, own_ino);

	if (!d)
		return;
	uc_hash_remove(&t->by_inode, &d->node);
	free(d);
}

size_t uc_socket_table_count(const struct uc_socket_table *t)
{
	return t->by_inode.count;
}

bool uc_socket_table_expand(const struct uc_socket_table *t, const struct uc_rec_io *io,
			    struct uc_rec_message *out)
{
	const struct uc_rec_socket *s = uc_socket_table_get(t, io->own_ino);

	out->head = io->head; /* every field is set below: a memset of the whole was measurable */
	out->head.kind = UC_REC_MESSAGE;
	out->ktime_ns = io->ktime_ns;
	out->own_ino = io->own_ino;
	out->peer_ino = io->peer_ino;
	out->lost_before_bytes = io->lost_before_bytes;
	out->cgroup_id = io->cgroup_id;
	out->lost_before_msgs = io->lost_before_msgs;
	out->pid = io->pid;
	out->tid = io->tid;
	out->uid = io->uid;
	out->len = io->len;
	out->caplen = io->caplen;
	out->event = io->event;
	out->sock_type = io->sock_type;
	out->syscall = io->syscall;
	out->peek = io->peek;
	out->order_unknown = io->order_unknown;
	memcpy(out->comm, io->comm, sizeof(out->comm));
	out->path_match = UC_PATH_MATCHED; /* the hooks sent it: its socket passed --path */
	if (!s) {
		out->peer_pid = out->peer_uid = out->peer_gid = 0;
		out->own_path_len = out->peer_path_len = 0;
		memset(out->own_path, 0, sizeof(out->own_path));
		memset(out->peer_path, 0, sizeof(out->peer_path));
		return false;
	}
	out->peer_pid = s->peer_pid;
	out->peer_uid = s->peer_uid;
	out->peer_gid = s->peer_gid;
	out->path_match = s->path_match;
	out->own_path_len = s->own_path_len;
	out->peer_path_len = s->peer_path_len;
	memcpy(out->own_path, s->own_path, sizeof(out->own_path));
	memcpy(out->peer_path, s->peer_path, sizeof(out->peer_path));
	return true;
}
