/* SPDX-License-Identifier: BSD-2-Clause */
/* Who talks to whom: unique synthetic 4-tuples, client/server sides and sequence numbers. */
#include "conversations/conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/decimal.h"
#include "core/hash.h"
#include "core/list.h"
#include "core/names.h"

struct entry {
	struct uc_hash_node node;
	char *key;
	void *value; /* by prefix: "i:", "d:" a flow_record; "proc:", "srv:" a holder; "e:" a
		      * dgram_socket */
};

/* Holders no flow uses, most recently idle first; past UC_IDLE_ADDRESSES the oldest goes. */
struct idle_list {
	struct uc_link head;
	size_t n;
};

/* A process (its name, and its address as a client) or a bound path (its address as a
 * server). Kept while flows use the address; once idle, among the recently idle ones. */
struct holder {
	uint32_t ip;            /* 0 until an address is handed out */
	uint32_t ports_used;    /* a client process: ports of ip given to connections */
	uint32_t flows;         /* live flows using ip */
	char comm[17];          /* a process: its name when first seen, as uc_message.comm */
	char *key;              /* its table key (owned by the table) */
	struct idle_list *kind; /* the idle list of its kind: processes or paths */
	struct uc_link idle;    /* in that list while flows == 0 */
};

/* The datagram flows one socket takes part in, so that its close retires them all. */
struct dgram_socket {
	char *key; /* "e:" and the socket's endpoint id (owned by the table) */
	struct uc_link flows;
};

struct socket_link {
	struct uc_link link;
	struct dgram_socket *socket; /* NULL when the flow is on no socket's list */
	struct flow_record *flow;
	int side;
};

struct flow_record {
	struct uc_flow flow;
	char *keys[2];            /* the table keys that lead here */
	struct uc_link recency;   /* in the list of live flows, most recently used first */
	struct holder *holder[2]; /* [UC_C2S] client process, [UC_S2C] server path, or NULL */
	struct socket_link on_socket[2]; /* datagram flows: each end's socket */
};

struct uc_conversations {
	struct uc_hash keys; /* struct entry by key string */
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
	struct uc_link recency; /* live flows, most recently used first */
	/* Apart, so that many short-lived processes do not make a server path lose its address. */
	struct idle_list idle_processes, idle_paths;
};

static struct flow_record *record_of(struct uc_flow *f)
{
	return uc_container_of(f, struct flow_record, flow);
}

static uint64_t key_hash(const char *key)
{
	return uc_hash_bytes(UC_HASH_SEED, key, strlen(key));
}

static struct entry *find(struct uc_conversations *c, const char *key)
{
	uint64_t h = key_hash(key);

