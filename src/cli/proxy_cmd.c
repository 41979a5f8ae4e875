/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap proxy`: relay between a new socket and a real one, recording what passes, without root. */
#include "cli/proxy_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "proxy/proxy_message.h"
#include "proxy/relay.h"

#define SHORT_OPTIONS ":w:Uc:s:xXAqvh"

enum { OPT_LISTEN = UC_OPT_COMMAND, OPT_CONNECT, OPT_TYPE, OPT_JSON, OPT_PRINT };

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct proxy_run {
	struct uc_cli cli; /* what the outputs read: -w, --json, --print, -U, -c, -s, payload, -v */
	struct uc_relay_options relay;
	const char *listen, *connect;
	struct uc_output out;
	struct uc_progress progress;
	uint64_t delivered;
};

static void usage(FILE *out)
{
	fputs("usage: unixcap proxy --listen NEW --connect REAL [options]\n"
	      "Relay between a new socket NEW and the real socket REAL, recording every message as\n"
	      "a capture would; no privilege needed. Clients must be pointed at NEW.\n\n"
	      "  --listen NEW   the socket to make: a path or @name (removed at exit)\n"
	      "  --connect REAL the real socket: a path or @name\n"
	      "  --type T       REAL's type: stream, dgram or seqpacket (default: probed)\n"
	      "  -w FILE        write pcapng to FILE ('-' for stdout) instead of the text dump\n"
	      "  --json         one JSON object per message per line instead of the text dump\n"
	      "  --print        with -w FILE, also print the text dump (or --json) on stdout\n"
	      "  -U             write each packet or message out at once (for pipes)\n"
	      "  -c N           stop after N messages\n"
	      "  -s N           record at most N bytes of each message (all are relayed)\n"
	      "  -x, -X, -A     payload as hex, hex and ASCII, ASCII (text dump)\n"
	      "  -q             headers only (text dump)\n"
	      "  -v             more detail; say why anything could not be relayed\n"
	      "  -h, --help     this help\n\n"
	      "Exit status: 0 done, 1 runtime error, 2 usage error.\n",
	      out);
}

static int parse_value(int opt, const char *arg, struct proxy_run *p, char *err, size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case OPT_LISTEN: p->listen = arg; return 0;
	case OPT_CONNECT: p->connect = arg; return 0;
	case 'w': p->cli.write_path = arg; return 0;
	case OPT_TYPE:
		p->relay.sock_type = (int)uc_sock_type_parse(arg);
		return p->relay.sock_type ? 0 :
					    uc_error(err, errlen,
						     "invalid --type '%s': expected "
						     "stream, dgram or seqpacket",
						     arg);
	case 'c':
		if (uc_cli_parse_number(arg, 1, UINT64_MAX, &v) < 0)
			return uc_error(err, errlen,
					"invalid -c '%s': expected a count of 1 or more", arg);
		p->cli.count = v;
		return 0;
	default: /* 's' */
		if (uc_cli_parse_number(arg, 0, UINT32_MAX, &v) < 0)
			return uc_error(err, errlen,
					"invalid -s '%s': expected a byte count (0: all)", arg);
		p->cli.capture.snaplen = (uint32_t)v;
		return 0;
	}
}

static int parse_option(int opt, const char *arg, struct proxy_run *p, char *err, size_t errlen)
{
	switch (opt) {
	case OPT_JSON: p->cli.json = true; return 0;
	case OPT_PRINT: p->cli.print = true; return 0;
	case 'U': p->cli.flush_each = true; return 0;
	case 'x': p->cli.payload = UC_TEXT_HEX; return 0;
	case 'X': p->cli.payload = UC_TEXT_HEXASCII; return 0;
	case 'A': p->cli.payload = UC_TEXT_ASCII; return 0;
	case 'q': p->cli.payload = UC_TEXT_NONE; return 0;
	case 'v': p->cli.verbose++; return 0;
	case 'h': p->cli.help = true; return 0;
	default: return parse_value(opt, arg, p, err, errlen);
	}
}

/* What only means something together, once every option is known. */
static int check(struct proxy_run *p, char *err, size_t errlen)
{
	bool to_file = p->cli.write_path && strcmp(p->cli.write_path, "-") != 0;

	if (!p->listen || !p->connect)
		return uc_error(err, errlen,
				"--listen NEW and --connect REAL are both needed (see "
				"unixcap proxy --help)");
	if (uc_proxy_addr_parse(p->listen, &p->relay.listen, err, errlen) < 0 ||
	    uc_proxy_addr_parse(p->connect, &p->relay.real, err, errlen) < 0)
		return -1;
	if (uc_proxy_addr_same(&p->relay.listen, &p->relay.real))
		return uc_error(err, errlen, "--listen and --connect name the same socket '%s'",
				p->listen);
	if (p->cli.print && !to_file)
		return uc_error(err, errlen,
				"--print needs -w FILE (a file, not '-'): the dump goes "
				"to stdout");
	if (p->cli.json && p->cli.write_path && !p->cli.print)
		return uc_error(err, errlen, "--json prints on stdout: with -w FILE add --print");
	p->relay.snaplen = p->cli.capture.snaplen;
	p->relay.verbose = p->cli.verbose;
	return 0;
}

static int parse(int argc, char **argv, struct proxy_run *p, char *err, size_t errlen)
{
	int opt;

	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets where it was inside a previous argv */
	while ((opt = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		if (opt == ':' || opt == '?')
			return uc_cli_usage_error(opt, argv, SHORT_OPTIONS, "unixcap proxy ", err,
						  errlen);
		if (parse_option(opt, optarg, p, err, errlen) < 0)
			return -1;
	}
	if (optind < argc)
		return uc_cli_usage_error(0, argv, SHORT_OPTIONS, "unixcap proxy ", err, errlen);
	return p->cli.help ? 0 : check(p, err, errlen);
}

static int on_message(const struct uc_message *m, void *ctx)
{
	struct proxy_run *p = ctx;

	if (uc_output_write(&p->out, m) != 0 ||
	    (m->event == UC_MSG_DATA && ++p->delivered == p->cli.count)) {
		uc_stop_requested = 1;
		return 1;
	}
	return 0;
}

/* The relay's figures as a capture's, for the pcapng statistics and the live counter. */
static void capture_stats(const struct uc_relay *r, struct uc_stats *st)
{
	struct uc_relay_stats rs;

	uc_relay_stats(r, &rs);
	memset(st, 0, sizeof(*st));
	st->messages = rs.messages;
	st->bytes = rs.bytes;
	st->stored = rs.bytes - rs.truncated;
	st->truncated = rs.truncated;
	st->taken_ns = uc_now_ns();
}

static int relay_loop(struct proxy_run *p, struct uc_relay *r)
{
	struct uc_stats st;

	while (!uc_stop_requested) {
		if (uc_relay_poll(r, 50, on_message, p) < 0) {
			fprintf(stderr, "unixcap proxy: waiting for the sockets failed: %s\n",
				strerror(errno));
			return -1;
		}
		capture_stats(r, &st);
		if (uc_output_tick(&p->out, st.taken_ns) != 0)
			uc_stop_requested = 1;
		uc_progress_update(&p->progress, &st, st.taken_ns);
	}
	return 0;
}

/* Closes the output (statistics block, flush) and says what was relayed. */
static int finish(struct proxy_run *p, const struct uc_relay *r)
{
	struct uc_relay_stats rs;
	struct uc_stats st;
	int ret;

	capture_stats(r, &st);
	uc_relay_stats(r, &rs);
	uc_progress_end(&p->progress, &st);
	ret = uc_output_close(&p->out, &st);
	/* the capture's own summary line: whatever reads one reads the other; nothing is lost */
	fprintf(stderr, "%llu messages captured, 0 lost\n", (unsigned long long)st.messages);
	if (p->cli.verbose)
		fprintf(stderr,
			"%llu bytes relayed, %llu left out of the record by -s; %llu clients; "
			"%llu messages not delivered (their receiver had gone)\n",
			(unsigned long long)rs.bytes, (unsigned long long)rs.truncated,
			(unsigned long long)rs.clients, (unsigned long long)rs.undelivered);
	return ret;
}

static void describe(const struct proxy_run *p, int type, char *out, size_t len)
{
	char host[256] = "localhost";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "AF_UNIX proxy on %s: %s relayed to %s (%s)", host, p->relay.listen.name,
		 p->relay.real.name, uc_sock_type_name((unsigned)type));
}

int uc_proxy_main(int argc, char **argv)
{
	struct proxy_run p;
	char err[UC_ERROR_LEN], description[1200];
	struct uc_relay *r;
	int status;

	memset(&p, 0, sizeof(p));
	if (parse(argc, argv, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "unixcap proxy: %s\n", err);
		return 2;
	}
	if (p.cli.help) {
		usage(stdout);
		return 0;
	}
	uc_stop_on_signals();
	r = uc_relay_open(&p.relay, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "unixcap proxy: %s\n", err);
		return 1;
	}
	describe(&p, uc_relay_type(r), description, sizeof(description));
	if (uc_output_open(&p.out, &p.cli, description, NULL) < 0 ||
	    (status = uc_output_start(&p.out)) < 0) {
		uc_output_close(&p.out, NULL);
		uc_relay_close(r);
		return 1;
	}
	if (status > 0) /* the reader of -w - has gone already */
		uc_stop_requested = 1;
	uc_progress_init(&p.progress,
			 !p.cli.write_path || !strcmp(p.cli.write_path, "-") ? NULL : stderr,
			 p.out.dump && isatty(STDOUT_FILENO));
	if (p.cli.verbose)
		fprintf(stderr, "unixcap proxy: '%s' is a %s socket\n", p.connect,
			uc_sock_type_name((unsigned)uc_relay_type(r)));
	fprintf(stderr, "unixcap proxy: listening on %s, relaying to %s\n", p.listen, p.connect);
	status = relay_loop(&p, r);
	uc_relay_stop(r, on_message, &p);
	status = finish(&p, r) < 0 || status < 0 ? 1 : 0;
	uc_relay_close(r);
	return status;
}
