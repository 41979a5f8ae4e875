/* SPDX-License-Identifier: BSD-2-Clause */
/* Passed descriptors and credentials, from the kernel's record to what people read. */
#include "capture/ancillary.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include "core/names.h"
#include "core/fd_kind.h"

/* Components are stored leaf first; a path cut short starts with ".../". */
static void join_path(const struct uc_fd_info *in, char *out, size_t len)
{
	size_t used = (size_t)snprintf(out, len, "%s", in->truncated ? "..." : "");

	for (int k = (int)in->depth - 1; k >= 0 && used < len; k--)
		used += (size_t)snprintf(out + used, len - used, "/%.*s", UC_FD_NAME, in->names[k]);
	if (!in->depth && !in->truncated)
		snprintf(out, len, "/");
}

static void describe_one(struct uc_passed_fd *out, const struct uc_fd_info *in)
{
	char path[300];

	out->fd = in->fd;
	out->ino = in->ino;
	snprintf(out->kind, sizeof(out->kind), "%s", uc_fd_kind(in->mode));
	out->what[0] = '\0';
	if ((in->mode & S_IFMT) == S_IFSOCK) {
		if (in->sock_family == AF_UNIX)
			uc_sun_path_format(in->unix_path, in->unix_path_len, out->what,
					   sizeof(out->what));
		else
			snprintf(out->what, sizeof(out->what), "family %u", in->sock_family);
		return;
	}
	join_path(in, path, sizeof(path));
	if (strncmp(path, "/memfd:", 7) == 0) { /* memfd_create names live on an internal mount */
		snprintf(out->kind, sizeof(out->kind), "memfd");
		snprintf(out->what, sizeof(out->what), "%s", path + 7);
	} else if ((in->mode & S_IFMT) == S_IFIFO && strcmp(path, "/") == 0) {
		out->what[0] = '\0'; /* an anonymous pipe: its inode says which */
	} else if (!(in->mode & S_IFMT)) {
		snprintf(out->what, sizeof(out->what), "%s", path[0] == '/' ? path + 1 : path);
	} else {
		snprintf(out->kind, sizeof(out->kind), "%s",
			 (in->mode & S_IFMT) == S_IFIFO ? "fifo" : uc_fd_kind(in->mode));
		snprintf(out->what, sizeof(out->what), "%s", path);
	}
}

void uc_ancillary_describe(struct uc_message *m, const struct uc_rec_ancillary *anc)
{
	m->nfds = m->nfds_described = 0;
	m->has_creds = false;
	if (!anc)
		return;
	m->nfds = anc->nfds;
	m->nfds_described = anc->nfds < UC_MAX_FDS ? anc->nfds : UC_MAX_FDS;
	if (m->nfds_described > UC_MAX_PASSED_FDS)
		m->nfds_described = UC_MAX_PASSED_FDS;
	for (unsigned i = 0; i < m->nfds_described; i++)
		describe_one(&m->fds[i], &anc->fds[i]);
	m->has_creds = anc->has_creds;
	m->cred_pid = anc->cred_pid;
	m->cred_uid = anc->cred_uid;
	m->cred_gid = anc->cred_gid;
}
