/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the D-Bus splitter: SASL lines, framing in any piece sizes, loss, errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sinks/dbus_split.h"
#include "format/pcapng.h"

/* ---- recorder: every callback becomes an event; adjacent unsynced pieces are joined so that
 * feeding in different piece sizes yields comparable event lists ---- */

#define MAX_EVENTS 64

struct event {
	char kind; /* L line, M message, U unsynced, E error */
	uint8_t *data;
	size_t len;
};

struct rec {
	struct event ev[MAX_EVENTS];
	size_t n;
	char why[200]; /* the last error text */
};

static void rec_add(struct rec *r, char kind, const void *data, size_t len)
{
	struct event *e;

	if (kind == 'U' && r->n && r->ev[r->n - 1].kind == 'U') {
		e = &r->ev[r->n - 1];
		e->data = realloc(e->data, e->len + len);
		assert_non_null(e->data);
		memcpy(e->data + e->len, data, len);
		e->len += len;
		return;
	}
	assert_true(r->n < MAX_EVENTS);
	e = &r->ev[r->n++];
	e->kind = kind;
	e->len = len;
	e->data = malloc(len ? len : 1);
	assert_non_null(e->data);
	memcpy(e->data, data, len);
}

static void rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->ev[i].data);
	memset(r, 0, sizeof(*r));
}

static void on_line(void *ctx, const char *line, size_t len)
{
	assert_int_equal(line[len], '\0');
	rec_add(ctx, 'L', line, len);
}

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
	rec_add(ctx, 'M', msg, len);
}

static void on_unsynced(void *ctx, const uint8_t *data, size_t len)
{
	assert_true(len > 0);
	rec_add(ctx, 'U', data, len);
}

static void on_error(void *ctx, const char *why)
{
	struct rec *r = ctx;

	snprintf(r->why, sizeof(r->why), "%s", why);
	rec_add(r, 'E', "", 0);
}

static const struct uc_dbus_split_ops ops = {
	.sasl_line = on_line,
	.message = on_message,
	.unsynced = on_unsynced,
	.error = on_error,
};

static void expect_line(struct rec *r, const char *s)
{
	rec_add(r, 'L', s, strlen(s));
}

static void assert_same(const struct rec *got, const struct rec *want)
{
	size_t i;

	if (got->n != want->n)
		print_error("got %zu events, want %zu\n", got->n, want->n);
	assert_int_equal(got->n, want->n);
	for (i = 0; i < got->n; i++) {
		if (got->ev[i].kind != want->ev[i].kind || got->ev[i].len != want->ev[i].len)
			print_error("event %zu: got %c/%zu, want %c/%zu\n", i, got->ev[i].kind,
				    got->ev[i].len, want->ev[i].kind, want->ev[i].len);
		assert_int_equal(got->ev[i].kind, want->ev[i].kind);
		assert_int_equal(got->ev[i].len, want->ev[i].len);
		assert_memory_equal(got->ev[i].data, want->ev[i].data, got->ev[i].len);
	}
}

/* ---- a minimal marshaller, so the test messages are built by the rules and not by hand ---- */

struct mb {
	uint8_t b[4096];
	size_t n;
	bool le;
};

