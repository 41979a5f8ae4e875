/* SPDX-License-Identifier: BSD-2-Clause */
/* Which protocol a conversation speaks, so its synthetic server port wakes Wireshark's own
 * dissector: from the socket path, from the first bytes, or as the user says (--decode-as). */
#include "conversations/protocol.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

static const struct {
	const char *glob; /* matched against the whole path; '*' matches anything */
	enum uc_protocol proto;
	uint16_t port;
} path_rules[] = {
	{ "*/docker.sock", UC_PROTO_HTTP, 80 },    { "*/containerd.sock", UC_PROTO_HTTP, 80 },
	{ "*/podman.sock", UC_PROTO_HTTP, 80 },    { "*/.s.PGSQL.*", UC_PROTO_PGSQL, 5432 },
	{ "*/mysqld.sock", UC_PROTO_MYSQL, 3306 }, { "*/mysql.sock", UC_PROTO_MYSQL, 3306 },
	{ "*/redis*.sock", UC_PROTO_REDIS, 6379 }, { "*/dbus/system_bus_socket", UC_PROTO_DBUS, 0 },
	{ "/run/user/*/bus", UC_PROTO_DBUS, 0 },   { "@/tmp/dbus-*", UC_PROTO_DBUS, 0 },
};

static bool glob(const char *pat, const char *s)
{
	return uc_glob_match(pat, strlen(pat), s, strlen(s));
}

/* X11 display N listens on /tmp/.X11-unix/XN (and the abstract @/tmp/.X11-unix/XN). */
static bool x11_display(const char *path, uint16_t *port)
{
	const char *x = strstr(path, "/tmp/.X11-unix/X");
	char *end;
	unsigned long n;

	if (!x || (x != path && !(x == path + 1 && path[0] == '@')))
		return false;
	n = strtoul(x + strlen("/tmp/.X11-unix/X"), &end, 10);
	if (*end || end == x + strlen("/tmp/.X11-unix/X") || n > 63)
		return false;
	*port = (uint16_t)(6000 + n);
	return true;
}

struct uc_protocol_guess uc_protocol_from_path(const char *path)
{
	struct uc_protocol_guess g = { UC_PROTO_UNKNOWN, 0 };

	if (!path[0])
		return g;
	if (x11_display(path, &g.port)) {
		g.proto = UC_PROTO_X11;
		return g;
	}
	for (size_t i = 0; i < sizeof(path_rules) / sizeof(path_rules[0]); i++)
		if (glob(path_rules[i].glob, path)) {
			g.proto = path_rules[i].proto;
			g.port = path_rules[i].port;
			break;
		}
	return g;
}

static bool starts(const uint8_t *d, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(d, prefix, n) == 0;
}