	for (struct uc_hash_node *n = uc_hash_first(&c->keys, h); n; n = uc_hash_next(n)) {
		struct entry *e = uc_container_of(n, struct entry, node);

		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static void *lookup(struct uc_conversations *c, const char *key)
{
	struct entry *e = find(c, key);

	return e ? e->value : NULL;
}

static char *insert(struct uc_conversations *c, const char *key, void *value)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->value = value;
	uc_hash_add(&c->keys, &e->node, key_hash(key));
	return e->key;
}

static void free_entry(struct uc_hash_node *n)
{
	struct entry *e = uc_container_of(n, struct entry, node);

	free(e->key);
	free(e);
}

/* The entry whose key string is key (as insert returned it) goes, and only if it leads to value:
 * no other flow loses its key, and a flow holding one key twice (a socket that is its own peer)
 * loses each once. */
static void erase(struct uc_conversations *c, const char *key, const void *value)
{
	uint64_t h = key_hash(key);

	for (struct uc_hash_node *n = uc_hash_first(&c->keys, h); n; n = uc_hash_next(n)) {
		struct entry *e = uc_container_of(n, struct entry, node);

		if (e->key == key && e->value == value) {
			uc_hash_remove(&c->keys, n);
			free_entry(n);
			return;
		}
	}
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
	if (uc_hash_init(&c->keys, 256) < 0) {
		free(c);
		return NULL;
	}
	uc_list_init(&c->recency);
	uc_list_init(&c->idle_processes.head);
	uc_list_init(&c->idle_paths.head);
	return c;
}

static bool connection_oriented(uint16_t type)
{
	return type == SOCK_STREAM || type == SOCK_SEQPACKET;
}

/* A datagram endpoint is its address when bound (replies go there), else its socket. */
static void endpoint_id(char *out, size_t len, const char *path, uint64_t ino)
{
	if (path[0])
		snprintf(out, len, "p:%s", path);
	else
		uc_decimal_key(out, "i:", ino); /* len >= 2 + UC_DECIMAL_MAX + 1 at every caller */
}

static void announce(struct uc_conversations *c, uint32_t ip, const char *name)
{
	if (c->on_address)
		c->on_address(ip, name, c->on_address_ctx);
}

static void forget_oldest_idle(struct uc_conversations *c, struct idle_list *l)
{
	struct holder *h = uc_container_of(l->head.prev, struct holder, idle);

	uc_list_remove(&h->idle);
	l->n--;
	erase(c, h->key, h);
	free(h);
}

static void make_idle(struct uc_conversations *c, struct holder *h)
{
	uc_list_push_front(&h->kind->head, &h->idle);
	if (++h->kind->n > UC_IDLE_ADDRESSES)
		forget_oldest_idle(c, h->kind);
}

/* The holder under key, made idle (and so forgettable) when new; the one found moves to the
 * recent end of its idle list, so the least recently used is forgotten first. */
static struct holder *holder(struct uc_conversations *c, const char *key, struct idle_list *kind)
{
	struct holder *h = lookup(c, key);

	if (h) {
		if (!h->flows) {
			uc_list_remove(&h->idle);
			uc_list_push_front(&h->kind->head, &h->idle);
		}
		return h;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->key = insert(c, key, h))) {
		free(h);
		return NULL;
	}
	h->kind = kind;
	make_idle(c, h);
	return h;
}

static void hold(struct holder *h)
{
	if (h->flows++ == 0) {
		uc_list_remove(&h->idle);
		h->kind->n--;
	}
}

static void release(struct uc_conversations *c, struct holder *h)
{
	if (--h->flows == 0)
		make_idle(c, h);
}

/* A process's record; comm, when given, names it if nothing did before. */
static struct holder *process(struct uc_conversations *c, uint32_t pid, const char *comm)
{
	char key[32];
	struct holder *h;

	uc_decimal_key(key, "proc:", pid);
	h = holder(c, key, &c->idle_processes);
	if (h && comm && !h->comm[0])
		snprintf(h->comm, sizeof(h->comm), "%s", comm);
	return h;
}

/* A bound server keeps one address for all its connections; an unnamed one gets its own. */
static uint32_t server_address(struct uc_conversations *c, struct flow_record *r, const char *path,
			       const char *who)
{
	char key[UC_NAME_LEN + 8];
	struct holder *h = NULL;
	uint32_t ip;

	if (path[0]) {
		snprintf(key, sizeof(key), "srv:%s", path);
		h = holder(c, key, &c->idle_paths);
	}
	if (h && h->ip) {
		ip = h->ip;
	} else {
		ip = UC_SERVER_NET + 1 + (c->servers_made++ % 0xfffe);
		if (h)
			h->ip = ip;
		announce(c, ip, path[0] ? path : who);
	}
	if (h)
		hold(h);
	r->holder[UC_S2C] = h;
	return ip;
}

/* Each client process has an address of its own and gives each connection the next port; when
 * its ports run out it gets another address, so no 4-tuple is ever used twice. */
static struct uc_endpoint client_endpoint(struct uc_conversations *c, struct flow_record *r,
					  uint32_t pid, const char *who)
{
	struct holder *h = process(c, pid, NULL);

	if (!h)
		return (struct uc_endpoint){ UC_CLIENT_NET, UC_CLIENT_PORT_FIRST };
	if (!h->ip || h->ports_used == UC_CLIENT_PORTS) {
		h->ip = UC_CLIENT_NET + 1 + (c->clients_made++ % 0xfffe);
		h->ports_used = 0;
		announce(c, h->ip, who);
	}
	hold(h);
	r->holder[UC_C2S] = h;
	return (struct uc_endpoint){ h->ip, (uint16_t)(UC_CLIENT_PORT_FIRST + h->ports_used++) };
}