static void put8(struct mb *m, uint8_t v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void align(struct mb *m, size_t a)
{
	while (m->n % a)
		put8(m, 0);
}

static void set32(uint8_t *p, uint32_t v, bool le)
{
	int i;

	for (i = 0; i < 4; i++)
		p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

static void put32(struct mb *m, uint32_t v)
{
	align(m, 4);
	assert_true(m->n + 4 <= sizeof(m->b));
	set32(m->b + m->n, v, m->le);
	m->n += 4;
}

static void put_bytes(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_string(struct mb *m, const char *s)
{
	put32(m, (uint32_t)strlen(s));
	put_bytes(m, s, strlen(s) + 1);
}

static void put_signature(struct mb *m, const char *s)
{
	put8(m, (uint8_t)strlen(s));
	put_bytes(m, s, strlen(s) + 1);
}

enum {
	F_PATH = 1,
	F_INTERFACE,
	F_MEMBER,
	F_ERROR_NAME,
	F_REPLY_SERIAL,
	F_DESTINATION,
	F_SENDER,
	F_SIGNATURE
};

struct field {
	uint8_t code;
	const char *s; /* string value; NULL for REPLY_SERIAL, which takes u */
	uint32_t u;
};

/* Header fields are STRUCT(code, VARIANT), each 8-aligned from the message start. */
static void put_field(struct mb *m, const struct field *f)
{
	static const char type[] = { 0, 'o', 's', 's', 's', 'u', 's', 's', 'g' };
	char sig[2] = { type[f->code], 0 };

	align(m, 8);
	put8(m, f->code);
	put_signature(m, sig);
	if (f->code == F_REPLY_SERIAL)
		put32(m, f->u);
	else if (f->code == F_SIGNATURE)
		put_signature(m, f->s);
	else
		put_string(m, f->s);
}

struct msg {
	uint8_t b[4096];
	size_t len;
};

static void build(struct msg *out, bool le, uint8_t type, uint8_t flags, uint32_t serial,
		  const struct field *f, size_t nf, const struct mb *body)
{
	struct mb m = { .le = le };
	size_t i;

	put8(&m, le ? 'l' : 'B');
	put8(&m, type);
	put8(&m, flags);
	put8(&m, 1);
	put32(&m, body ? (uint32_t)body->n : 0);
	put32(&m, serial);
	put32(&m, 0); /* header field array length, patched below */
	for (i = 0; i < nf; i++)
		put_field(&m, &f[i]);
	set32(m.b + 12, (uint32_t)(m.n - 16), le);
	align(&m, 8); /* the body starts 8-aligned even when empty */
	if (body)
		put_bytes(&m, body->b, body->n);
	memcpy(out->b, m.b, m.n);
	out->len = m.n;
}

/* Hello with the fields in libdbus's order, so it can be compared with the real capture. */
static void build_hello(struct msg *out)
{
	static const struct field f[] = {
		{ F_PATH, "/org/freedesktop/DBus", 0 },
		{ F_DESTINATION, "org.freedesktop.DBus", 0 },
		{ F_INTERFACE, "org.freedesktop.DBus", 0 },
		{ F_MEMBER, "Hello", 0 },
	};

	build(out, true, 1, 0, 1, f, 4, NULL);
}

/* dbus-daemon's reply to Hello: METHOD_RETURN, NO_REPLY_EXPECTED, body (s) the unique name. */
static void build_reply(struct msg *out, const char *name)
{
	const struct field f[] = {
		{ F_DESTINATION, name, 0 },
		{ F_REPLY_SERIAL, NULL, 1 },
		{ F_SIGNATURE, "s", 0 },
		{ F_SENDER, "org.freedesktop.DBus", 0 },
	};
	struct mb body = { .le = true };

	put_string(&body, name);
	build(out, true, 2, 1, 1, f, 4, &body);
}

/* A big-endian SIGNAL with body (su): "hello" needs padding before the u32. */
static void build_signal(struct msg *out)
{
	static const struct field f[] = {
		{ F_PATH, "/org/example/Obj", 0 },
		{ F_INTERFACE, "org.example.Iface", 0 },
		{ F_MEMBER, "Changed", 0 },
		{ F_SIGNATURE, "su", 0 },
	};
	struct mb body = { .le = false };

	put_string(&body, "hello");
	put32(&body, 42);
	build(out, false, 4, 1, 7, f, 4, &body);
}

static struct msg hello, reply, sig;

static int build_all(void **state)
{
	(void)state;
	build_hello(&hello);
	build_reply(&reply, ":1.0");
	build_signal(&sig);
	return 0;
}

/* ---- feeding ---- */

static const char client_sasl[] = "\0AUTH EXTERNAL 30\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";
#define CLIENT_SASL_LEN (sizeof(client_sasl) - 1)
static const char server_sasl[] = "OK 1234deadbeef\r\nAGREE_UNIX_FD\r\n";

struct stream {
	uint8_t *b;
	size_t len;
};

static void cat(struct stream *s, const void *p, size_t n)
{
	s->b = realloc(s->b, s->len + n);
	assert_non_null(s->b);
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void cat_str(struct stream *s, const char *str)
{
	cat(s, str, strlen(str));
}

/* xorshift32: deterministic piece sizes, so a failure names its seed and can be rerun. */
static uint32_t next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Feeds in pieces of 1..maxp bytes (maxp 0: all at once). Each piece is copied to a buffer of
 * exactly its size, so that ASan catches any read past the piece. */
static void feed_pieces(struct uc_dbus_split *s, const uint8_t *d, size_t len, size_t maxp,
			uint32_t seed, struct rec *r)
{
	size_t off = 0, n;
	uint8_t *piece;

	while (off < len) {
		n = maxp ? 1 + next_rand(&seed) % maxp : len;
		if (n > len - off)
			n = len - off;
		piece = malloc(n);
		assert_non_null(piece);
		memcpy(piece, d + off, n);
		assert_int_equal(uc_dbus_split_feed(s, piece, n, &ops, r), 0);
		free(piece);
		off += n;
	}
}

/* One run: a fresh splitter, the stream in the given pieces, then a flush at end of stream. */
static void run_once(bool client, const struct stream *st, size_t maxp, uint32_t seed,
		     const struct rec *want)
{
	struct uc_dbus_split *s = uc_dbus_split_new(client);
	struct rec got = { .n = 0 };

	assert_non_null(s);
	feed_pieces(s, st->b, st->len, maxp, seed, &got);
	uc_dbus_split_flush(s, &ops, &got);
	if (got.n != want->n)
		print_error("maxp %zu seed %u\n", maxp, seed);
	assert_same(&got, want);
	assert_int_equal(uc_dbus_split_pending(s), 0);
	uc_dbus_split_free(s);
	rec_free(&got);
}

/* Whole, byte by byte, and many random piece sizes must all give the same events. */
static void run_all_ways(bool client, const struct stream *st, const struct rec *want)
{
	static const size_t maxps[] = { 2, 7, 16, 17, 64, 500 };
	uint32_t seed;
	size_t i;

	run_once(client, st, 0, 1, want);
	run_once(client, st, 1, 1, want);
	for (i = 0; i < sizeof(maxps) / sizeof(maxps[0]); i++)
		for (seed = 1; seed <= 25; seed++)
			run_once(client, st, maxps[i], seed * 2654435761u, want);
}

static void expect_client_sasl(struct rec *want)
{
	rec_add(want, 'L', "", 1);
	expect_line(want, "AUTH EXTERNAL 30");
	expect_line(want, "NEGOTIATE_UNIX_FD");
	expect_line(want, "BEGIN");
}

/* ---- tests ---- */

static void test_builder_padding(void **state)
{
	(void)state;
	/* 16 fixed + fields; the body of the reply starts at a multiple of 8. */
	assert_int_equal(hello.len % 8, 0);
	assert_int_equal(hello.len, 128);
	assert_int_equal(reply.len, 16 + 64 + 9);
	/* Signal body: "hello" is 4+5+1 = 10 bytes, padded to 12, then the u32. */
	assert_int_equal(sig.b[4] << 24 | sig.b[5] << 16 | sig.b[6] << 8 | sig.b[7], 16);
	assert_int_equal(sig.b[sig.len - 1], 42);
	assert_int_equal(sig.b[0], 'B');
}

static void test_client_split_any_pieces(void **state)
{
	struct stream st = { 0 };
	struct rec want = { .n = 0 };

	(void)state;
	cat(&st, client_sasl, CLIENT_SASL_LEN);
	cat(&st, hello.b, hello.len);
	cat(&st, sig.b, sig.len);
	cat(&st, hello.b, hello.len);
	expect_client_sasl(&want);
	rec_add(&want, 'M', hello.b, hello.len);
	rec_add(&want, 'M', sig.b, sig.len);
	rec_add(&want, 'M', hello.b, hello.len);
	run_all_ways(true, &st, &want);
	rec_free(&want);
	free(st.b);
}

static void test_server_split_any_pieces(void **state)
{
	struct stream st = { 0 };
	struct rec want = { .n = 0 };

	(void)state;
	cat_str(&st, server_sasl);
	cat(&st, reply.b, reply.len);
	cat(&st, sig.b, sig.len);
	expect_line(&want, "OK 1234deadbeef");
	expect_line(&want, "AGREE_UNIX_FD");
	rec_add(&want, 'M', reply.b, reply.len);
	rec_add(&want, 'M', sig.b, sig.len);
	run_all_ways(false, &st, &want);
	rec_free(&want);
	free(st.b);
}

/* A server without fd passing answers NEGOTIATE_UNIX_FD with ERROR; its first message follows
 * that ERROR line, and may be big-endian. */
static void test_server_first_message_after_error(void **state)
{
	struct stream st = { 0 };
	struct rec want = { .n = 0 };

	(void)state;
	cat_str(&st, "DATA\r\nOK 1234deadbeef\r\nERROR \"fd passing not supported\"\r\n");
	cat(&st, sig.b, sig.len);
	expect_line(&want, "DATA");
	expect_line(&want, "OK 1234deadbeef");
	expect_line(&want, "ERROR \"fd passing not supported\"");
	rec_add(&want, 'M', sig.b, sig.len);
	run_all_ways(false, &st, &want);
	rec_free(&want);
	free(st.b);
}

/* Binary bytes before any OK, or after a REJECTED that restarted authentication, are not a
 * message: the line check rejects them. */
static void test_server_binary_without_ok(void **state)
{
	static const char *const prefixes[] = { "REJECTED EXTERNAL\r\n",
						"OK 1234deadbeef\r\nREJECTED EXTERNAL\r\n" };
	struct stream st;
	struct rec want;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&st, 0, sizeof(st));
		memset(&want, 0, sizeof(want));
		cat_str(&st, prefixes[i]);
		cat(&st, reply.b, reply.len);
		if (i)
			expect_line(&want, "OK 1234deadbeef");
		expect_line(&want, "REJECTED EXTERNAL");
		rec_add(&want, 'E', "", 0);
		rec_add(&want, 'U', reply.b, reply.len);
		run_all_ways(false, &st, &want);
		rec_free(&want);
		free(st.b);
	}
}

/* Lost bytes: the fragment before the gap is flushed out raw, everything after stays raw, and a
 * gap is not an error. */
static void test_gap_goes_unsynced(void **state)
{
	struct uc_dbus_split *s = uc_dbus_split_new(true);
	struct rec got = { .n = 0 }, want = { .n = 0 };

	(void)state;
	assert_non_null(s);
	feed_pieces(s, (const uint8_t *)client_sasl, CLIENT_SASL_LEN, 0, 1, &got);
	uc_dbus_split_gap(s, 0); /* nothing lost: still in sync */
	feed_pieces(s, hello.b, hello.len, 0, 1, &got);
	feed_pieces(s, sig.b, 20, 0, 1, &got);
	assert_int_equal(uc_dbus_split_pending(s), 20);
	uc_dbus_split_flush(s, &ops, &got);
	assert_true(uc_dbus_split_unsynced(s));
	uc_dbus_split_gap(s, 100);
	feed_pieces(s, sig.b + 40, sig.len - 40, 3, 9, &got);
	feed_pieces(s, hello.b, hello.len, 0, 1, &got);
	expect_client_sasl(&want);
	rec_add(&want, 'M', hello.b, hello.len);
	rec_add(&want, 'U', sig.b, 20);
	rec_add(&want, 'U', sig.b + 40, sig.len - 40);
	rec_add(&want, 'U', hello.b, hello.len);
	assert_same(&got, &want);
	assert_int_equal(uc_dbus_split_pending(s), 0);
	uc_dbus_split_free(s);
	rec_free(&got);
	rec_free(&want);
}

/* Without a flush first, the fragment is kept and comes out, in order, with the next bytes. */
static void test_gap_without_flush_keeps_order(void **state)
{
	struct uc_dbus_split *s = uc_dbus_split_new(false);
	struct rec got = { .n = 0 }, want = { .n = 0 };

	(void)state;
	assert_non_null(s);
	feed_pieces(s, (const uint8_t *)"OK 12", 5, 0, 1, &got);
	uc_dbus_split_gap(s, 3);
	assert_true(uc_dbus_split_unsynced(s));
	assert_int_equal(uc_dbus_split_pending(s), 5);
	feed_pieces(s, (const uint8_t *)"ef\r\n", 4, 0, 1, &got);
	feed_pieces(s, reply.b, reply.len, 0, 1, &got);
	rec_add(&want, 'U', "OK 12ef\r\n", 9);
	rec_add(&want, 'U', reply.b, reply.len);
	assert_same(&got, &want);
	uc_dbus_split_free(s);
	rec_free(&got);
	rec_free(&want);
}

/* Each bad header is reported once; it and all that follows go out raw, unparsed. */
static void test_malformed_header(void **state)
{
	static const struct {
		size_t at;
		uint8_t value;
		const char *why;
	} bad[] = {
		{ 0, 'x', "endianness" }, { 1, 0, "type" },   { 1, 5, "type" },
		{ 3, 2, "version" },      { 8, 0, "serial" },
	};
	struct stream st;
	struct rec want;
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0, sizeof(st));
		memset(&want, 0, sizeof(want));
		m = hello;
		m.b[bad[i].at] = bad[i].value;
		cat(&st, client_sasl, CLIENT_SASL_LEN);
		cat(&st, hello.b, hello.len);
		cat(&st, m.b, m.len);
		cat(&st, hello.b, hello.len);
		expect_client_sasl(&want);
		rec_add(&want, 'M', hello.b, hello.len);
		rec_add(&want, 'E', "", 0);
		rec_add(&want, 'U', m.b, m.len);
		rec_add(&want, 'U', hello.b, hello.len);
		run_all_ways(true, &st, &want);
		rec_free(&want);
		free(st.b);
	}
}

