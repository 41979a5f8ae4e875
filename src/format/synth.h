/* SPDX-License-Identifier: BSD-2-Clause */
/* Synthetic IPv4 + TCP/UDP headers with real checksums, so Wireshark reads AF_UNIX data as IP traffic. */
#ifndef UNIXCAP_SYNTH_H
#define UNIXCAP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_TCP_HEADER_LEN 40     /* IPv4 20 + TCP 20 */
#define SYNTH_UDP_HEADER_LEN 28     /* IPv4 20 + UDP 8 */
#define SYNTH_TCP_MAX_PAYLOAD 65495 /* 65535 - 40 */
#define SYNTH_UDP_MAX_PAYLOAD 65507 /* 65535 - 28 */

#define SYNTH_TCP_FIN 0x01
#define SYNTH_TCP_SYN 0x02
#define SYNTH_TCP_RST 0x04
#define SYNTH_TCP_PSH 0x08
#define SYNTH_TCP_ACK 0x10

struct uc_synth_endpoint {
	uint32_t ip;   /* host byte order */
	uint16_t port; /* host byte order */
};

/* Writes a 40-byte IPv4+TCP header to out. payload holds caplen bytes of a segment whose real
 * length is origlen (>= caplen, <= SYNTH_TCP_MAX_PAYLOAD); lengths in the headers use origlen;
 * the TCP checksum covers the header and the caplen bytes given (exact when caplen == origlen). */
void uc_synth_tcp_header(uint8_t out[SYNTH_TCP_HEADER_LEN], uint16_t ip_id,
			 const struct uc_synth_endpoint *src, const struct uc_synth_endpoint *dst,
			 uint32_t seq, uint32_t ack, uint8_t flags, const void *payload,
			 uint32_t caplen, uint32_t origlen);

/* Same for IPv4+UDP (28 bytes, origlen <= SYNTH_UDP_MAX_PAYLOAD). Both functions clamp an
 * out-of-contract origlen to the maximum and caplen to origlen rather than wrap length fields. */
void uc_synth_udp_header(uint8_t out[SYNTH_UDP_HEADER_LEN], uint16_t ip_id,
			 const struct uc_synth_endpoint *src, const struct uc_synth_endpoint *dst,
			 const void *payload, uint32_t caplen, uint32_t origlen);

/* RFC 1071 ones'-complement sum helpers, exposed for tests. uc_synth_sum16 adds len bytes as
 * big-endian 16-bit words to sum (an odd last byte is padded with zero, so only the last piece
 * of a chained sum may have odd length). uc_synth_fold folds the carries into 16 bits and does NOT
 * complement: a checksum is ~uc_synth_fold(sum), and data holding a valid checksum folds to 0xFFFF. */
uint32_t uc_synth_sum16(uint32_t sum, const void *data, size_t len);
uint16_t uc_synth_fold(uint32_t sum);

#endif
