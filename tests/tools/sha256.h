/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal streaming SHA-256 (FIPS 180-4) so the test tools need no crypto library. */
#ifndef UNIXCAP_TESTS_SHA256_H
#define UNIXCAP_TESTS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64

/* Public so callers can keep a context on the stack; treat the fields as private. */
struct sha256_ctx {
	uint32_t h[8];                   /* intermediate hash value H(i) */
	uint64_t total;                  /* message length so far, in bytes */
	uint8_t block[SHA256_BLOCK_LEN]; /* pending bytes of an incomplete block */
	size_t used;                     /* number of valid bytes in block */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest to out; the context must be re-initialised before reuse. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
/* Lower-case hex of a digest, NUL-terminated (65 bytes). */
void sha256_hex(const uint8_t in[SHA256_DIGEST_LEN], char out[65]);

#endif
