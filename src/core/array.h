/* SPDX-License-Identifier: BSD-2-Clause */
/* Arrays that grow by doubling, for tables read in whole (sockets, owners, cgroups, held records). */
#ifndef UNIXCAP_ARRAY_H
#define UNIXCAP_ARRAY_H

#include <stddef.h>

/* items (room for *cap elements of elem_size bytes) with room for at least need (> 0) elements:
 * itself when it has it, else reallocated to double its room (first_cap to begin with), so n
 * appends cost O(n), and *cap updated. NULL with errno (ENOMEM, EOVERFLOW) when that fails:
 * items and *cap are then unchanged and still the caller's. */
void *uc_array_grow(void *items, size_t *cap, size_t need, size_t elem_size, size_t first_cap);

#endif
