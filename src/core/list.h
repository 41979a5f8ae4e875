/* SPDX-License-Identifier: BSD-2-Clause */
/* Intrusive circular doubly-linked lists, with a head that is not an element. */
#ifndef UNIXCAP_LIST_H
#define UNIXCAP_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/container.h"

struct uc_link {
	struct uc_link *prev, *next;
};

static inline void uc_list_init(struct uc_link *head)
{
	head->prev = head->next = head;
}

static inline bool uc_list_empty(const struct uc_link *head)
{
	return head->next == head;
}

/* Takes l out of its list; l is left a list of its own, so removing it twice is harmless. */
static inline void uc_list_remove(struct uc_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

static inline void uc_list_push_front(struct uc_link *head, struct uc_link *l)
{
	l->next = head->next;
	l->prev = head;
	head->next->prev = l;
	head->next = l;
}

#endif
