/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages as Wireshark reads them: streams as synthetic TCP, datagrams as synthetic UDP. */
#ifndef UNIXCAP_PCAP_SINK_H
#define UNIXCAP_PCAP_SINK_H

#include <stdbool.h>

#include "sinks/process_blocks.h"
#include "unixcap.h"

struct uc_pcap_sink;
struct uc_decode_as; /* conversations/conversation.h */

/* Writes the section and interface headers to fd. NULL with errno on failure. */
struct uc_pcap_sink *uc_pcap_open(int fd, bool flush_each, const char *description);
/* --decode-as rules (kept by reference) for the protocol, hence port, of new conversations. */
void uc_pcap_decode_as(struct uc_pcap_sink *s, const struct uc_decode_as *rules, size_t n);
/* Each process a packet names (epb_processid_threadid) gets a process block before it, described
 * by source. Without this call no process block is written. 0, or -1 without memory. */
int uc_pcap_describe_processes(struct uc_pcap_sink *s, uc_process_source_fn source, void *ctx);
/* Writes the packets of one message or connection event. 0, or -1 with errno. */
int uc_pcap_write(struct uc_pcap_sink *s, const struct uc_message *m);
/* Writes out what is buffered. 0, or -1 with errno (the writer's first error). */
int uc_pcap_flush(struct uc_pcap_sink *s);
/* Bytes of pcapng written so far, buffered ones included (uc_pcapng_bytes). */
uint64_t uc_pcap_bytes(const struct uc_pcap_sink *s);
/* Writes the interface statistics, flushes and frees; the fd stays open. 0 or -1 with errno. */
int uc_pcap_close(struct uc_pcap_sink *s, const struct uc_stats *st, uint64_t ts_ns);

#endif
