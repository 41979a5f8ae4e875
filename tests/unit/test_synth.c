/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the synthetic IPv4/TCP/UDP headers: known vectors, field layout, checksums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "format/synth.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sum over pseudo header + transport header + payload; a correct checksum makes it 0xFFFF. */
static uint16_t verify_l4(const uint8_t *pkt, size_t l4_hdr_len, const void *payload, size_t caplen,
			  uint16_t l4_len)
{
	uint8_t pseudo[12];
	uint32_t sum;

	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = pkt[9];
	pseudo[10] = (uint8_t)(l4_len >> 8);
	pseudo[11] = (uint8_t)l4_len;
	sum = uc_synth_sum16(0, pseudo, sizeof(pseudo));
	sum = uc_synth_sum16(sum, pkt + 20, l4_hdr_len);
	sum = uc_synth_sum16(sum, payload, caplen);
	return uc_synth_fold(sum);
}

static const struct uc_synth_endpoint lo1 = { 0x7f000001, 40000 };
static const struct uc_synth_endpoint lo2 = { 0x7f000002, 5432 };

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3 example: words sum to 0x2ddf0, which folds to 0xddf2. */
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(uc_synth_fold(uc_synth_sum16(0, d, sizeof(d))), 0xddf2);
	/* Splitting at an even offset must give the same result as one pass. */
	assert_int_equal(uc_synth_fold(uc_synth_sum16(uc_synth_sum16(0, d, 2), d + 2, 6)), 0xddf2);
}

static void test_sum16_odd_length_and_fold(void **state)
{
	static const uint8_t d[] = { 0x12, 0x34, 0xab };

	(void)state;
	/* The odd byte is the high half of a zero-padded word: 0x1234 + 0xab00. */
	assert_int_equal(uc_synth_fold(uc_synth_sum16(0, d, sizeof(d))), 0xbd34);
	assert_int_equal(uc_synth_fold(0x1fffe), 0xffff);
	assert_int_equal(uc_synth_fold(0xffffffffu), 0xffff);
	assert_int_equal(uc_synth_fold(0x0001ffffu), 0x0001);
	assert_int_equal(uc_synth_sum16(7, d, 0), 7);
}

/* The sum as RFC 1071 states it: big-endian 16-bit words, an odd last byte zero-padded. */
static uint32_t reference_sum(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < len; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	return uc_synth_fold((uint32_t)(acc % 0xffff)); /* 2^16 = 1 mod 0xffff */
}

/* Whichever clone runs (AVX2 or scalar), every length and alignment gives the RFC's sum: the
 * vector loop's tails and its 32-bit lanes are where a wrong sum would hide. */
static void test_sum16_every_length_and_alignment(void **state)
{
	static uint8_t buf[70000];
	static const size_t long_lens[] = { 4096, 16383, 16384, 65495, 65536, 69990 };
	uint32_t seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	memset(buf + 1000, 0xff, 3000); /* long runs of all-ones words stress the carries */
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 300; len++)
			assert_int_equal(uc_synth_fold(uc_synth_sum16(0, buf + off, len)) % 0xffff,
					 reference_sum(buf + off, len) % 0xffff);
		for (size_t k = 0; k < sizeof(long_lens) / sizeof(long_lens[0]); k++)
			assert_int_equal(uc_synth_fold(uc_synth_sum16(0, buf + off, long_lens[k])) %
						 0xffff,
					 reference_sum(buf + off, long_lens[k]) % 0xffff);
	}
}

