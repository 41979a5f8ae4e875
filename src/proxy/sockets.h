/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy's sockets: names as given, the real socket's type, the new one made without harm to others. */
#ifndef UNIXCAP_PROXY_SOCKETS_H
#define UNIXCAP_PROXY_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "unixcap.h"

/* A socket name as given on the command line: a path, or @name for an abstract name. */
struct uc_proxy_addr {
	struct sockaddr_un sa;
	socklen_t len;
	const char *text;       /* as given */
	char name[UC_NAME_LEN]; /* as messages show it (uc_sun_path_format) */
};

/* The socket file the proxy made, so that it removes that file and no other. */
struct uc_proxy_made {
	bool file;
	dev_t dev;
	ino_t ino;
};

/* Parses a path or @name. Returns 0, or -1 with a one-line reason in err (a usage error). */
int uc_proxy_addr_parse(const char *text, struct uc_proxy_addr *a, char *err, size_t errlen);
/* True when both name the same socket as written (the proxy would talk to itself). */
bool uc_proxy_addr_same(const struct uc_proxy_addr *a, const struct uc_proxy_addr *b);
/* The type of the socket listening at a: SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM, tried in
 * that order (a stream or seqpacket probe makes one connection, closed at once). Returns -1
 * with "cannot connect to 'NAME': REASON" in err when nothing answers. */
int uc_proxy_probe_type(const struct uc_proxy_addr *a, char *err, size_t errlen);
/* With --type: a path must at least name a socket file (an abstract name cannot be checked
 * without connecting). Returns 0, or -1 with the reason in err. */
int uc_proxy_check_target(const struct uc_proxy_addr *a, char *err, size_t errlen);
/* Binds a non-blocking socket of type at a (listening, for streams and seqpackets), with
 * SO_PASSCRED. A socket file nobody listens on is replaced; any other file is refused. Returns
 * the descriptor, or -1 with the reason in err. */
int uc_proxy_listen(const struct uc_proxy_addr *a, int type, struct uc_proxy_made *made, char *err,
		    size_t errlen);
/* Removes the socket file uc_proxy_listen made, if it is still that file. */
void uc_proxy_unlisten(const struct uc_proxy_addr *a, const struct uc_proxy_made *made);
/* A new non-blocking socket of type; a datagram one is bound to an autobind name (so that
 * replies can reach it) and gets SO_PASSCRED. -1 with errno. */
int uc_proxy_socket(int type);
/* The sockfs inode of fd (as ss -x shows it); 0 if unknown. */
uint64_t uc_proxy_inode(int fd);

#endif
