/* SPDX-License-Identifier: BSD-2-Clause */
/* What the proxy relays, as the capture's messages: who sent what to whom, passed fds, credentials. */
#include "proxy/proxy_message.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "core/names.h"
#include "core/fd_kind.h"

void uc_proxy_message(struct uc_message *m, enum uc_message_event ev, uint16_t sock_type,
		      uint64_t ts_ns, const struct uc_proxy_end *from,
		      const struct uc_proxy_end *to)
{
	memset(m, 0, sizeof(*m));
	m->ts_ns = ts_ns;
	m->event = ev;
	m->pid = m->tid = from->pid;
	m->uid = from->uid;
	snprintf(m->comm, sizeof(m->comm), "%s", from->comm);
	m->peer_pid = to->pid;
	m->peer_uid = to->uid;
	m->peer_gid = to->gid;
	m->sock_type = sock_type;
	/* the sender's own call is not known: the proxy's, as x86_64 numbers them (sendmsg, connect) */
	m->syscall = ev == UC_MSG_DATA ? SYS_sendmsg : ev == UC_MSG_CONNECT ? SYS_connect : 0;
	m->own_ino = from->ino;
	m->peer_ino = to->ino;
	snprintf(m->own_path, sizeof(m->own_path), "%s", from->name);
	snprintf(m->peer_path, sizeof(m->peer_path), "%s", to->name);
}

void uc_proxy_payload(struct uc_message *m, const uint8_t *data, uint32_t len, uint32_t snaplen)
{
	m->len = len;
	m->caplen = snaplen && snaplen < len ? snaplen : len;
	m->stored = m->caplen;
	m->data = m->stored ? data : NULL;
}

void uc_proxy_creds(struct uc_message *m, bool has, const struct ucred *creds,
		    const struct uc_proxy_end *from)
{
	m->has_creds = has && ((uint32_t)creds->pid != from->pid || creds->uid != from->uid ||
			       creds->gid != from->gid);
	if (!m->has_creds)
		return;
	m->cred_pid = (uint32_t)creds->pid;
	m->cred_uid = creds->uid;
	m->cred_gid = creds->gid;
}

static void socket_name(int fd, char *out, size_t len)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	out[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		return;
	if (sa.sun_family == AF_UNIX && salen > offsetof(struct sockaddr_un, sun_path))
		uc_sun_path_format(sa.sun_path, salen - offsetof(struct sockaddr_un, sun_path), out,
				   len);
	else if (sa.sun_family != AF_UNIX)
		snprintf(out, len, "family %u", sa.sun_family);
}

/* A path too long keeps its end, as the capture's ".../a/b" does. */
static void put_text(char *out, size_t len, const char *in)
{
	size_t n = strlen(in);

	if (n < len) {
		memcpy(out, in, n + 1);
		return;
	}
	memcpy(out, "...", 3);
	memcpy(out + 3, in + n - (len - 4), len - 4);
	out[len - 1] = '\0';
}

/* Named as the capture names them (src/capture/ancillary.c): kind, then path or name. */
static void describe_one(struct uc_passed_fd *out, int fd)
{
	char link[40], target[PATH_MAX];
	struct stat st;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(out->kind, sizeof(out->kind), "anon");
	if (fstat(fd, &st) < 0)
		return;
	out->ino = st.st_ino;
	/* a FIFO is "fifo" unless its link shows an anonymous pipe (below) */
	snprintf(out->kind, sizeof(out->kind), "%s",
		 S_ISFIFO(st.st_mode) ? "fifo" : uc_fd_kind(st.st_mode));
	if (S_ISSOCK(st.st_mode)) {
		socket_name(fd, out->what, sizeof(out->what));
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	if (strncmp(target, "/memfd:", 7) == 0) {
		char *deleted = strstr(target, " (deleted)"); /* memfds are never linked */

		if (deleted && deleted[10] == '\0')
			*deleted = '\0';
		snprintf(out->kind, sizeof(out->kind), "memfd");
		put_text(out->what, sizeof(out->what), target + 7);
	} else if (S_ISFIFO(st.st_mode) && strncmp(target, "pipe:[", 6) == 0) {
		snprintf(out->kind, sizeof(out->kind),
			 "pipe"); /* anonymous: its inode says which */
	} else if (strncmp(target, "anon_inode:", 11) == 0) {
		put_text(out->what, sizeof(out->what), target + 11);
	} else {
		put_text(out->what, sizeof(out->what), target);
	}
}

void uc_proxy_describe_fds(struct uc_message *m, const int *fds, unsigned n, bool cut)
{
	m->nfds = n + (cut ? 1 : 0); /* at least one more than arrived; how many is not known */
	m->nfds_described = n < UC_MAX_PASSED_FDS ? n : UC_MAX_PASSED_FDS;
	for (unsigned i = 0; i < m->nfds_described; i++)
		describe_one(&m->fds[i], fds[i]);
}

void uc_proxy_comm(uint32_t pid, char comm[17])
{
	char path[40];
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = pid ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, comm, 16);
		close(fd);
	}
	n = n < 0 ? 0 : n;
	comm[n] = '\0';
	if (n && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
}