static void test_tcp_known_vector(void **state)
{
	/* Computed independently with Python's struct/socket modules. */
	static const uint8_t want[SYNTH_TCP_HEADER_LEN] = {
		0x45, 0x00, 0x00, 0x2d, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x2a, 0x94, 0x7f, 0x00,
		0x00, 0x01, 0x7f, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x15, 0x38, 0x01, 0x02, 0x03, 0x04,
		0x0a, 0x0b, 0x0c, 0x0d, 0x50, 0x18, 0xff, 0xff, 0xa2, 0x5b, 0x00, 0x00,
	};
	uint8_t out[SYNTH_TCP_HEADER_LEN];

	(void)state;
	memset(out, 0xee, sizeof(out));
	uc_synth_tcp_header(out, 0x1234, &lo1, &lo2, 0x01020304, 0x0a0b0c0d,
			    SYNTH_TCP_PSH | SYNTH_TCP_ACK, "hello", 5, 5);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_udp_known_vector(void **state)
{
	static const uint8_t want[SYNTH_UDP_HEADER_LEN] = {
		0x45, 0x00, 0x00, 0x1f, 0x00, 0x07, 0x40, 0x00, 0x40, 0x11, 0x1f, 0xba, 0x0a, 0x01,
		0x02, 0x03, 0x0a, 0x04, 0x05, 0x06, 0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b, 0x1b, 0x61,
	};
	const struct uc_synth_endpoint a = { 0x0a010203, 1234 }, b = { 0x0a040506, 53 };
	uint8_t out[SYNTH_UDP_HEADER_LEN];

	(void)state;
	memset(out, 0xee, sizeof(out));
	uc_synth_udp_header(out, 7, &a, &b, "abc", 3, 3);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_tcp_fields(void **state)
{
	uint8_t out[SYNTH_TCP_HEADER_LEN];
	const char payload[] = "0123456789";

	(void)state;
	uc_synth_tcp_header(out, 0xbeef, &lo2, &lo1, 0xfffffff0, 7, SYNTH_TCP_SYN | SYNTH_TCP_FIN,
			    payload, 10, 10);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(out[1], 0);
	assert_int_equal(be16(out + 2), 40 + 10);
	assert_int_equal(be16(out + 4), 0xbeef);
	assert_int_equal(be16(out + 6), 0x4000);
	assert_int_equal(out[8], 64);
	assert_int_equal(out[9], 6);
	assert_int_equal(be32(out + 12), 0x7f000002);
	assert_int_equal(be32(out + 16), 0x7f000001);
	assert_int_equal(be16(out + 20), 5432);
	assert_int_equal(be16(out + 22), 40000);
	assert_int_equal(be32(out + 24), 0xfffffff0);
	assert_int_equal(be32(out + 28), 7);
	assert_int_equal(out[32], 0x50);
	assert_int_equal(out[33], SYNTH_TCP_SYN | SYNTH_TCP_FIN);
	assert_int_equal(be16(out + 34), 65535);
	assert_int_equal(be16(out + 38), 0);
}

static void test_udp_fields(void **state)
{
	uint8_t out[SYNTH_UDP_HEADER_LEN];

	(void)state;
	uc_synth_udp_header(out, 42, &lo1, &lo2, "xyz!", 4, 4);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(be16(out + 2), 28 + 4);
	assert_int_equal(be16(out + 4), 42);
	assert_int_equal(be16(out + 6), 0x4000);
	assert_int_equal(out[8], 64);
	assert_int_equal(out[9], 17);
	assert_int_equal(be16(out + 20), 40000);
	assert_int_equal(be16(out + 22), 5432);
	assert_int_equal(be16(out + 24), 8 + 4);
	assert_int_not_equal(be16(out + 26), 0);
}

static void test_ip_checksum_verifies(void **state)
{
	uint8_t tcp[SYNTH_TCP_HEADER_LEN], udp[SYNTH_UDP_HEADER_LEN];
	const struct uc_synth_endpoint a = { 0xc0a80101, 1 }, b = { 0xfffffffe, 65535 };

	(void)state;
	for (uint32_t len = 0; len < 2000; len += 97) {
		uc_synth_tcp_header(tcp, (uint16_t)(len * 31), &a, &b, len, ~len, SYNTH_TCP_ACK,
				    NULL, 0, len);
		assert_int_equal(uc_synth_fold(uc_synth_sum16(0, tcp, 20)), 0xffff);
		uc_synth_udp_header(udp, (uint16_t)(len * 17), &b, &a, NULL, 0, len);
		assert_int_equal(uc_synth_fold(uc_synth_sum16(0, udp, 20)), 0xffff);
	}
}

static void test_tcp_checksum_verifies_odd_payload(void **state)
{
	uint8_t out[SYNTH_TCP_HEADER_LEN];
	uint8_t payload[1001];

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	uc_synth_tcp_header(out, 1, &lo1, &lo2, 100, 200, SYNTH_TCP_ACK, payload, sizeof(payload),
			    sizeof(payload));
	assert_int_equal(verify_l4(out, 20, payload, sizeof(payload), 20 + sizeof(payload)),
			 0xffff);
	/* Flipping one payload byte must break the checksum. */
	payload[500] ^= 0x01;
	assert_int_not_equal(verify_l4(out, 20, payload, sizeof(payload), 20 + sizeof(payload)),
			     0xffff);
}

static void test_udp_checksum_verifies(void **state)
{
	uint8_t out[SYNTH_UDP_HEADER_LEN];
	uint8_t payload[333];

	(void)state;
	memset(payload, 0xa5, sizeof(payload));
	uc_synth_udp_header(out, 9, &lo2, &lo1, payload, sizeof(payload), sizeof(payload));
	assert_int_equal(verify_l4(out, 8, payload, sizeof(payload), 8 + sizeof(payload)), 0xffff);
}

static void test_udp_zero_checksum_sent_as_ffff(void **state)
{
	/* Payload 0x72ce makes the computed checksum 0 (found with Python); it must go out as FFFF. */
	static const uint8_t payload[2] = { 0x72, 0xce };
	const struct uc_synth_endpoint a = { 0xc0a80001, 1000 }, b = { 0xc0a80002, 2000 };
	uint8_t out[SYNTH_UDP_HEADER_LEN];

	(void)state;
	uc_synth_udp_header(out, 1, &a, &b, payload, 2, 2);
	assert_int_equal(be16(out + 26), 0xffff);
	assert_int_equal(verify_l4(out, 8, payload, 2, 10), 0xffff);
}

static void test_truncated_lengths_use_origlen(void **state)
{
	uint8_t tcp[SYNTH_TCP_HEADER_LEN], udp[SYNTH_UDP_HEADER_LEN];
	const char *payload = "hello";

	(void)state;
	uc_synth_tcp_header(tcp, 5, &lo1, &lo2, 1, 2, SYNTH_TCP_ACK, payload, 5, 1000);
	assert_int_equal(be16(tcp + 2), 40 + 1000);
	assert_int_equal(verify_l4(tcp, 20, payload, 5, 20 + 1000), 0xffff);
	uc_synth_udp_header(udp, 5, &lo1, &lo2, payload, 5, 1000);
	assert_int_equal(be16(udp + 2), 28 + 1000);
	assert_int_equal(be16(udp + 24), 8 + 1000);
	assert_int_equal(verify_l4(udp, 8, payload, 5, 8 + 1000), 0xffff);
}

static void test_max_payload(void **state)
{
	static uint8_t payload[SYNTH_UDP_MAX_PAYLOAD];
	uint8_t tcp[SYNTH_TCP_HEADER_LEN], udp[SYNTH_UDP_HEADER_LEN];

	(void)state;
	memset(payload, 0xff, sizeof(payload)); /* all ones maximises carries */
	uc_synth_tcp_header(tcp, 0, &lo1, &lo2, 0, 0, SYNTH_TCP_ACK, payload, SYNTH_TCP_MAX_PAYLOAD,
			    SYNTH_TCP_MAX_PAYLOAD);
	assert_int_equal(be16(tcp + 2), 65535);
	assert_int_equal(
		verify_l4(tcp, 20, payload, SYNTH_TCP_MAX_PAYLOAD, 20 + SYNTH_TCP_MAX_PAYLOAD),
		0xffff);
	uc_synth_udp_header(udp, 0, &lo1, &lo2, payload, SYNTH_UDP_MAX_PAYLOAD,
			    SYNTH_UDP_MAX_PAYLOAD);
	assert_int_equal(be16(udp + 2), 65535);
	assert_int_equal(be16(udp + 24), 8 + SYNTH_UDP_MAX_PAYLOAD);
	assert_int_equal(
		verify_l4(udp, 8, payload, SYNTH_UDP_MAX_PAYLOAD, 8 + SYNTH_UDP_MAX_PAYLOAD),
		0xffff);
}

static void test_out_of_contract_lengths_clamped(void **state)
{
	uint8_t tcp[SYNTH_TCP_HEADER_LEN], udp[SYNTH_UDP_HEADER_LEN];

	(void)state;
	/* caplen > origlen: only origlen bytes are read, and 16-bit fields do not wrap. */
	uc_synth_tcp_header(tcp, 0, &lo1, &lo2, 0, 0, 0, "abcdef", 6, 3);
	assert_int_equal(be16(tcp + 2), 43);
	assert_int_equal(verify_l4(tcp, 20, "abc", 3, 23), 0xffff);
	uc_synth_udp_header(udp, 0, &lo1, &lo2, NULL, 0, 100000);
	assert_int_equal(be16(udp + 2), 65535);
	assert_int_equal(be16(udp + 24), 8 + SYNTH_UDP_MAX_PAYLOAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_sum16_odd_length_and_fold),
		cmocka_unit_test(test_sum16_every_length_and_alignment),
		cmocka_unit_test(test_tcp_known_vector),
		cmocka_unit_test(test_udp_known_vector),
		cmocka_unit_test(test_tcp_fields),
		cmocka_unit_test(test_udp_fields),
		cmocka_unit_test(test_ip_checksum_verifies),
		cmocka_unit_test(test_tcp_checksum_verifies_odd_payload),
		cmocka_unit_test(test_udp_checksum_verifies),
		cmocka_unit_test(test_udp_zero_checksum_sent_as_ffff),
		cmocka_unit_test(test_truncated_lengths_use_origlen),
		cmocka_unit_test(test_max_payload),
		cmocka_unit_test(test_out_of_contract_lengths_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