/* Feeds one 16-byte header to a server splitter already past SASL; returns the error text or
 * NULL. */
static const char *header_verdict(bool le, uint32_t body, uint32_t fields, struct rec *got)
{
	struct uc_dbus_split *s = uc_dbus_split_new(false);
	uint8_t h[16] = { le ? 'l' : 'B', 1, 0, 1 };

	assert_non_null(s);
	set32(h + 4, body, le);
	set32(h + 8, 5, le);
	set32(h + 12, fields, le);
	rec_free(got);
	feed_pieces(s, (const uint8_t *)server_sasl, strlen(server_sasl), 0, 1, got);
	feed_pieces(s, h, sizeof(h), 0, 1, got);
	if (!uc_dbus_split_unsynced(s))
		assert_int_equal(uc_dbus_split_pending(s), 16);
	uc_dbus_split_free(s);
	return got->n && got->ev[got->n - 1].kind == 'U' ? got->why : NULL;
}

static void test_size_limits(void **state)
{
	struct rec got = { .n = 0 };
	int le;

	(void)state;
	for (le = 0; le < 2; le++) {
		/* Exactly 2^27 in all is allowed; one byte more is not. */
		assert_null(header_verdict(le, (1u << 27) - 16, 0, &got));
		assert_null(header_verdict(le, (1u << 27) - 16 - (1u << 26), 1u << 26, &got));
		assert_non_null(strstr(header_verdict(le, (1u << 27) - 15, 0, &got), "128 MiB"));
		/* Rounding the field array up to 8 counts toward the limit. */
		assert_null(header_verdict(le, (1u << 27) - 16 - 1000, 993, &got));
		assert_non_null(header_verdict(le, (1u << 27) - 16 - 1000 + 4, 993, &got));
		/* The field array on its own is bounded by the 64 MiB array limit. */
		assert_non_null(strstr(header_verdict(le, 0, (1u << 26) + 1, &got), "64 MiB"));
		/* Huge lengths must not wrap around into a small total. */
		assert_non_null(header_verdict(le, 0xffffffffu, 0xfffffff8u, &got));
		assert_non_null(header_verdict(le, 0xffffffffu, 0, &got));
	}
	rec_free(&got);
}

