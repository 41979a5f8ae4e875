/* SPDX-License-Identifier: BSD-2-Clause */
/* What the C traffic generators (ucgen, ucmiss) share. */
#include "toolkit.h"

#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#define SNDBUF_SLACK (64 * 1024) /* room above the largest datagram in SO_SNDBUF */

int tool_find_name(const char *const names[], const char *arg)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], arg) == 0)
			return i;
	return -1;
}

/* Raised only when the default is too small, so ordinary runs keep the kernel's defaults; as
 * root SO_SNDBUFFORCE passes wmem_max. */
void tool_size_buffers(int fd, size_t maxlen)
{
	static const int opt[2][2] = { { SO_SNDBUF, SO_SNDBUFFORCE },
				       { SO_RCVBUF, SO_RCVBUFFORCE } };
	size_t want = maxlen + SNDBUF_SLACK;
	int v = want > INT_MAX / 2 ? INT_MAX / 2 : (int)want;

	for (int k = 0; k < 2; k++) {
		int cur = 0;
		socklen_t len = sizeof(cur);

		getsockopt(fd, SOL_SOCKET, opt[k][0], &cur, &len);
		if ((size_t)cur >= want)
			continue;
		/* The kernel doubles the value it is given (for its own bookkeeping). */
		setsockopt(fd, SOL_SOCKET, opt[k][0], &v, sizeof(v));
		getsockopt(fd, SOL_SOCKET, opt[k][0], &cur, &len);
		if ((size_t)cur < want)
			setsockopt(fd, SOL_SOCKET, opt[k][1], &v,
				   sizeof(v)); /* may fail: not root */
	}
}
