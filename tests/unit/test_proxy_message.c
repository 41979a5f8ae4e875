/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the proxy's names and messages: both directions must pair up as one conversation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conversations/conversation.h"
#include "proxy/proxy_message.h"
#include "proxy/sockets.h"

#define STREAM 1
#define DGRAM 2
#define SUN_OFFSET offsetof(struct sockaddr_un, sun_path)

/* ---- uc_proxy_addr_parse ---- */

static void test_addr_path(void **state)
{
	struct uc_proxy_addr a;
	char err[200];

	(void)state;
	assert_int_equal(uc_proxy_addr_parse("/run/x.sock", &a, err, sizeof(err)), 0);
	assert_string_equal(a.sa.sun_path, "/run/x.sock");
	assert_int_equal(a.len, SUN_OFFSET + 12); /* the path and its NUL */
	assert_string_equal(a.name, "/run/x.sock");
	assert_string_equal(a.text, "/run/x.sock");
}

static void test_addr_abstract(void **state)
{
	struct uc_proxy_addr a;
	char err[200];

	(void)state;
	assert_int_equal(uc_proxy_addr_parse("@dbus-x", &a, err, sizeof(err)), 0);
	assert_int_equal(a.sa.sun_path[0], '\0');
	assert_memory_equal(a.sa.sun_path + 1, "dbus-x", 6);
	assert_int_equal(a.len,
			 SUN_OFFSET + 7); /* no NUL at the end: it would be part of the name */
	assert_string_equal(a.name, "@dbus-x");
}

