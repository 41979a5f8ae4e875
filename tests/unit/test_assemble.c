/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for message assembly: records fed by hand in order, out of order, cut short or malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <linux/types.h>
#include "records/record.h"
#include "capture/assemble.h"

#define MAX_SEEN 8

/* What the callback was given, copied because the assembler reuses its buffers. */
struct seen {
	unsigned n;
	int ret; /* what the callback returns */
	struct {
		__u64 msg_id;
		__u16 event;
		__u32 caplen;
		uint32_t stored;
		uint8_t *data;
	} m[MAX_SEEN];
};

static int on_message(const struct uc_rec_message *head, const uint8_t *data, uint32_t stored,
		      void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < MAX_SEEN);
	s->m[s->n].msg_id = head->head.msg_id;
	s->m[s->n].event = head->event;
	s->m[s->n].caplen = head->caplen;
	s->m[s->n].stored = stored;
	s->m[s->n].data = malloc(stored ? stored : 1);
	assert_non_null(s->m[s->n].data);
	if (stored)
		memcpy(s->m[s->n].data, data, stored);
	s->n++;
	return s->ret;
}

static void seen_free(struct seen *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->m[i].data);
}

static __u64 msg_id(__u32 cpu, __u64 counter)
{
	return (__u64)cpu << 48 | counter;
}

static int feed_message_at(struct uc_assembler *a, __u32 cpu, __u64 id, __u16 event, __u32 caplen,
			   __u64 ktime_ns, struct seen *s)
{
	struct uc_rec_message r;

	memset(&r, 0, sizeof(r));
	r.head.kind = UC_REC_MESSAGE;
	r.head.cpu = cpu;
	r.head.msg_id = id;
	r.ktime_ns = ktime_ns;
	r.event = event;
	r.sock_type = SOCK_STREAM;
	r.len = caplen;
	r.caplen = caplen;
	return uc_assembler_feed(a, &r, sizeof(r), on_message, s);
}

static int feed_message(struct uc_assembler *a, __u32 cpu, __u64 id, __u16 event, __u32 caplen,
			struct seen *s)
{
	return feed_message_at(a, cpu, id, event, caplen, 0, s);
}

/* A data record sized as the ring would: the header plus the bytes it carries. */
static int feed_data(struct uc_assembler *a, __u32 cpu, __u64 id, __u32 offset, const void *bytes,
		     __u32 len, struct seen *s)
{
	struct uc_rec_data *d = calloc(1, sizeof(*d));
	int ret;

	assert_non_null(d);
	d->head.kind = UC_REC_DATA;
	d->head.cpu = cpu;
	d->head.msg_id = id;
	d->offset = offset;
	d->len = len;
	memcpy(d->data, bytes, len);
	ret = uc_assembler_feed(a, d, offsetof(struct uc_rec_data, data) + len, on_message, s);
	free(d);
	return ret;
}

static void test_three_chunks_complete(void **state)
{
	static const char text[] = "hello, assembled world";
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };

	(void)state;
	assert_non_null(a);
	assert_int_equal(feed_message(a, 1, msg_id(1, 7), UC_EV_DATA, 22, &s), 0);
	assert_int_equal(feed_data(a, 1, msg_id(1, 7), 0, text, 5, &s), 0);
	assert_int_equal(feed_data(a, 1, msg_id(1, 7), 5, text + 5, 10, &s), 0);
	assert_int_equal(s.n, 0); /* not before the last byte */
	assert_int_equal(feed_data(a, 1, msg_id(1, 7), 15, text + 15, 7, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.m[0].msg_id == msg_id(1, 7));
	assert_int_equal(s.m[0].stored, 22);
	assert_int_equal(s.m[0].caplen, 22);
	assert_memory_equal(s.m[0].data, text, 22);
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 1); /* nothing left open */
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_full_chunks(void **state)
{
	uint8_t *big = malloc(2 * UC_CHUNK + 100);
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < 2 * UC_CHUNK + 100; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	feed_message(a, 0, 1, UC_EV_DATA, 2 * UC_CHUNK + 100, &s);
	assert_int_equal(feed_data(a, 0, 1, 0, big, UC_CHUNK, &s), 0);
	assert_int_equal(feed_data(a, 0, 1, UC_CHUNK, big + UC_CHUNK, UC_CHUNK, &s), 0);
	assert_int_equal(feed_data(a, 0, 1, 2 * UC_CHUNK, big + 2 * UC_CHUNK, 100, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].stored, 2 * UC_CHUNK + 100);
	assert_memory_equal(s.m[0].data, big, 2 * UC_CHUNK + 100);
	seen_free(&s);
	uc_assembler_free(a);
	free(big);
}

