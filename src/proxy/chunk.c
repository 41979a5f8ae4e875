/* SPDX-License-Identifier: BSD-2-Clause */
/* What one read takes from a socket and the proxy passes on: bytes, passed descriptors, credentials. */
#include "proxy/chunk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS 253 /* SCM_MAX_FD: the most one sendmsg can pass */

union control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
};

ssize_t uc_chunk_next_size(int fd)
{
	return recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
}

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

static void take_fds(struct uc_chunk *c, const struct cmsghdr *cm)
{
	unsigned n = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	int got[MAX_FDS], *fds;

	n = n < MAX_FDS ? n : MAX_FDS;
	memcpy(got, CMSG_DATA(cm), n * sizeof(int));
	fds = realloc(c->fds, (c->nfds + n) * sizeof(int));
	if (!fds) {
		close_all(got, n);
		c->fds_cut = true;
		return;
	}
	memcpy(fds + c->nfds, got, n * sizeof(int));
	c->fds = fds;
	c->nfds += n;
}

static void take_control(struct uc_chunk *c, struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS) {
			take_fds(c, cm);
		} else if (cm->cmsg_type == SCM_CREDENTIALS &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&c->creds, CMSG_DATA(cm), sizeof(c->creds));
			c->has_creds = true;
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		c->fds_cut = true;
}

ssize_t uc_chunk_recv(int fd, struct uc_chunk *c, uint8_t *buf, size_t cap, bool whole,
		      struct sockaddr_un *from, socklen_t *fromlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	union control ctl;
	struct msghdr msg = {
		.msg_name = from,
		.msg_namelen = from ? *fromlen : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -1;
	memset(c, 0, sizeof(*c));
	take_control(c, &msg);
	if (from)
		*fromlen = msg.msg_namelen;
	if (n == 0 && !whole) {
		uc_chunk_clear(c);
		return 0;
	}
	c->active = true;
	c->whole = whole;
	c->data = buf;
	c->len = (size_t)n;
	return n;
}

/* One sendmsg of c's bytes [from, to), with its descriptors if fds. Credentials the kernel
 * refuses (EPERM: only root may speak for another process; ESRCH: that process has exited)
 * are left out and the bytes sent again without. */
static ssize_t send_part(int fd, const struct uc_chunk *c, size_t from, size_t to, bool fds,
			 const struct sockaddr_un *dest, socklen_t destlen, bool *creds)
{
	struct iovec iov = { .iov_base = (void *)(c->data + from), .iov_len = to - from };
	union control ctl;
	bool with_creds = c->has_creds && *creds;
	ssize_t n;

	for (;;) {
		struct msghdr msg = {
			.msg_name = (void *)dest,
			.msg_namelen = dest ? destlen : 0,
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = (fds ? CMSG_SPACE(sizeof(int) * c->nfds) : 0) +
					  (with_creds ? CMSG_SPACE(sizeof(struct ucred)) : 0),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

		memset(ctl.buf, 0, sizeof(ctl.buf));
		if (fds) {
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * c->nfds);
			memcpy(CMSG_DATA(cm), c->fds, sizeof(int) * c->nfds);
			cm = CMSG_NXTHDR(&msg, cm);
		}
		if (with_creds) {
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_CREDENTIALS;
			cm->cmsg_len = CMSG_LEN(sizeof(struct ucred));
			memcpy(CMSG_DATA(cm), &c->creds, sizeof(c->creds));
		}
		if (!msg.msg_controllen)
			msg.msg_control = NULL;
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0 || !with_creds || (errno != EPERM && errno != ESRCH))
			return n;
		if (errno == EPERM)
			*creds = false;
		with_creds = false;
	}
}

int uc_chunk_send(int fd, struct uc_chunk *c, const struct sockaddr_un *to, socklen_t tolen,
		  bool *creds)
{
	while (c->active) {
		/* With the chunk's first bytes: the read that brought them may have taken bytes
		 * sent before them too, so they can arrive early, never late (a reader expects
		 * them with the bytes they were sent with, or before) */
		bool fds = c->nfds && !c->fds_sent;
		ssize_t n = send_part(fd, c, c->off, c->len, fds, to, tolen, creds);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (fds) {
			close_all(c->fds, c->nfds); /* the kernel holds them in flight now */
			c->fds_sent = true;
		}
		c->off = c->whole ? c->len : c->off + (size_t)n;
		if (c->off >= c->len)
			c->active = false;
	}
	return 1;
}

int uc_chunk_keep(struct uc_chunk *c)
{
	size_t left = c->len - c->off;
	uint8_t *copy;

	if (c->data == c->own)
		return 0;
	copy = malloc(left ? left : 1);
	if (!copy)
		return -1;
	memcpy(copy, c->data + c->off, left);
	c->own = copy;
	c->data = copy;
	c->len = left;
	c->off = 0;
	return 0;
}

void uc_chunk_clear(struct uc_chunk *c)
{
	if (c->nfds && !c->fds_sent)
		close_all(c->fds, c->nfds);
	free(c->fds);
	free(c->own);
	memset(c, 0, sizeof(*c));
}
