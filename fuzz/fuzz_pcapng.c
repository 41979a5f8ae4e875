/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for -r: the input is a pcapng file, read (a) block by block by the reader
 * alone, (b) by uc_replay, every message written with the text dump (hex and ASCII, then
 * escaped with a filter), so the reader, the comment parser and the replay are all exercised,
 * and (c) as -r -w does: replayed into the pcapng writer live capture uses, to a memory file that
 * -r must then read back without error (every file unixcap writes is one it reads). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/pcapng_reader.h"
#include "readback/replay.h"
#include "sinks/json.h"
#include "sinks/pcap_sink.h"
#include "sinks/text.h"

#define MAX_MESSAGES 100000 /* a replay delivers at most this many before the callback stops it */
#define MAX_REWRITE (64u << 20) /* -r -w output kept in memory: the replay stops past this */

/* Where the text dump goes: /dev/null, or stderr with UC_FUZZ_VERBOSE=1 (to see what an input
 * replays to, with the errors, when triaging). */
static FILE *null_out;
static bool verbose;

static FILE *open_input(const uint8_t *data, size_t size)
{
	/* A FILE over the input, as -r reads a file or a pipe; an empty input is an empty file. */
	if (size == 0)
		return fopen("/dev/null", "r");
	return fmemopen((void *)data, size, "r");
}

static void check_block(const struct uc_pcapng_block *b, size_t size)
{
	assert(b->kind >= PCAPNG_BLOCK_SECTION && b->kind <= PCAPNG_BLOCK_CUSTOM);
	assert(b->number >= 1);
	assert(b->offset < size);
	assert(memchr(b->application, '\0', sizeof(b->application)));
	if (b->kind == PCAPNG_BLOCK_PACKET || b->kind == PCAPNG_BLOCK_CUSTOM) {
		/* caplen bytes of data, all inside what the file holds */
		assert(b->caplen <= size - b->offset);
		assert(b->caplen == 0 || b->data);
		if (b->caplen) {
			volatile uint8_t sum = 0;

			for (uint32_t i = 0; i < b->caplen; i++)
				sum ^= b->data[i];
			(void)sum;
		}
		if (b->comment) {
			volatile size_t len = strlen(
				b->comment); /* NUL-terminated: ASan flags a run-off */

			(void)len;
		}
	}
}

static void fuzz_reader(const uint8_t *data, size_t size)
{
	FILE *in = open_input(data, size);
	struct uc_pcapng_reader *r;
	struct uc_pcapng_block b;
	uint64_t last = 0;
	int ret;

	assert(in);
	r = uc_pcapng_reader_new(in);
	assert(r);
	while ((ret = uc_pcapng_reader_next(r, &b)) > 0) {
		check_block(&b, size);
		assert(b.number > last); /* blocks come in file order */
		last = b.number;
	}
	assert(ret == 0 || ret == -1);
	if (ret < 0) {
		const char *e = uc_pcapng_reader_error(r);

		assert(e && e[0]);
		assert(uc_pcapng_reader_next(r, &b) == -1); /* after -1, always -1 */
		if (verbose)
			fprintf(stderr, "reader: %s\n", e);
	}
	uc_pcapng_reader_free(r);
	fclose(in);
}

struct replay_ctx {
	struct uc_text_options text;
	uint64_t delivered;
};

static void check_message(const struct uc_message *m)
{
	assert(memchr(m->comm, '\0', sizeof(m->comm)));
	assert(memchr(m->cgroup, '\0', sizeof(m->cgroup)));
	assert(memchr(m->own_path, '\0', sizeof(m->own_path)));
	assert(memchr(m->peer_path, '\0', sizeof(m->peer_path)));
	assert(m->stored == 0 || m->data);
	assert(m->nfds_described <= UC_MAX_PASSED_FDS);
	for (unsigned i = 0; i < m->nfds_described; i++) {
		assert(memchr(m->fds[i].kind, '\0', sizeof(m->fds[i].kind)));
		assert(memchr(m->fds[i].what, '\0', sizeof(m->fds[i].what)));
	}
}