static void test_missing_chunk_finished_by_next_record(void **state)
{
	struct uc_assembler *a = uc_assembler_new(4);
	struct seen s = { 0 };

	(void)state;
	feed_message(a, 3, msg_id(3, 1), UC_EV_DATA, 10, &s);
	feed_data(a, 3, msg_id(3, 1), 0, "abcd", 4, &s);
	feed_message(a, 2, msg_id(2, 1), UC_EV_DATA, 3, &s); /* another CPU: no effect on 3 */
	assert_int_equal(s.n, 0);
	assert_int_equal(feed_message(a, 3, msg_id(3, 2), UC_EV_DATA, 3, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.m[0].msg_id == msg_id(3, 1));
	assert_int_equal(s.m[0].caplen, 10);
	assert_int_equal(s.m[0].stored, 4);
	assert_memory_equal(s.m[0].data, "abcd", 4);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_flush_finishes_open_messages(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };

	(void)state;
	feed_message(a, 0, msg_id(0, 1), UC_EV_DATA, 8, &s);
	feed_data(a, 0, msg_id(0, 1), 0, "xy", 2, &s);
	feed_message(a, 1, msg_id(1, 1), UC_EV_DATA, 5, &s); /* no data ever came */
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[0].stored, 2);
	assert_memory_equal(s.m[0].data, "xy", 2);
	assert_int_equal(s.m[1].stored, 0);
	assert_int_equal(s.m[1].caplen, 5);
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 2); /* a second flush delivers nothing again */
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_two_cpus_interleaved(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };

	(void)state;
	feed_message(a, 0, msg_id(0, 1), UC_EV_DATA, 6, &s);
	feed_message(a, 1, msg_id(1, 1), UC_EV_DATA, 6, &s);
	feed_data(a, 1, msg_id(1, 1), 0, "BBB", 3, &s);
	feed_data(a, 0, msg_id(0, 1), 0, "aaa", 3, &s);
	feed_data(a, 1, msg_id(1, 1), 3, "bbb", 3, &s);
	feed_data(a, 0, msg_id(0, 1), 3, "AAA", 3, &s);
	assert_int_equal(s.n, 2);
	assert_true(s.m[0].msg_id == msg_id(1, 1));
	assert_memory_equal(s.m[0].data, "BBBbbb", 6);
	assert_true(s.m[1].msg_id == msg_id(0, 1));
	assert_memory_equal(s.m[1].data, "aaaAAA", 6);
	assert_int_equal(s.m[0].stored + s.m[1].stored, 12);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_event_delivered_at_once(void **state)
{
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(feed_message(a, 0, 5, UC_EV_CLOSE, 0, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].event, UC_EV_CLOSE);
	assert_int_equal(s.m[0].stored, 0);
	assert_int_equal(feed_message(a, 0, 6, UC_EV_DATA, 0, &s), 0); /* empty write */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[1].event, UC_EV_DATA);
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 2);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_malformed_records(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };
	struct uc_rec_message r = { .head = { .kind = UC_REC_MESSAGE, .cpu = 0, .msg_id = 1 } };
	struct uc_rec_data d = { .head = { .kind = UC_REC_DATA, .cpu = 0, .msg_id = 1 }, .len = 4 };

	(void)state;
	assert_int_equal(uc_assembler_feed(a, &r, 4, on_message, &s), -1);
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r) - 1, on_message, &s), -1);
	r.head.cpu = 2;
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r), on_message, &s), -1);
	r.head.cpu = 0xffffffffu;
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r), on_message, &s), -1);
	r.head.kind = 99;
	r.head.cpu = 0;
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r), on_message, &s), -1);
	/* data for a message never announced */
	assert_int_equal(
		uc_assembler_feed(a, &d, offsetof(struct uc_rec_data, data) + 4, on_message, &s),
		-1);
	assert_int_equal(
		uc_assembler_feed(a, &d, offsetof(struct uc_rec_data, data) - 1, on_message, &s),
		-1);
	assert_int_equal(s.n, 0);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_chunk_longer_than_record(void **state)
{
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };
	struct uc_rec_data *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	feed_message(a, 0, 9, UC_EV_DATA, 100, &s);
	*d = (struct uc_rec_data){ .head = { .kind = UC_REC_DATA, .cpu = 0, .msg_id = 9 },
				   .len = 50 };
	/* claims 50 bytes, carries 10 */
	assert_int_equal(
		uc_assembler_feed(a, d, offsetof(struct uc_rec_data, data) + 10, on_message, &s),
		-1);
	d->len = UC_CHUNK + 1; /* more than any record can hold */
	assert_int_equal(uc_assembler_feed(a, d, sizeof(*d), on_message, &s), -1);
	assert_int_equal(feed_data(a, 0, 9, 0, "0123456789", 10, &s), 0); /* still usable */
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].stored, 10);
	free(d);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_out_of_order_chunk_keeps_prefix(void **state)
{
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };

	(void)state;
	feed_message(a, 0, 3, UC_EV_DATA, 9, &s);
	feed_data(a, 0, 3, 0, "abc", 3, &s);
	assert_int_equal(feed_data(a, 0, 3, 6, "ghi", 3, &s), -1); /* 3..5 never came */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].stored, 3);
	assert_memory_equal(s.m[0].data, "abc", 3);
	/* a chunk running past caplen is refused the same way */
	feed_message(a, 0, 4, UC_EV_DATA, 4, &s);
	assert_int_equal(feed_data(a, 0, 4, 0, "123456", 6, &s), -1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[1].stored, 0);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_callback_stop_is_returned(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { .ret = 42 };

	(void)state;
	assert_int_equal(feed_message(a, 0, 1, UC_EV_CLOSE, 0, &s), 42);
	feed_message(a, 0, 2, UC_EV_DATA, 2, &s);
	assert_int_equal(feed_data(a, 0, 2, 0, "ok", 2, &s), 42);
	feed_message(a, 1, msg_id(1, 1), UC_EV_DATA, 4, &s);
	assert_int_equal(feed_message(a, 1, msg_id(1, 2), UC_EV_DATA, 4, &s),
			 42); /* finishes 1:1 */
	assert_int_equal(s.n, 3);
	feed_message(a, 0, 3, UC_EV_DATA, 4, &s);
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 42);
	assert_int_equal(s.n, 4);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_empty_slice_ends_message(void **state)
{
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };

	(void)state;
	feed_message(a, 0, 1, UC_EV_DATA, 10, &s);
	feed_data(a, 0, 1, 0, "abc", 3, &s);
	assert_int_equal(s.n, 0);
	/* the kernel could read no more of the buffer: it says so with an empty slice */
	assert_int_equal(feed_data(a, 0, 1, 3, "", 0, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].stored, 3);
	assert_int_equal(s.m[0].caplen, 10);
	assert_memory_equal(s.m[0].data, "abc", 3);
	assert_int_equal(uc_assembler_flush(a, on_message, &s), 0);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_open_before(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };

	(void)state;
	assert_false(uc_assembler_open_before(a, UINT64_MAX));
	feed_message_at(a, 1, msg_id(1, 1), UC_EV_DATA, 4, 1000, &s);
	assert_false(uc_assembler_open_before(a, 999));
	assert_true(uc_assembler_open_before(a, 1000));
	assert_true(uc_assembler_open_before(a, 5000));
	feed_message_at(a, 0, msg_id(0, 1), UC_EV_CLOSE, 0, 500, &s); /* delivered: not open */
	assert_false(uc_assembler_open_before(a, 999));
	feed_data(a, 1, msg_id(1, 1), 0, "full", 4, &s);
	assert_false(uc_assembler_open_before(a, 5000));
	assert_int_equal(s.n, 2);
	seen_free(&s);
	uc_assembler_free(a);
}