/* Runs a client stream that must fail in SASL: want is the events up to the error, after which
 * rest (the bytes from the failed line on) must come out raw. */
static void expect_sasl_failure(const void *stream, size_t len, size_t rest_at, bool cred_ok)
{
	struct stream st = { 0 };
	struct rec want = { .n = 0 };

	cat(&st, stream, len);
	if (cred_ok)
		rec_add(&want, 'L', "", 1);
	rec_add(&want, 'E', "", 0);
	rec_add(&want, 'U', st.b + rest_at, len - rest_at);
	run_all_ways(true, &st, &want);
	rec_free(&want);
	free(st.b);
}

static void test_bad_sasl(void **state)
{
	static const char ctl[] = "\0AUTH\x01 EXTERNAL\r\nBEGIN\r\n";
	static const char bare_lf[] = "\0AUTH EXTERNAL\nBEGIN\r\n";
	static const char lone_cr[] = "\0AUTH\rEXTERNAL\r\n";
	static const char high[] = "\0AUTH \xc3\xa9\r\n";

	(void)state;
	expect_sasl_failure(ctl, sizeof(ctl) - 1, 1, true);
	expect_sasl_failure(bare_lf, sizeof(bare_lf) - 1, 1, true);
	expect_sasl_failure(lone_cr, sizeof(lone_cr) - 1, 1, true);
	expect_sasl_failure(high, sizeof(high) - 1, 1, true);
	/* A client that does not start with the credentials byte is not speaking D-Bus. */
	expect_sasl_failure("AUTH EXTERNAL\r\n", 15, 0, false);
}

