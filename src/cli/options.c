/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line options, parsed and checked before anything is opened or attached. */
#include "cli/options.h"

#include "capture/cgroups.h"
#include "core/error.h"
#include "capture/patterns.h"
#include "core/names.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

/* "+": options end at the first word that is not one, the start of COMMAND after "--" */
#define SHORT_OPTIONS "+:w:r:Uc:s:B:C:G:W:Z:xXAqvh"

enum {
	OPT_VERSION = UC_OPT_COMMAND,
	OPT_DECODE_AS,
	OPT_JSON,
	OPT_PRINT,
	OPT_CHILDREN,
	OPT_CONTAINER,
};

static const struct option long_options[] = {
	UC_CAPTURE_FILTER_OPTIONS,
	{ "decode-as", required_argument, NULL, OPT_DECODE_AS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void uc_cli_usage(FILE *out)
{
	fputs("usage: unixcap [options]\n"
	      "       unixcap [options] -- COMMAND [ARGS...]   run COMMAND, capture it and\n"
	      "                 every process it starts, until the last of them exits\n"
	      "       unixcap list [options]    every unix socket, its peer and owners (list -h)\n"
	      "       unixcap top [options]     live bytes per process and socket (top -h)\n"
	      "       unixcap proxy --listen NEW --connect REAL [options]   no root (proxy -h)\n"
	      "Capture the messages that flow over AF_UNIX sockets (needs root).\n\n"
	      "  -w FILE        write pcapng to FILE ('-' for stdout) instead of the text dump\n"
	      "  -r FILE        read a pcapng written by unixcap ('-' for stdin) instead of\n"
	      "                 capturing, and print it as the live dump would\n"
	      "  --json         one JSON object per message per line instead of the text dump\n"
	      "  --print        with -w FILE, also print the text dump (or --json) on stdout\n"
	      "  -C MB          with -w FILE, start a new file after MB million bytes\n"
	      "  -G SEC         with -w FILE, start a new file every SEC seconds (FILE is a\n"
	      "                 strftime pattern)\n"
	      "  -W N           with -C, keep at most N files; with -G alone, stop after N\n"
	      "  -Z USER        run as USER once the hooks are attached and the output opened\n"
	      "  -U             write each packet or message out at once (for pipes)\n"
	      "  -c N           stop after N messages\n"
	      "  -s N           keep at most N bytes of each message (0: all, the default)\n",
	      out);
	fprintf(out,
		"  -B KIB         ring buffer size in KiB (default %u here: 1/32 of memory,\n"
		"                 a power of two from 65536 to 1048576)\n",
		uc_default_ring_kib());
	fputs("  -x, -X, -A     payload as hex, hex and ASCII, ASCII (text dump)\n"
	      "  -q             headers only (text dump)\n"
	      "  -v             more detail (tid, uid, syscall; byte counts at exit); -vv: libbpf log\n"
	      "  --path P       only sockets either end of which is bound to P: a path, a glob\n"
	      "                 with '*', or @name for an abstract name (repeatable, up to 8)\n"
	      "  --pid N        only traffic where process N is either end (repeatable, up to 8)\n"
	      "  --children     with --pid, also every process N starts, now or later; the\n"
	      "                 capture ends when the last of them exits\n"
	      "  --comm NAME    only traffic where a process named NAME is either end\n"
	      "  --type T       stream, dgram or seqpacket (repeatable or comma-separated)\n"
	      "  --inode N      only traffic of the socket with sockfs inode N (as ss -x shows),\n"
	      "                 either end, unnamed sockets too (repeatable, up to 8)\n"
	      "  --cgroup DIR   only I/O by processes in the cgroup v2 directory DIR or below it\n"
	      "  --container C  only traffic of container C, both ways: the start of its id, or\n"
	      "                 its name (Docker, containerd, CRI-O, Podman, nspawn, LXC)\n"
	      "  --decode-as P=PROTO  show conversations on sockets bound to P (path, glob or\n"
	      "                 @name) as PROTO: http, http2, grpc, pgsql, x11, mysql, redis,\n"
	      "                 dbus, or a TCP/UDP port number (repeatable, up to 8)\n"
	      "  -h, --help     this help\n"
	      "  --version      print the version\n\n"
	      "Exit status: 0 done, 1 runtime error, 2 usage error.\n",
	      out);
}

/* Whole decimal numbers only: "12x", "-1" and overflow are errors, not 12, a wrap or a clamp. */
int uc_cli_parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_types(const char *text, unsigned *mask, char *err, size_t errlen)
{
	char copy[64], *save = NULL;
	bool any = false;

	snprintf(copy, sizeof(copy), "%s", text);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned type = uc_sock_type_parse(t);

		if (!type)
			return uc_error(err, errlen,
					"invalid --type '%s': expected stream, dgram or seqpacket",
					t);
		*mask |= 1u << type;
		any = true;
	}
	if (!any || strlen(text) >= sizeof(copy)) /* "" or ",": not "any"; no part dropped */
		return uc_error(err, errlen,
				"invalid --type '%s': expected stream, dgram or seqpacket", text);
	return 0;
}

int uc_cli_parse_filter(int opt, const char *arg, struct uc_filter *f, char *err, size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case UC_OPT_PATH: {
		struct uc_pattern kernel;
		char raw[UC_PATH_LEN];
		size_t raw_len;

		if (f->n_paths == UC_MAX_PATHS)
			return uc_error(err, errlen, "too many --path options (at most 8)");
		if (uc_pattern_compile(arg, &kernel, raw, &raw_len, err, errlen) < 0)
			return -1;
		f->paths[f->n_paths++] = arg;
		return 0;
	}
	case UC_OPT_PID:
		if (uc_cli_parse_number(arg, 1, 4194304, &v) < 0)
			return uc_error(err, errlen, "invalid --pid '%s': expected a process id",
					arg);
		if (f->n_pids == UC_MAX_PID_FILTERS)
			return uc_error(err, errlen, "too many --pid options (at most 8)");
		f->pids[f->n_pids++] = (uint32_t)v;
		return 0;
	case UC_OPT_INODE:
		if (uc_cli_parse_number(arg, 1, UINT64_MAX, &v) < 0)
			return uc_error(err, errlen,
					"invalid --inode '%s': expected a socket inode "
					"number",
					arg);
		if (f->n_inodes == UC_MAX_INODE_FILTERS)
			return uc_error(err, errlen, "too many --inode options (at most 8)");
		f->inodes[f->n_inodes++] = v;
		return 0;
	case UC_OPT_CGROUP:
		if (uc_cgroup_check(arg, err, errlen) < 0)
			return -1;
		f->cgroup = arg;
		return 0;
	case UC_OPT_COMM:
		if (!arg[0] || strlen(arg) > 15)
			return uc_error(
				err, errlen,
				"invalid --comm '%s': a process name has 1 to 15 characters", arg);
		f->comm = arg;
		return 0;
	case UC_OPT_TYPE: return parse_types(arg, &f->type_mask, err, errlen);
	default: return 1;
	}
}

