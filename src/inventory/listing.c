/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap list`'s table: sockets joined to their peers and owners, selected, sorted and printed. */
#include "inventory/listing.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "core/names.h"
#include "core/json_string.h"
#include "core/array.h"

#define PATH_COLUMN_MAX 60 /* a longer address pushes OWNERS out on its own line, not on all */
#define ADDRESS_LEN (2 * UC_NAME_LEN + 8)

struct widths {
	int type, state, inode, peer, path;
};

int uc_listing_add(struct uc_listing *l, const struct uc_unix_sock *s)
{
	struct uc_list_sock *socks = uc_array_grow(l->socks, &l->cap, l->n + 1, sizeof(*socks),
						   256);
	char name[UC_NAME_LEN];
	struct uc_list_sock *e;

	if (!socks)
		return -1;
	l->socks = socks;
	uc_sun_path_format(s->name, s->name_len, name, sizeof(name));
	e = &l->socks[l->n];
	e->s = *s;
	e->peer = NULL;
	e->name = name[0] ? strdup(name) : "";
	if (!e->name)
		return -1;
	l->n++;
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct uc_list_sock *x = a, *y = b;

	return x->s.inode < y->s.inode ? -1 : x->s.inode > y->s.inode;
}

/* The name a socket sorts under: its own, else its peer's (a client next to its server). */
static const char *sort_name(const struct uc_list_sock *e)
{
	if (e->name[0])
		return e->name;
	return e->peer && e->peer->name[0] ? e->peer->name : NULL;
}

/* Named first, by name; then the sockets no name reaches; each group by inode. */
static int by_display(const void *a, const void *b)
{
	const struct uc_list_sock *x = *(const struct uc_list_sock *const *)a;
	const struct uc_list_sock *y = *(const struct uc_list_sock *const *)b;
	const char *nx = sort_name(x), *ny = sort_name(y);
	int c;

	if (!nx != !ny)
		return nx ? -1 : 1;
	if (nx && (c = strcmp(nx, ny)) != 0)
		return c;
	return by_inode(x, y);
}

int uc_listing_finish(struct uc_listing *l)
{
	free(l->order);
	l->order = malloc((l->n ? l->n : 1) * sizeof(*l->order));
	if (!l->order)
		return -1;
	if (l->n)
		qsort(l->socks, l->n, sizeof(*l->socks), by_inode);
	for (size_t i = 0; i < l->n; i++) {
		struct uc_list_sock key = { .s.inode = l->socks[i].s.peer_inode };

		l->socks[i].peer = key.s.inode ? bsearch(&key, l->socks, l->n, sizeof(*l->socks),
							 by_inode) :
						 NULL;
		l->order[i] = &l->socks[i];
	}
	if (l->n)
		qsort(l->order, l->n, sizeof(*l->order), by_display);
	return 0;
}

/* Some owner of the socket or of its peer passes test. */
static bool any_owner(const struct uc_listing *l, const struct uc_list_sock *e,
		      const struct uc_filter *f,
		      bool (*test)(const struct uc_owner *, const struct uc_filter *))
{
	const uint64_t inodes[2] = { e->s.inode, e->s.peer_inode };

	for (int k = 0; k < 2 && l->owners; k++) {
		const struct uc_owner *o;
		size_t n = inodes[k] ? uc_owners_find(l->owners, inodes[k], &o) : 0;

		for (size_t i = 0; i < n; i++)
			if (test(&o[i], f))
				return true;
	}
	return false;
}

static bool pid_listed(const struct uc_owner *o, const struct uc_filter *f)
{
	for (unsigned i = 0; i < f->n_pids; i++)
		if (f->pids[i] == o->pid)
			return true;
	return false;
}

static bool comm_equal(const struct uc_owner *o, const struct uc_filter *f)
{
	return strcmp(o->comm, f->comm) == 0;
}

/* Patterns are written as names are shown (@abstract, \xNN), so they are matched as shown. */
static bool name_matches(const char *pat, const struct uc_list_sock *e)
{
	return e && e->name[0] && uc_glob_match(pat, strlen(pat), e->name, strlen(e->name));
}

static bool same_file(const struct uc_list_sock *e, uint32_t dev, uint32_t ino)
{
	return e && e->s.has_vfs && e->s.vfs_dev == dev && e->s.vfs_ino == ino;
}

static bool path_selected(const struct uc_list_sock *e, const struct uc_list_filter *f)
{
	for (unsigned i = 0; i < f->f.n_paths; i++) {
		if (name_matches(f->f.paths[i], e) || name_matches(f->f.paths[i], e->peer))
			return true;
		if (f->has_id[i] && (same_file(e, f->id_dev[i], f->id_ino[i]) ||
				     same_file(e->peer, f->id_dev[i], f->id_ino[i])))
			return true;
	}
	return f->f.n_paths == 0;
}

bool uc_listing_selected(const struct uc_listing *l, const struct uc_list_sock *e,
			 const struct uc_list_filter *f)
{
	bool any = !f->f.n_inodes;

	if (f->f.type_mask && (e->s.type >= 32 || !(f->f.type_mask & (1u << e->s.type))))
		return false;
	for (unsigned i = 0; i < f->f.n_inodes; i++)
		any |= f->f.inodes[i] == e->s.inode ||
		       (e->s.peer_inode && f->f.inodes[i] == e->s.peer_inode);
	if (!any)
		return false;
	if (f->f.n_pids && !any_owner(l, e, &f->f, pid_listed))
		return false;
	if (f->f.comm && !any_owner(l, e, &f->f, comm_equal))
		return false;
	return path_selected(e, f);
}

/* Recent kernels mark a datagram socket that others connect() to established too, though it has
 * no peer: only its own connect() gives it one, and that is what "connected" says here. */
static const char *state_name(const struct uc_unix_sock *s)
{
	if (s->type == SOCK_DGRAM &&
	    (s->state == UC_STATE_CONNECTED || s->state == UC_STATE_UNCONNECTED))
		return s->peer_inode ? "connected" : "unconnected";
	return uc_unix_state_name(s->state);
}

void uc_listing_address(const struct uc_list_sock *e, char *out, size_t outlen)
{
	const char *own = e->name[0] ? e->name : "unnamed";

	if (e->peer && e->peer->name[0] && strcmp(e->peer->name, e->name) != 0)
		snprintf(out, outlen, "%s > %s", own, e->peer->name);
	else
		snprintf(out, outlen, "%s", own);
}

/* A process name as the text shows it: any byte outside printable ASCII as \xNN, as names are. */
static void put_comm(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

static void put_owners_text(FILE *out, const struct uc_listing *l, uint64_t inode)
{
	const struct uc_owner *o = NULL;
	size_t n = l->owners ? uc_owners_find(l->owners, inode, &o) : 0;

	if (!n)
		fputc('-', out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		put_comm(out, o[i].comm);
		fprintf(out, "[%u]", o[i].pid);
		if (o[i].container[0]) {
			fputc('@', out);
			put_comm(out, o[i].container);
		}
	}
	fputc('\n', out);
}

static void peer_text(const struct uc_list_sock *e, char out[24])
{
	if (e->s.peer_inode)
		snprintf(out, 24, "%llu", (unsigned long long)e->s.peer_inode);
	else
		strcpy(out, "-");
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void measure(const struct uc_listing *l, const struct uc_list_filter *f, struct widths *w)
{
	char inode[24], peer[24], address[ADDRESS_LEN];

	*w = (struct widths){ .type = 4, .state = 5, .inode = 5, .peer = 4, .path = 4 };
	for (size_t i = 0; i < l->n; i++) {
		const struct uc_list_sock *e = l->order[i];

		if (!uc_listing_selected(l, e, f))
			continue;
		peer_text(e, peer);
		uc_listing_address(e, address, sizeof(address));
		w->type = max_int(w->type, (int)strlen(uc_sock_type_name(e->s.type)));
		w->state = max_int(w->state, (int)strlen(state_name(&e->s)));
		w->inode = max_int(w->inode, snprintf(inode, sizeof(inode), "%llu",
						      (unsigned long long)e->s.inode));
		w->peer = max_int(w->peer, (int)strlen(peer));
		w->path = max_int(w->path, (int)strlen(address));
	}
	w->path = w->path > PATH_COLUMN_MAX ? PATH_COLUMN_MAX : w->path;
}

static void text_line(FILE *out, const struct uc_listing *l, const struct uc_list_sock *e,
		      const struct widths *w)
{
	char peer[24], address[ADDRESS_LEN];

	peer_text(e, peer);
	uc_listing_address(e, address, sizeof(address));
	fprintf(out, "%-*s  %-*s  %-*llu  %-*s  %-*s  ", w->type, uc_sock_type_name(e->s.type),
		w->state, state_name(&e->s), w->inode, (unsigned long long)e->s.inode, w->peer,
		peer, w->path, address);
	put_owners_text(out, l, e->s.inode);
}

/* The name's bytes as JSON carries them (the leading NUL of an abstract name as '@'); null when
 * there is no name, or no peer. */
static void put_json_name(FILE *out, const struct uc_list_sock *e)
{
	char raw[UC_PATH_LEN];
	size_t n = e ? uc_sun_path_len(e->s.name, e->s.name_len) : 0;

	if (!n) {
		fputs("null", out);
		return;
	}
	memcpy(raw, e->s.name, n);
	if (raw[0] == '\0')
		raw[0] = '@';
	uc_json_string(out, raw, n);
}

static void put_json_owners(FILE *out, const struct uc_listing *l, uint64_t inode)
{
	const struct uc_owner *o = NULL;
	size_t n = l->owners ? uc_owners_find(l->owners, inode, &o) : 0;

	fputs(",\"owners\":[", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s{\"pid\":%u,\"comm\":", i ? "," : "", o[i].pid);
		uc_json_string(out, o[i].comm, strlen(o[i].comm));
		if (o[i].container[0]) {
			fputs(",\"container\":", out);
			uc_json_string(out, o[i].container, strlen(o[i].container));
		}
		fputc('}', out);
	}
	fputc(']', out);
}

void uc_listing_json_line(FILE *out, const struct uc_listing *l, const struct uc_list_sock *e)
{
	const struct uc_unix_sock *s = &e->s;

	fprintf(out, "{\"inode\":%llu,\"type\":\"%s\",\"state\":\"%s\",\"path\":",
		(unsigned long long)s->inode, uc_sock_type_name(s->type), state_name(s));
	put_json_name(out, e);
	if (s->has_vfs)
		fprintf(out, ",\"vfs\":{\"dev\":\"%u:%u\",\"inode\":%u}", s->vfs_dev >> 20,
			s->vfs_dev & 0xfffff, s->vfs_ino);
	if (s->peer_inode)
		fprintf(out,
			",\"peer_inode\":%llu,\"peer_path\":", (unsigned long long)s->peer_inode);
	else
		fputs(",\"peer_inode\":null,\"peer_path\":", out);
	put_json_name(out, e->peer);
	put_json_owners(out, l, s->inode);
	if (s->has_uid)
		fprintf(out, ",\"uid\":%u", s->uid);
	if (s->has_queues)
		fprintf(out, ",\"rqueue\":%u,\"wqueue\":%u", s->rqueue, s->wqueue);
	if (s->has_pending)
		fprintf(out, ",\"pending\":%u", s->pending);
	fputs("}\n", out);
}

size_t uc_listing_print(FILE *out, const struct uc_listing *l, const struct uc_list_filter *f,
			bool json)
{
	struct widths w;
	size_t shown = 0;

	if (!json) {
		measure(l, f, &w);
		fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  OWNERS\n", w.type, "TYPE", w.state,
			"STATE", w.inode, "INODE", w.peer, "PEER", w.path, "PATH");
	}
	for (size_t i = 0; i < l->n; i++) {
		if (!uc_listing_selected(l, l->order[i], f))
			continue;
		if (json)
			uc_listing_json_line(out, l, l->order[i]);
		else
			text_line(out, l, l->order[i], &w);
		shown++;
	}
	return shown;
}

void uc_listing_free(struct uc_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->socks[i].name[0])
			free((char *)l->socks[i].name);
	free(l->socks);
	free(l->order);
	memset(l, 0, sizeof(*l));
}