static void test_sasl_line_limit(void **state)
{
	struct stream st = { 0 };
	struct rec want = { .n = 0 };
	char *line = malloc(UC_DBUS_MAX_SASL_LINE + 2);

	(void)state;
	assert_non_null(line);
	memset(line, 'A', UC_DBUS_MAX_SASL_LINE + 1);
	line[UC_DBUS_MAX_SASL_LINE + 1] = '\0';
	/* The longest allowed line passes. */
	cat(&st, "", 1);
	cat(&st, line, UC_DBUS_MAX_SASL_LINE);
	cat_str(&st, "\r\n");
	rec_add(&want, 'L', "", 1);
	rec_add(&want, 'L', line, UC_DBUS_MAX_SASL_LINE);
	run_once(true, &st, 0, 1, &want);
	run_once(true, &st, 1000, 3, &want);
	rec_free(&want);
	free(st.b);
	/* One more byte is refused, without waiting for the CRLF. */
	memset(&st, 0, sizeof(st));
	cat(&st, "", 1);
	cat(&st, line, UC_DBUS_MAX_SASL_LINE + 1);
	free(line);
	rec_add(&want, 'L', "", 1);
	rec_add(&want, 'E', "", 0);
	rec_add(&want, 'U', st.b + 1, st.len - 1);
	run_once(true, &st, 0, 1, &want);
	run_once(true, &st, 1000, 3, &want);
	rec_free(&want);
	free(st.b);
}

/* A 300 KB message crosses many feeds and outgrows the kept buffer; the next one still works. */
static void test_large_message(void **state)
{
	static const struct field f[] = { { F_PATH, "/big", 0 },
					  { F_MEMBER, "Blob", 0 },
					  { F_SIGNATURE, "ay", 0 } };
	struct stream st = { 0 }, big = { 0 };
	struct rec want = { .n = 0 };
	struct msg head;
	size_t i, n = 300000;
	uint8_t len4[4], *blob = malloc(n);

	(void)state;
	assert_non_null(blob);
	build(&head, true, 1, 0, 9, f, 3, NULL);
	set32(head.b + 4, (uint32_t)(4 + n), true);
	set32(len4, (uint32_t)n, true);
	cat(&big, head.b, head.len);
	cat(&big, len4, 4);
	for (i = 0; i < n; i++)
		blob[i] = (uint8_t)(i * 7);
	cat(&big, blob, n);
	free(blob);
	cat(&st, client_sasl, CLIENT_SASL_LEN);
	cat(&st, big.b, big.len);
	cat(&st, hello.b, hello.len);
	expect_client_sasl(&want);
	rec_add(&want, 'M', big.b, big.len);
	rec_add(&want, 'M', hello.b, hello.len);
	run_once(true, &st, 0, 1, &want);
	run_once(true, &st, 4096, 5, &want);
	run_once(true, &st, 70000, 6, &want);
	rec_free(&want);
	free(st.b);
	free(big.b);
}

/* ---- a real exchange: dbus-send ListNames against dbus-daemon 1.14, recorded with strace -xx on
 * the client socket (the guid is that daemon's) ---- */

