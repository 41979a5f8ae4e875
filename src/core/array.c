/* SPDX-License-Identifier: BSD-2-Clause */
/* Arrays that grow by doubling, for tables read in whole (sockets, owners, cgroups, held records). */
#include "core/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void *uc_array_grow(void *items, size_t *cap, size_t need, size_t elem_size, size_t first_cap)
{
	size_t n = *cap ? *cap : first_cap;
	void *v;

	if (need <= *cap)
		return items;
	while (n < need && n <= SIZE_MAX / 2)
		n *= 2;
	if (n < need || n > SIZE_MAX / elem_size) {
		errno = EOVERFLOW;
		return NULL;
	}
	v = realloc(items, n * elem_size);
	if (v)
		*cap = n;
	return v;
}