static void test_addr_limits(void **state)
{
	struct uc_proxy_addr a;
	char err[200], name[120];

	(void)state;
	assert_int_equal(uc_proxy_addr_parse("", &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a socket name"));
	assert_int_equal(uc_proxy_addr_parse("@", &a, err, sizeof(err)), -1);
	memset(name, 'x', sizeof(name));
	name[107] = '\0'; /* 107 bytes and the NUL fill sun_path */
	assert_int_equal(uc_proxy_addr_parse(name, &a, err, sizeof(err)), 0);
	name[107] = 'x';
	name[108] = '\0';
	assert_int_equal(uc_proxy_addr_parse(name, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	name[0] = '@'; /* '@' and 107 bytes: the NUL and 107 bytes fill sun_path */
	assert_int_equal(uc_proxy_addr_parse(name, &a, err, sizeof(err)), 0);
	name[108] = 'x';
	name[109] = '\0';
	assert_int_equal(uc_proxy_addr_parse(name, &a, err, sizeof(err)), -1);
}

static void test_addr_same(void **state)
{
	struct uc_proxy_addr a, b;
	char err[200];

	(void)state;
	uc_proxy_addr_parse("/a", &a, err, sizeof(err));
	uc_proxy_addr_parse("/a", &b, err, sizeof(err));
	assert_true(uc_proxy_addr_same(&a, &b));
	uc_proxy_addr_parse("@a", &b, err, sizeof(err));
	assert_false(uc_proxy_addr_same(&a, &b));
	uc_proxy_addr_parse("/ab", &b, err, sizeof(err));
	assert_false(uc_proxy_addr_same(&a, &b));
}

/* ---- messages ---- */

static const struct uc_proxy_end client = { 100, 1000, 1001, "curl", 11, "" };
static const struct uc_proxy_end server = { 200, 0, 0, "python3", 22, "/run/real.sock" };

static void test_message_fields(void **state)
{
	struct uc_message m;

	(void)state;
	uc_proxy_message(&m, UC_MSG_DATA, STREAM, 5, &client, &server);
	assert_int_equal(m.ts_ns, 5);
	assert_int_equal(m.event, UC_MSG_DATA);
	assert_int_equal(m.pid, 100);
	assert_int_equal(m.tid, 100);
	assert_int_equal(m.uid, 1000);
	assert_string_equal(m.comm, "curl");
	assert_int_equal(m.peer_pid, 200);
	assert_int_equal(m.peer_uid, 0);
	assert_int_equal(m.sock_type, STREAM);
	assert_int_equal(m.syscall, 46); /* the proxy's sendmsg */
	assert_int_equal(m.own_ino, 11);
	assert_int_equal(m.peer_ino, 22);
	assert_string_equal(m.own_path, "");
	assert_string_equal(m.peer_path, "/run/real.sock");
	assert_int_equal(m.len, 0);
	assert_int_equal(m.nfds, 0);
	assert_false(m.has_creds);
}

static void test_payload_snaplen(void **state)
{
	static const uint8_t data[10] = "0123456789";
	struct uc_message m;

	(void)state;
	uc_proxy_message(&m, UC_MSG_DATA, STREAM, 1, &client, &server);
	uc_proxy_payload(&m, data, 10, 4);
	assert_int_equal(m.len, 10);
	assert_int_equal(m.caplen, 4);
	assert_int_equal(m.stored, 4);
	assert_ptr_equal(m.data, data);
	uc_proxy_payload(&m, data, 10, 0);
	assert_int_equal(m.caplen, 10);
	uc_proxy_payload(&m, data, 10, 20);
	assert_int_equal(m.caplen, 10);
	uc_proxy_payload(&m, data, 0, 0);
	assert_null(m.data);
}

/* SO_PASSCRED makes the kernel add the sender's own credentials to every message: only others
 * are worth a line. */
static void test_creds_only_when_not_the_senders(void **state)
{
	struct ucred own = { 100, 1000, 1001 }, other = { 1, 0, 0 };
	struct uc_message m;

	(void)state;
	uc_proxy_message(&m, UC_MSG_DATA, STREAM, 1, &client, &server);
	uc_proxy_creds(&m, false, &other, &client);
	assert_false(m.has_creds);
	uc_proxy_creds(&m, true, &own, &client);
	assert_false(m.has_creds);
	uc_proxy_creds(&m, true, &other, &client);
	assert_true(m.has_creds);
	assert_int_equal(m.cred_pid, 1);
	assert_int_equal(m.cred_uid, 0);
	assert_int_equal(m.cred_gid, 0);
}

/* ---- conversations: what the pcapng sink keys flows by ---- */

static struct uc_flow *find(struct uc_conversations *c, const struct uc_message *m, int want_dir,
			    bool want_created)
{
	int dir = -1;
	bool created = !want_created;
	struct uc_flow *f = uc_conversations_find(c, m, &dir, &created);

	assert_non_null(f);
	assert_int_equal(dir, want_dir);
	assert_int_equal(created, want_created);
	return f;
}

static void test_stream_is_one_connection(void **state)
{
	struct uc_conversations *c = uc_conversations_new();
	struct uc_message m;
	struct uc_flow *f;

	(void)state;
	uc_proxy_message(&m, UC_MSG_CONNECT, STREAM, 1, &client, &server);
	f = find(c, &m, UC_C2S, true);
	assert_string_equal(f->path[UC_S2C], "/run/real.sock");
	assert_int_equal(f->ends[UC_C2S].ip & 0xffff0000u, UC_CLIENT_NET);
	uc_proxy_message(&m, UC_MSG_DATA, STREAM, 2, &client, &server);
	uc_proxy_payload(&m, (const uint8_t *)"GET", 3, 0);
	assert_ptr_equal(find(c, &m, UC_C2S, false), f);
	uc_proxy_message(&m, UC_MSG_DATA, STREAM, 3, &server, &client);
	uc_proxy_payload(&m, (const uint8_t *)"200", 3, 0);
	assert_ptr_equal(find(c, &m, UC_S2C, false), f);
	uc_proxy_message(&m, UC_MSG_SHUTDOWN, STREAM, 4, &client, &server);
	assert_ptr_equal(find(c, &m, UC_C2S, false), f);
	uc_proxy_message(&m, UC_MSG_CLOSE, STREAM, 5, &server, &client);
	assert_ptr_equal(find(c, &m, UC_S2C, false), f);
	assert_int_equal(uc_conversations_live(c), 1);
	uc_conversations_free(c);
}

/* A datagram sender's flow is keyed by its address when bound, else by the proxy's socket
 * standing for it; REAL's end by REAL's name. */
static void test_datagrams_are_one_flow(void **state)
{
	const struct uc_proxy_end bound = { 100, 1000, 1000, "cli", 33, "/tmp/c.sock" };
	const struct uc_proxy_end unbound = { 101, 1000, 1000, "cli", 34, "" };
	const struct uc_proxy_end real = { 200, 0, 0, "srv", 0, "/run/real.sock" };
	struct uc_conversations *c = uc_conversations_new();
	struct uc_message m;
	struct uc_flow *f, *g;

	(void)state;
	uc_proxy_message(&m, UC_MSG_DATA, DGRAM, 1, &bound, &real);
	uc_proxy_payload(&m, (const uint8_t *)"ping", 4, 0);
	f = find(c, &m, UC_C2S, true);
	uc_proxy_message(&m, UC_MSG_DATA, DGRAM, 2, &real, &bound);
	uc_proxy_payload(&m, (const uint8_t *)"pong", 4, 0);
	assert_ptr_equal(find(c, &m, UC_S2C, false), f);
	uc_proxy_message(&m, UC_MSG_DATA, DGRAM, 3, &unbound, &real);
	uc_proxy_payload(&m, (const uint8_t *)"ping", 4, 0);
	g = find(c, &m, UC_C2S, true);
	assert_ptr_not_equal(g, f);
	/* the proxy forgetting the bound sender closes its socket: its flow is retired */
	uc_proxy_message(&m, UC_MSG_CLOSE, DGRAM, 4, &bound, &real);
	f = find(c, &m, UC_C2S, false);
	uc_conversations_close_socket(c, f, &m);
	assert_int_equal(uc_conversations_live(c), 1);
	uc_conversations_free(c);
}

/* ---- passed descriptors, named as the capture names them ---- */

static void test_describe_fds(void **state)
{
	int p[2], fds[5], s;
	char path[] = "/tmp/uc-proxy-test-XXXXXX", abstract[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct uc_message m;
	struct stat st;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fds[0] = p[0];
	fds[1] = mkstemp(path);
	fds[2] = memfd_create("uc-test", MFD_CLOEXEC);
	fds[3] = eventfd(0, EFD_CLOEXEC);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(abstract, sizeof(abstract), "uc-proxy-test-%d", (int)getpid());
	memcpy(sa.sun_path + 1, abstract, strlen(abstract));
	assert_int_equal(
		bind(s, (struct sockaddr *)&sa, (socklen_t)(SUN_OFFSET + 1 + strlen(abstract))), 0);
	fds[4] = s;
	memset(&m, 0, sizeof(m));
	uc_proxy_describe_fds(&m, fds, 5, false);
	assert_int_equal(m.nfds, 5);
	assert_int_equal(m.nfds_described, 5);
	fstat(p[0], &st);
	assert_int_equal(m.fds[0].fd, -1);
	assert_string_equal(m.fds[0].kind, "pipe");
	assert_string_equal(m.fds[0].what, "");
	assert_int_equal(m.fds[0].ino, st.st_ino);
	assert_string_equal(m.fds[1].kind, "file");
	assert_string_equal(m.fds[1].what, path);
	assert_string_equal(m.fds[2].kind, "memfd");
	assert_string_equal(m.fds[2].what, "uc-test");
	assert_string_equal(m.fds[3].kind, "anon");
	assert_string_equal(m.fds[3].what, "[eventfd]");
	assert_string_equal(m.fds[4].kind, "socket");
	assert_int_equal(m.fds[4].what[0], '@');
	assert_string_equal(m.fds[4].what + 1, abstract);
	uc_proxy_describe_fds(&m, fds, 5, true); /* more were passed than arrived */
	assert_int_equal(m.nfds, 6);
	unlink(path);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	close(p[1]);
}

static void test_describe_many_fds(void **state)
{
	int fds[12];
	struct uc_message m;

	(void)state;
	for (int i = 0; i < 12; i++)
		fds[i] = STDERR_FILENO;
	uc_proxy_describe_fds(&m, fds, 12, false);
	assert_int_equal(m.nfds, 12);
	assert_int_equal(m.nfds_described, UC_MAX_PASSED_FDS);
}

static void test_comm(void **state)
{
	char comm[17], want[17] = "";
	int fd = open("/proc/self/comm", O_RDONLY);
	ssize_t n = read(fd, want, 16);

	(void)state;
	close(fd);
	want[n > 0 ? n - 1 : 0] = '\0';
	uc_proxy_comm((uint32_t)getpid(), comm);
	assert_string_equal(comm, want);
	uc_proxy_comm(0, comm);
	assert_string_equal(comm, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_path),
		cmocka_unit_test(test_addr_abstract),
		cmocka_unit_test(test_addr_limits),
		cmocka_unit_test(test_addr_same),
		cmocka_unit_test(test_message_fields),
		cmocka_unit_test(test_payload_snaplen),
		cmocka_unit_test(test_creds_only_when_not_the_senders),
		cmocka_unit_test(test_stream_is_one_connection),
		cmocka_unit_test(test_datagrams_are_one_flow),
		cmocka_unit_test(test_describe_fds),
		cmocka_unit_test(test_describe_many_fds),
		cmocka_unit_test(test_comm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
