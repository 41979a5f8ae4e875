/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for src/core: the hash table, lists, JSON strings, hex digits, dev numbers, clocks, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/array.h"
#include "core/clock.h"
#include "core/devnum.h"
#include "core/fd_kind.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/json_string.h"
#include "core/list.h"
#include "unixcap.h"

struct item {
	struct uc_hash_node node;
	struct uc_link link;
	unsigned key;
};

static uint64_t key_hash(unsigned key)
{
	return uc_hash_bytes(UC_HASH_SEED, &key, sizeof(key));
}

static struct item *find(const struct uc_hash *t, unsigned key)
{
	for (struct uc_hash_node *n = uc_hash_first(t, key_hash(key)); n; n = uc_hash_next(n)) {
		struct item *it = uc_container_of(n, struct item, node);

		if (it->key == key)
			return it;
	}
	return NULL;
}

/* Far more entries than the first buckets: the table grows and loses none. */
static void test_hash_grows_and_finds_every_entry(void **state)
{
	enum { N = 5000 };
	struct item *items = calloc(N, sizeof(*items));
	struct uc_hash t;

	(void)state;
	assert_non_null(items);
	assert_int_equal(uc_hash_init(&t, 3), 0);
	assert_int_equal(t.mask, 3); /* rounded up to a power of two */
	for (unsigned i = 0; i < N; i++) {
		items[i].key = i * 7919;
		uc_hash_add(&t, &items[i].node, key_hash(items[i].key));
	}
	assert_int_equal(t.count, N);
	assert_true(t.mask + 1 >= N);
	for (unsigned i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i * 7919), &items[i]);
	assert_null(find(&t, 1));
	for (unsigned i = 0; i < N; i += 2)
		uc_hash_remove(&t, &items[i].node);
	assert_int_equal(t.count, N / 2);
	for (unsigned i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i * 7919), i % 2 ? &items[i] : NULL);
	uc_hash_destroy(&t);
	free(items);
}

