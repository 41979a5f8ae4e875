/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the command line: the input, split at NUL bytes, is an argv for
 * uc_cli_parse and for the extcap handler; with NULs turned into spaces it is an extcap capture
 * filter. What a successful parse returns must respect the limits the options document. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/extcap.h"
#include "cli/options.h"

#define MAX_ARGS 32
#define MAX_INPUT 4096 /* a command line, not a file: longer inputs add nothing but time */

/* The words of one argv: each malloc'd (getopt_long permutes argv, --decode-as writes into its
 * value), so ASan sees any read past a word or any use once they are freed. */
struct words {
	int argc;
	char *argv[MAX_ARGS + 2];
};

static void words_split(struct words *w, const uint8_t *data, size_t size)
{
	size_t start = 0;

	w->argc = 0;
	w->argv[w->argc++] = strdup("unixcap");
	while (start < size && w->argc <= MAX_ARGS) { /* "a\0\0b" is "a", "", "b"; "a\0" is "a" */
		const uint8_t *nul = memchr(data + start, '\0', size - start);
		size_t end = nul ? (size_t)(nul - data) : size;

		w->argv[w->argc] = malloc(end - start + 1);
		memcpy(w->argv[w->argc], data + start, end - start);
		w->argv[w->argc][end - start] = '\0';
		w->argc++;
		start = end + 1;
	}
	w->argv[w->argc] = NULL;
}

static void words_free(struct words *w)
{
	for (int i = 0; i < w->argc; i++)
		free(w->argv[i]);
}

/* p points into one of the words (at its start for a whole word, inside for "--path=P"). */
static int in_words(const struct words *w, const char *p)
{
	for (int i = 0; i < w->argc; i++)
		if (p >= w->argv[i] && p <= w->argv[i] + strlen(w->argv[i]))
			return 1;
	return 0;
}

/* A string the options keep: inside argv, or (extcap) inside storage the handler keeps. */
static void check_string(const struct words *w, const char *p, int anywhere)
{
	volatile size_t len;

	assert(p);
	assert(anywhere || in_words(w, p));
	len = strlen(p); /* readable up to its NUL (volatile: not optimised away) */
	(void)len;
}

static void check_cli(const struct words *w, const struct uc_cli *cli, int anywhere)
{
	const struct uc_filter *f = &cli->capture.filter;

	assert(f->n_paths <= UC_MAX_PATHS);
	assert(f->n_pids <= UC_MAX_PID_FILTERS);
	assert(f->n_inodes <= UC_MAX_INODE_FILTERS);
	assert(cli->n_decode_as <= UC_MAX_DECODE_AS);
	for (unsigned i = 0; i < f->n_paths; i++) {
		check_string(w, f->paths[i], anywhere);
		assert(f->paths[i][0] == '/' || f->paths[i][0] == '*' || f->paths[i][0] == '.' ||
		       f->paths[i][0] == '@');
	}
	for (unsigned i = 0; i < f->n_pids; i++)
		assert(f->pids[i] >= 1 && f->pids[i] <= 4194304);
	for (unsigned i = 0; i < f->n_inodes; i++)
		assert(f->inodes[i] >= 1);
	if (f->comm) {
		check_string(w, f->comm, anywhere);
		assert(f->comm[0] && strlen(f->comm) <= 15);
	}
	if (f->cgroup)
		check_string(w, f->cgroup, anywhere);
	assert((f->type_mask & ~(1u << 1 | 1u << 2 | 1u << 5)) == 0);
	for (unsigned i = 0; i < cli->n_decode_as; i++) {
		check_string(w, cli->decode_as[i].path, anywhere);
		assert(cli->decode_as[i].path[0]);
	}
	if (cli->write_path)
		check_string(w, cli->write_path, anywhere);
	assert(cli->capture.ring_kib == 0 ||
	       (cli->capture.ring_kib >= 64 && cli->capture.ring_kib <= 2097152));
	assert(cli->verbose >= 0 && cli->verbose <= MAX_INPUT); /* one per 'v' */
	assert(cli->payload <= UC_TEXT_NONE);
}

static void fuzz_cli(const uint8_t *data, size_t size)
{
	struct words w;
	struct uc_cli cli;
	char err[256], *short_err;

	words_split(&w, data, size);
	memset(err, 0, sizeof(err));
	if (uc_cli_parse(w.argc, w.argv, &cli, err, sizeof(err)) == 0)
		check_cli(&w, &cli, 0);
	else
		assert(err[0] && memchr(err, '\0', sizeof(err)));
	/* A short error buffer (on the heap, exactly its size, for ASan): cut, never overrun. */
	short_err = malloc(8);
	if (uc_cli_parse(w.argc, w.argv, &cli, short_err, 8) < 0)
		assert(memchr(short_err, '\0', 8));
	free(short_err);
	words_free(&w);
}

static void fuzz_extcap(const uint8_t *data, size_t size, FILE *null)
{
	struct words w;
	struct uc_cli cli;
	int ret;

	words_split(&w, data, size);
	(void)uc_extcap_call(w.argc, w.argv);
	ret = uc_extcap_handle(w.argc, w.argv, &cli, null, null);
	assert(ret == 0 || ret == 2 || ret == UC_EXTCAP_CAPTURE);
	if (ret == UC_EXTCAP_CAPTURE) {
		/* The filter's words live in storage the handler keeps, not in argv. */
		check_cli(&w, &cli, 1);
		assert(cli.write_path && cli.extcap && cli.flush_each);
	}
	words_free(&w);
}

/* The input as one capture filter string, NULs turned into blanks. */
static void fuzz_filter(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];

	for (size_t i = 0; i < size; i++)
		text[i] = data[i] ? (char)data[i] : ' ';
	text[size] = '\0';
	memset(err, 0, sizeof(err));
	if (uc_extcap_check_filter(text, err, sizeof(err)) < 0)
		assert(err[0]);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;

	if (size > MAX_INPUT)
		return 0;
	if (!null)
		null = fopen("/dev/null", "w");
	assert(null);
	fuzz_cli(data, size);
	fuzz_extcap(data, size, null);
	fuzz_filter(data, size);
	return 0;
}
