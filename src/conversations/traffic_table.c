/* SPDX-License-Identifier: BSD-2-Clause */
/* Bytes and messages each way per process and per socket path, with rates, for `unixcap top`. */
#include "conversations/traffic_table.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/container_id.h"
#include "core/hash.h"

#define UNNAMED "unnamed"

/* The rows of one kind: a fixed array (filled, then reused slot by slot) and a hash of them. */
struct group {
	struct uc_traffic_row *rows;
	unsigned n, cap;
	struct uc_hash by_key;
};

struct uc_traffic_table {
	struct group groups[2];
	uint64_t clock; /* one tick per message: "idlest" is the row counted longest ago */
	struct uc_traffic_totals totals;
};

static int group_init(struct group *g, unsigned cap)
{
	g->rows = calloc(cap, sizeof(*g->rows));
	if (!g->rows || uc_hash_init(&g->by_key, cap < 16 ? 16 : cap) < 0)
		return -1;
	g->cap = cap;
	return 0;
}

struct uc_traffic_table *uc_traffic_new(unsigned max_rows)
{
	struct uc_traffic_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	for (int k = 0; k < 2; k++)
		if (group_init(&t->groups[k], max_rows ? max_rows : UC_TRAFFIC_MAX_ROWS) < 0) {
			uc_traffic_free(t);
			return NULL;
		}
	return t;
}

void uc_traffic_free(struct uc_traffic_table *t)
{
	if (!t)
		return;
	for (int k = 0; k < 2; k++) {
		free(t->groups[k].rows);
		uc_hash_destroy(&t->groups[k].by_key);
	}
	free(t);
}

static uint64_t hash_key(uint32_t pid, const char *name)
{
	return uc_hash_bytes(uc_hash_bytes(UC_HASH_SEED, &pid, sizeof(pid)), name, strlen(name));
}

static uint64_t row_total(const struct uc_traffic_row *r)
{
	return r->sent_bytes + r->recv_bytes;
}

/* The row counted longest ago; between equally old ones, the one that moved least. */
static int32_t idlest(const struct group *g)
{
	int32_t best = 0;

	for (unsigned i = 1; i < g->n; i++) {
		const struct uc_traffic_row *r = &g->rows[i], *b = &g->rows[best];

		if (r->touched < b->touched ||
		    (r->touched == b->touched && row_total(r) < row_total(b)))
			best = (int32_t)i;
	}
	return best;
}

static struct uc_traffic_row *row_for(struct uc_traffic_table *t, enum uc_traffic_kind kind,
				      uint32_t pid, const char *name)
{
	struct group *g = &t->groups[kind];
	uint64_t h = hash_key(pid, name);
	struct uc_traffic_row *r;
	int32_t idx;

	for (struct uc_hash_node *n = uc_hash_first(&g->by_key, h); n; n = uc_hash_next(n)) {
		r = uc_container_of(n, struct uc_traffic_row, node);
		if (r->pid == pid && strcmp(r->name, name) == 0) {
			r->touched = t->clock;
			return r;
		}
	}
	if (g->n < g->cap) {
		idx = (int32_t)g->n++;
	} else {
		idx = idlest(g);
		uc_hash_remove(&g->by_key, &g->rows[idx].node);
		t->totals.evicted[kind]++;
	}
	r = &g->rows[idx];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	snprintf(r->name, sizeof(r->name), "%s", name);
	uc_hash_add(&g->by_key, &r->node, h);
	r->touched = t->clock;
	return r;
}

/* What the process doing the I/O did: it wrote (data, unseen) or read. */
static void count_process(struct uc_traffic_table *t, const struct uc_message *m)
{
	struct uc_traffic_row *r = row_for(t, UC_TRAFFIC_PROCESS, m->pid, m->comm);
	struct uc_container_id c;

	if (!r->sent_msgs && !r->recv_msgs && m->cgroup_id && /* a new row, most often */
	    uc_container_from_cgroup(m->cgroup, &c))
		uc_container_label(&c, r->container, sizeof(r->container));
	r->lost_msgs += m->lost_before_msgs;
	if (m->event == UC_MSG_DATA) {
		r->sent_msgs++;
		r->sent_bytes += m->len;
	} else if (m->event == UC_MSG_READ && !m->peek) {
		r->recv_msgs++;
		r->recv_bytes += m->len;
	} else if (m->event == UC_MSG_UNSEEN) {
		r->unseen_bytes += m->len;
	}
}