/* Entries whose hashes collide are told apart by the caller's compare; the walk sees each once. */
static void test_hash_collisions_and_walk(void **state)
{
	struct item a = { .key = 1 }, b = { .key = 2 }, c = { .key = 3 };
	struct uc_hash t;
	size_t bucket = 0, seen = 0;
	unsigned sum = 0;

	(void)state;
	assert_int_equal(uc_hash_init(&t, 16), 0);
	uc_hash_add(&t, &a.node, 42);
	uc_hash_add(&t, &b.node, 42);
	uc_hash_add(&t, &c.node, 42 + 16);                /* same bucket, another hash */
	assert_ptr_equal(uc_hash_first(&t, 42), &b.node); /* newest first */
	assert_ptr_equal(uc_hash_next(&b.node), &a.node);
	assert_null(uc_hash_next(&a.node)); /* c shares the bucket, not the hash */
	for (struct uc_hash_node *n = uc_hash_walk(&t, &bucket, NULL); n;
	     n = uc_hash_walk(&t, &bucket, n)) {
		sum += uc_container_of(n, struct item, node)->key;
		seen++;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(sum, 6);
	uc_hash_remove(&t, &b.node);
	assert_ptr_equal(uc_hash_first(&t, 42), &a.node);
	uc_hash_destroy(&t);
}

static unsigned released_keys;

static void release_item(struct uc_hash_node *n)
{
	released_keys += uc_container_of(n, struct item, node)->key;
}

/* Clearing hands every entry over once, colliding ones too, and leaves the table empty. */
static void test_hash_clear_releases_every_entry(void **state)
{
	struct item a = { .key = 1 }, b = { .key = 2 }, c = { .key = 4 };
	struct uc_hash t;

	(void)state;
	assert_int_equal(uc_hash_init(&t, 16), 0);
	uc_hash_add(&t, &a.node, 42);
	uc_hash_add(&t, &b.node, 42);
	uc_hash_add(&t, &c.node, 7);
	released_keys = 0;
	uc_hash_clear(&t, release_item);
	assert_int_equal(released_keys, 7);
	assert_int_equal(t.count, 0);
	assert_null(uc_hash_first(&t, 42));
	assert_null(uc_hash_first(&t, 7));
	uc_hash_destroy(&t);
}

static void test_hash_bytes_is_fnv1a(void **state)
{
	(void)state;
	/* FNV-1a 64 of "a", as published with the algorithm. */
	assert_true(uc_hash_bytes(UC_HASH_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(uc_hash_bytes(UC_HASH_SEED, "", 0) == UC_HASH_SEED);
	assert_true(uc_hash_bytes(uc_hash_bytes(UC_HASH_SEED, "ab", 2), "c", 1) ==
		    uc_hash_bytes(UC_HASH_SEED, "abc", 3));
}

static void test_array_grows_by_doubling(void **state)
{
	size_t cap = 0;
	int *v = NULL, *w;

	(void)state;
	v = uc_array_grow(v, &cap, 1, sizeof(*v), 4);
	assert_non_null(v);
	assert_int_equal(cap, 4);
	assert_ptr_equal(uc_array_grow(v, &cap, 4, sizeof(*v), 4), v); /* room already */
	for (int i = 0; i < 4; i++)
		v[i] = i;
	v = uc_array_grow(v, &cap, 9, sizeof(*v), 4);
	assert_non_null(v);
	assert_int_equal(cap, 16);
	assert_int_equal(v[3], 3);                               /* kept */
	w = uc_array_grow(v, &cap, SIZE_MAX / 2, sizeof(*v), 4); /* more than memory can be */
	assert_null(w);
	assert_int_equal(cap, 16); /* unchanged, and v still the caller's */
	free(v);
}

static void test_list_order_and_remove(void **state)
{
	struct item x = { .key = 1 }, y = { .key = 2 };
	struct uc_link head;

	(void)state;
	uc_list_init(&head);
	assert_true(uc_list_empty(&head));
	uc_list_push_front(&head, &x.link);
	uc_list_push_front(&head, &y.link);
	assert_int_equal(uc_container_of(head.next, struct item, link)->key, 2);
	assert_int_equal(uc_container_of(head.prev, struct item, link)->key, 1);
	uc_list_remove(&y.link);
	uc_list_remove(&y.link); /* twice: harmless */
	assert_ptr_equal(head.next, &x.link);
	uc_list_remove(&x.link);
	assert_true(uc_list_empty(&head));
}

static void json_of(const void *bytes, size_t n, char *out, size_t outlen)
{
	FILE *f = fmemopen(out, outlen, "w");

	assert_non_null(f);
	uc_json_string(f, bytes, n);
	fclose(f);
}

static void test_json_string_escapes(void **state)
{
	char out[128];

	(void)state;
	json_of("a\"b\\c\n\t\r", 8, out, sizeof(out));
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\r\"");
	json_of("\x01\x7f", 2, out, sizeof(out));
	assert_string_equal(out, "\"\\u0001\\u007f\"");
	json_of("\xc3\xa9", 2, out, sizeof(out)); /* é: valid UTF-8 stays as it is */
	assert_string_equal(out, "\"\xc3\xa9\"");
	json_of("\xff\xc0\xaf", 3, out,
		sizeof(out)); /* invalid and overlong: Latin-1 code points */
	assert_string_equal(out, "\"\\u00ff\\u00c0\\u00af\"");
	json_of("\0x", 2, out, sizeof(out));
	assert_string_equal(out, "\"\\u0000x\"");
}

static void test_hex_value(void **state)
{
	(void)state;
	assert_int_equal(uc_hex_value('0'), 0);
	assert_int_equal(uc_hex_value('9'), 9);
	assert_int_equal(uc_hex_value('a'), 10);
	assert_int_equal(uc_hex_value('F'), 15);
	assert_int_equal(uc_hex_value('g'), -1);
	assert_int_equal(uc_hex_value('/'), -1);
}

/* The kernel keeps 20 bits of minor: glibc's dev_t puts minors of 256 and up elsewhere. */
static void test_kernel_dev(void **state)
{
	(void)state;
	assert_int_equal(uc_kernel_dev(makedev(8, 1)), 8u << 20 | 1);
	assert_int_equal(uc_kernel_dev(makedev(0, 300)), 300);
	assert_int_equal(uc_kernel_dev(makedev(259, 0x12345)), 259u << 20 | 0x12345);
}

static void test_clocks(void **state)
{
	uint64_t a = uc_clock_ns(CLOCK_MONOTONIC), b = uc_clock_ns(CLOCK_MONOTONIC);
	uint64_t now = uc_now_ns();

	(void)state;
	assert_true(b >= a);
	assert_true(now > 1700000000ULL * 1000000000ULL); /* after November 2023 */
	assert_true(now - uc_clock_ns(CLOCK_REALTIME) < 1000000000ULL ||
		    uc_clock_ns(CLOCK_REALTIME) - now < 1000000000ULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(uc_sock_type_name(SOCK_STREAM), "stream");
	assert_string_equal(uc_sock_type_name(SOCK_DGRAM), "dgram");
	assert_string_equal(uc_sock_type_name(SOCK_SEQPACKET), "seqpacket");
	assert_string_equal(uc_sock_type_name(3), "unknown");
	assert_int_equal(uc_sock_type_parse("seqpacket"), SOCK_SEQPACKET);
	assert_int_equal(uc_sock_type_parse("raw"), 0);
	assert_string_equal(uc_fd_kind(S_IFREG | 0644), "file");
	assert_string_equal(uc_fd_kind(S_IFSOCK), "socket");
	assert_string_equal(uc_fd_kind(S_IFIFO), "pipe");
	assert_string_equal(uc_fd_kind(0), "anon");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_grows_and_finds_every_entry),
		cmocka_unit_test(test_hash_collisions_and_walk),
		cmocka_unit_test(test_hash_clear_releases_every_entry),
		cmocka_unit_test(test_hash_bytes_is_fnv1a),
		cmocka_unit_test(test_array_grows_by_doubling),
		cmocka_unit_test(test_list_order_and_remove),
		cmocka_unit_test(test_json_string_escapes),
		cmocka_unit_test(test_hex_value),
		cmocka_unit_test(test_kernel_dev),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
