/* SPDX-License-Identifier: BSD-2-Clause */
/* Who talks to whom: unique synthetic 4-tuples, client/server sides and sequence numbers. */
#include "conversations/conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/names.h"

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
	uint32_t clients_made;
	uc_address_fn on_address;
	void *on_address_ctx;
	void (*on_retire)(struct uc_flow *, void *);
	void *on_retire_ctx;
	const struct uc_decode_as *decode_as;
	size_t n_decode_as;
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

void uc_conversations_on_address(struct uc_conversations *c, uc_address_fn fn, void *ctx)
{
	c->on_address = fn;
	c->on_address_ctx = ctx;
}

void uc_conversations_on_retire(struct uc_conversations *c, void (*fn)(struct uc_flow *, void *),
				void *ctx)
{
	c->on_retire = fn;
	c->on_retire_ctx = ctx;
}

void uc_conversations_decode_as(struct uc_conversations *c, const struct uc_decode_as *rules,
				size_t n)
{
	c->decode_as = rules;
	c->n_decode_as = n;
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

static void insert_comm(struct uc_conversations *c, const char *key, const char *comm)
{
	char *copy = strdup(comm);

	if (copy && !insert(c, key, copy))
		free(copy);
}

static void announce(struct uc_conversations *c, uint32_t ip, const char *name)
{
	if (c->on_address)
		c->on_address(ip, name, c->on_address_ctx);
}

/* A bound server keeps one address for all its connections; an unnamed one gets its own. */
static uint32_t server_address(struct uc_conversations *c, const char *path, const char *who)
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
	announce(c, (uint32_t)ip, path[0] ? path : who);
	return (uint32_t)ip;
}

/* Each client process has an address of its own and gives each connection the next port; when
 * its ports run out it gets another address, so no 4-tuple is ever used twice. */
struct client_address {
	uint32_t ip;
	uint32_t ports_used;
};

static struct synth_endpoint client_endpoint(struct uc_conversations *c, uint32_t pid,
					     const char *who)
{
	char key[32];
	struct client_address *a;

	snprintf(key, sizeof(key), "cli:%u", pid);
	a = lookup(c, key);
	if (!a || a->ports_used == UC_CLIENT_PORTS) {
		if (!a && (!(a = calloc(1, sizeof(*a))) || !insert(c, key, a))) {
			free(a);
			return (struct synth_endpoint){ UC_CLIENT_NET, UC_CLIENT_PORT_FIRST };
		}
		a->ip = UC_CLIENT_NET + 1 + (c->clients_made++ % 0xfffe);
		a->ports_used = 0;
		announce(c, a->ip, who);
	}
	return (struct synth_endpoint){ a->ip, (uint16_t)(UC_CLIENT_PORT_FIRST + a->ports_used++) };
}

/* The name of the process at one side: the sender, or the peer owner the kernel reported,
 * named after what that process was called when it last started a conversation. */
static void side_name(struct uc_conversations *c, char *out, size_t len,
		      const struct uc_message *m, bool sender)
{
	char key[32];
	const char *comm;

	snprintf(key, sizeof(key), "comm:%u", m->pid);
	if (!lookup(c, key))
		insert_comm(c, key, m->comm);
	if (sender) {
		snprintf(out, len, "%s[%u]", m->comm, m->pid);
		return;
	}
	snprintf(key, sizeof(key), "comm:%u", m->peer_pid);
	comm = m->peer_pid ? lookup(c, key) : NULL;
	if (m->peer_pid)
		snprintf(out, len, "%s[%u]", comm ? comm : "", m->peer_pid);
	else
		snprintf(out, len, "unknown");
}

static void settle(struct uc_flow *f, struct uc_protocol_guess g)
{
	f->proto = g.proto;
	f->ends[UC_S2C].port = g.port ? g.port : UC_SERVER_PORT_DEFAULT;
	f->protocol_settled = true;
}

void uc_conversations_learn(struct uc_flow *f, const struct uc_message *m)
{
	if (!f->protocol_settled && m->event == UC_MSG_DATA)
		settle(f, uc_protocol_from_bytes(m->data, m->stored));
}

static void guess_protocol(struct uc_conversations *c, struct uc_flow *f,
			   const struct uc_message *m)
{
	struct uc_protocol_guess g;

	f->ends[UC_S2C].port = UC_SERVER_PORT_DEFAULT;
	for (size_t i = 0; i < c->n_decode_as; i++)
		for (int side = 0; side < 2; side++) {
			const char *pat = c->decode_as[i].path, *path = f->path[side];

			if (path[0] && uc_glob_match(pat, strlen(pat), path, strlen(path))) {
				settle(f, c->decode_as[i].guess);
				return;
			}
		}
	g = uc_protocol_from_path(f->path[UC_S2C]);
	if (g.proto == UC_PROTO_UNKNOWN)
		g = uc_protocol_from_path(f->path[UC_C2S]);
	if (g.proto != UC_PROTO_UNKNOWN)
		settle(f, g);
	else
		uc_conversations_learn(f, m);
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
	/* connect() and socketpair() name the client: the side that made the connection */
	bool sender_serves = m->event != UC_MSG_CONNECT && m->own_path[0] && !m->peer_path[0];
	int me = sender_serves ? UC_S2C : UC_C2S, other = 1 - me;
	char who[2][48];

	if (!f || remember(c, f) < 0) {
		free(f);
		return NULL;
	}
	f->index = ++c->flows_made;
	f->sock_type = m->sock_type;
	f->tcp = m->sock_type == 1;
	f->ino[me] = m->own_ino;
	f->ino[other] = m->peer_ino;
	snprintf(f->path[me], sizeof(f->path[me]), "%s", m->own_path);
	snprintf(f->path[other], sizeof(f->path[other]), "%s", m->peer_path);
	side_name(c, who[me], sizeof(who[me]), m, true);
	side_name(c, who[other], sizeof(who[other]), m, false);
	f->ends[UC_C2S] = client_endpoint(c, me == UC_C2S ? m->pid : m->peer_pid, who[UC_C2S]);
	f->ends[UC_S2C].ip = server_address(c, f->path[UC_S2C], who[UC_S2C]);
	guess_protocol(c, f, m);
	f->next_seq[UC_C2S] = 0x10000000u;
	f->next_seq[UC_S2C] = 0x20000000u;
	f->read_seq[UC_C2S] = f->next_seq[UC_C2S] + 1; /* past the SYN */
	f->read_seq[UC_S2C] = f->next_seq[UC_S2C] + 1;
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
	if (!f && (m->event == UC_MSG_DATA || m->event == UC_MSG_LOST || m->event == UC_MSG_UNSEEN ||
		   m->event == UC_MSG_CONNECT)) {
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
		if ((m->event != UC_MSG_DATA && m->event != UC_MSG_LOST && m->event != UC_MSG_UNSEEN) ||
		    !(f = create(c, m)))
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
	if (c->on_retire)
		c->on_retire(f, c->on_retire_ctx);
	free(f->opened_meta);
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
			if (strncmp(e->key, "cli:", 4) == 0 || strncmp(e->key, "comm:", 5) == 0)
				free(e->value);
			free(e->key);
			free(e);
		}
	for (size_t i = 0; i < c->nall; i++) {
		if (c->on_retire)
			c->on_retire(c->all[i], c->on_retire_ctx);
		free(c->all[i]->opened_meta);
		free(c->all[i]);
	}
	free(c->all);
	free(c->buckets);
	free(c);
}