int uc_cli_usage_error(int opt, char **argv, const char *short_options, const char *command,
		       char *err, size_t errlen)
{
	if (opt == 0)
		return uc_error(err, errlen, "unexpected argument '%s' (see %s--help)",
				argv[optind], command);
	if (opt == ':')
		return uc_error(err, errlen, "option '%s' needs a value", argv[optind - 1]);
	/* An unknown letter inside a cluster ("-Zv") leaves optind on its word. */
	if (optopt > 0 && optopt < 256 && !strchr(short_options, optopt))
		return uc_error(err, errlen, "unknown option '-%c' (see %s--help)", optopt,
				command);
	return uc_error(err, errlen, "unknown option '%s' (see %s--help)", argv[optind - 1],
			command);
}

static int parse_number_option(int opt, const char *arg, struct uc_cli *cli, char *err,
			       size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case 'c':
		if (uc_cli_parse_number(arg, 1, UINT64_MAX, &v) < 0)
			return uc_error(err, errlen,
					"invalid -c '%s': expected a count of 1 or more", arg);
		cli->count = v;
		return 0;
	case 's':
		if (uc_cli_parse_number(arg, 0, UINT32_MAX, &v) < 0)
			return uc_error(err, errlen,
					"invalid -s '%s': expected a byte count (0: all)", arg);
		cli->capture.snaplen = (uint32_t)v;
		return 0;
	case 'C':
	case 'G':
	case 'W':
		if (uc_cli_parse_number(arg, 1, 1000000, &v) < 0)
			return uc_error(err, errlen,
					"invalid -%c '%s': expected %s from 1 to 1000000", opt, arg,
					opt == 'C' ? "a size in millions of bytes" :
					opt == 'G' ? "a number of seconds" :
						     "a number of files");
		*(opt == 'C' ? &cli->rotate_mb :
		  opt == 'G' ? &cli->rotate_secs :
			       &cli->max_files) = (unsigned)v;
		return 0;
	default: /* 'B' */
		if (uc_cli_parse_number(arg, 64, 2097152, &v) < 0)
			return uc_error(
				err, errlen,
				"invalid -B '%s': expected a size in KiB from 64 to 2097152", arg);
		cli->capture.ring_kib = (uint32_t)v;
		return 0;
	}
}

