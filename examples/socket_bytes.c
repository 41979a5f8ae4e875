/* SPDX-License-Identifier: BSD-2-Clause */
/* An example of the unixcap library: watch one socket for a while, print each message as the
 * text dump does, and count the bytes each way.
 *
 *   cc -I/usr/local/include socket_bytes.c /usr/local/lib/libunixcap.a -lbpf -lelf -lz
 *   sudo ./a.out /run/docker.sock 10
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unixcap.h>

struct tally {
	const char *path;
	struct uc_text_options text;
	unsigned long long messages, to_path, from_path;
};

/* Called for every message and event, in the order they happened. */
static int on_message(const struct uc_message *m, void *ctx)
{
	struct tally *t = ctx;

	uc_text_write(stdout, &t->text, m);
	if (m->event != UC_MSG_DATA)
		return 0;
	t->messages++;
	if (strcmp(m->peer_path, t->path) == 0)
		t->to_path += m->len;
	else
		t->from_path += m->len;
	return 0; /* non-zero would stop the delivery */
}

int main(int argc, char **argv)
{
	struct uc_options opt = { .filter = { .paths = { argv[1] }, .n_paths = 1 } };
	struct tally t = { .path = argv[1], .text = { .payload = UC_TEXT_NONE } };
	struct uc_session *s;
	char err[UC_ERROR_LEN];
	time_t end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET_PATH SECONDS\n", argv[0]);
		return 2;
	}
	s = uc_session_open(&opt, err, sizeof(err)); /* loads and attaches the hooks: needs root */
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	fprintf(stderr, "watching %s\n", argv[1]);
	for (end = time(NULL) + atoi(argv[2]); time(NULL) < end;)
		uc_session_poll(s, 100, on_message, &t);
	uc_session_stop(s, on_message, &t); /* detach, then deliver what is still queued */
	uc_session_close(s);
	printf("%llu messages, %llu bytes to %s, %llu bytes from it\n", t.messages, t.to_path,
	       t.path, t.from_path);
	return 0;
}
