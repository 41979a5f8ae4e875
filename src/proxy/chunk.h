/* SPDX-License-Identifier: BSD-2-Clause */
/* What one read takes from a socket and the proxy passes on: bytes, passed descriptors, credentials. */
#ifndef UNIXCAP_PROXY_CHUNK_H
#define UNIXCAP_PROXY_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

struct uc_chunk {
	bool active;         /* received and not yet all sent */
	bool whole;          /* a datagram or seqpacket message: one send carries it all */
	const uint8_t *data; /* in the caller's buffer until uc_chunk_keep, then in own */
	uint8_t *own;
	size_t len, off; /* bytes, and bytes already sent */
	int *fds;        /* descriptors received, ours until sent (then closed) */
	unsigned nfds;
	bool fds_sent;
	bool fds_cut;   /* the sender passed more than arrived (MSG_CTRUNC) */
	bool has_creds; /* SCM_CREDENTIALS came with the bytes */
	struct ucred creds;
};

/* Size of the next datagram or seqpacket message on fd (0: an empty one, or end of file), or
 * -1 with errno (EAGAIN: none). */
ssize_t uc_chunk_next_size(int fd);
/* Receives into c (which must be inactive): from a stream up to cap bytes, else one whole
 * message, which must fit in cap (see uc_chunk_next_size). c->data then points into buf.
 * from/fromlen, when given, get the sender's address. Returns the byte count (0 on a stream: end
 * of file, and c stays inactive), or -1 with errno. */
ssize_t uc_chunk_recv(int fd, struct uc_chunk *c, uint8_t *buf, size_t cap, bool whole,
		      struct sockaddr_un *from, socklen_t *fromlen);
/* Sends what is left of c on fd (to: a datagram's destination, or NULL). Passed descriptors go
 * with the first bytes sent. *creds says whether to pass on c's credentials; it is
 * cleared when the kernel refuses them (EPERM), and the bytes go without. Returns 1 when all
 * has gone, 0 when fd cannot take more now, -1 with errno. */
int uc_chunk_send(int fd, struct uc_chunk *c, const struct sockaddr_un *to, socklen_t tolen,
		  bool *creds);
/* Copies what is left of c into memory of its own, so the caller's buffer can be reused. 0, or
 * -1 when out of memory. */
int uc_chunk_keep(struct uc_chunk *c);
/* Forgets c: descriptors not yet sent are closed, memory freed; c becomes inactive. */
void uc_chunk_clear(struct uc_chunk *c);

#endif
