/* SPDX-License-Identifier: BSD-2-Clause */
/* One intrusive chained hash table for every lookup: entries embed a node, callers hash and compare. */
#ifndef UNIXCAP_HASH_H
#define UNIXCAP_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/container.h"

struct uc_hash_node {
	struct uc_hash_node *next;
	uint64_t hash;
};

struct uc_hash {
	struct uc_hash_node **buckets;
	size_t mask; /* buckets - 1: a power of two */
	size_t count;
};

/* An empty table of at least min_buckets buckets. Returns 0, or -1 with errno (ENOMEM). */
int uc_hash_init(struct uc_hash *t, size_t min_buckets);
/* Frees the buckets; the entries are the caller's. */
void uc_hash_destroy(struct uc_hash *t);

/* Links n in under hash. The table doubles once it holds as many entries as buckets; when that
 * allocation fails it keeps its size (longer chains, still correct), so adding never fails. */
void uc_hash_add(struct uc_hash *t, struct uc_hash_node *n, uint64_t hash);
/* Unlinks n, which must be in t. */
void uc_hash_remove(struct uc_hash *t, struct uc_hash_node *n);

/* The first entry added under hash, or NULL; uc_hash_next gives the others with the same hash.
 * Different keys can share a hash: callers compare their keys. */
struct uc_hash_node *uc_hash_first(const struct uc_hash *t, uint64_t hash);
struct uc_hash_node *uc_hash_next(const struct uc_hash_node *n);

/* Every entry, in no order: start with *bucket = 0 and prev = NULL. To remove entries while
 * walking, take the next one before removing the current. */
struct uc_hash_node *uc_hash_walk(const struct uc_hash *t, size_t *bucket,
				  const struct uc_hash_node *prev);

/* Unlinks every entry, handing each to release (which may free it): a table's entries freed
 * before uc_hash_destroy, or all forgotten at once. */
void uc_hash_clear(struct uc_hash *t, void (*release)(struct uc_hash_node *n));

/* FNV-1a over n bytes, chained from h (start with UC_HASH_SEED). */
#define UC_HASH_SEED 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */
uint64_t uc_hash_bytes(uint64_t h, const void *p, size_t n);

#endif
