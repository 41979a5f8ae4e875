/* SPDX-License-Identifier: BSD-2-Clause */
/* Datagrams through the proxy: each sender gets a socket of its own at REAL, so replies find their way back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/list.h"
#include "core/names.h"
#include "proxy/relay_int.h"

#define BUCKETS 1024                 /* to start with: the table grows */
#define ROUNDS 64                    /* datagrams per socket per wakeup */
#define IDLE_NS (60 * 1000000000ull) /* a sender silent this long is forgotten */
#define SWEEP_NS 1000000000ull

/* A sender, known by its address (or, unbound, by its process): its upstream socket w stands
 * for it at REAL, and replies to that socket go back to its address from NEW. */
struct dgram_client {
	struct watch w;
	struct uc_hash_node node; /* in the table, by sender */
	struct uc_link link;      /* in all, then in finished */
	struct sockaddr_un addr;
	socklen_t addrlen; /* sizeof(sa_family_t) or less: unbound, unreachable */
	uint32_t key_pid;
	char name[UC_NAME_LEN];
	struct uc_proxy_end end, server;
	struct uc_chunk to_server, to_client;
	bool server_full, client_full; /* the chunk waits: REAL's or the client's queue is full */
	bool gone;
	uint64_t last_ns;
};

struct dgram_table {
	struct uc_hash by_sender;
	struct uc_link all;      /* every client */
	struct uc_link finished; /* clients to free at the end of the poll */
	unsigned server_full;    /* NEW is not read while REAL cannot take more */
	unsigned client_full;
	uint64_t next_sweep_ns;
};

static bool bound(socklen_t len)
{
	return len > sizeof(sa_family_t);
}

static size_t path_len(socklen_t len)
{
	return bound(len) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
}

static uint64_t sender_hash(const struct sockaddr_un *a, socklen_t len, uint32_t pid)
{
	uint64_t h = uc_hash_bytes(UC_HASH_SEED, a->sun_path, path_len(len));

	return bound(len) ? h : uc_hash_bytes(h, &pid, sizeof(pid));
}

static bool same_sender(const struct dgram_client *cl, const struct sockaddr_un *a, socklen_t len,
			uint32_t pid)
{
	if (bound(len) != bound(cl->addrlen))
		return false;
	if (!bound(len))
		return cl->key_pid == pid;
	return len == cl->addrlen && memcmp(a->sun_path, cl->addr.sun_path, path_len(len)) == 0;
}

int uc_relay_dgram_init(struct uc_relay *r)
{
	r->dgram = calloc(1, sizeof(*r->dgram));
	if (r->dgram && uc_hash_init(&r->dgram->by_sender, BUCKETS) == 0) {
		uc_list_init(&r->dgram->all);
		uc_list_init(&r->dgram->finished);
		return 0;
	}
	free(r->dgram);
	r->dgram = NULL;
	return -1;
}

static void set_full(unsigned *count, bool *flag, bool full)
{
	if (*flag != full)
		*count += full ? 1u : (unsigned)-1;
	*flag = full;
}

/* NEW is read while REAL takes every datagram; the client's socket while its replies go out. */
static void update_watches(struct uc_relay *r, struct dgram_client *cl)
{
	uc_relay_watch(r, &r->listener, r->dgram->server_full ? 0 : EPOLLIN);
	if (!cl || cl->gone)
		return;
	uc_relay_watch(r, &cl->w,
		       (cl->to_client.active ? 0 : EPOLLIN) |
			       (cl->to_server.active ? EPOLLOUT : 0));
}

/* Forgets a client: its socket closes (reported as its close, which ends its flow). */
static void client_finish(struct uc_relay *r, struct dgram_client *cl, bool report)
{
	struct dgram_table *t = r->dgram;

	if (report)
		uc_relay_report_event(r, UC_MSG_CLOSE, &cl->end, &cl->server);
	r->st.undelivered += (cl->to_server.active ? 1u : 0u) + (cl->to_client.active ? 1u : 0u);
	uc_chunk_clear(&cl->to_server);
	uc_chunk_clear(&cl->to_client);
	set_full(&t->server_full, &cl->server_full, false);
	set_full(&t->client_full, &cl->client_full, false);
	close(cl->w.fd);
	cl->w.fd = -1;
	uc_hash_remove(&t->by_sender, &cl->node);
	uc_list_remove(&cl->link);
	cl->gone = true;
	uc_list_push_front(&t->finished, &cl->link);
	update_watches(r, NULL);
}

