/* SPDX-License-Identifier: BSD-2-Clause */
/* Which protocol a conversation speaks, so its synthetic server port wakes Wireshark's own
 * dissector: from the socket path, from the first bytes, or as the user says (--decode-as). */
#ifndef UNIXCAP_PROTOCOL_H
#define UNIXCAP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

enum uc_protocol {
	UC_PROTO_UNKNOWN = 0,
	UC_PROTO_HTTP,  /* HTTP/1.x and HTTP/2 (gRPC): port 80 */
	UC_PROTO_PGSQL, /* 5432 */
	UC_PROTO_X11,   /* 6000 + display */
	UC_PROTO_MYSQL, /* 3306 */
	UC_PROTO_REDIS, /* 6379 */
	UC_PROTO_DBUS,  /* no TCP port: written as LINKTYPE_DBUS */
};

struct uc_protocol_guess {
	enum uc_protocol proto;
	uint16_t port; /* synthetic server port; 0 for D-Bus and unknown */
};

/* From the path a server is bound to ("" when unnamed). */
struct uc_protocol_guess uc_protocol_from_path(const char *path);
/* From the first bytes one side sent. */
struct uc_protocol_guess uc_protocol_from_bytes(const uint8_t *data, size_t len);
/* Parses a --decode-as protocol name ("http", "http2", "grpc", "pgsql", "postgresql", "x11",
 * "mysql", "redis", "dbus", or a port number 1-65535). Returns 0 or -1 if unknown. */
int uc_protocol_parse(const char *name, struct uc_protocol_guess *out);
const char *uc_protocol_name(enum uc_protocol p);

#endif
