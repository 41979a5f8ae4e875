/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket types by name ("stream", "dgram", "seqpacket"), as every output writes them. */
#include <string.h>
#include <sys/socket.h>

#include "unixcap.h"

const char *uc_sock_type_name(unsigned type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	default: return "unknown";
	}
}

unsigned uc_sock_type_parse(const char *name)
{
	static const unsigned types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, uc_sock_type_name(types[i])) == 0)
			return types[i];
	return 0;
}
