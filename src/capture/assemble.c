/* SPDX-License-Identifier: BSD-2-Clause */
/* Rebuilds whole messages from the ring's records: a message record, then its data slices. */
#include "capture/assemble.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One CPU's message in progress. A CPU's records arrive in the order it produced them and one
 * hook run never interleaves with another on the same CPU, so a record of another message from
 * that CPU means the open one will get nothing more. */
struct open_message {
	bool open;
	struct uc_rec_message head;
	uint8_t *data;
	uint32_t stored;
	uint32_t capacity;
	struct uc_rec_ancillary *ancillary; /* what it passed besides bytes; msg_id 0 if nothing */
};

struct uc_assembler {
	unsigned ncpus;
	struct open_message cpus[];
};

struct uc_assembler *uc_assembler_new(unsigned ncpus)
{
	struct uc_assembler *a = calloc(1, sizeof(*a) + ncpus * sizeof(a->cpus[0]));

	if (a)
		a->ncpus = ncpus;
	return a;
}

static int finish(struct open_message *o, uc_assembled_fn fn, void *ctx)
{
	if (!o->open)
		return 0;
	o->open = false;
	return fn(&o->head, o->data, o->stored, ctx);
}

static int start(struct open_message *o, const struct uc_rec_message *head, size_t size,
		 uc_assembled_fn fn, void *ctx)
{
	size_t inline_len = size - sizeof(*head);

	if (head->event == UC_EV_DATA && head->caplen > o->capacity) {
		uint8_t *bigger = realloc(o->data, head->caplen);

		if (bigger) {
			o->data = bigger;
			o->capacity = head->caplen;
		}
	}
	o->head = *head;
	o->stored = 0;
	o->open = true;
	if (o->ancillary)
		o->ancillary->head.msg_id = 0;
	if (head->event != UC_EV_DATA || head->caplen == 0)
		return finish(o, fn, ctx);
	if (!inline_len)
		return 0; /* data records follow */
	if (inline_len <= UC_INLINE_MAX && inline_len <= head->caplen &&
	    head->caplen <= o->capacity) {
		memcpy(o->data, head + 1, inline_len);
		o->stored = (uint32_t)inline_len;
	}
	return finish(o, fn, ctx); /* the whole payload, or the message ends as sent with less */
}

static int add_data(struct open_message *o, const struct uc_rec_data *d, size_t size,
		    uc_assembled_fn fn, void *ctx)
{
	size_t have = size - offsetof(struct uc_rec_data, data);

	if (d->len > have || d->len > UC_CHUNK)
		return -1;
	if (!o->open || o->head.head.msg_id != d->head.msg_id)
		return -1; /* its message record was never produced: cannot happen by design */
	if (o->head.caplen > o->capacity)
		return 0; /* no memory for this message: it ends with nothing stored, counted lost */
	if (d->offset != o->stored || d->len > o->head.caplen - o->stored) {
		int stop = finish(o, fn, ctx); /* keep the prefix that arrived in order */

		return stop ? stop : -1;
	}
	memcpy(o->data + o->stored, d->data, d->len);
	o->stored += d->len;
	if (o->stored == o->head.caplen || d->len == 0) /* an empty slice: nothing more comes */
		return finish(o, fn, ctx);
	return 0;
}

static int keep_ancillary(struct open_message *o, const struct uc_rec_ancillary *anc)
{
	if (!o->ancillary && !(o->ancillary = malloc(sizeof(*o->ancillary))))
		return -1; /* the message goes on without it */
	*o->ancillary = *anc;
	return 0;
}

const struct uc_rec_ancillary *uc_assembler_ancillary(const struct uc_assembler *a,
						      const struct uc_rec_message *head)
{
	const struct open_message *o = head->head.cpu < a->ncpus ? &a->cpus[head->head.cpu] : NULL;

	if (!o || !o->ancillary || o->ancillary->head.msg_id != head->head.msg_id)
		return NULL;
	return o->ancillary;
}

int uc_assembler_feed(struct uc_assembler *a, const void *rec, size_t size, uc_assembled_fn fn,
		      void *ctx)
{
	const struct uc_record_head *h = rec;
	struct open_message *o;
	int stop;

	if (size < sizeof(*h) || h->cpu >= a->ncpus)
		return -1;
	o = &a->cpus[h->cpu];
	if (o->open && o->head.head.msg_id != h->msg_id) {
		stop = finish(o, fn, ctx);
		if (stop)
			return stop;
	}
	if (h->kind == UC_REC_MESSAGE && size >= sizeof(struct uc_rec_message))
		return start(o, rec, size, fn, ctx);
	if (h->kind == UC_REC_DATA && size >= offsetof(struct uc_rec_data, data))
		return add_data(o, rec, size, fn, ctx);
	if (h->kind == UC_REC_ANCILLARY && size >= sizeof(struct uc_rec_ancillary) && o->open)
		return keep_ancillary(o, rec);
	return -1;
}

int uc_assembler_flush(struct uc_assembler *a, uc_assembled_fn fn, void *ctx)
{
	int stop = 0;

	for (unsigned i = 0; i < a->ncpus && !stop; i++)
		stop = finish(&a->cpus[i], fn, ctx);
	return stop;
}

bool uc_assembler_open_before(const struct uc_assembler *a, uint64_t ktime_ns)
{
	for (unsigned i = 0; i < a->ncpus; i++)
		if (a->cpus[i].open && a->cpus[i].head.ktime_ns <= ktime_ns)
			return true;
	return false;
}

void uc_assembler_free(struct uc_assembler *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->ncpus; i++) {
		free(a->cpus[i].data);
		free(a->cpus[i].ancillary);
	}
	free(a);
}