static int on_message(const struct uc_message *m, void *arg)
{
	struct replay_ctx *ctx = arg;

	check_message(m);
	/* the text dump reads all m->stored bytes of m->data: ASan checks they exist */
	assert(uc_text_write(null_out, &ctx->text, m) == 0);
	assert(uc_json_write(null_out, m, false) == 0);
	return ++ctx->delivered >= MAX_MESSAGES;
}

static void fuzz_replay(const uint8_t *data, size_t size, const struct uc_filter *filter,
			enum uc_text_payload payload, size_t errlen)
{
	FILE *in = open_input(data, size);
	struct replay_ctx ctx = { .text = { .payload = payload, .verbose = 1, .utc = true } };
	struct uc_replay_stats stats;
	char *err = malloc(errlen); /* exactly errlen bytes: ASan sees a write past them */
	int ret;

	assert(in && err);
	memset(&stats, 0, sizeof(stats));
	memset(err, 0, errlen);
	ret = uc_replay(in, filter, on_message, &ctx, &stats, err, errlen);
	assert(ret == 0 || ret == -1);
	if (ret < 0)
		assert(err[0] && memchr(err, '\0', errlen));
	if (verbose)
		fprintf(stderr, "replay: %d, %llu messages in %llu blocks%s%s\n", ret,
			(unsigned long long)stats.messages, (unsigned long long)stats.blocks,
			ret ? ": " : "", ret ? err : "");
	assert(stats.messages <= ctx.delivered); /* data messages are among those delivered */
	free(err);
	fclose(in);
}

struct rewrite_ctx {
	struct uc_pcap_sink *sink;
	uint64_t written;
};

static int on_rewrite(const struct uc_message *m, void *arg)
{
	struct rewrite_ctx *ctx = arg;

	check_message(m);
	assert(uc_pcap_write(ctx->sink, m) == 0); /* a memory file: nothing may fail */
	return ++ctx->written >= MAX_MESSAGES || uc_pcap_bytes(ctx->sink) > MAX_REWRITE;
}

static int count_back(const struct uc_message *m, void *arg)
{
	check_message(m);
	++*(uint64_t *)arg;
	return 0;
}

/* What -r -w wrote from this input, read back by -r: it must read to its end without error. */
static void read_rewritten(int fd)
{
	FILE *back;
	uint64_t messages = 0;
	char err[512] = "";
	int ret;

	assert(lseek(fd, 0, SEEK_SET) == 0);
	back = fdopen(dup(fd), "r");
	assert(back);
	ret = uc_replay(back, NULL, count_back, &messages, NULL, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "rewritten, read back: %d, %llu messages%s%s\n", ret,
			(unsigned long long)messages, ret ? ": " : "", err);
	if (ret != 0) {
		fprintf(stderr, "-r refuses what -r -w wrote: %s\n", err);
		abort();
	}
	fclose(back);
}

static void fuzz_rewrite(const uint8_t *data, size_t size)
{
	static int fd = -1;
	FILE *in = open_input(data, size);
	struct rewrite_ctx ctx = { 0 };
	char err[512];

	if (fd < 0)
		fd = memfd_create("fuzz_pcapng_rewrite", MFD_CLOEXEC);
	assert(in && fd >= 0 && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	ctx.sink = uc_pcap_open(fd, false, "fuzz_pcapng");
	assert(ctx.sink);
	uc_replay(in, NULL, on_rewrite, &ctx, NULL, err, sizeof(err));
	assert(uc_pcap_close(ctx.sink, NULL, 0) == 0);
	fclose(in);
	read_rewritten(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct uc_filter filter = {
		.paths = { "/run/*.sock", "@*", "*x*y*" },
		.n_paths = 3,
		.type_mask = 1u << 1 | 1u << 2 | 1u << 5,
	};

	if (!null_out) {
		verbose = getenv("UC_FUZZ_VERBOSE") && strcmp(getenv("UC_FUZZ_VERBOSE"), "1") == 0;
		null_out = verbose ? stderr : fopen("/dev/null", "w");
	}
	assert(null_out);
	fuzz_reader(data, size);
	fuzz_replay(data, size, NULL, UC_TEXT_HEXASCII, 512);
	/* a short error buffer: the reason is cut, never written past the buffer */
	fuzz_replay(data, size, &filter, UC_TEXT_ESCAPED, 20);
	fuzz_rewrite(data, size);
	return 0;
}