static uint32_t be32(const uint8_t *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static bool http_request(const uint8_t *d, size_t len)
{
	static const char *const methods[] = { "GET ",     "POST ",  "PUT ",     "DELETE ", "HEAD ",
					       "OPTIONS ", "PATCH ", "CONNECT ", "TRACE " };
	const uint8_t *eol;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (starts(d, len, methods[i])) {
			eol = memchr(d, '\n', len);
			if (eol && eol > d && eol[-1] == '\r')
				eol--;
			return eol && eol - d >= 9 && memcmp(eol - 9, " HTTP/1.", 8) == 0;
		}
	return false;
}

/* StartupMessage (protocol 3.0) or the SSL, GSSAPI and cancel requests that may come first. */
static bool pgsql_startup(const uint8_t *d, size_t len)
{
	uint32_t code;

	if (len < 8 || be32(d) < 8 || be32(d) > 10000)
		return false;
	code = be32(d + 4);
	return code == 196608 || code == 80877103 || code == 80877104 || code == 80877102;
}

/* Connection setup: byte order 'l' or 'B', a pad byte, protocol major version 11. */
static bool x11_setup(const uint8_t *d, size_t len)
{
	if (len < 12)
		return false;
	if (d[0] == 'l')
		return d[2] == 11 && d[3] == 0;
	return d[0] == 'B' && d[2] == 0 && d[3] == 11;
}

/* A RESP array of bulk strings: "*<n>\r\n$". */
static bool redis_command(const uint8_t *d, size_t len)
{
	size_t i = 1;

	if (len < 4 || d[0] != '*')
		return false;
	while (i < len && d[i] >= '0' && d[i] <= '9')
		i++;
	return i > 1 && i + 2 < len && d[i] == '\r' && d[i + 1] == '\n' && d[i + 2] == '$';
}

/* An HTTP/2 server may speak first: its SETTINGS frame (type 4) on stream 0, whose length is a
 * multiple of the 6-byte setting. */
static bool h2_settings(const uint8_t *d, size_t len)
{
	uint32_t n;

	if (len < 9 || d[3] != 4 || (d[4] & ~1u) || (d[5] | d[6] | d[7] | d[8]))
		return false;
	n = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
	return n % 6 == 0 && n + 9 <= len;
}

/* The server greeting: 3-byte length, sequence 0, protocol version 10. */
static bool mysql_greeting(const uint8_t *d, size_t len)
{
	return len >= 5 && d[3] == 0 && d[4] == 10 &&
	       (size_t)(d[0] | d[1] << 8 | d[2] << 16) + 4 == len;
}

struct uc_protocol_guess uc_protocol_from_bytes(const uint8_t *d, size_t len)
{
	struct uc_protocol_guess g = { UC_PROTO_UNKNOWN, 0 };

	if (http_request(d, len) || starts(d, len, "PRI * HTTP/2.0\r\n") || h2_settings(d, len))
		g = (struct uc_protocol_guess){ UC_PROTO_HTTP, 80 };
	else if ((len >= 5 && d[0] == 0 && starts(d + 1, len - 1, "AUTH")) ||
		 (len == 1 && d[0] == 0))
		/* libdbus sends the credentials byte on its own, then "AUTH ..." */
		g = (struct uc_protocol_guess){ UC_PROTO_DBUS, 0 };
	else if (pgsql_startup(d, len))
		g = (struct uc_protocol_guess){ UC_PROTO_PGSQL, 5432 };
	else if (x11_setup(d, len))
		g = (struct uc_protocol_guess){ UC_PROTO_X11, 6000 };
	else if (redis_command(d, len))
		g = (struct uc_protocol_guess){ UC_PROTO_REDIS, 6379 };
	else if (mysql_greeting(d, len))
		g = (struct uc_protocol_guess){ UC_PROTO_MYSQL, 3306 };
	return g;
}

static const struct {
	const char *name;
	enum uc_protocol proto;
	uint16_t port;
} names[] = {
	{ "http", UC_PROTO_HTTP, 80 },          { "http2", UC_PROTO_HTTP, 80 },
	{ "grpc", UC_PROTO_HTTP, 80 },          { "pgsql", UC_PROTO_PGSQL, 5432 },
	{ "postgresql", UC_PROTO_PGSQL, 5432 }, { "x11", UC_PROTO_X11, 6000 },
	{ "mysql", UC_PROTO_MYSQL, 3306 },      { "redis", UC_PROTO_REDIS, 6379 },
	{ "dbus", UC_PROTO_DBUS, 0 },
};

int uc_protocol_parse(const char *name, struct uc_protocol_guess *out)
{
	char *end;
	unsigned long port;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			out->proto = names[i].proto;
			out->port = names[i].port;
			return 0;
		}
	port = strtoul(name, &end, 10);
	if (name[0] < '0' || name[0] > '9' || *end || port == 0 || port > 65535)
		return -1;
	out->proto = UC_PROTO_UNKNOWN;
	out->port = (uint16_t)port;
	return 0;
}

const char *uc_protocol_name(enum uc_protocol p)
{
	switch (p) {
	case UC_PROTO_HTTP: return "http";
	case UC_PROTO_PGSQL: return "pgsql";
	case UC_PROTO_X11: return "x11";
	case UC_PROTO_MYSQL: return "mysql";
	case UC_PROTO_REDIS: return "redis";
	case UC_PROTO_DBUS: return "dbus";
	case UC_PROTO_UNKNOWN: break;
	}
	return "data";
}
