/* SPDX-License-Identifier: BSD-2-Clause */
/* A small streaming pcapng writer: one section, interfaces, enhanced packets, statistics. */
#ifndef UNIXCAP_PCAPNG_H
#define UNIXCAP_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_LINKTYPE_RAW 101 /* raw IPv4/IPv6, no link header */
#define PCAPNG_LINKTYPE_DBUS 231

/* epb_flags direction bits (pcapng spec: 01 inbound, 10 outbound) */
#define PCAPNG_DIR_INBOUND 1u
#define PCAPNG_DIR_OUTBOUND 2u

/* Largest caplen tshark 4.0 accepts in one record. */
#define PCAPNG_MAX_RECORD 262144u

struct uc_pcapng_writer;

/* One packet: head (synthetic headers) and data (payload) are written back to back, so the
 * payload is never copied. caplen = head_len + data_len; origlen >= caplen. */
struct uc_pcapng_packet {
	uint32_t interface_id;
	uint64_t ts_ns; /* wall-clock nanoseconds since the epoch */
	const void *head;
	uint32_t head_len;
	const void *data;
	uint32_t data_len;
	uint32_t origlen;
	uint32_t flags; /* epb_flags; 0 writes no option */
	bool has_dropcount;
	uint64_t dropcount; /* epb_dropcount, written when has_dropcount */
	/* epb_processid_threadid (option 8: pid, then tid), written when pid is not 0: Wireshark 5
	 * shows the process of each packet from it; 4.x skips it */
	uint32_t pid, tid;
	const char *comment; /* opt_comment (UTF-8); NULL writes none */
};

/* Writes the Section Header Block to fd (not closed by the writer). flush_each: write every
 * block at once (-U); otherwise blocks are buffered. Returns NULL with errno set on failure. */
struct uc_pcapng_writer *uc_pcapng_open(int fd, bool flush_each, const char *hardware,
					const char *os, const char *application);
/* Interface Description Block with if_tsresol = 9 (nanoseconds). Returns the interface id or -1. */
int uc_pcapng_add_interface(struct uc_pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
			    const char *name, const char *description);
/* Name Resolution Block with one IPv4 record. */
int uc_pcapng_add_ipv4_name(struct uc_pcapng_writer *w, uint32_t ipv4_host_order, const char *name);
/* Enhanced Packet Block. Returns 0 or -1 with errno. */
int uc_pcapng_write_packet(struct uc_pcapng_writer *w, const struct uc_pcapng_packet *p);
/* Interface Statistics Block: isb_ifrecv and isb_ifdrop. */
int uc_pcapng_write_stats(struct uc_pcapng_writer *w, uint32_t interface_id, uint64_t ts_ns,
			  uint64_t received, uint64_t dropped);
/* Custom Block (the kind tools should not copy) holding pen and text with its NUL. */
int uc_pcapng_write_custom(struct uc_pcapng_writer *w, uint32_t pen, const char *text);
/* Custom Block that tools copy (type 0x00000BAD): pen, then len bytes of data as they are. */
int uc_pcapng_write_custom_data(struct uc_pcapng_writer *w, uint32_t pen, const void *data,
				size_t len);
/* Writes out what is buffered. Returns 0 or -1 with errno (the first error met, ever).
 * When a write fails or stops short (full disk, EIO, file size limit) and fd is a regular
 * file, the file is cut back (ftruncate) to the end of the last block that went out whole, so
 * it stays readable to its last complete block; the error stays sticky. */
int uc_pcapng_flush(struct uc_pcapng_writer *w);
/* Bytes handed to the writer since uc_pcapng_open: written out plus buffered (after a failed
 * write: the whole blocks kept in the file). For rotating a file by size. */
uint64_t uc_pcapng_bytes(const struct uc_pcapng_writer *w);
/* Flushes and frees the writer; returns uc_pcapng_flush's result. The fd stays open. NULL is a
 * no-op returning 0, so cleanup paths need not check. */
int uc_pcapng_close(struct uc_pcapng_writer *w);

#endif
