/* SPDX-License-Identifier: BSD-2-Clause */
/* D-Bus connections as Wireshark reads them: one LINKTYPE_DBUS packet per message, the SASL
 * lines before them kept as text in the packet comments. */
#ifndef UNIXCAP_DBUS_SINK_H
#define UNIXCAP_DBUS_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "format/pcapng.h"

struct uc_dbus_flow;

/* Where one syscall's bytes go, and what to say about them. */
struct uc_dbus_out {
	struct uc_pcapng_writer *w;
	uint32_t iface; /* the LINKTYPE_DBUS interface */
	int dir;        /* 0: client to server, 1: server to client */
	uint64_t ts_ns;
	const char *meta;   /* the syscall's key=value comment */
	uint32_t pid, tid;  /* who made the syscall (epb_processid_threadid) */
	uint64_t dropcount; /* messages lost before these bytes */
	/* Bytes no D-Bus message can be framed from (after a gap or a protocol error, or SASL
	 * text no message followed): the caller writes them as plain stream data. */
	int (*raw)(void *ctx, const uint8_t *data, size_t len);
	void *raw_ctx;
};

struct uc_dbus_flow *uc_dbus_flow_new(void);
/* Writes the stored bytes of one send; lost_before bytes vanished before them, lost_after
 * (not stored, or cut by -s) after them. Returns 0 or -1 with errno. */
int uc_dbus_flow_write(struct uc_dbus_flow *d, const struct uc_dbus_out *out, const uint8_t *data,
		       uint32_t stored, uint64_t lost_before, uint32_t lost_after);
/* The connection is over: what is still buffered in direction out->dir goes to out->raw. */
int uc_dbus_flow_finish(struct uc_dbus_flow *d, const struct uc_dbus_out *out);
void uc_dbus_flow_free(struct uc_dbus_flow *d);

#endif
