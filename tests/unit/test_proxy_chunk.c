/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the proxy's chunks: partial writes, passed descriptors with the last byte, credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proxy/chunk.h"
#include "proxy/sockets.h"

static void pair(int type, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static void close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static void test_stream_roundtrip_and_eof(void **state)
{
	int in[2], out[2];
	uint8_t buf[64];
	char got[16] = "";
	struct uc_chunk c;
	bool creds = true;

	(void)state;
	pair(SOCK_STREAM, in);
	pair(SOCK_STREAM, out);
	assert_int_equal(write(in[0], "hello", 5), 5);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, sizeof(buf), false, NULL, NULL), 5);
	assert_true(c.active);
	assert_ptr_equal(c.data, buf);
	assert_int_equal(uc_chunk_send(out[0], &c, NULL, 0, &creds), 1);
	assert_false(c.active);
	uc_chunk_clear(&c);
	assert_int_equal(read(out[1], got, sizeof(got)), 5);
	assert_string_equal(got, "hello");
	shutdown(in[0], SHUT_WR);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, sizeof(buf), false, NULL, NULL), 0);
	assert_false(c.active);
	assert_int_equal(uc_chunk_recv(out[1], &c, buf, sizeof(buf), false, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	close_pair(in);
	close_pair(out);
}

/* A receiver slower than the sender: the rest is kept and goes out later, in order. */
static void test_partial_send_keeps_the_rest(void **state)
{
	enum { SIZE = 1 << 20 };
	uint8_t *data = malloc(SIZE), *got = malloc(SIZE);
	int out[2], small = 4096, ret;
	size_t have = 0;
	struct uc_chunk c = { .active = true, .len = SIZE };
	bool creds = true;

	(void)state;
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 31 + i / 251);
	c.data = data;
	pair(SOCK_STREAM, out);
	setsockopt(out[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	ret = uc_chunk_send(out[0], &c, NULL, 0, &creds);
	assert_int_equal(ret, 0);
	assert_true(c.off > 0 && c.off < SIZE);
	assert_int_equal(uc_chunk_keep(&c), 0);
	assert_ptr_not_equal(c.data, data);
	assert_int_equal(c.off, 0);
	memset(data, 0, SIZE); /* the caller's buffer is free again */
	while (ret == 0 || have < SIZE) {
		ssize_t n = read(out[1], got + have, SIZE - have);

		if (n > 0)
			have += (size_t)n;
		if (ret == 0)
			ret = uc_chunk_send(out[0], &c, NULL, 0, &creds);
		assert_true(ret >= 0);
	}
	for (size_t i = 0; i < SIZE; i++)
		if (got[i] != (uint8_t)(i * 31 + i / 251))
			fail_msg("byte %zu differs", i);
	uc_chunk_clear(&c);
	close_pair(out);
	free(data);
	free(got);
}

static int recv_with_fds(int fd, char *buf, size_t len, int *fds, unsigned *nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	int n = (int)recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

	*nfds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), *nfds * sizeof(int));
		}
	return n;
}

static void send_with_fd(int sock, const char *text, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)strlen(text));
}

/* The descriptors reach the reader with the chunk's first bytes, as they would without the
 * proxy (a reader expects them with the bytes they came with, or before); the proxy's copies
 * are closed once sent, and they arrive close-on-exec. */
static void test_fds_go_with_the_first_bytes(void **state)
{
	int in[2], out[2], p[2], fds[4], mine, small = 4096;
	unsigned nfds;
	uint8_t *buf = malloc(1 << 16);
	char *got = calloc(1, 1 << 16);
	struct uc_chunk c;
	bool creds = true;

	(void)state;
	pair(SOCK_STREAM, in);
	pair(SOCK_STREAM, out);
	setsockopt(out[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	assert_int_equal(pipe(p), 0);
	memset(got, 'a', 40000);
	assert_int_equal(write(in[0], got, 30000), 30000);
	send_with_fd(in[0], "0123456789", p[1]);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, 1 << 16, false, NULL, NULL), 30010);
	assert_int_equal(c.nfds, 1);
	mine = c.fds[0];
	assert_true(fcntl(mine, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(uc_chunk_send(out[0], &c, NULL, 0, &creds), 0); /* too much for it */
	assert_int_equal(fcntl(mine, F_GETFD), -1); /* sent, and the proxy's copy closed */
	assert_int_equal(uc_chunk_keep(&c), 0);
	assert_int_equal(recv_with_fds(out[1], got, 1, fds, &nfds), 1);
	assert_int_equal(nfds, 1);
	while (uc_chunk_send(out[0], &c, NULL, 0, &creds) == 0)
		assert_true(recv_with_fds(out[1], got, 1 << 16, fds + 1, &nfds) > 0 && nfds == 0);
	assert_int_equal(write(fds[0], "z", 1), 1);
	assert_int_equal(read(p[0], got, 1), 1);
	assert_int_equal(got[0], 'z');
	uc_chunk_clear(&c);
	close(fds[0]);
	close(p[0]);
	close(p[1]);
	close_pair(in);
	close_pair(out);
	free(buf);
	free(got);
}

/* Dropping a chunk closes the descriptors it still holds. */
static void test_clear_closes_unsent_fds(void **state)
{
	int in[2], p[2], mine;
	uint8_t buf[64];
	struct uc_chunk c;

	(void)state;
	pair(SOCK_SEQPACKET, in);
	assert_int_equal(pipe(p), 0);
	send_with_fd(in[0], "x", p[0]);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, sizeof(buf), true, NULL, NULL), 1);
	mine = c.fds[0];
	uc_chunk_clear(&c);
	assert_int_equal(fcntl(mine, F_GETFD), -1);
	assert_false(c.active);
	close(p[0]);
	close(p[1]);
	close_pair(in);
}

