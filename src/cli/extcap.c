/* SPDX-License-Identifier: BSD-2-Clause */
/* Wireshark's extcap protocol: Wireshark runs unixcap to list it as a capture interface, to read
 * its options, and to capture into a FIFO. */
#include "cli/extcap.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

enum extcap_option_id {
	X_INTERFACES,
	X_VERSION,
	X_DLTS,
	X_CONFIG,
	X_CAPTURE,
	X_INTERFACE,
	X_FIFO,
	X_FILTER,
	X_CONTROL,
	X_RELOAD,
};

struct extcap_option {
	const char *name;
	enum extcap_option_id id;
	bool value; /* "--name VALUE" or "--name=VALUE" */
};

/* Every option Wireshark 4.0 passes to an extcap. --extcap-version has a value only as
 * --extcap-version=4.0; the control pipes belong to toolbars, which unixcap does not offer. */
static const struct extcap_option extcap_options[] = {
	{ "--extcap-interfaces", X_INTERFACES, false },
	{ "--extcap-version", X_VERSION, false },
	{ "--extcap-dlts", X_DLTS, false },
	{ "--extcap-config", X_CONFIG, false },
	{ "--capture", X_CAPTURE, false },
	{ "--extcap-interface", X_INTERFACE, true },
	{ "--fifo", X_FIFO, true },
	{ "--extcap-capture-filter", X_FILTER, true },
	{ "--extcap-control-in", X_CONTROL, true },
	{ "--extcap-control-out", X_CONTROL, true },
	{ "--extcap-reload-option", X_RELOAD, true },
};

/* The words of the command line a capture filter may hold. */
static const char *const filter_options[] = { "--path", "--pid", "--comm", "--type" };

static const char *const config_lines[] = {
	"arg {number=0}{call=--path}{display=Socket path}{type=string}"
	"{tooltip=Only sockets either end of which is bound to this path: an exact path, a glob "
	"where * matches anything (/run/*.sock), or @name for an abstract name}{group=Filter}",
	"arg {number=1}{call=--pid}{display=Process ID}{type=integer}{range=1,4194304}"
	"{tooltip=Only traffic where this process is either end}{group=Filter}",
	"arg {number=2}{call=--comm}{display=Process name}{type=string}"
	"{tooltip=Only traffic where a process with this name (at most 15 characters) is either "
	"end}{group=Filter}",
	"arg {number=3}{call=--type}{display=Socket type}{type=selector}"
	"{tooltip=Streams are shown as TCP, datagrams and seqpackets as UDP}{group=Filter}",
	"value {arg=3}{value=stream,dgram,seqpacket}{display=all}{default=true}",
	"value {arg=3}{value=stream}{display=stream (TCP)}",
	"value {arg=3}{value=dgram}{display=dgram (UDP)}",
	"value {arg=3}{value=seqpacket}{display=seqpacket (UDP)}",
	"arg {number=4}{call=-s}{display=Snapshot length}{type=integer}{range=0,2147483647}"
	"{default=0}{tooltip=Keep at most this many bytes of each message (0: all)}"
	"{group=Capture}",
};

/* What Wireshark asked for, and the remaining arguments (argv[0] first) for uc_cli_parse. */
struct extcap_request {
	bool interfaces, dlts, config, capture, reload;
	const char *interface, *fifo, *filter;
	int argc;
	char **argv;
};

/* Storage the capture's options point into, kept until the next call. */
static struct {
	char **argv;
	char *filter;
} kept;

static int usage_error(FILE *err, const char *msg)
{
	fprintf(err, "unixcap: %s\n", msg);
	return 2;
}

/* The extcap option a word names ("--fifo" or "--fifo=PATH"), or NULL. */
static const struct extcap_option *find_option(const char *word, const char **inline_value)
{
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);

	for (size_t i = 0; i < sizeof(extcap_options) / sizeof(extcap_options[0]); i++) {
		if (strlen(extcap_options[i].name) == len &&
		    strncmp(word, extcap_options[i].name, len) == 0) {
			*inline_value = eq ? eq + 1 : NULL;
			return &extcap_options[i];
		}
	}
	return NULL;
}

bool uc_extcap_call(int argc, char **argv)
{
	const char *value;

	for (int i = 1; i < argc; i++)
		if (find_option(argv[i], &value))
			return true;
	return false;
}

static void set_option(struct extcap_request *req, enum extcap_option_id id, const char *value)
{
	switch (id) {
	case X_INTERFACES: req->interfaces = true; break;
	case X_DLTS: req->dlts = true; break;
	case X_CONFIG: req->config = true; break;
	case X_CAPTURE: req->capture = true; break;
	case X_INTERFACE: req->interface = value; break;
	case X_FIFO: req->fifo = value; break;
	case X_FILTER: req->filter = value; break;
	case X_RELOAD: req->reload = true; break;
	case X_VERSION:
	case X_CONTROL: break; /* any Wireshark version will do; no toolbar */
	}
}

