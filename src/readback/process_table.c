/* SPDX-License-Identifier: BSD-2-Clause */
/* The processes a file's process blocks describe, kept encoded (most are a few hundred bytes). */
#include "readback/process_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

/* Past this many bytes kept the table starts again: a hostile file cannot make it grow without
 * bound, and a process it forgot gets no block in the copy. */
#define MAX_KEPT_BYTES (16u << 20)

struct kept {
	struct uc_hash_node node;
	uint32_t pid;
	size_t len;
	uint8_t entry[]; /* uc_process_entry_encode's bytes */
};

struct uc_process_table {
	struct uc_hash table;
	size_t bytes;
	uint8_t scratch[UC_PROCESS_ENTRY_MAX];
};

struct uc_process_table *uc_process_table_new(void)
{
	struct uc_process_table *t = calloc(1, sizeof(*t));

	if (t && uc_hash_init(&t->table, 64) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static uint64_t pid_hash(uint32_t pid)
{
	return uc_hash_bytes(UC_HASH_SEED, &pid, sizeof(pid));
}

static struct kept *find(const struct uc_process_table *t, uint32_t pid)
{
	for (struct uc_hash_node *n = uc_hash_first(&t->table, pid_hash(pid)); n;
	     n = uc_hash_next(n))
		if (uc_container_of(n, struct kept, node)->pid == pid)
			return uc_container_of(n, struct kept, node);
	return NULL;
}

static void forget(struct uc_process_table *t, struct kept *k)
{
	uc_hash_remove(&t->table, &k->node);
	t->bytes -= k->len;
	free(k);
}

static void free_kept(struct uc_hash_node *n)
{
	free(uc_container_of(n, struct kept, node));
}

static void forget_all(struct uc_process_table *t)
{
	uc_hash_clear(&t->table, free_kept);
	t->bytes = 0;
}

int uc_process_table_keep(struct uc_process_table *t, const struct uc_process_info *p)
{
	size_t len = uc_process_entry_encode(t->scratch, p);
	struct kept *k = find(t, p->pid);

	if (k)
		forget(t, k);
	if (t->bytes + len > MAX_KEPT_BYTES)
		forget_all(t);
	if (!(k = malloc(sizeof(*k) + len)))
		return -1;
	k->pid = p->pid;
	k->len = len;
	memcpy(k->entry, t->scratch, len);
	uc_hash_add(&t->table, &k->node, pid_hash(p->pid));
	t->bytes += len;
	return 0;
}

int uc_process_table_source(void *ctx, uint32_t pid, const char *comm, struct uc_process_info *p)
{
	const struct kept *k = find(ctx, pid);
	const char *why;

	(void)comm;
	return k && uc_process_entry_decode(k->entry, k->len, p, &why) == 1 ? 0 : -1;
}

void uc_process_table_free(struct uc_process_table *t)
{
	if (!t)
		return;
	forget_all(t);
	uc_hash_destroy(&t->table);
	free(t);
}