/* The name of the process at one side: the sender, or the peer owner the kernel reported,
 * named after what that process was called when first seen starting a conversation. */
static void side_name(struct uc_conversations *c, char *out, size_t len, const struct uc_message *m,
		      bool sender)
{
	char key[32];
	const struct holder *peer;

	process(c, m->pid, m->comm);
	if (sender) {
		snprintf(out, len, "%s[%u]", m->comm, m->pid);
		return;
	}
	uc_decimal_key(key, "proc:", m->peer_pid);
	peer = m->peer_pid ? lookup(c, key) : NULL;
	if (m->peer_pid)
		snprintf(out, len, "%s[%u]", peer ? peer->comm : "", m->peer_pid);
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

/* Most flows have an unnamed end: "" costs nothing, a path only its length. */
static int set_path(struct uc_flow *f, int side, const char *path)
{
	f->path[side] = path[0] ? strdup(path) : "";
	return f->path[side] ? 0 : -1;
}

static void free_record(struct flow_record *r)
{
	for (int side = 0; side < 2; side++)
		if (r->flow.path[side] && r->flow.path[side][0])
			free((void *)r->flow.path[side]);
	free(r->flow.opened_meta);
	free(r);
}

/* The side with a bound address and an unnamed peer is the server (an accepted socket carries
 * its listener's address); otherwise the first sender is the client. connect() and socketpair()
 * name the client: the side that made the connection. */
static int creator_side(const struct uc_message *m)
{
	bool sender_serves = m->event != UC_MSG_CONNECT && m->own_path[0] && !m->peer_path[0];

	return sender_serves ? UC_S2C : UC_C2S;
}

static struct flow_record *create(struct uc_conversations *c, const struct uc_message *m)
{
	struct flow_record *r = calloc(1, sizeof(*r));
	struct uc_flow *f;
	int me = creator_side(m), other = 1 - me;
	char who[2][48];

	if (!r)
		return NULL;
	f = &r->flow;
	if (set_path(f, me, m->own_path) < 0 || set_path(f, other, m->peer_path) < 0) {
		free_record(r);
		return NULL;
	}
	f->index = ++c->flows_made;
	f->sock_type = m->sock_type;
	f->tcp = m->sock_type == SOCK_STREAM;
	f->ino[me] = m->own_ino;
	f->ino[other] = m->peer_ino;
	side_name(c, who[me], sizeof(who[me]), m, true);
	side_name(c, who[other], sizeof(who[other]), m, false);
	f->ends[UC_C2S] = client_endpoint(c, r, me == UC_C2S ? m->pid : m->peer_pid, who[UC_C2S]);
	f->ends[UC_S2C].ip = server_address(c, r, f->path[UC_S2C], who[UC_S2C]);
	guess_protocol(c, f, m);
	f->next_seq[UC_C2S] = 0x10000000u;
	f->next_seq[UC_S2C] = 0x20000000u;
	f->read_seq[UC_C2S] = f->next_seq[UC_C2S] + 1; /* past the SYN */
	f->read_seq[UC_S2C] = f->next_seq[UC_S2C] + 1;
	uc_list_push_front(&c->recency, &r->recency);
	c->live++;
	return r;
}

static char *key_for_inode(struct uc_conversations *c, uint64_t ino, struct flow_record *r)
{
	char key[32];

	uc_decimal_key(key, "i:", ino);
	return insert(c, key, r);
}

/* Inode 0 is unknown (an orphaned socket, a peer already gone, a damaged file): it never leads
 * to a flow and is never a flow's key, or every socket without one would share a flow. */
static struct flow_record *by_inode(struct uc_conversations *c, uint64_t ino)
{
	char key[32];

	if (!ino)
		return NULL;
	uc_decimal_key(key, "i:", ino);
	return lookup(c, key);
}

/* A side's inode is learnt once, so each side has at most one key and retiring erases it. */
static void learn_inode(struct uc_conversations *c, struct flow_record *r, int side, uint64_t ino)
{
	if (!ino || r->flow.ino[side])
		return;
	r->flow.ino[side] = ino;
	r->keys[side] = key_for_inode(c, ino, r);
}

/* The known connection m belongs to, by its own inode or its peer's; *dir is m's side. */
static struct flow_record *known_connection(struct uc_conversations *c, const struct uc_message *m,
					    int *dir)
{
	struct flow_record *r = by_inode(c, m->own_ino);

	if (r) {
		*dir = r->flow.ino[UC_C2S] == m->own_ino ? UC_C2S : UC_S2C;
	} else if ((r = by_inode(c, m->peer_ino)) != NULL) {
		*dir = r->flow.ino[UC_C2S] == m->peer_ino ? UC_S2C : UC_C2S;
		learn_inode(c, r, *dir, m->own_ino);
	}
	return r;
}

static struct flow_record *find_connection(struct uc_conversations *c, const struct uc_message *m,
					   int *dir, bool *created)
{
	struct flow_record *r = known_connection(c, m, dir);

	if (r || (m->event != UC_MSG_DATA && m->event != UC_MSG_LOST && m->event != UC_MSG_UNSEEN &&
		  m->event != UC_MSG_CONNECT))
		return r;
	if (!(r = create(c, m)))
		return NULL;
	for (int side = 0; side < 2; side++)
		if (r->flow.ino[side])
			r->keys[side] = key_for_inode(c, r->flow.ino[side], r);
	*created = true;
	*dir = creator_side(m);
	return r;
}

/* Puts a new datagram flow on the list of the socket at each end, when that end is known. */
static void join_sockets(struct uc_conversations *c, struct flow_record *r)
{
	char key[UC_NAME_LEN + 32];

	for (int side = 0; side < 2; side++) {
		struct dgram_socket *s;

		if (!r->flow.path[side][0] && !r->flow.ino[side])
			continue;
		key[0] = 'e';
		key[1] = ':';
		endpoint_id(key + 2, sizeof(key) - 2, r->flow.path[side], r->flow.ino[side]);
		s = lookup(c, key);
		if (!s && (s = calloc(1, sizeof(*s)))) {
			uc_list_init(&s->flows);
			if (!(s->key = insert(c, key, s))) {
				free(s);
				s = NULL;
			}
		}
		if (!s)
			continue; /* no memory: this end's close will not find the flow */
		r->on_socket[side] = (struct socket_link){ .socket = s, .flow = r, .side = side };
		uc_list_push_front(&s->flows, &r->on_socket[side].link);
	}
}

static void leave_sockets(struct uc_conversations *c, struct flow_record *r)
{
	for (int side = 0; side < 2; side++) {
		struct dgram_socket *s = r->on_socket[side].socket;

		if (!s)
			continue;
		uc_list_remove(&r->on_socket[side].link);
		r->on_socket[side].socket = NULL;
		if (uc_list_empty(&s->flows)) {
			erase(c, s->key, s);
			free(s);
		}
	}
}

/* The socket of a close, by the ids its flows may know it by: its address if bound, and its
 * inode (a socket bound after it first sent is known by both). */
static struct dgram_socket *closing_socket(struct uc_conversations *c, const struct uc_message *m)
{
	char key[UC_NAME_LEN + 32];
	struct dgram_socket *s = NULL;

	if (m->own_path[0]) {
		snprintf(key, sizeof(key), "e:p:%s", m->own_path);
		s = lookup(c, key);
	}
	if (!s && m->own_ino) {
		uc_decimal_key(key, "e:i:", m->own_ino);
		s = lookup(c, key);
	}
	return s;
}

/* Some flow of the socket m closes, and the direction of that socket's side. */
static struct flow_record *flow_of_closing_socket(struct uc_conversations *c,
						  const struct uc_message *m, int *dir)
{
	struct dgram_socket *s = closing_socket(c, m);
	struct socket_link *first;

	if (!s)
		return NULL;
	first = uc_container_of(s->flows.next, struct socket_link, link);
	*dir = first->side;
	return first->flow;
}

static struct flow_record *find_datagram_flow(struct uc_conversations *c,
					      const struct uc_message *m, int *dir, bool *created)
{
	char own[UC_NAME_LEN + 24], peer[UC_NAME_LEN + 24], key[2 * sizeof(own) + 4];
	struct flow_record *r;

	endpoint_id(own, sizeof(own), m->own_path, m->own_ino);
	endpoint_id(peer, sizeof(peer), m->peer_path, m->peer_ino);
	if (strcmp(own, peer) < 0)
		snprintf(key, sizeof(key), "d:%s|%s", own, peer);
	else
		snprintf(key, sizeof(key), "d:%s|%s", peer, own);
	r = lookup(c, key);
	if (!r && m->event == UC_MSG_CLOSE)
		return flow_of_closing_socket(c, m, dir); /* an unconnected socket: no peer */
	if (!r) {
		if ((m->event != UC_MSG_DATA && m->event != UC_MSG_LOST &&
		     m->event != UC_MSG_UNSEEN) ||
		    !(r = create(c, m)))
			return NULL;
		r->keys[0] = insert(c, key, r);
		join_sockets(c, r);
		*created = true;
	}
	*dir = (m->own_path[0] ? strcmp(r->flow.path[UC_C2S], m->own_path) == 0 :
				 r->flow.ino[UC_C2S] == m->own_ino) ?
		       UC_C2S :
		       UC_S2C;
	return r;
}

struct uc_flow *uc_conversations_find(struct uc_conversations *c, const struct uc_message *m,
				      int *dir, bool *created)
{
	struct flow_record *r;

	*created = false;
	if (connection_oriented(m->sock_type))
		r = find_connection(c, m, dir, created);
	else if (m->sock_type || !(r = known_connection(c, m, dir))) /* 0: a loss, type unknown */
		r = find_datagram_flow(c, m, dir, created);
	if (!r)
		return NULL;
	uc_list_remove(&r->recency);
	uc_list_push_front(&c->recency, &r->recency);
	/* Ends never seen (a process that exits closes nothing by syscall) would pile up. */
	if (*created && c->live > UC_MAX_FLOWS)
		uc_conversations_retire(
			c, &uc_container_of(c->recency.prev, struct flow_record, recency)->flow);
	return &r->flow;
}

void uc_conversations_retire(struct uc_conversations *c, struct uc_flow *f)
{
	struct flow_record *r = record_of(f);

	for (int i = 0; i < 2; i++)
		if (r->keys[i])
			erase(c, r->keys[i], r);
	leave_sockets(c, r);
	if (c->on_retire)
		c->on_retire(f, c->on_retire_ctx);
	for (int i = 0; i < 2; i++)
		if (r->holder[i])
			release(c, r->holder[i]);
	uc_list_remove(&r->recency);
	c->live--;
	free_record(r);
}

void uc_conversations_close_socket(struct uc_conversations *c, struct uc_flow *f,
				   const struct uc_message *m)
{
	struct flow_record *r;
	int dir;

	uc_conversations_retire(c, f);
	while ((r = flow_of_closing_socket(c, m, &dir)) != NULL)
		uc_conversations_retire(c, &r->flow);
}

size_t uc_conversations_live(const struct uc_conversations *c)
{
	return c->live;
}

size_t uc_conversations_table_size(const struct uc_conversations *c)
{
	return c->keys.count;
}

void uc_conversations_each(struct uc_conversations *c, void (*fn)(struct uc_flow *, void *),
			   void *ctx)
{
	for (struct uc_link *l = c->recency.next, *next; l != &c->recency; l = next) {
		next = l->next;
		fn(&uc_container_of(l, struct flow_record, recency)->flow, ctx);
	}
}

void uc_conversations_free(struct uc_conversations *c)
{
	if (!c)
		return;
	while (!uc_list_empty(&c->recency))
		uc_conversations_retire(
			c, &uc_container_of(c->recency.next, struct flow_record, recency)->flow);
	while (!uc_list_empty(&c->idle_processes.head))
		forget_oldest_idle(c, &c->idle_processes);
	while (!uc_list_empty(&c->idle_paths.head))
		forget_oldest_idle(c, &c->idle_paths);
	uc_hash_clear(&c->keys, free_entry); /* none left unless a step ran out of memory */
	uc_hash_destroy(&c->keys);
	free(c);
}
