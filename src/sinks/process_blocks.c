/* SPDX-License-Identifier: BSD-2-Clause */
/* Which processes a pcapng file has described, and their process blocks. */
#include "sinks/process_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "inventory/processes.h"

/* Past this many processes the table starts again: a process then gets a second block, which
 * Wireshark takes as the same process described again. */
#define MAX_DESCRIBED 65536

struct described {
	struct uc_hash_node node;
	uint32_t pid;
	char name[17];
};

struct uc_process_blocks {
	struct uc_hash table;
	uc_process_source_fn source;
	void *ctx;
	struct uc_process_info info; /* 8 KiB: not on the stack of every packet */
	uint8_t entry[UC_PROCESS_ENTRY_MAX];
};

struct uc_process_blocks *uc_process_blocks_new(uc_process_source_fn source, void *ctx)
{
	struct uc_process_blocks *b = calloc(1, sizeof(*b));

	if (!b || uc_hash_init(&b->table, 256) < 0) {
		free(b);
		return NULL;
	}
	b->source = source;
	b->ctx = ctx;
	return b;
}

static uint64_t pid_hash(uint32_t pid)
{
	return uc_hash_bytes(UC_HASH_SEED, &pid, sizeof(pid));
}

static struct described *find(const struct uc_process_blocks *b, uint32_t pid)
{
	for (struct uc_hash_node *n = uc_hash_first(&b->table, pid_hash(pid)); n;
	     n = uc_hash_next(n)) {
		struct described *d = uc_container_of(n, struct described, node);

		if (d->pid == pid)
			return d;
	}
	return NULL;
}

static void free_described(struct uc_hash_node *n)
{
	free(uc_container_of(n, struct described, node));
}

/* The entry for pid, new or renamed; NULL without memory (no block is written then). */
static struct described *entry_for(struct uc_process_blocks *b, uint32_t pid, struct described *d)
{
	if (d)
		return d;
	if (b->table.count >= MAX_DESCRIBED)
		uc_hash_clear(&b->table, free_described);
	if (!(d = calloc(1, sizeof(*d))))
		return NULL;
	d->pid = pid;
	uc_hash_add(&b->table, &d->node, pid_hash(pid));
	return d;
}

int uc_process_blocks_announce(struct uc_process_blocks *b, struct uc_pcapng_writer *w,
			       uint32_t pid, const char *comm)
{
	struct described *d = find(b, pid);

	if (d && (!comm || strcmp(d->name, comm) == 0))
		return 0;
	if (!(d = entry_for(b, pid, d)) || b->source(b->ctx, pid, comm, &b->info) < 0)
		return 0;
	/* the name the messages carry, so that the next one with it finds this block */
	snprintf(d->name, sizeof(d->name), "%s", comm ? comm : b->info.name);
	return uc_pcapng_write_custom_data(w, UC_WIRESHARK_PEN, b->entry,
					   uc_process_entry_encode(b->entry, &b->info));
}

void uc_process_blocks_free(struct uc_process_blocks *b)
{
	if (!b)
		return;
	uc_hash_clear(&b->table, free_described);
	uc_hash_destroy(&b->table);
	free(b);
}

int uc_process_source_proc(void *ctx, uint32_t pid, const char *comm, struct uc_process_info *p)
{
	(void)ctx;
	uc_process_describe(pid, comm, p);
	return 0;
}
