/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for `unixcap list`: unix_diag replies decoded and refused, owners from a fake /proc,
 * the table's order, addresses, filters, text and JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <ftw.h>

#include <cmocka.h>

#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "cli/options.h"
#include "inventory/listing.h"
#include "inventory/owners.h"
#include "inventory/unix_diag.h"
#include "core/devnum.h"

/* ---- uc_unix_diag_parse ---- */

struct reply {
	union {
		struct nlmsghdr h;
		uint8_t bytes[1024];
	} u;
	size_t len;
};

static void reply_start(struct reply *r, uint8_t family, uint8_t type, uint8_t state, uint32_t ino)
{
	struct unix_diag_msg m = {
		.udiag_family = family, .udiag_type = type, .udiag_state = state, .udiag_ino = ino
	};

	memset(r, 0, sizeof(*r));
	r->u.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	memcpy(r->u.bytes + NLMSG_HDRLEN, &m, sizeof(m));
	r->len = NLMSG_SPACE(sizeof(m));
	r->u.h.nlmsg_len = (uint32_t)r->len;
}

static void reply_attr(struct reply *r, unsigned short type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };

	memcpy(r->u.bytes + r->len, &a, sizeof(a));
	memcpy(r->u.bytes + r->len + RTA_LENGTH(0), data, n);
	r->len += RTA_SPACE(n);
	r->u.h.nlmsg_len = (uint32_t)r->len;
}

static void test_parse_every_attribute(void **state)
{
	static const char name[] = "\0app\0ctl"; /* abstract, a NUL inside */
	struct unix_diag_vfs vfs = { .udiag_vfs_ino = 77, .udiag_vfs_dev = 8u << 20 | 1 };
	struct unix_diag_rqlen q = { .udiag_rqueue = 3, .udiag_wqueue = 128 };
	uint32_t peer = 4242, icons[3] = { 1, 2, 3 }, uid = 1000, unknown = 9;
	struct uc_unix_sock s;
	struct reply r;

	(void)state;
	reply_start(&r, AF_UNIX, SOCK_STREAM, 10, 1234);
	reply_attr(&r, UNIX_DIAG_NAME, name, sizeof(name) - 1);
	reply_attr(&r, UNIX_DIAG_VFS, &vfs, sizeof(vfs));
	reply_attr(&r, UNIX_DIAG_PEER, &peer, sizeof(peer));
	reply_attr(&r, UNIX_DIAG_ICONS, icons, sizeof(icons));
	reply_attr(&r, UNIX_DIAG_RQLEN, &q, sizeof(q));
	reply_attr(&r, UNIX_DIAG_UID, &uid, sizeof(uid));
	reply_attr(&r, 99, &unknown, sizeof(unknown)); /* a newer kernel's attribute: skipped */
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), 0);
	assert_int_equal(s.inode, 1234);
	assert_int_equal(s.type, SOCK_STREAM);
	assert_int_equal(s.state, UC_STATE_LISTENING);
	assert_int_equal(s.name_len, sizeof(name) - 1);
	assert_memory_equal(s.name, name, sizeof(name) - 1);
	assert_true(s.has_vfs);
	assert_int_equal(s.vfs_ino, 77);
	assert_int_equal(s.vfs_dev, 8u << 20 | 1);
	assert_int_equal(s.peer_inode, 4242);
	assert_true(s.has_pending);
	assert_int_equal(s.pending, 3);
	assert_true(s.has_queues);
	assert_int_equal(s.rqueue, 3);
	assert_int_equal(s.wqueue, 128);
	assert_true(s.has_uid);
	assert_int_equal(s.uid, 1000);
}

static void test_parse_bare_socket(void **state)
{
	struct uc_unix_sock s;
	struct reply r;

	(void)state;
	reply_start(&r, AF_UNIX, SOCK_DGRAM, 7, 5);
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), 0);
	assert_int_equal(s.name_len, 0);
	assert_false(s.has_vfs || s.has_pending || s.has_queues || s.has_uid);
	assert_int_equal(s.peer_inode, 0);
}