static const uint8_t real_client_0[1] = {
	0x00,
};
static const uint8_t real_client_1[18] = {
	0x41, 0x55, 0x54, 0x48, 0x20, 0x45, 0x58, 0x54, 0x45,
	0x52, 0x4e, 0x41, 0x4c, 0x20, 0x33, 0x30, 0x0d, 0x0a,
};
static const uint8_t real_server_0[37] = {
	0x4f, 0x4b, 0x20, 0x64, 0x36, 0x32, 0x64, 0x64, 0x32, 0x34, 0x66, 0x62, 0x65,
	0x38, 0x34, 0x30, 0x35, 0x34, 0x31, 0x30, 0x36, 0x35, 0x36, 0x62, 0x37, 0x34,
	0x36, 0x36, 0x62, 0x30, 0x39, 0x61, 0x31, 0x37, 0x34, 0x0d, 0x0a,
};
static const uint8_t real_client_2[19] = {
	0x4e, 0x45, 0x47, 0x4f, 0x54, 0x49, 0x41, 0x54, 0x45, 0x5f,
	0x55, 0x4e, 0x49, 0x58, 0x5f, 0x46, 0x44, 0x0d, 0x0a,
};
static const uint8_t real_server_1[15] = {
	0x41, 0x47, 0x52, 0x45, 0x45, 0x5f, 0x55, 0x4e, 0x49, 0x58, 0x5f, 0x46, 0x44, 0x0d, 0x0a,
};
static const uint8_t real_client_3[7] = {
	0x42, 0x45, 0x47, 0x49, 0x4e, 0x0d, 0x0a,
};
static const uint8_t real_client_4[128] = {
	0x6c, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x6e, 0x00, 0x00,
	0x00, 0x01, 0x01, 0x6f, 0x00, 0x15, 0x00, 0x00, 0x00, 0x2f, 0x6f, 0x72, 0x67, 0x2f, 0x66,
	0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2f, 0x44, 0x42, 0x75, 0x73,
	0x00, 0x00, 0x00, 0x06, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00, 0x6f, 0x72, 0x67, 0x2e,
	0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2e, 0x44, 0x42, 0x75,
	0x73, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00, 0x6f, 0x72,
	0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2e, 0x44,
	0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x73, 0x00, 0x05, 0x00, 0x00, 0x00,
	0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00,
};
static const uint8_t real_server_2[258] = {
	0x6c, 0x02, 0x01, 0x01, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3d, 0x00, 0x00,
	0x00, 0x06, 0x01, 0x73, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3a, 0x31, 0x2e, 0x31, 0x00, 0x00,
	0x00, 0x00, 0x05, 0x01, 0x75, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01, 0x67, 0x00, 0x01,
	0x73, 0x00, 0x00, 0x07, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00, 0x6f, 0x72, 0x67, 0x2e,
	0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2e, 0x44, 0x42, 0x75,
	0x73, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3a, 0x31, 0x2e, 0x31, 0x00, 0x6c,
	0x04, 0x01, 0x01, 0x09, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x8d, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x6f, 0x00, 0x15, 0x00, 0x00, 0x00, 0x2f, 0x6f, 0x72, 0x67, 0x2f, 0x66, 0x72,
	0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2f, 0x44, 0x42, 0x75, 0x73, 0x00,
	0x00, 0x00, 0x02, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00, 0x6f, 0x72, 0x67, 0x2e, 0x66,
	0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2e, 0x44, 0x42, 0x75, 0x73,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x73, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x4e, 0x61, 0x6d,
	0x65, 0x41, 0x63, 0x71, 0x75, 0x69, 0x72, 0x65, 0x64, 0x00, 0x00, 0x00, 0x00, 0x06, 0x01,
	0x73, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3a, 0x31, 0x2e, 0x31, 0x00, 0x00, 0x00, 0x00, 0x08,
	0x01, 0x67, 0x00, 0x01, 0x73, 0x00, 0x00, 0x07, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00,
	0x6f, 0x72, 0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70,
	0x2e, 0x44, 0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3a, 0x31,
	0x2e, 0x31, 0x00,
};
static const uint8_t real_client_5[136] = {
	0x6c, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x75, 0x00,
	0x00, 0x00, 0x01, 0x01, 0x6f, 0x00, 0x15, 0x00, 0x00, 0x00, 0x2f, 0x6f, 0x72, 0x67,
	0x2f, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2f, 0x44,
	0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x02, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00,
	0x6f, 0x72, 0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f,
	0x70, 0x2e, 0x44, 0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x73, 0x00,
	0x09, 0x00, 0x00, 0x00, 0x4c, 0x69, 0x73, 0x74, 0x4e, 0x61, 0x6d, 0x65, 0x73, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00,
	0x6f, 0x72, 0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f,
	0x70, 0x2e, 0x44, 0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t real_server_3[121] = {
	0x6c, 0x02, 0x01, 0x01, 0x29, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x3d, 0x00,
	0x00, 0x00, 0x06, 0x01, 0x73, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3a, 0x31, 0x2e, 0x31,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x75, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x01,
	0x67, 0x00, 0x02, 0x61, 0x73, 0x00, 0x07, 0x01, 0x73, 0x00, 0x14, 0x00, 0x00, 0x00,
	0x6f, 0x72, 0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65, 0x73, 0x6b, 0x74, 0x6f,
	0x70, 0x2e, 0x44, 0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x00, 0x00, 0x6f, 0x72, 0x67, 0x2e, 0x66, 0x72, 0x65, 0x65, 0x64, 0x65,
	0x73, 0x6b, 0x74, 0x6f, 0x70, 0x2e, 0x44, 0x42, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x3a, 0x31, 0x2e, 0x31, 0x00,
};

/* The records in capture order, each as one sendto/sendmsg/read/recvmsg moved it. */
static const struct real_record {
	bool client;
	const uint8_t *data;
	size_t len;
} real_records[] = {
	{ true, real_client_0, sizeof(real_client_0) },
	{ true, real_client_1, sizeof(real_client_1) },
	{ false, real_server_0, sizeof(real_server_0) },
	{ true, real_client_2, sizeof(real_client_2) },
	{ false, real_server_1, sizeof(real_server_1) },
	{ true, real_client_3, sizeof(real_client_3) },
	{ true, real_client_4, sizeof(real_client_4) },
	{ false, real_server_2, sizeof(real_server_2) },
	{ true, real_client_5, sizeof(real_client_5) },
	{ false, real_server_3, sizeof(real_server_3) },
};

static void real_stream(bool client, struct stream *st)
{
	size_t i;

	for (i = 0; i < sizeof(real_records) / sizeof(real_records[0]); i++)
		if (real_records[i].client == client)
			cat(st, real_records[i].data, real_records[i].len);
}

/* The daemon's answer to Hello and its NameAcquired signal arrived in one recvmsg. */
#define REAL_REPLY_LEN 89u

static void real_expect(bool client, struct rec *want)
{
	if (client) {
		expect_client_sasl(want);
		rec_add(want, 'M', real_client_4, sizeof(real_client_4));
		rec_add(want, 'M', real_client_5, sizeof(real_client_5));
		return;
	}
	expect_line(want, "OK d62dd24fbe8405410656b7466b09a174");
	expect_line(want, "AGREE_UNIX_FD");
	rec_add(want, 'M', real_server_2, REAL_REPLY_LEN);
	rec_add(want, 'M', real_server_2 + REAL_REPLY_LEN, sizeof(real_server_2) - REAL_REPLY_LEN);
	rec_add(want, 'M', real_server_3, sizeof(real_server_3));
}

/* Fed record by record, as unixcap sees them; then in all the other ways. */
static void test_real_exchange(void **state)
{
	struct uc_dbus_split *side[2] = { uc_dbus_split_new(false), uc_dbus_split_new(true) };
	struct rec got[2] = { { .n = 0 }, { .n = 0 } }, want[2] = { { .n = 0 }, { .n = 0 } };
	struct stream st[2] = { { 0 }, { 0 } };
	const struct real_record *r;
	int c;

	(void)state;
	for (r = real_records; r < real_records + sizeof(real_records) / sizeof(*r); r++)
		assert_int_equal(
			uc_dbus_split_feed(side[r->client], r->data, r->len, &ops, &got[r->client]),
			0);
	for (c = 0; c < 2; c++) {
		real_expect(c, &want[c]);
		assert_same(&got[c], &want[c]);
		real_stream(c, &st[c]);
		run_all_ways(c, &st[c], &want[c]);
		uc_dbus_split_free(side[c]);
		rec_free(&got[c]);
		rec_free(&want[c]);
		free(st[c].b);
	}
	/* Types: the client's two calls; the daemon's return, signal, return. */
	assert_int_equal(real_client_4[1], 1);
	assert_int_equal(real_client_5[1], 1);
	assert_int_equal(real_server_2[1], 2);
	assert_int_equal(real_server_2[REAL_REPLY_LEN + 1], 4);
	assert_int_equal(real_server_3[1], 2);
}

/* The marshaller in this file reproduces libdbus's bytes, so its padding is right. */
static void test_builder_matches_real_bytes(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(hello.len, sizeof(real_client_4));
	assert_memory_equal(hello.b, real_client_4, hello.len);
	build_reply(&m, ":1.1");
	assert_int_equal(m.len, REAL_REPLY_LEN);
	assert_memory_equal(m.b, real_server_2, m.len);
}

static void test_looks_like(void **state)
{
	(void)state;
	assert_true(uc_dbus_looks_like((const uint8_t *)client_sasl, CLIENT_SASL_LEN));
	assert_true(uc_dbus_looks_like((const uint8_t *)"\0AUTH", 5));
	assert_false(uc_dbus_looks_like((const uint8_t *)"\0AUT", 4));
	assert_false(uc_dbus_looks_like((const uint8_t *)"AUTH EXTERNAL", 13));
	assert_false(uc_dbus_looks_like((const uint8_t *)"\0auth", 5));
	assert_false(uc_dbus_looks_like(hello.b, hello.len));
	assert_false(uc_dbus_looks_like(NULL, 0));
	/* libdbus's first record is the NUL alone: undecided, not "no". */
	assert_true(uc_dbus_undecided(real_client_0, sizeof(real_client_0)));
	assert_true(uc_dbus_undecided((const uint8_t *)"\0AU", 3));
	assert_true(uc_dbus_undecided(NULL, 0));
	assert_false(uc_dbus_undecided((const uint8_t *)"\0AUTH", 5));
	assert_false(uc_dbus_undecided((const uint8_t *)"\0X", 2));
	assert_false(uc_dbus_undecided((const uint8_t *)"GET ", 4));
}

static void test_arguments(void **state)
{
	struct uc_dbus_split *s = uc_dbus_split_new(true);
	const struct uc_dbus_split_ops none = { 0 };

	(void)state;
	assert_non_null(s);
	errno = 0;
	assert_int_equal(uc_dbus_split_feed(NULL, hello.b, 1, &ops, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(uc_dbus_split_feed(s, hello.b, 1, NULL, NULL), -1);
	assert_int_equal(uc_dbus_split_feed(s, NULL, 1, &ops, NULL), -1);
	assert_int_equal(uc_dbus_split_feed(s, NULL, 0, &ops, NULL), 0);
	/* All callbacks NULL: everything is parsed and silently dropped. */
	assert_int_equal(
		uc_dbus_split_feed(s, (const uint8_t *)client_sasl, CLIENT_SASL_LEN, &none, NULL),
		0);
	assert_int_equal(uc_dbus_split_feed(s, hello.b, hello.len - 1, &none, NULL), 0);
	assert_int_equal(uc_dbus_split_pending(s), hello.len - 1);
	uc_dbus_split_flush(s, &none, NULL);
	assert_true(uc_dbus_split_unsynced(s));
	uc_dbus_split_flush(NULL, &ops, NULL);
	uc_dbus_split_gap(NULL, 1);
	assert_false(uc_dbus_split_unsynced(NULL));
	assert_int_equal(uc_dbus_split_pending(NULL), 0);
	uc_dbus_split_free(s);
	uc_dbus_split_free(NULL);
}

/* ---- Wireshark: the messages as LINKTYPE_DBUS packets ---- */

struct pcap_ctx {
	struct uc_pcapng_writer *w;
	uint64_t ts;
	uint32_t flags;
};

static void write_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct pcap_ctx *p = ctx;
	struct uc_pcapng_packet pkt = { .ts_ns = p->ts += 1000,
					.data = msg,
					.data_len = (uint32_t)len,
					.origlen = (uint32_t)len,
					.flags = p->flags };

	assert_int_equal(uc_pcapng_write_packet(p->w, &pkt), 0);
}

static char *run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	char *out = calloc(1, 4096);
	size_t n;

	assert_non_null(f);
	assert_non_null(out);
	n = fread(out, 1, 4095, f);
	out[n] = 0;
	*status = pclose(f);
	return out;
}

/* Splits the real exchange (in capture order) plus the built signal into a capture file. */
static void write_capture(int fd)
{
	static const struct uc_dbus_split_ops to_pcap = { .message = write_message };
	struct uc_dbus_split *side[2] = { uc_dbus_split_new(false), uc_dbus_split_new(true) };
	struct pcap_ctx pc = { .ts = 1700000000000000000ull };
	const struct real_record *r;

	pc.w = uc_pcapng_open(fd, false, "test-hw", "test-os", "test_dbus_split");
	assert_non_null(pc.w);
	assert_int_equal(uc_pcapng_add_interface(pc.w, PCAPNG_LINKTYPE_DBUS, PCAPNG_MAX_RECORD,
						 "unix:/tmp/dbuscap/bus", "unixcap test"),
			 0);
	for (r = real_records; r < real_records + sizeof(real_records) / sizeof(*r); r++) {
		pc.flags = r->client ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND;
		assert_int_equal(
			uc_dbus_split_feed(side[r->client], r->data, r->len, &to_pcap, &pc), 0);
	}
	pc.flags = PCAPNG_DIR_INBOUND;
	assert_int_equal(uc_dbus_split_feed(side[0], sig.b, sig.len, &to_pcap, &pc), 0);
	assert_int_equal(uc_pcapng_close(pc.w), 0);
	uc_dbus_split_free(side[0]);
	uc_dbus_split_free(side[1]);
}

static void test_tshark_dissects(void **state)
{
	char path[] = "/tmp/test_dbus_split_XXXXXX";
	char cmd[512];
	int fd, status;
	char *out;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		printf("SKIP: tshark not installed\n");
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* Unlinked at once so a failed assertion leaves no file; tshark reads it via /proc. */
	unlink(path);
	write_capture(fd);
	/* dbus.message_type: "dbus.type" is not a field in Wireshark 3.6 to 4.4. The expert field
	 * stays empty only if every message dissected without a complaint (padding, fields). */
	snprintf(cmd, sizeof(cmd),
		 "tshark -r /proc/%d/fd/%d -T fields -e dbus.message_type -e dbus.member "
		 "-e dbus.path -e _ws.expert 2>/dev/null",
		 (int)getpid(), fd);
	out = run(cmd, &status);
	close(fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("tshark said: %s\n", out);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(out, "1\tHello\t/org/freedesktop/DBus\t\n"
				 "2\t\t\t\n"
				 "4\tNameAcquired\t/org/freedesktop/DBus\t\n"
				 "1\tListNames\t/org/freedesktop/DBus\t\n"
				 "2\t\t\t\n"
				 "4\tChanged\t/org/example/Obj\t\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_padding),
		cmocka_unit_test(test_builder_matches_real_bytes),
		cmocka_unit_test(test_client_split_any_pieces),
		cmocka_unit_test(test_server_split_any_pieces),
		cmocka_unit_test(test_server_first_message_after_error),
		cmocka_unit_test(test_server_binary_without_ok),
		cmocka_unit_test(test_gap_goes_unsynced),
		cmocka_unit_test(test_gap_without_flush_keeps_order),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_bad_sasl),
		cmocka_unit_test(test_sasl_line_limit),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_real_exchange),
		cmocka_unit_test(test_looks_like),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_tshark_dissects),
	};

	return cmocka_run_group_tests(tests, build_all, NULL);
}
