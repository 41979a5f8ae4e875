/* SPDX-License-Identifier: BSD-2-Clause */
/* Every AF_UNIX socket of this network namespace, as the kernel's sock_diag (unix_diag) lists it. */
#include "inventory/unix_diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "core/error.h"

/* The kernel fills dump replies up to 32 KiB (netlink_recvmsg caps max_recvmsg_len there). */
#define REPLY_BUF (64 * 1024)
#define DUMP_SEQ 0x75630001u

const char *uc_unix_state_name(unsigned state)
{
	static const char *const names[] = {
		[1] = "connected",  [2] = "connecting", [3] = "syn-recv",    [4] = "fin-wait-1",
		[5] = "fin-wait-2", [6] = "time-wait",  [7] = "unconnected", [8] = "disconnecting",
		[9] = "last-ack",   [10] = "listening", [11] = "closing",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "unknown";
}

/* Fixed-size attributes shorter than their struct are malformed, not zero. */
static int parse_attr(const struct rtattr *a, struct uc_unix_sock *out)
{
	const void *p = RTA_DATA(a);
	size_t n = RTA_PAYLOAD(a);

	switch (a->rta_type) {
	case UNIX_DIAG_NAME:
		out->name_len = n < sizeof(out->name) ? n : sizeof(out->name);
		memcpy(out->name, p, out->name_len);
		return 0;
	case UNIX_DIAG_VFS: {
		struct unix_diag_vfs v;

		if (n < sizeof(v))
			return -1;
		memcpy(&v, p, sizeof(v));
		out->has_vfs = true;
		out->vfs_dev = v.udiag_vfs_dev;
		out->vfs_ino = v.udiag_vfs_ino;
		return 0;
	}
	case UNIX_DIAG_PEER:
	case UNIX_DIAG_UID: {
		uint32_t v;

		if (n < sizeof(v))
			return -1;
		memcpy(&v, p, sizeof(v));
		if (a->rta_type == UNIX_DIAG_PEER)
			out->peer_inode = v;
		else
			out->has_uid = true, out->uid = v;
		return 0;
	}
	case UNIX_DIAG_ICONS: /* one u32 (the connecting peer's inode) per connection */
		out->has_pending = true;
		out->pending = (uint32_t)(n / sizeof(uint32_t));
		return 0;
	case UNIX_DIAG_RQLEN: {
		struct unix_diag_rqlen q;

		if (n < sizeof(q))
			return -1;
		memcpy(&q, p, sizeof(q));
		out->has_queues = true;
		out->rqueue = q.udiag_rqueue;
		out->wqueue = q.udiag_wqueue;
		return 0;
	}
	default: /* newer attributes (MEMINFO, SHUTDOWN, ...) */ return 0;
	}
}

int uc_unix_diag_parse(const struct nlmsghdr *h, size_t len, struct uc_unix_sock *out)
{
	const size_t start = NLMSG_SPACE(sizeof(struct unix_diag_msg));
	const struct unix_diag_msg *m;
	struct rtattr *a;
	int left;

	if (len < sizeof(*h) || h->nlmsg_len > len || h->nlmsg_len < start ||
	    h->nlmsg_len > REPLY_BUF)
		return -1;
	m = NLMSG_DATA(h);
	if (m->udiag_family != AF_UNIX)
		return -1;
	memset(out, 0, sizeof(*out));
	out->inode = m->udiag_ino;
	out->type = m->udiag_type;
	out->state = m->udiag_state;
	a = (struct rtattr *)((char *)h + start);
	left = (int)(h->nlmsg_len - start);
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (parse_attr(a, out) < 0)
			return -1;
	/* What is left is alignment padding, or an attribute that claims more than the message. */
	return left >= (int)sizeof(struct rtattr) ? -1 : 0;
}

static int open_dump(char *err, size_t errlen)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = DUMP_SEQ },
		.r = { .sdiag_family = AF_UNIX,
		       .udiag_states = ~0u,
		       .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
				     UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return uc_error(err, errlen, "sock_diag: cannot open NETLINK_SOCK_DIAG: %s",
				strerror(errno));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		uc_error(err, errlen, "sock_diag: cannot send the request: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The dump ends with NLMSG_DONE, which newer kernels give an error code; or with NLMSG_ERROR. */
static int control_message(const struct nlmsghdr *h, char *err, size_t errlen)
{
	int code = 0;

	if (h->nlmsg_type == NLMSG_ERROR) {
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return uc_error(err, errlen, "sock_diag: a malformed error reply");
		code = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	} else if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		memcpy(&code, NLMSG_DATA(h), sizeof(code));
	}
	if (code == -ENOENT)
		return uc_error(err, errlen,
				"the kernel has no unix_diag module (modprobe unix_diag)");
	if (code < 0)
		return uc_error(err, errlen, "sock_diag: the kernel refused the dump: %s",
				strerror(-code));
	return 1; /* done */
}

struct dump {
	uc_unix_sock_fn fn;
	void *ctx;
	int stopped; /* what fn returned to end the dump early */
	char *err;
	size_t errlen;
};

/* One datagram of replies. Returns 0 to read on, 1 when the dump is complete or fn stopped it,
 * -1 with err. */
static int handle_replies(struct dump *d, struct nlmsghdr *h, int n)
{
	struct uc_unix_sock s;

	/* n stays signed for NLMSG_NEXT, which may take it below 0 after a short last message. */
	for (; n > 0 && NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != DUMP_SEQ)
			continue; /* not an answer to our request */
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
			return control_message(h, d->err, d->errlen);
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (uc_unix_diag_parse(h, (size_t)n, &s) < 0)
			return uc_error(d->err, d->errlen,
					"sock_diag: a malformed reply (%u bytes)", h->nlmsg_len);
		d->stopped = d->fn(&s, d->ctx);
		if (d->stopped)
			return 1;
	}
	return 0;
}

static int read_replies(struct dump *d, int fd, void *buf)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = REPLY_BUF };
		struct msghdr msg = { .msg_name = &from,
				      .msg_namelen = sizeof(from),
				      .msg_iov = &iov,
				      .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, 0);
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return uc_error(d->err, d->errlen,
					"sock_diag: reading the reply failed: %s", strerror(errno));
		if (n == 0)
			return uc_error(d->err, d->errlen,
					"sock_diag: the reply ended before the dump did");
		if (msg.msg_flags & MSG_TRUNC)
			return uc_error(d->err, d->errlen,
					"sock_diag: a reply larger than %d bytes", REPLY_BUF);
		if (msg.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue; /* only the kernel answers */
		ret = handle_replies(d, buf, (int)n);
		if (ret)
			return ret;
	}
}

int uc_unix_diag_dump(uc_unix_sock_fn fn, void *ctx, char *err, size_t errlen)
{
	struct dump d = { .fn = fn, .ctx = ctx, .err = err, .errlen = errlen };
	void *buf = malloc(REPLY_BUF);
	int fd, ret;

	if (!buf)
		return uc_error(err, errlen, "sock_diag: out of memory");
	fd = open_dump(err, errlen);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	ret = read_replies(&d, fd, buf);
	close(fd);
	free(buf);
	return ret < 0 ? -1 : d.stopped;
}