/* PATH=PROTO; the path is everything before the last '=' (paths may hold '='). */
static int parse_decode_as(char *arg, struct uc_cli *cli, char *err, size_t errlen)
{
	char *eq = strrchr(arg, '=');
	struct uc_decode_as *rule = &cli->decode_as[cli->n_decode_as];
	struct uc_pattern kernel;
	char raw[UC_PATH_LEN];
	size_t raw_len;

	if (cli->n_decode_as == UC_MAX_DECODE_AS)
		return uc_error(err, errlen, "too many --decode-as options (at most %d)",
				UC_MAX_DECODE_AS);
	if (!eq || eq == arg)
		return uc_error(err, errlen, "invalid --decode-as '%s': expected PATH=PROTOCOL",
				arg);
	if (uc_protocol_parse(eq + 1, &rule->guess) < 0)
		return uc_error(err, errlen, "invalid --decode-as '%s': unknown protocol '%s'", arg,
				eq + 1);
	*eq = '\0';
	if (uc_pattern_compile(arg, &kernel, raw, &raw_len, err, errlen) < 0) {
		*eq = '=';
		return uc_error(err, errlen,
				"invalid --decode-as '%s': expected a path, a glob or "
				"@name before '='",
				arg);
	}
	rule->path = arg;
	cli->n_decode_as++;
	return 0;
}

/* --children and -- COMMAND: processes that run now, so not with -r. */
static int check_following(const struct uc_cli *cli, char *err, size_t errlen)
{
	const struct uc_filter *f = &cli->capture.filter;

	if (cli->command && (f->n_pids || f->children))
		return uc_error(err, errlen,
				"-- COMMAND captures COMMAND and its children: not with --pid or "
				"--children");
	if (cli->command && cli->read_path)
		return uc_error(err, errlen, "-- COMMAND is for live captures, not with -r");
	if (f->children && !f->n_pids)
		return uc_error(err, errlen, "--children needs --pid N");
	if (f->children && cli->read_path)
		return uc_error(err, errlen,
				"--children is for live captures, not with -r: files do not "
				"hold parent processes");
	return 0;
}