/* A new sender's own socket, bound (autobind) so that REAL can answer it, connected to REAL. */
static struct dgram_client *client_new(struct uc_relay *r, const struct sockaddr_un *from,
				       socklen_t fromlen, uint32_t pid)
{
	struct dgram_table *t = r->dgram;
	struct dgram_client *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	cl->w = (struct watch){ .kind = W_DGRAM_CLIENT, .fd = uc_proxy_socket(SOCK_DGRAM) };
	if (cl->w.fd < 0 ||
	    connect(cl->w.fd, (const struct sockaddr *)&r->opt.real.sa, r->opt.real.len) < 0 ||
	    uc_relay_watch(r, &cl->w, EPOLLIN) < 0) {
		uc_relay_say(r, &r->connect_said,
			     "cannot connect to '%s': %s (a datagram from pid %u is "
			     "dropped)",
			     r->opt.real.text, strerror(errno), pid);
		if (cl->w.fd >= 0)
			close(cl->w.fd);
		free(cl);
		return NULL;
	}
	memcpy(&cl->addr, from, fromlen);
	cl->addrlen = fromlen;
	cl->key_pid = pid;
	if (bound(fromlen))
		uc_sun_path_format(from->sun_path, path_len(fromlen), cl->name, sizeof(cl->name));
	cl->end.name = cl->name;
	cl->end.ino = uc_proxy_inode(cl->w.fd);
	cl->server.name = r->opt.real.name;
	uc_hash_add(&t->by_sender, &cl->node, sender_hash(from, fromlen, pid));
	uc_list_push_front(&t->all, &cl->link);
	r->st.clients++;
	return cl;
}

static struct dgram_client *client_of(struct uc_relay *r, const struct sockaddr_un *from,
				      socklen_t fromlen, uint32_t pid)
{
	uint64_t h = sender_hash(from, fromlen, pid);

	for (struct uc_hash_node *n = uc_hash_first(&r->dgram->by_sender, h); n;
	     n = uc_hash_next(n)) {
		struct dgram_client *cl = uc_container_of(n, struct dgram_client, node);

		if (same_sender(cl, from, fromlen, pid))
			return cl;
	}
	return client_new(r, from, fromlen, pid);
}

/* Every datagram comes with its sender's credentials (SO_PASSCRED): they name that end. */
static void sender_is(struct uc_proxy_end *end, const struct uc_chunk *c)
{
	if (!c->has_creds)
		return;
	if ((uint32_t)c->creds.pid != end->pid || !end->comm[0])
		uc_proxy_comm((uint32_t)c->creds.pid, end->comm);
	end->pid = (uint32_t)c->creds.pid;
	end->uid = c->creds.uid;
	end->gid = c->creds.gid;
}

static void to_server(struct uc_relay *r, struct dgram_client *cl)
{
	int ret = uc_chunk_send(cl->w.fd, &cl->to_server, NULL, 0, &r->forward_creds), e = errno;

	if (ret == 0 && uc_chunk_keep(&cl->to_server) == 0) {
		set_full(&r->dgram->server_full, &cl->server_full, true);
		return;
	}
	set_full(&r->dgram->server_full, &cl->server_full, false);
	if (ret > 0) {
		uc_chunk_clear(&cl->to_server);
		return;
	}
	r->st.undelivered++;
	uc_chunk_clear(&cl->to_server);
	uc_relay_say(r, &r->connect_said, "cannot relay to '%s': %s", r->opt.real.text,
		     strerror(ret == 0 ? ENOMEM : e));
	/* REAL's socket has gone (a server restarting binds a new one): connect afresh next time */
	if (e == ECONNREFUSED || e == ECONNRESET || e == ENOTCONN || e == EPIPE)
		client_finish(r, cl, true);
}

static void to_client(struct uc_relay *r, struct dgram_client *cl)
{
	int ret, e;

	if (!bound(cl->addrlen)) {
		uc_relay_say(r, NULL,
			     "a reply from '%s' to %s[%u] is dropped: that sender's socket has no "
			     "address",
			     r->opt.real.text, cl->end.comm, cl->end.pid);
		r->st.undelivered++;
		uc_chunk_clear(&cl->to_client);
		return;
	}
	ret = uc_chunk_send(r->listener.fd, &cl->to_client, &cl->addr, cl->addrlen,
			    &r->forward_creds);
	e = errno;
	if (ret == 0 && uc_chunk_keep(&cl->to_client) == 0) {
		set_full(&r->dgram->client_full, &cl->client_full, true);
		return;
	}
	set_full(&r->dgram->client_full, &cl->client_full, false);
	if (ret > 0) {
		uc_chunk_clear(&cl->to_client);
		return;
	}
	uc_relay_say(r, NULL, "cannot relay to '%s': %s", cl->name,
		     strerror(ret == 0 ? ENOMEM : e));
	r->st.undelivered++;
	uc_chunk_clear(&cl->to_client);
	if (e == ECONNREFUSED || e == ENOENT) /* the client's socket has gone */
		client_finish(r, cl, true);
}