/* Takes the extcap options out of argv; the rest stays in req->argv for uc_cli_parse. */
static int split_request(int argc, char **argv, struct extcap_request *req, char *err,
			 size_t errlen)
{
	memset(req, 0, sizeof(*req));
	free(kept.argv);
	kept.argv = req->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!req->argv)
		return uc_error(err, errlen, "out of memory");
	req->argv[req->argc++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *value;
		const struct extcap_option *o = find_option(argv[i], &value);

		if (!o) {
			req->argv[req->argc++] = argv[i];
			continue;
		}
		if (value && !o->value && o->id != X_VERSION)
			return uc_error(err, errlen, "option '%s' takes no value", o->name);
		if (o->value && !value) {
			if (i + 1 == argc)
				return uc_error(err, errlen, "option '%s' needs a value", o->name);
			value = argv[++i];
		}
		set_option(req, o->id, value);
	}
	return 0;
}

/* Splits text into words at blanks, in place; '...' or "..." quote (no escapes inside).
 * Returns the number of words, or -1 for an unbalanced quote. */
static int split_words(char *text, char **words)
{
	char *p = text, *w;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return n;
		words[n++] = w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'' || *p == '"') {
				char *close = strchr(p + 1, *p);

				if (!close)
					return -1;
				memmove(w, p + 1, (size_t)(close - p - 1));
				w += close - p - 1;
				p = close + 1;
			} else {
				*w++ = *p++;
			}
		}
		if (*p)
			p++;
		*w = '\0';
	}
}

static bool is_filter_option(const char *word)
{
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);

	for (size_t i = 0; i < sizeof(filter_options) / sizeof(filter_options[0]); i++)
		if (strlen(filter_options[i]) == len && strncmp(word, filter_options[i], len) == 0)
			return true;
	return false;
}

/* Only filter options, each with its value: no -w, no pcap-filter syntax. */
static int check_words(char **words, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		if (!is_filter_option(words[i]))
			return uc_error(err, errlen,
					"capture filter: unexpected '%s' (a unixcap capture "
					"filter is made of --path P, --pid N, --comm NAME and "
					"--type T)",
					words[i]);
		if (!strchr(words[i], '=') && ++i == n)
			return uc_error(err, errlen, "capture filter: '%s' needs a value",
					words[i - 1]);
	}
	return 0;
}

/* Splits and checks a capture filter. *buf (the words' storage) and *words are the caller's to
 * free, also on failure; words[0] is left free for argv[0]. */
static int parse_filter(const char *filter, char **buf, char ***words, int *n, char *err,
			size_t errlen)
{
	struct uc_cli scratch;
	char msg[512];

	*buf = strdup(filter ? filter : "");
	*words = calloc(strlen(*buf) / 2 + 3, sizeof(char *));
	if (!*buf || !*words)
		return uc_error(err, errlen, "out of memory");
	(*words)[0] = "unixcap";
	*n = split_words(*buf, *words + 1);
	if (*n < 0)
		return uc_error(err, errlen, "capture filter: a quote is not closed");
	if (check_words(*words + 1, *n, err, errlen) < 0)
		return -1;
	if (uc_cli_parse(*n + 1, *words, &scratch, msg, sizeof(msg)) < 0)
		return uc_error(err, errlen, "capture filter: %s", msg);
	return 0;
}

int uc_extcap_check_filter(const char *filter, char *err, size_t errlen)
{
	char *buf, **words;
	int n, ret = parse_filter(filter, &buf, &words, &n, err, errlen);

	free(buf);
	free(words);
	return ret;
}

/* The filter's words join the interface's options, as if they followed them on the command line:
 * a --path, --pid or --type adds an alternative, a --comm replaces the interface's. */
static int add_filter(struct extcap_request *req, char *err, size_t errlen)
{
	char **words, **argv;
	int n;

	free(kept.filter);
	kept.filter = NULL;
	if (parse_filter(req->filter, &kept.filter, &words, &n, err, errlen) < 0) {
		free(words);
		return -1;
	}
	argv = realloc(req->argv, ((size_t)req->argc + (size_t)n + 1) * sizeof(char *));
	if (!argv) {
		free(words);
		return uc_error(err, errlen, "out of memory");
	}
	kept.argv = req->argv = argv;
	memcpy(argv + req->argc, words + 1, (size_t)n * sizeof(char *));
	req->argc += n;
	argv[req->argc] = NULL;
	free(words);
	return 0;
}