static void test_parse_refuses_malformed(void **state)
{
	uint32_t peer = 1;
	uint16_t short_vfs = 1;
	struct uc_unix_sock s;
	struct reply r;

	(void)state;
	reply_start(&r, AF_INET, SOCK_STREAM, 1, 5); /* not AF_UNIX */
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), -1);

	reply_start(&r, AF_UNIX, SOCK_STREAM, 1, 5);
	r.u.h.nlmsg_len = NLMSG_LENGTH(4); /* shorter than unix_diag_msg */
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), -1);
	assert_int_equal(uc_unix_diag_parse(&r.u.h, 8, &s), -1); /* shorter than the header */

	reply_start(&r, AF_UNIX, SOCK_STREAM, 1, 5);
	reply_attr(&r, UNIX_DIAG_PEER, &peer, sizeof(peer));
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len - 4, &s),
			 -1); /* claims past the buffer */

	reply_start(&r, AF_UNIX, SOCK_STREAM, 1, 5);
	reply_attr(&r, UNIX_DIAG_PEER, &peer, sizeof(peer));
	r.u.bytes[NLMSG_SPACE(sizeof(struct unix_diag_msg))] = 64; /* rta_len past nlmsg_len */
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), -1);

	reply_start(&r, AF_UNIX, SOCK_STREAM, 1, 5);
	reply_attr(&r, UNIX_DIAG_VFS, &short_vfs, sizeof(short_vfs)); /* 2 bytes, not 8 */
	assert_int_equal(uc_unix_diag_parse(&r.u.h, r.len, &s), -1);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(uc_unix_state_name(10), "listening");
	assert_string_equal(uc_unix_state_name(1), "connected");
	assert_string_equal(uc_unix_state_name(7), "unconnected");
	assert_string_equal(uc_unix_state_name(2), "connecting");
	assert_string_equal(uc_unix_state_name(8), "disconnecting");
	assert_string_equal(uc_unix_state_name(0), "unknown");
	assert_string_equal(uc_unix_state_name(200), "unknown");
}

/* ---- uc_owners_scan on a fake /proc ---- */

static char fake_proc[64];