/* from: the socket bound to this path sent it; to: it was sent to this path. */
static void count_path(struct uc_traffic_table *t, const char *path, const struct uc_message *m,
		       bool from, bool to)
{
	struct uc_traffic_row *r = row_for(t, UC_TRAFFIC_PATH, 0, path);

	r->lost_msgs += m->lost_before_msgs;
	if (m->event == UC_MSG_UNSEEN)
		r->unseen_bytes += m->len;
	if (m->event != UC_MSG_DATA)
		return;
	if (from) {
		r->sent_msgs++;
		r->sent_bytes += m->len;
	}
	if (to) {
		r->recv_msgs++;
		r->recv_bytes += m->len;
	}
}

/* A read says nothing about paths that the write did not already say; only losses count. */
static void count_paths(struct uc_traffic_table *t, const struct uc_message *m)
{
	bool own = m->own_path[0], peer = m->peer_path[0];

	if (m->event != UC_MSG_DATA && m->event != UC_MSG_UNSEEN && !m->lost_before_msgs)
		return;
	if (!own && !peer) {
		count_path(t, UNNAMED, m, true, true);
		return;
	}
	if (own && peer && strcmp(m->own_path, m->peer_path) == 0) {
		count_path(t, m->own_path, m, true, true);
		return;
	}
	if (own)
		count_path(t, m->own_path, m, true, false);
	if (peer)
		count_path(t, m->peer_path, m, false, true);
}

void uc_traffic_add(struct uc_traffic_table *t, const struct uc_message *m)
{
	struct uc_traffic_totals *tot = &t->totals;

	t->clock++;
	tot->lost_msgs += m->lost_before_msgs;
	switch (m->event) {
	case UC_MSG_DATA:
		tot->messages++;
		tot->bytes += m->len;
		break;
	case UC_MSG_READ:
		if (m->peek) /* the bytes stay queued: the real read comes later */
			return;
		tot->reads++;
		tot->read_bytes += m->len;
		break;
	case UC_MSG_UNSEEN: tot->unseen_bytes += m->len; break;
	case UC_MSG_LOST: /* reported at the end, by socket inodes only: no process, no path */
		return;
	default:
		if (!m->lost_before_msgs)
			return;
	}
	count_process(t, m);
	count_paths(t, m);
}

void uc_traffic_interval(struct uc_traffic_table *t, uint64_t elapsed_ns)
{
	for (int k = 0; k < 2; k++) {
		struct group *g = &t->groups[k];

		for (unsigned i = 0; i < g->n; i++) {
			struct uc_traffic_row *r = &g->rows[i];
			uint64_t total = row_total(r);

			r->rate = elapsed_ns ? (uint64_t)((double)(total - r->mark) * 1e9 /
								  (double)elapsed_ns +
							  0.5) :
					       0;
			r->mark = total;
		}
	}
}

static int by_bytes(const void *a, const void *b)
{
	const struct uc_traffic_row *x = *(const struct uc_traffic_row *const *)a;
	const struct uc_traffic_row *y = *(const struct uc_traffic_row *const *)b;
	uint64_t tx = row_total(x), ty = row_total(y);
	int c;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

size_t uc_traffic_sorted(struct uc_traffic_table *t, enum uc_traffic_kind kind,
			 const struct uc_traffic_row **out, size_t max)
{
	const struct group *g = &t->groups[kind];
	const struct uc_traffic_row **all;
	size_t n = 0;

	if (!g->n || !max)
		return 0;
	all = malloc(g->n * sizeof(*all));
	if (!all) { /* unsorted rather than nothing */
		for (; n < g->n && n < max; n++)
			out[n] = &g->rows[n];
		return n;
	}
	for (unsigned i = 0; i < g->n; i++)
		all[i] = &g->rows[i];
	qsort(all, g->n, sizeof(*all), by_bytes);
	n = g->n < max ? g->n : max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

size_t uc_traffic_rows(const struct uc_traffic_table *t, enum uc_traffic_kind kind)
{
	return t->groups[kind].n;
}

void uc_traffic_get_totals(const struct uc_traffic_table *t, struct uc_traffic_totals *out)
{
	*out = t->totals;
}