static int capture_request(struct extcap_request *req, struct uc_cli *cli, char *err, size_t errlen)
{
	if (!req->fifo)
		return uc_error(err, errlen, "--capture needs --fifo PATH");
	if (add_filter(req, err, errlen) < 0)
		return -1;
	if (uc_cli_parse(req->argc, req->argv, cli, err, errlen) < 0)
		return -1;
	if (cli->write_path || cli->help || cli->version)
		return uc_error(err, errlen,
				"-w, --help and --version do not go with --capture (the "
				"output is the --fifo)");
	cli->write_path = req->fifo;
	cli->flush_each = true;
	cli->extcap = true;
	return 0;
}

/* file:// URL of path, with anything but unreserved characters and '/' %-escaped. */
static void file_url(const char *path, char *out, size_t len)
{
	size_t used = (size_t)snprintf(out, len, "file://");

	for (const unsigned char *p = (const unsigned char *)path; *p && used + 4 < len; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
			out[used++] = (char)*p;
		else
			used += (size_t)snprintf(out + used, len - used, "%%%02X", *p);
	}
	out[used] = '\0';
}

/* The README installed beside the binary (PREFIX/bin → PREFIX/share/doc/unixcap), else the
 * one in the source tree the binary was built in. */
static void help_url(char *out, size_t len)
{
	char exe[PATH_MAX], doc[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	file_url("/usr/local/share/doc/unixcap/README.md", out, len);
	if (n <= 0)
		return;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0'; /* the binary's folder */
	snprintf(doc, sizeof(doc), "%s/README.md", exe);
	if (access(doc, R_OK) == 0)
		file_url(doc, out, len);
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(doc, sizeof(doc), "%s/share/doc/unixcap/README.md", exe);
	if (access(doc, R_OK) == 0)
		file_url(doc, out, len);
}

static int print_interfaces(FILE *out)
{
	char url[PATH_MAX * 3 + 16];

	help_url(url, sizeof(url));
	fprintf(out, "extcap {version=%s}{help=%s}\n", UNIXCAP_VERSION, url);
	fprintf(out, "interface {value=%s}{display=AF_UNIX sockets (unixcap)}\n",
		UC_EXTCAP_INTERFACE);
	return 0;
}

static int print_dlts(FILE *out)
{
	fputs("dlt {number=101}{name=RAW}{display=IPv4 (synthetic TCP/UDP for AF_UNIX)}\n", out);
	return 0;
}

static int print_config(FILE *out)
{
	for (size_t i = 0; i < sizeof(config_lines) / sizeof(config_lines[0]); i++)
		fprintf(out, "%s\n", config_lines[i]);
	return 0;
}

/* Wireshark checks a capture filter as it is typed: nothing printed means valid, otherwise
 * the first line says why not (the exit status must be 0 either way). */
static int print_filter_verdict(const char *filter, FILE *out)
{
	char msg[512];

	if (uc_extcap_check_filter(filter, msg, sizeof(msg)) < 0)
		fprintf(out, "%s\n", msg);
	return 0;
}

static int check_interface(const char *name, char *err, size_t errlen)
{
	if (!name)
		return uc_error(err, errlen, "this extcap call needs --extcap-interface %s",
				UC_EXTCAP_INTERFACE);
	if (strcmp(name, UC_EXTCAP_INTERFACE) != 0)
		return uc_error(err, errlen, "unknown extcap interface '%s' (unixcap has '%s')",
				name, UC_EXTCAP_INTERFACE);
	return 0;
}

int uc_extcap_handle(int argc, char **argv, struct uc_cli *cli, FILE *out, FILE *err)
{
	struct extcap_request req;
	char msg[512];

	if (split_request(argc, argv, &req, msg, sizeof(msg)) < 0)
		return usage_error(err, msg);
	if (req.interfaces)
		return print_interfaces(out);
	if (!req.dlts && !req.config && !req.capture && !req.filter)
		return usage_error(err, "an extcap call needs --extcap-interfaces, --extcap-dlts, "
					"--extcap-config or --capture");
	if (check_interface(req.interface, msg, sizeof(msg)) < 0)
		return usage_error(err, msg);
	if (req.dlts)
		return print_dlts(out);
	if (req.config)
		return req.reload ? 0 : print_config(out); /* no option has values to reload */
	if (!req.capture)
		return print_filter_verdict(req.filter, out);
	if (capture_request(&req, cli, msg, sizeof(msg)) < 0)
		return usage_error(err, msg);
	return UC_EXTCAP_CAPTURE;
}