/* Whole messages: sizes known beforehand, empty ones relayed, credentials taken. */
static void test_messages_and_credentials(void **state)
{
	int in[2], out[2], on = 1;
	uint8_t buf[64];
	struct uc_chunk c;
	bool creds = true;

	(void)state;
	pair(SOCK_SEQPACKET, in);
	pair(SOCK_SEQPACKET, out);
	setsockopt(in[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	assert_int_equal(send(in[0], "abc", 3, 0), 3);
	assert_int_equal(send(in[0], "", 0, 0), 0);
	assert_int_equal(uc_chunk_next_size(in[1]), 3);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, sizeof(buf), true, NULL, NULL), 3);
	assert_true(c.has_creds);
	assert_int_equal(c.creds.pid, getpid());
	assert_int_equal(c.creds.uid, getuid());
	uc_chunk_clear(&c);
	assert_int_equal(uc_chunk_next_size(in[1]), 0);
	assert_int_equal(uc_chunk_recv(in[1], &c, buf, sizeof(buf), true, NULL, NULL), 0);
	assert_true(c.active); /* an empty message, not an end */
	assert_int_equal(uc_chunk_send(out[0], &c, NULL, 0, &creds), 1);
	assert_int_equal(recv(out[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	assert_int_equal(recv(out[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	uc_chunk_clear(&c);
	close_pair(in);
	close_pair(out);
}

/* Only root may speak for another process: otherwise the kernel refuses the credentials, the
 * bytes still go, and the caller is told not to try again. */
static void test_refused_credentials_still_send(void **state)
{
	int out[2];
	char got[8] = "";
	struct uc_chunk c = {
		.active = true, .data = (const uint8_t *)"abc", .len = 3, .has_creds = true
	};
	bool creds = true;

	(void)state;
	c.creds.pid = 1;
	c.creds.uid = 0;
	c.creds.gid = 0;
	pair(SOCK_STREAM, out);
	assert_int_equal(uc_chunk_send(out[0], &c, NULL, 0, &creds), 1);
	assert_int_equal(read(out[1], got, sizeof(got)), 3);
	assert_string_equal(got, "abc");
	assert_int_equal(creds, geteuid() == 0);
	close_pair(out);
}

/* A datagram to an address: how replies reach an unconnected client. */
static void test_datagram_to_address(void **state)
{
	int tx = uc_proxy_socket(SOCK_DGRAM), rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, from;
	socklen_t len = sizeof(from);
	char name[64], got[8] = "";
	struct uc_chunk c = {
		.active = true, .whole = true, .data = (const uint8_t *)"dg", .len = 2
	};
	bool creds = true;

	(void)state;
	snprintf(name, sizeof(name), "uc-chunk-test-%d", (int)getpid());
	memcpy(sa.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	assert_int_equal(bind(rx, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(uc_chunk_send(tx, &c, &sa, len, &creds), 1);
	len = sizeof(from);
	assert_int_equal(recvfrom(rx, got, sizeof(got), 0, (struct sockaddr *)&from, &len), 2);
	assert_string_equal(got, "dg");
	/* the proxy's datagram sockets are bound, so that their peer can answer */
	assert_true(len > sizeof(sa_family_t));
	close(tx);
	close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_roundtrip_and_eof),
		cmocka_unit_test(test_partial_send_keeps_the_rest),
		cmocka_unit_test(test_fds_go_with_the_first_bytes),
		cmocka_unit_test(test_clear_closes_unsent_fds),
		cmocka_unit_test(test_messages_and_credentials),
		cmocka_unit_test(test_refused_credentials_still_send),
		cmocka_unit_test(test_datagram_to_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
