/* SPDX-License-Identifier: BSD-2-Clause */
/* Sockets as the hooks described them (UC_REC_SOCKET), for the UC_REC_IO records that name them. */
#ifndef UNIXCAP_SOCKET_TABLE_H
#define UNIXCAP_SOCKET_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/record.h"

#define UC_SOCKET_TABLE_MAX 32768 /* sockets described at once; past it the table starts over */

struct uc_socket_table;

/* An empty table of at most max sockets (0: UC_SOCKET_TABLE_MAX); NULL when out of memory. */
struct uc_socket_table *uc_socket_table_new(size_t max);
void uc_socket_table_free(struct uc_socket_table *t);

/* Keeps r as its socket's description, replacing the one before. Returns 0; 1 when the table was
 * full and has been emptied to make room (the hooks must then describe every socket again); -1
 * when out of memory (the socket stays undescribed). */
int uc_socket_table_put(struct uc_socket_table *t, const struct uc_rec_socket *r);
/* The description of the socket with this inode, or NULL. */
const struct uc_rec_socket *uc_socket_table_get(const struct uc_socket_table *t, uint64_t own_ino);
/* Forgets a closed socket. */
void uc_socket_table_forget(struct uc_socket_table *t, uint64_t own_ino);
size_t uc_socket_table_count(const struct uc_socket_table *t);

/* The full record io stands for, its socket's description added. Returns false (and leaves
 * the names and peer credentials empty) when the table does not know the socket. */
bool uc_socket_table_expand(const struct uc_socket_table *t, const struct uc_rec_io *io,
			    struct uc_rec_message *out);

#endif
