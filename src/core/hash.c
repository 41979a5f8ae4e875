/* SPDX-License-Identifier: BSD-2-Clause */
/* One intrusive chained hash table for every lookup: entries embed a node, callers hash and compare. */
#include "core/hash.h"

#include <stdlib.h>

int uc_hash_init(struct uc_hash *t, size_t min_buckets)
{
	size_t n = 1;

	while (n < min_buckets)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -1;
	t->mask = n - 1;
	t->count = 0;
	return 0;
}

void uc_hash_destroy(struct uc_hash *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

static void grow(struct uc_hash *t)
{
	size_t n = (t->mask + 1) * 2;
	struct uc_hash_node **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= t->mask; i++)
		for (struct uc_hash_node *e = t->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
}

void uc_hash_add(struct uc_hash *t, struct uc_hash_node *n, uint64_t hash)
{
	if (t->count > t->mask)
		grow(t);
	n->hash = hash;
	n->next = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = n;
	t->count++;
}

void uc_hash_remove(struct uc_hash *t, struct uc_hash_node *n)
{
	struct uc_hash_node **at = &t->buckets[n->hash & t->mask];

	while (*at && *at != n)
		at = &(*at)->next;
	if (!*at)
		return;
	*at = n->next;
	t->count--;
}

static struct uc_hash_node *same_hash(struct uc_hash_node *e, uint64_t hash)
{
	while (e && e->hash != hash)
		e = e->next;
	return e;
}

struct uc_hash_node *uc_hash_first(const struct uc_hash *t, uint64_t hash)
{
	return same_hash(t->buckets[hash & t->mask], hash);
}

struct uc_hash_node *uc_hash_next(const struct uc_hash_node *n)
{
	return same_hash(n->next, n->hash);
}

struct uc_hash_node *uc_hash_walk(const struct uc_hash *t, size_t *bucket,
				  const struct uc_hash_node *prev)
{
	if (prev && prev->next)
		return prev->next;
	if (prev)
		++*bucket;
	for (; *bucket <= t->mask; ++*bucket)
		if (t->buckets[*bucket])
			return t->buckets[*bucket];
	return NULL;
}

void uc_hash_clear(struct uc_hash *t, void (*release)(struct uc_hash_node *n))
{
	for (size_t b = 0; t->count;) {
		struct uc_hash_node *n = uc_hash_walk(t, &b, NULL);

		uc_hash_remove(t, n);
		release(n);
	}
}

uint64_t uc_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}
