/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap list`'s table: sockets joined to their peers and owners, selected, sorted and printed. */
#ifndef UNIXCAP_LISTING_H
#define UNIXCAP_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "unixcap.h"
#include "inventory/owners.h"
#include "inventory/unix_diag.h"

struct uc_list_sock {
	struct uc_unix_sock s;
	const char *name;                /* as uc_sun_path_format writes it; "" when unnamed */
	const struct uc_list_sock *peer; /* NULL: no peer, or one this listing does not hold */
};

struct uc_listing {
	struct uc_list_sock *socks; /* by inode once uc_listing_finish has run */
	size_t n, cap;
	struct uc_list_sock **order; /* display order: by path (own, else the peer's), then inode */
	const struct uc_owners *owners; /* may be NULL: every owner unknown */
};

/* The capture's filters as `list` applies them, each to the socket or its peer. A --path that
 * names an existing socket file also matches by identity (device and inode, as the kernel
 * encodes them), whatever name the socket was bound under. */
struct uc_list_filter {
	struct uc_filter f;
	bool has_id[UC_MAX_PATHS];
	uint32_t id_dev[UC_MAX_PATHS], id_ino[UC_MAX_PATHS];
};

/* Copies s in. Returns 0, or -1 when out of memory. */
int uc_listing_add(struct uc_listing *l, const struct uc_unix_sock *s);
/* Once every socket is in: sorts, links peers, orders for display. Returns 0, or -1 (memory). */
int uc_listing_finish(struct uc_listing *l);
bool uc_listing_selected(const struct uc_listing *l, const struct uc_list_sock *e,
			 const struct uc_list_filter *f);
/* What the PATH column shows: the name ("unnamed" when none), then " > " and the peer's name when
 * the peer has another one ("unnamed > /run/docker.sock"). */
void uc_listing_address(const struct uc_list_sock *e, char *out, size_t outlen);
/* The selected sockets in display order: a header and aligned columns, or one JSON object a
 * line. Returns how many were printed. */
size_t uc_listing_print(FILE *out, const struct uc_listing *l, const struct uc_list_filter *f,
			bool json);
void uc_listing_json_line(FILE *out, const struct uc_listing *l, const struct uc_list_sock *e);
void uc_listing_free(struct uc_listing *l);

#endif