static void test_buffer_reused_for_bigger_message(void **state)
{
	char big[300];
	struct uc_assembler *a = uc_assembler_new(1);
	struct seen s = { 0 };

	(void)state;
	memset(big, 'q', sizeof(big));
	feed_message(a, 0, 1, UC_EV_DATA, 3, &s);
	feed_data(a, 0, 1, 0, "abc", 3, &s);
	feed_message(a, 0, 2, UC_EV_DATA, sizeof(big), &s);
	feed_data(a, 0, 2, 0, big, sizeof(big), &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[1].stored, sizeof(big));
	assert_memory_equal(s.m[1].data, big, sizeof(big));
	seen_free(&s);
	uc_assembler_free(a);
}

/* A small message whose payload travels inside its message record is delivered whole, at once. */
static void test_inline_payload(void **state)
{
	struct uc_assembler *a = uc_assembler_new(2);
	struct seen s = { 0 };
	struct {
		struct uc_rec_message m;
		uint8_t data[300];
	} r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.m.head.kind = UC_REC_MESSAGE;
	r.m.head.cpu = 1;
	r.m.head.msg_id = msg_id(1, 7);
	r.m.event = UC_EV_DATA;
	r.m.len = r.m.caplen = sizeof(r.data);
	for (unsigned i = 0; i < sizeof(r.data); i++)
		r.data[i] = (uint8_t)(i * 7);
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r.m) + sizeof(r.data), on_message, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.m[0].stored, sizeof(r.data));
	assert_memory_equal(s.m[0].data, r.data, sizeof(r.data));
	/* a record claiming more inline bytes than its caplen keeps none of them */
	r.m.head.msg_id = msg_id(1, 8);
	r.m.caplen = r.m.len = 10;
	assert_int_equal(uc_assembler_feed(a, &r, sizeof(r.m) + sizeof(r.data), on_message, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[1].stored, 0);
	seen_free(&s);
	uc_assembler_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_chunks_complete),
		cmocka_unit_test(test_full_chunks),
		cmocka_unit_test(test_missing_chunk_finished_by_next_record),
		cmocka_unit_test(test_flush_finishes_open_messages),
		cmocka_unit_test(test_two_cpus_interleaved),
		cmocka_unit_test(test_event_delivered_at_once),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_chunk_longer_than_record),
		cmocka_unit_test(test_out_of_order_chunk_keeps_prefix),
		cmocka_unit_test(test_callback_stop_is_returned),
		cmocka_unit_test(test_empty_slice_ends_message),
		cmocka_unit_test(test_open_before),
		cmocka_unit_test(test_buffer_reused_for_bigger_message),
		cmocka_unit_test(test_inline_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
