/* SPDX-License-Identifier: BSD-2-Clause */
/* Two capture sessions in one process, each with its own --path: each sees its own socket only.
 *
 *   two_sessions PATH_A PATH_B SECONDS
 * prints "A: N messages (M of B's), B: N messages (M of A's)" once both are stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unixcap.h>

struct count {
	const char *own, *other;
	unsigned long messages, foreign;
};

static int on_message(const struct uc_message *m, void *ctx)
{
	struct count *c = ctx;

	if (m->event != UC_MSG_DATA)
		return 0;
	c->messages++;
	if (strcmp(m->own_path, c->other) == 0 || strcmp(m->peer_path, c->other) == 0)
		c->foreign++;
	return 0;
}

static struct uc_session *open_one(const char *path)
{
	struct uc_options opt = { .filter = { .paths = { path }, .n_paths = 1 } };
	char err[UC_ERROR_LEN];
	struct uc_session *s = uc_session_open(&opt, err, sizeof(err));

	if (!s)
		fprintf(stderr, "two_sessions: %s\n", err);
	return s;
}

int main(int argc, char **argv)
{
	struct count a = { .own = argv[1], .other = argv[2] },
		     b = { .own = argv[2], .other = argv[1] };
	struct uc_session *sa, *sb;
	time_t end;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PATH_A PATH_B SECONDS\n", argv[0]);
		return 2;
	}
	uc_set_libbpf_log(UC_LIBBPF_WARNINGS);
	if (!(sa = open_one(argv[1])) || !(sb = open_one(argv[2])))
		return 1;
	fprintf(stderr, "watching %s and %s\n", argv[1], argv[2]);
	for (end = time(NULL) + atoi(argv[3]); time(NULL) < end;) {
		uc_session_poll(sa, 50, on_message, &a);
		uc_session_poll(sb, 50, on_message, &b);
	}
	uc_session_stop(sa, on_message, &a);
	uc_session_stop(sb, on_message, &b);
	uc_session_close(sa);
	uc_session_close(sb);
	printf("A: %lu messages (%lu of B's), B: %lu messages (%lu of A's)\n", a.messages,
	       a.foreign, b.messages, b.foreign);
	return 0;
}
