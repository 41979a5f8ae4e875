/* SPDX-License-Identifier: BSD-2-Clause */
/* Who talks to whom: unique synthetic 4-tuples, client/server sides and sequence numbers. */
#include "conversations/conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	char *key;
	void *value; /* a struct uc_flow, or a server address (cast) for "srv:" keys */
};

struct uc_conversations {
	struct entry **buckets;
	size_t nbuckets;
	size_t nentries;
	size_t live;
	uint32_t flows_made;
	uint32_t servers_made;
	struct uc_flow **all; /* live flows, for uc_conversations_each */
	size_t nall, capall;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct entry **slot(struct uc_conversations *c, const char *key)
{
	struct entry **e = &c->buckets[hash(key) % c->nbuckets];

	while (*e && strcmp((*e)->key, key) != 0)
		e = &(*e)->next;
	return e;
}

static int grow(struct uc_conversations *c)
{
	size_t n = c->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct entry *e = c->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[hash(e->key) % n];
			b[hash(e->key) % n] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
	return 0;
}

static void *lookup(struct uc_conversations *c, const char *key)
{
	struct entry *e = *slot(c, key);

	return e ? e->value : NULL;
}

static char *insert(struct uc_conversations *c, const char *key, void *value)
{
	struct entry *e;

	if (c->nentries >= c->nbuckets && grow(c) < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->value = value;
	e->next = c->buckets[hash(key) % c->nbuckets];
	c->buckets[hash(key) % c->nbuckets] = e;
	c->nentries++;
	return e->key;
}

static void erase(struct uc_conversations *c, const char *key)
{
	struct entry **at = slot(c, key), *e = *at;

	if (!e)
		return;
	*at = e->next;
	free(e->key);
	free(e);
	c->nentries--;
}

struct uc_conversations *uc_conversations_new(void)
{
	struct uc_conversations *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = 256;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	return c;
}

static bool connection_oriented(uint16_t type)
{
	return type == 1 /* SOCK_STREAM */ || type == 5 /* SOCK_SEQPACKET */;
}

/* A datagram endpoint is its address when bound (replies go there), else its socket. */
static void endpoint_id(char *out, size_t len, const char *path, uint64_t ino)
{
	if (path[0])
		snprintf(out, len, "p:%s", path);
	else
		snprintf(out, len, "i:%llu", (unsigned long long)ino);
}

static uint32_t server_address(struct uc_conversations *c, const char *path)
{
	char key[UC_NAME_LEN + 8];
	uintptr_t ip;

	if (path[0]) {
		snprintf(key, sizeof(key), "srv:%s", path);
		ip = (uintptr_t)lookup(c, key);
		if (ip)
			return (uint32_t)ip;
	}
	ip = UC_SERVER_NET + 1 + (c->servers_made++ % 0xfffe);
	if (path[0])
		insert(c, key, (void *)ip);
	return (uint32_t)ip;
}

static int remember(struct uc_conversations *c, struct uc_flow *f)
{
	if (c->nall == c->capall) {
		size_t n = c->capall ? c->capall * 2 : 64;
		struct uc_flow **all = realloc(c->all, n * sizeof(*all));

		if (!all)
			return -1;
		c->all = all;
		c->capall = n;
	}
	f->all_index = c->nall;
	c->all[c->nall++] = f;
	c->live++;
	return 0;
}

/* The side with a bound address and an unnamed peer is the server (an accepted socket carries
 * its listener's address); otherwise the first sender is the client. */
static struct uc_flow *create(struct uc_conversations *c, const struct uc_message *m)
{
	struct uc_flow *f = calloc(1, sizeof(*f));
	bool sender_serves = m->own_path[0] && !m->peer_path[0];
	int me = sender_serves ? UC_S2C : UC_C2S, other = 1 - me;
	uint32_t n;

	if (!f || remember(c, f) < 0) {
		free(f);
		return NULL;
	}
	n = f->index = ++c->flows_made;
	f->sock_type = m->sock_type;
	f->tcp = m->sock_type == 1;
	f->ino[me] = m->own_ino;
	f->ino[other] = m->peer_ino;
	snprintf(f->path[me], sizeof(f->path[me]), "%s", m->own_path);
	snprintf(f->path[other], sizeof(f->path[other]), "%s", m->peer_path);
	f->ends[UC_C2S].ip = UC_CLIENT_NET + 1 + (n - 1) / UC_CLIENT_PORTS;
	f->ends[UC_C2S].port = (uint16_t)(UC_CLIENT_PORT_FIRST + (n - 1) % UC_CLIENT_PORTS);
	f->ends[UC_S2C].ip = server_address(c, f->path[UC_S2C]);
	f->ends[UC_S2C].port = UC_SERVER_PORT_DEFAULT;
	f->next_seq[UC_C2S] = 0x10000000u;
	f->next_seq[UC_S2C] = 0x20000000u;
	return f;
}

static char *key_for_inode(struct uc_conversations *c, uint64_t ino, struct uc_flow *f)
{
	char key[32];

	snprintf(key, sizeof(key), "i:%llu", (unsigned long long)ino);
	return insert(c, key, f);
}

static struct uc_flow *find_connection(struct uc_conversations *c, const struct uc_message *m,
				       int *dir, bool *created)
{
	char key[32];
	struct uc_flow *f;

	snprintf(key, sizeof(key), "i:%llu", (unsigned long long)m->own_ino);
	f = lookup(c, key);
	if (!f && m->peer_ino) {
		snprintf(key, sizeof(key), "i:%llu", (unsigned long long)m->peer_ino);
		f = lookup(c, key);
		if (f) {
			int side = f->ino[UC_C2S] == m->peer_ino ? UC_S2C : UC_C2S;

			if (f->ino[side] == 0) {
				f->ino[side] = m->own_ino;
				f->keys[side] = key_for_inode(c, m->own_ino, f);
			}
		}
	}
	if (!f && (m->event == UC_MSG_DATA || m->event == UC_MSG_LOST)) {
		f = create(c, m);
		if (!f)
			return NULL;
		for (int side = 0; side < 2; side++)
			if (f->ino[side])
				f->keys[side] = key_for_inode(c, f->ino[side], f);
		*created = true;
	}
	if (f)
		*dir = f->ino[UC_C2S] == m->own_ino ? UC_C2S : UC_S2C;
	return f;
}

static struct uc_flow *find_datagram_flow(struct uc_conversations *c, const struct uc_message *m,
					  int *dir, bool *created)
{
	char own[UC_NAME_LEN + 24], peer[UC_NAME_LEN + 24], key[2 * sizeof(own) + 4];
	struct uc_flow *f;

	endpoint_id(own, sizeof(own), m->own_path, m->own_ino);
	endpoint_id(peer, sizeof(peer), m->peer_path, m->peer_ino);
	if (strcmp(own, peer) < 0)
		snprintf(key, sizeof(key), "d:%s|%s", own, peer);
	else
		snprintf(key, sizeof(key), "d:%s|%s", peer, own);
	f = lookup(c, key);
	if (!f) {
		if ((m->event != UC_MSG_DATA && m->event != UC_MSG_LOST) || !(f = create(c, m)))
			return NULL;
		f->keys[0] = insert(c, key, f);
		*created = true;
	}
	*dir = (m->own_path[0] ? strcmp(f->path[UC_C2S], m->own_path) == 0
			       : f->ino[UC_C2S] == m->own_ino) ? UC_C2S : UC_S2C;
	return f;
}

struct uc_flow *uc_conversations_find(struct uc_conversations *c, const struct uc_message *m,
				      int *dir, bool *created)
{
	*created = false;
	if (connection_oriented(m->sock_type))
		return find_connection(c, m, dir, created);
	return find_datagram_flow(c, m, dir, created);
}

void uc_conversations_retire(struct uc_conversations *c, struct uc_flow *f)
{
	for (int i = 0; i < 2; i++)
		if (f->keys[i])
			erase(c, f->keys[i]);
	c->all[f->all_index] = c->all[--c->nall];
	c->all[f->all_index]->all_index = f->all_index;
	c->live--;
	free(f);
}

size_t uc_conversations_live(const struct uc_conversations *c)
{
	return c->live;
}

void uc_conversations_each(struct uc_conversations *c, void (*fn)(struct uc_flow *, void *),
			   void *ctx)
{
	for (size_t i = 0; i < c->nall; i++)
		fn(c->all[i], ctx);
}

void uc_conversations_free(struct uc_conversations *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct entry *e = c->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	for (size_t i = 0; i < c->nall; i++)
		free(c->all[i]);
	free(c->all);
	free(c->buckets);
	free(c);
}
