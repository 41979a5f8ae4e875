/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap list`: every AF_UNIX socket on the machine, one line each, with its peer and owners. */
#include "cli/list_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "cli/options.h"
#include "inventory/listing.h"
#include "inventory/owners.h"
#include "inventory/unix_diag.h"
#include "core/devnum.h"

#define LIST_SHORT_OPTIONS ":h"
#define OUT_OF_MEMORY 2 /* what add_socket returns to stop the dump */

enum { OPT_JSON = UC_OPT_COMMAND };

static const struct option list_options[] = {
	UC_SOCKET_FILTER_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct list_args {
	struct uc_list_filter filter;
	bool json, help;
};

static void usage(FILE *out)
{
	fputs("usage: unixcap list [options]\n"
	      "List every AF_UNIX socket (of this network namespace), one line each: type, state,\n"
	      "inode, peer inode, address and the processes that hold it (all of them as root).\n\n"
	      "  --path P       only sockets either end of which is named P: a path, a glob with\n"
	      "                 '*', or @name for an abstract name (repeatable, up to 8)\n"
	      "  --pid N        only sockets process N holds, or whose peer it holds (repeatable,\n"
	      "                 up to 8)\n"
	      "  --comm NAME    only sockets a process named NAME holds, or whose peer it holds\n"
	      "  --type T       stream, dgram or seqpacket (repeatable or comma-separated)\n"
	      "  --inode N      only the socket with sockfs inode N and those connected to it\n"
	      "                 (repeatable, up to 8)\n"
	      "  --json         one JSON object per socket per line\n"
	      "  -h, --help     this help\n\n"
	      "Exit status: 0 done, 1 runtime error, 2 usage error.\n",
	      out);
}

static int parse(int argc, char **argv, struct list_args *a, char *err, size_t errlen)
{
	int opt;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 0; /* as uc_cli_parse: getopt starts afresh, at argv[1] */
	while ((opt = getopt_long(argc, argv, LIST_SHORT_OPTIONS, list_options, NULL)) != -1) {
		switch (opt) {
		case 'h': a->help = true; break;
		case OPT_JSON: a->json = true; break;
		case ':':
		case '?':
			return uc_cli_usage_error(opt, argv, LIST_SHORT_OPTIONS, "unixcap list ",
						  err, errlen);
		default:
			if (uc_cli_parse_filter(opt, optarg, &a->filter.f, err, errlen) != 0)
				return -1;
		}
	}
	if (optind < argc)
		return uc_cli_usage_error(0, argv, LIST_SHORT_OPTIONS, "unixcap list ", err,
					  errlen);
	return 0;
}

/* A --path naming an existing socket file matches it under any name (/var/run/x is /run/x). */
static void path_identities(struct uc_list_filter *f)
{
	for (unsigned i = 0; i < f->f.n_paths; i++) {
		const char *p = f->f.paths[i];
		struct stat st;

		if (p[0] == '@' || strchr(p, '*') || stat(p, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		f->has_id[i] = true;
		f->id_dev[i] = uc_kernel_dev(st.st_dev);
		f->id_ino[i] = (uint32_t)st.st_ino; /* unix_diag reports 32 bits of it */
	}
}

static int add_socket(const struct uc_unix_sock *s, void *ctx)
{
	return uc_listing_add(ctx, s) < 0 ? OUT_OF_MEMORY : 0;
}

/* The sockets first, then their owners: a socket closed in between is listed without one. */
static int collect(struct uc_listing *l, struct uc_owners **owners, char *err, size_t errlen)
{
	int ret = uc_unix_diag_dump(add_socket, l, err, errlen);

	if (ret == OUT_OF_MEMORY)
		return uc_error(err, errlen, "out of memory");
	if (ret < 0)
		return -1;
	*owners = uc_owners_scan("/proc", err, errlen);
	if (!*owners)
		return -1;
	l->owners = *owners;
	if (uc_listing_finish(l) < 0)
		return uc_error(err, errlen, "out of memory");
	return 0;
}

static int list(const struct list_args *a)
{
	struct uc_listing l = { 0 };
	struct uc_owners *owners = NULL;
	unsigned denied;
	char err[UC_ERROR_LEN];
	int status = 0;

	if (collect(&l, &owners, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap list: %s\n", err);
		status = 1;
		goto done;
	}
	uc_listing_print(stdout, &l, &a->filter, a->json);
	denied = uc_owners_denied(owners);
	if (denied)
		fprintf(stderr,
			"unixcap list: the descriptors of %u processes could not be read (not "
			"root?): sockets only they hold show owner -\n",
			denied);
	/* A reader that went away (| head) is no error; a full disk or a closed stdout is. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
		fprintf(stderr, "unixcap list: writing the list failed: %s\n", strerror(errno));
		status = 1;
	}
done:
	uc_listing_free(&l);
	uc_owners_free(owners);
	return status;
}

int uc_list_main(int argc, char **argv)
{
	struct list_args a;
	char err[UC_ERROR_LEN];

	if (parse(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap list: %s\n", err);
		return 2;
	}
	if (a.help) {
		usage(stdout);
		return 0;
	}
	path_identities(&a.filter);
	return list(&a);
}