static void put_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void put_link(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* pid 100 "server" holds 10 (in two fds) and 12; pid 200 (no comm file) holds 10 and 11; around
 * them non-socket links, a process gone, and entries that are no process. */
static int make_fake_proc(void **state)
{
	(void)state;
	snprintf(fake_proc, sizeof(fake_proc), "/tmp/uc-test-list.XXXXXX");
	if (!mkdtemp(fake_proc))
		return -1;
	put_dir("100");
	put_dir("100/fd");
	put_file("100/comm", "server\n");
	put_link("100/fd/3", "socket:[10]");
	put_link("100/fd/4", "socket:[10]");
	put_link("100/fd/5", "socket:[12]");
	put_link("100/fd/6", "/dev/null");
	put_link("100/fd/7", "pipe:[11]");
	put_link("100/fd/8", "socket:[12x]");
	put_dir("200");
	put_dir("200/fd");
	put_link("200/fd/0", "socket:[11]");
	put_link("200/fd/1", "socket:[10]");
	put_dir("300"); /* a process that ended: no fd directory */
	put_dir("sys");
	put_link("self", "100");
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int remove_fake_proc(void **state)
{
	(void)state;
	return nftw(fake_proc, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_owners_from_fake_proc(void **state)
{
	const struct uc_owner *o;
	struct uc_owners *owners;
	char err[256] = "";

	(void)state;
	owners = uc_owners_scan(fake_proc, err, sizeof(err));
	assert_non_null(owners);
	assert_int_equal(uc_owners_find(owners, 10, &o), 2); /* pid 100 once, though in two fds */
	assert_int_equal(o[0].pid, 100);
	assert_string_equal(o[0].comm, "server");
	assert_int_equal(o[1].pid, 200);
	assert_string_equal(o[1].comm, "?");
	assert_int_equal(uc_owners_find(owners, 11, &o), 1);
	assert_int_equal(o[0].pid, 200);
	assert_int_equal(uc_owners_find(owners, 12, &o), 1);
	assert_int_equal(uc_owners_find(owners, 9, &o), 0);
	assert_null(o);
	assert_int_equal(uc_owners_find(owners, 13, &o), 0);
	assert_int_equal(uc_owners_denied(owners), 0);
	uc_owners_free(owners);
}

static void test_owners_missing_proc(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(uc_owners_scan("/nonexistent-proc", err, sizeof(err)));
	assert_string_equal(err, "cannot read /nonexistent-proc: No such file or directory");
}

/* ---- the listing ---- */

static struct uc_unix_sock sock(uint64_t inode, unsigned type, unsigned st, const char *name,
				size_t name_len, uint64_t peer)
{
	struct uc_unix_sock s;

	memset(&s, 0, sizeof(s));
	s.inode = inode;
	s.type = type;
	s.state = st;
	memcpy(s.name, name, name_len);
	s.name_len = name_len;
	s.peer_inode = peer;
	return s;
}

/* A listener (10) and its connection (client 11, accepted 12), an abstract dgram socket (20), a
 * seqpacket socketpair (30, 31) and an unnamed dgram socket (5), added out of order. */
static void make_listing(struct uc_listing *l, struct uc_owners *owners)
{
	struct uc_unix_sock v[7];

	v[0] = sock(31, SOCK_SEQPACKET, 1, "", 0, 30);
	v[1] = sock(12, SOCK_STREAM, 1, "/run/x.sock", 12, 11); /* trailing NUL, as bind() gives */
	v[2] = sock(20, SOCK_DGRAM, 1, "\0ab\ncd", 6, 0); /* established: someone connect()ed */
	v[3] = sock(10, SOCK_STREAM, 10, "/run/x.sock", 12, 0);
	v[4] = sock(5, SOCK_DGRAM, 7, "", 0, 0);
	v[5] = sock(11, SOCK_STREAM, 1, "", 0, 12);
	v[6] = sock(30, SOCK_SEQPACKET, 1, "", 0, 31);
	v[3].has_vfs = v[1].has_vfs = true;
	v[3].vfs_dev = v[1].vfs_dev = 8u << 20 | 1;
	v[3].vfs_ino = v[1].vfs_ino = 77;
	v[3].has_pending = true;
	v[3].pending = 2;
	v[3].has_queues = true;
	v[3].rqueue = 2;
	v[3].wqueue = 128;
	v[5].has_uid = true;
	v[5].uid = 1000;
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(uc_listing_add(l, &v[i]), 0);
	assert_int_equal(uc_listing_finish(l), 0);
	l->owners = owners;
}

static void test_order_and_addresses(void **state)
{
	static const uint64_t want[] = { 10, 11, 12, 20, 5, 30, 31 };
	static const char *const addresses[] = {
		"/run/x.sock", "unnamed > /run/x.sock",
		"/run/x.sock", "@ab\\x0acd",
		"unnamed",     "unnamed",
		"unnamed",
	};
	struct uc_listing l;
	char address[1024];

	(void)state;
	make_listing(&l, NULL);
	assert_int_equal(l.n, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(l.order[i]->s.inode, want[i]);
		uc_listing_address(l.order[i], address, sizeof(address));
		assert_string_equal(address, addresses[i]);
	}
	assert_int_equal(l.order[1]->peer->s.inode, 12);
	assert_null(l.order[0]->peer);
	uc_listing_free(&l);
}

/* The inodes filter f selects, in display order, as one string: "10 11 12". */
static void selected(const struct uc_listing *l, const struct uc_list_filter *f, const char *want)
{
	char got[128] = "";
	size_t used = 0;

	for (size_t i = 0; i < l->n; i++)
		if (uc_listing_selected(l, l->order[i], f))
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%llu",
						 used ? " " : "",
						 (unsigned long long)l->order[i]->s.inode);
	assert_string_equal(got, want);
}

static void filter(struct uc_list_filter *f, int option, const char *arg)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	assert_int_equal(uc_cli_parse_filter(option, arg, &f->f, err, sizeof(err)), 0);
}

static void test_filters(void **state)
{
	struct uc_owners *owners;
	struct uc_list_filter f;
	struct uc_listing l;
	char err[256];

	(void)state;
	owners = uc_owners_scan(fake_proc, err, sizeof(err));
	assert_non_null(owners);
	make_listing(&l, owners);
	memset(&f, 0, sizeof(f));
	selected(&l, &f, "10 11 12 20 5 30 31");
	filter(&f, UC_OPT_PATH, "/run/*.sock"); /* the client by its peer's name */
	selected(&l, &f, "10 11 12");
	filter(&f, UC_OPT_PATH, "@ab*");
	selected(&l, &f, "20");
	filter(&f, UC_OPT_PATH, "/var/run/x.sock"); /* another name for the same file */
	selected(&l, &f, "");
	f.has_id[0] = true;
	f.id_dev[0] = 8u << 20 | 1;
	f.id_ino[0] = 77;
	selected(&l, &f, "10 11 12");
	filter(&f, UC_OPT_TYPE, "seqpacket,dgram");
	selected(&l, &f, "20 5 30 31");
	filter(&f, UC_OPT_INODE, "12"); /* the socket, and the one whose peer it is */
	selected(&l, &f, "11 12");
	filter(&f, UC_OPT_PID, "200"); /* holds 10 and 11; 12 is 11's peer */
	selected(&l, &f, "10 11 12");
	filter(&f, UC_OPT_COMM, "server");
	selected(&l, &f, "10 11 12");
	filter(&f, UC_OPT_PID, "4000");
	selected(&l, &f, "");
	uc_listing_free(&l);
	uc_owners_free(owners);
}

static char *print(const struct uc_listing *l, const struct uc_list_filter *f, bool json,
		   size_t *shown)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*shown = uc_listing_print(out, l, f, json);
	fclose(out);
	return buf;
}

static void test_text_table(void **state)
{
	struct uc_owners *owners;
	struct uc_list_filter f;
	struct uc_listing l;
	char err[256], *text;
	size_t shown;

	(void)state;
	owners = uc_owners_scan(fake_proc, err, sizeof(err));
	assert_non_null(owners);
	make_listing(&l, owners);
	filter(&f, UC_OPT_PATH, "/run/*");
	text = print(&l, &f, false, &shown);
	assert_int_equal(shown, 3);
	assert_string_equal(
		text, "TYPE    STATE      INODE  PEER  PATH                   OWNERS\n"
		      "stream  listening  10     -     /run/x.sock            server[100],?[200]\n"
		      "stream  connected  11     12    unnamed > /run/x.sock  ?[200]\n"
		      "stream  connected  12     11    /run/x.sock            server[100]\n");
	free(text);
	filter(&f, UC_OPT_TYPE, "seqpacket");
	text = print(&l, &f, false, &shown);
	assert_string_equal(text, "TYPE       STATE      INODE  PEER  PATH     OWNERS\n"
				  "seqpacket  connected  30     31    unnamed  -\n"
				  "seqpacket  connected  31     30    unnamed  -\n");
	free(text);
	uc_listing_free(&l);
	uc_owners_free(owners);
}

static void test_json_lines(void **state)
{
	struct uc_owners *owners;
	struct uc_list_filter f;
	struct uc_listing l;
	char err[256], *text;
	size_t shown;

	(void)state;
	owners = uc_owners_scan(fake_proc, err, sizeof(err));
	assert_non_null(owners);
	make_listing(&l, owners);
	filter(&f, UC_OPT_TYPE, "stream,dgram");
	text = print(&l, &f, true, &shown);
	assert_int_equal(shown, 5);
	assert_string_equal(
		text,
		"{\"inode\":10,\"type\":\"stream\",\"state\":\"listening\",\"path\":\"/run/x.sock\","
		"\"vfs\":{\"dev\":\"8:1\",\"inode\":77},\"peer_inode\":null,\"peer_path\":null,"
		"\"owners\":[{\"pid\":100,\"comm\":\"server\"},{\"pid\":200,\"comm\":\"?\"}],"
		"\"rqueue\":2,\"wqueue\":128,\"pending\":2}\n"
		"{\"inode\":11,\"type\":\"stream\",\"state\":\"connected\",\"path\":null,"
		"\"peer_inode\":12,\"peer_path\":\"/run/x.sock\",\"owners\":[{\"pid\":200,\"comm\":\"?\"}],"
		"\"uid\":1000}\n"
		"{\"inode\":12,\"type\":\"stream\",\"state\":\"connected\",\"path\":\"/run/x.sock\","
		"\"vfs\":{\"dev\":\"8:1\",\"inode\":77},\"peer_inode\":11,\"peer_path\":null,"
		"\"owners\":[{\"pid\":100,\"comm\":\"server\"}]}\n"
		"{\"inode\":20,\"type\":\"dgram\",\"state\":\"unconnected\",\"path\":\"@ab\\ncd\","
		"\"peer_inode\":null,\"peer_path\":null,\"owners\":[]}\n"
		"{\"inode\":5,\"type\":\"dgram\",\"state\":\"unconnected\",\"path\":null,"
		"\"peer_inode\":null,\"peer_path\":null,\"owners\":[]}\n");
	free(text);
	uc_listing_free(&l);
	uc_owners_free(owners);
}

static void test_kernel_dev(void **state)
{
	(void)state;
	assert_int_equal(uc_kernel_dev(makedev(8, 1)), 8u << 20 | 1);
	assert_int_equal(uc_kernel_dev(makedev(259, 70000)), 259u << 20 | 70000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_attribute),
		cmocka_unit_test(test_parse_bare_socket),
		cmocka_unit_test(test_parse_refuses_malformed),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_owners_from_fake_proc),
		cmocka_unit_test(test_owners_missing_proc),
		cmocka_unit_test(test_order_and_addresses),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_text_table),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_kernel_dev),
	};

	return cmocka_run_group_tests(tests, make_fake_proc, remove_fake_proc);
}