void uc_relay_dgram_incoming(struct uc_relay *r)
{
	for (int round = 0; round < ROUNDS && !r->stopped && !r->dgram->server_full; round++) {
		struct sockaddr_un from;
		socklen_t fromlen = sizeof(from);
		struct uc_chunk c;
		struct dgram_client *cl;
		ssize_t n = uc_chunk_next_size(r->listener.fd);

		if (n < 0 || uc_relay_scratch(r, (size_t)n) < 0 ||
		    uc_chunk_recv(r->listener.fd, &c, r->scratch, (size_t)n, true, &from,
				  &fromlen) < 0)
			break;
		cl = client_of(r, &from, fromlen, c.has_creds ? (uint32_t)c.creds.pid : 0);
		if (!cl) {
			r->st.undelivered++;
			uc_chunk_clear(&c);
			continue;
		}
		sender_is(&cl->end, &c);
		cl->to_server = c;
		cl->last_ns = uc_now_ns();
		uc_relay_report_data(r, &cl->to_server, &cl->end, &cl->server);
		to_server(r, cl);
		update_watches(r, cl);
	}
}

static void from_server(struct uc_relay *r, struct dgram_client *cl)
{
	for (int round = 0; round < ROUNDS && !r->stopped && !cl->gone && !cl->to_client.active;
	     round++) {
		ssize_t n = uc_chunk_next_size(cl->w.fd);

		if (n < 0 || uc_relay_scratch(r, (size_t)n) < 0 ||
		    uc_chunk_recv(cl->w.fd, &cl->to_client, r->scratch, (size_t)n, true, NULL,
				  NULL) < 0)
			return;
		sender_is(&cl->server, &cl->to_client);
		cl->last_ns = uc_now_ns();
		uc_relay_report_data(r, &cl->to_client, &cl->server, &cl->end);
		to_client(r, cl);
	}
}

void uc_relay_dgram_event(struct uc_relay *r, struct watch *w, uint32_t events)
{
	struct dgram_client *cl = container_of(w, struct dgram_client, w);
	int e;

	if (cl->gone)
		return;
	/* a pending error is reported until read */
	if (events & EPOLLERR)
		getsockopt(cl->w.fd, SOL_SOCKET, SO_ERROR, &e, &(socklen_t){ sizeof(e) });
	if (events & EPOLLOUT)
		to_server(r, cl);
	if (!cl->gone && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		from_server(r, cl);
	update_watches(r, cl);
}

bool uc_relay_dgram_tick(struct uc_relay *r, uint64_t now_ns)
{
	struct dgram_table *t = r->dgram;
	bool sweep = now_ns >= t->next_sweep_ns;

	if (sweep)
		t->next_sweep_ns = now_ns + SWEEP_NS;
	for (struct uc_link *l = t->all.next, *next; l != &t->all && (sweep || t->client_full);
	     l = next) {
		struct dgram_client *cl = uc_container_of(l, struct dgram_client, link);

		next = l->next;
		if (cl->client_full) {
			to_client(r, cl);
			update_watches(r, cl);
		}
		if (sweep && !cl->gone && !cl->to_server.active && !cl->to_client.active &&
		    now_ns - cl->last_ns > IDLE_NS)
			client_finish(r, cl, true);
	}
	while (!uc_list_empty(&t->finished)) {
		struct dgram_client *cl = uc_container_of(t->finished.next, struct dgram_client,
							  link);

		uc_list_remove(&cl->link);
		free(cl);
	}
	return t->client_full > 0;
}

void uc_relay_dgram_stop(struct uc_relay *r)
{
	while (!uc_list_empty(&r->dgram->all))
		client_finish(r, uc_container_of(r->dgram->all.next, struct dgram_client, link),
			      true);
}

void uc_relay_dgram_free(struct uc_relay *r)
{
	if (!r->dgram)
		return;
	r->fn = NULL;
	uc_relay_dgram_stop(r);
	uc_relay_dgram_tick(r, 0);
	uc_hash_destroy(&r->dgram->by_sender);
	free(r->dgram);
	r->dgram = NULL;
}