/* Options that only mean something together, checked once all are known. */
static int check_combinations(const struct uc_cli *cli, char *err, size_t errlen)
{
	bool to_file = cli->write_path && strcmp(cli->write_path, "-") != 0;

	if (cli->container && cli->capture.filter.cgroup)
		return uc_error(err, errlen,
				"--container and --cgroup both choose a cgroup: give one of them");
	if (cli->read_path && cli->container)
		return uc_error(err, errlen,
				"--container cannot be used with -r: files do not hold cgroup ids");
	if (cli->read_path && cli->capture.filter.cgroup)
		return uc_error(err, errlen,
				"--cgroup cannot be used with -r: files do not hold "
				"cgroup ids");
	if (cli->read_path && (cli->capture.snaplen || cli->capture.ring_kib || cli->drop_user))
		return uc_error(err, errlen, "-s, -B and -Z are for live captures, not with -r");
	if (cli->print && !to_file)
		return uc_error(err, errlen,
				"--print needs -w FILE (a file, not '-'): the dump goes "
				"to stdout");
	if (cli->json && cli->write_path && !cli->print)
		return uc_error(err, errlen, "--json prints on stdout: with -w FILE add --print");
	if ((cli->rotate_mb || cli->rotate_secs || cli->max_files) && !to_file)
		return uc_error(err, errlen, "-C, -G and -W need -w FILE (a file, not '-')");
	if (cli->max_files && !cli->rotate_mb && !cli->rotate_secs)
		return uc_error(err, errlen, "-W needs -C or -G");
	return check_following(cli, err, errlen);
}

static int parse_user(const char *name, struct uc_cli *cli, char *err, size_t errlen)
{
	if (!getpwnam(name))
		return uc_error(err, errlen, "invalid -Z '%s': no such user", name);
	cli->drop_user = name;
	return 0;
}

int uc_cli_parse(int argc, char **argv, struct uc_cli *cli, char *err, size_t errlen)
{
	int opt, after_options = 1;

	memset(cli, 0, sizeof(*cli));
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets where it was inside a previous argv */
	while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		switch (opt) {
		case 'w': cli->write_path = optarg; break;
		case 'r': cli->read_path = optarg; break;
		case OPT_JSON: cli->json = true; break;
		case OPT_PRINT: cli->print = true; break;
		case OPT_CHILDREN: cli->capture.filter.children = true; break;
		case OPT_CONTAINER:
			if (!optarg[0])
				return uc_error(err, errlen,
						"invalid --container '': expected the start of a "
						"container's id, or its name");
			cli->container = optarg;
			break;
		case 'Z':
			if (parse_user(optarg, cli, err, errlen) < 0)
				return -1;
			break;
		case 'U': cli->flush_each = true; break;
		case 'x': cli->payload = UC_TEXT_HEX; break;
		case 'X': cli->payload = UC_TEXT_HEXASCII; break;
		case 'A': cli->payload = UC_TEXT_ASCII; break;
		case 'q': cli->payload = UC_TEXT_NONE; break;
		case 'v': cli->verbose++; break;
		case 'h': cli->help = true; break;
		case OPT_VERSION: cli->version = true; break;
		case 'c':
		case 's':
		case 'B':
		case 'C':
		case 'G':
		case 'W':
			if (parse_number_option(opt, optarg, cli, err, errlen) < 0)
				return -1;
			break;
		case OPT_DECODE_AS:
			if (parse_decode_as(optarg, cli, err, errlen) < 0)
				return -1;
			break;
		case ':':
		case '?': return uc_cli_usage_error(opt, argv, SHORT_OPTIONS, "", err, errlen);
		default:
			if (uc_cli_parse_filter(opt, optarg, &cli->capture.filter, err, errlen) !=
			    0)
				return -1;
		}
		after_options = optind;
	}
	/* "--" as a word of its own, not as the value of the option before it */
	if (optind == after_options + 1 && strcmp(argv[after_options], "--") == 0) {
		if (optind == argc)
			return uc_error(err, errlen, "'--' needs a COMMAND to run after it");
		cli->command = argv + optind;
	} else if (optind < argc)
		return uc_cli_usage_error(0, argv, SHORT_OPTIONS, "", err, errlen);
	return check_combinations(cli, err, errlen);
}
