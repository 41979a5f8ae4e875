/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes the seed corpus of fuzz_pcapng: small captures made by unixcap's own pcapng sink from
 * synthetic messages (streams, datagrams, D-Bus, losses, passed descriptors, odd names), so the
 * fuzzer starts from files -r must read. Usage: make_seeds DIR */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks/pcap_sink.h"
#include "format/pcapng.h"

#define T0 1700000000000000042ull
#define STREAM 1
#define DGRAM 2
#define SEQPACKET 5

struct seed {
	int fd;
	struct uc_pcap_sink *s;
	uint64_t ts;
	uint64_t messages;
};

static void seed_open(struct seed *sd, const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sd->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (sd->fd < 0 || !(sd->s = uc_pcap_open(sd->fd, false, "make_seeds"))) {
		perror(path);
		exit(1);
	}
	sd->ts = T0;
	sd->messages = 0;
}

static void seed_close(struct seed *sd)
{
	struct uc_stats st = { .messages = sd->messages, .lost_msgs = 1 };

	if (uc_pcap_close(sd->s, &st, sd->ts + 1000) < 0 || close(sd->fd) < 0) {
		perror("make_seeds: close");
		exit(1);
	}
}

/* One end of a connection: who sends from it. */
struct end {
	uint32_t pid;
	const char *comm;
	const char *path;
	uint64_t ino;
};

static struct uc_message msg(struct seed *sd, uint16_t type, enum uc_message_event e,
			     const struct end *from, const struct end *to, const void *data,
			     uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = sd->ts += 1234567;
	m.event = e;
	m.pid = m.tid = from->pid;
	m.uid = 1000;
	m.peer_pid = to->pid;
	m.peer_uid = m.peer_gid = 1000;
	snprintf(m.comm, sizeof(m.comm), "%s", from->comm);
	m.sock_type = type;
	m.syscall = 44;
	m.own_ino = from->ino;
	m.peer_ino = to->ino;
	snprintf(m.own_path, sizeof(m.own_path), "%s", from->path);
	snprintf(m.peer_path, sizeof(m.peer_path), "%s", to->path);
	m.len = m.caplen = m.stored = len;
	m.data = data;
	return m;
}

static void put(struct seed *sd, const struct uc_message *m)
{
	if (uc_pcap_write(sd->s, m) < 0) {
		perror("make_seeds: uc_pcap_write");
		exit(1);
	}
	sd->messages += m->event == UC_MSG_DATA;
}

static void send_data(struct seed *sd, uint16_t type, const struct end *from, const struct end *to,
		      const void *data, uint32_t len)
{
	struct uc_message m = msg(sd, type, UC_MSG_DATA, from, to, data, len);

	put(sd, &m);
}

static void event(struct seed *sd, uint16_t type, enum uc_message_event e, const struct end *from,
		  const struct end *to, uint32_t len)
{
	struct uc_message m = msg(sd, type, e, from, to, NULL, 0);

	m.len = len;
	put(sd, &m);
}

/* An HTTP exchange over a stream: connect, accept, both directions, reads, shutdown, close. */
static void stream_seed(const char *dir)
{
	static const char req[] = "GET /v1/info HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	struct end cli = { 100, "curl", "", 5001 },
		   srv = { 200, "my server%", "/run/app.sock", 5002 };
	struct seed sd;

	seed_open(&sd, dir, "stream_http.pcapng");
	event(&sd, STREAM, UC_MSG_CONNECT, &cli, &srv, 0);
	event(&sd, STREAM, UC_MSG_ACCEPT, &srv, &cli, 0);
	send_data(&sd, STREAM, &cli, &srv, req, sizeof(req) - 1);
	event(&sd, STREAM, UC_MSG_READ, &srv, &cli, sizeof(req) - 1);
	send_data(&sd, STREAM, &srv, &cli, resp, sizeof(resp) - 1);
	event(&sd, STREAM, UC_MSG_READ, &cli, &srv, sizeof(resp) - 1);
	event(&sd, STREAM, UC_MSG_SHUTDOWN, &cli, &srv, 0);
	event(&sd, STREAM, UC_MSG_EOF, &srv, &cli, 0);
	event(&sd, STREAM, UC_MSG_CLOSE, &srv, &cli, 0);
	event(&sd, STREAM, UC_MSG_CLOSE, &cli, &srv, 0);
	seed_close(&sd);
}

/* Datagrams and seqpackets: abstract and escaped names, passed descriptors and credentials,
 * a peek, a cgroup. */
static void dgram_seed(const char *dir)
{
	static const uint8_t bin[] = { 0, 1, 2, '\n', '\r', '\t', '\\', 0x7f, 0x80, 0xff, '%', ' ' };
	struct end a = { 300, "logger", "@journal socket", 7001 };
	struct end b = { 301, "journald", "/run/x\\x01y.sock", 7002 };
	struct end c = { 302, "sp", "/tmp/sp", 7003 }, d = { 303, "sp2", "", 7004 };
	struct uc_message m;
	struct seed sd;

	seed_open(&sd, dir, "dgram_fds.pcapng");
	send_data(&sd, DGRAM, &a, &b, "<13>hello journal", 17);
	m = msg(&sd, DGRAM, UC_MSG_DATA, &a, &b, bin, sizeof(bin));
	m.nfds = 3;
	m.nfds_described = 2;
	m.fds[0] = (struct uc_passed_fd){ 4, 4242, "socket", "/run/a,b sock" };
	m.fds[1] = (struct uc_passed_fd){ 5, 99, "memfd", "memfd:x (deleted)" };
	m.has_creds = true;
	m.cred_pid = 300, m.cred_uid = 0, m.cred_gid = 4;
	m.cgroup_id = 1234;
	snprintf(m.cgroup, sizeof(m.cgroup), "/system.slice/a b.service");
	put(&sd, &m);
	m = msg(&sd, DGRAM, UC_MSG_READ, &b, &a, NULL, 0);
	m.len = 12;
	m.peek = true;
	put(&sd, &m);
	send_data(&sd, SEQPACKET, &c, &d, "seq one", 7);
	send_data(&sd, SEQPACKET, &d, &c, "", 0);
	event(&sd, SEQPACKET, UC_MSG_CLOSE, &d, &c, 0);
	seed_close(&sd);
}

/* What a full ring and -s leave: lost messages, a message partly stored, one cut by -s,
 * bytes sent by sendfile, a message split over two packets. */
static void losses_seed(const char *dir)
{
	static uint8_t big[3000];
	struct end cli = { 400, "pg client", "", 9001 },
		   srv = { 401, "postgres", "/run/postgresql/.s.PGSQL.5432", 9002 };
	struct uc_message m;
	struct seed sd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	seed_open(&sd, dir, "stream_losses.pcapng");
	send_data(&sd, STREAM, &cli, &srv, "\0\0\0\x08\x04\xd2\x16\x2f", 8);
	m = msg(&sd, STREAM, UC_MSG_DATA, &cli, &srv, big, 1000);
	m.lost_before_msgs = 2;
	m.lost_before_bytes = 70;
	put(&sd, &m);
	m = msg(&sd, STREAM, UC_MSG_DATA, &srv, &cli, big, 300);
	m.len = 3000;
	m.caplen = 512; /* -s 512 */
	m.stored = 300; /* the ring lost the rest */
	put(&sd, &m);
	event(&sd, STREAM, UC_MSG_LOST, &cli, &srv, 4096);
	event(&sd, STREAM, UC_MSG_UNSEEN, &srv, &cli, 65536);
	send_data(&sd, STREAM, &srv, &cli, big, sizeof(big));
	event(&sd, STREAM, UC_MSG_CLOSE, &cli, &srv, 0);
	seed_close(&sd);
}

/* Little-endian D-Bus message with the given header fields (code, signature, string value). */
struct dbus_field {
	uint8_t code;
	char sig;
	const char *value;
};

static size_t dbus_message(uint8_t *out, uint8_t type, uint32_t serial, const struct dbus_field *f,
			   size_t nf, const char *body_string)
{
	size_t n = 16, array_start = 16;
	uint32_t v;

	out[0] = 'l', out[1] = type, out[2] = 0, out[3] = 1;
	for (size_t i = 0; i < nf; i++) {
		size_t len = strlen(f[i].value);

		while (n % 8)
			out[n++] = 0;
		out[n++] = f[i].code, out[n++] = 1, out[n++] = (uint8_t)f[i].sig, out[n++] = 0;
		if (f[i].sig == 'u') { /* a number, 4-aligned already */
			v = (uint32_t)strtoul(f[i].value, NULL, 10);
			memcpy(out + n, &v, 4);
			n += 4;
			continue;
		}
		if (f[i].sig == 'g') {
			out[n++] = (uint8_t)len;
		} else {
			v = (uint32_t)len;
			memcpy(out + n, &v, 4);
			n += 4;
		}
		memcpy(out + n, f[i].value, len + 1);
		n += len + 1;
	}
	v = (uint32_t)(n - array_start);
	memcpy(out + 12, &v, 4);
	while (n % 8)
		out[n++] = 0;
	v = 0;
	if (body_string) {
		uint32_t len = (uint32_t)strlen(body_string);

		memcpy(out + n, &len, 4);
		memcpy(out + n + 4, body_string, len + 1);
		v = 4 + len + 1;
	}
	memcpy(out + 4, &v, 4);
	memcpy(out + 8, &serial, 4);
	return n + v;
}

/* A D-Bus connection: SASL, then Hello and its reply, each D-Bus message one packet. */
static void dbus_seed(const char *dir)
{
	static const char sasl_c[] = "\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";
	static const char sasl_s[] = "OK 1234deadbeef1234deadbeef123456\r\nAGREE_UNIX_FD\r\n";
	static const struct dbus_field hello[] = {
		{ 1, 'o', "/org/freedesktop/DBus" },
		{ 6, 's', "org.freedesktop.DBus" },
		{ 2, 's', "org.freedesktop.DBus" },
		{ 3, 's', "Hello" },
	};
	static const struct dbus_field reply[] = {
		{ 6, 's', ":1.42" },
		{ 5, 'u', "1" },
		{ 8, 'g', "s" },
		{ 7, 's', "org.freedesktop.DBus" },
	};
	struct end cli = { 500, "busctl", "", 11001 },
		   bus = { 1, "dbus-daemon", "/run/dbus/system_bus_socket", 11002 };
	uint8_t m1[256], m2[256];
	size_t n1, n2;
	struct seed sd;

	n1 = dbus_message(m1, 1, 1, hello, 4, NULL);
	n2 = dbus_message(m2, 2, 1, reply, 4, ":1.42");
	seed_open(&sd, dir, "dbus_hello.pcapng");
	send_data(&sd, STREAM, &cli, &bus, sasl_c, 1);
	send_data(&sd, STREAM, &cli, &bus, sasl_c + 1, sizeof(sasl_c) - 2);
	send_data(&sd, STREAM, &bus, &cli, sasl_s, sizeof(sasl_s) - 1);
	send_data(&sd, STREAM, &cli, &bus, m1, (uint32_t)n1);
	send_data(&sd, STREAM, &bus, &cli, m2, (uint32_t)n2);
	event(&sd, STREAM, UC_MSG_CLOSE, &cli, &bus, 0);
	seed_close(&sd);
}

/* ---- the same file in big-endian byte order, as a big-endian machine writes it ---- */

static void swap16(uint8_t *p)
{
	uint8_t t = p[0];

	p[0] = p[1], p[1] = t;
}

static void swap32(uint8_t *p)
{
	for (int i = 0; i < 2; i++) {
		uint8_t t = p[i];

		p[i] = p[3 - i], p[3 - i] = t;
	}
}

static void swap64(uint8_t *p)
{
	for (int i = 0; i < 4; i++) {
		uint8_t t = p[i];

		p[i] = p[7 - i], p[7 - i] = t;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Options from p to end: the code and length, and the values that are numbers. */
static void swap_options(uint8_t *p, const uint8_t *end, uint32_t type)
{
	while (end - p >= 4) {
		uint16_t code = (uint16_t)(p[0] | p[1] << 8), len = (uint16_t)(p[2] | p[3] << 8);

		swap16(p);
		swap16(p + 2);
		if (code == 0)
			return;
		if (type == 6 && code == 2 && len == 4) /* epb_flags */
			swap32(p + 4);
		else if (type == 6 && code == 4 && len == 8) /* epb_dropcount */
			swap64(p + 4);
		else if (type == 5 && (code == 2 || code == 3) && len == 8) /* isb times: two u32 */
			swap32(p + 4), swap32(p + 8);
		else if (type == 5 && len == 8) /* isb counters */
			swap64(p + 4);
		p += 4 + ((len + 3u) & ~3u);
	}
}

static void swap_block(uint8_t *b, uint32_t type, uint32_t total)
{
	uint8_t *body = b + 8, *end = b + total - 4;

	switch (type) {
	case 0x0A0D0D0A: /* section header */
		swap32(body), swap16(body + 4), swap16(body + 6), swap64(body + 8);
		swap_options(body + 16, end, type);
		break;
	case 1: /* interface description */
		swap16(body), swap16(body + 2), swap32(body + 4);
		swap_options(body + 8, end, type);
		break;
	case 4: { /* name resolution: records, then options */
		uint8_t *p = body;

		while (end - p >= 4) {
			uint16_t rtype = (uint16_t)(p[0] | p[1] << 8),
				 len = (uint16_t)(p[2] | p[3] << 8);

			swap16(p), swap16(p + 2);
			p += 4 + ((len + 3u) & ~3u);
			if (rtype == 0)
				break;
		}
		swap_options(p, end, type);
		break;
	}
	case 5: /* interface statistics */
		swap32(body), swap32(body + 4), swap32(body + 8);
		swap_options(body + 12, end, type);
		break;
	case 6: { /* enhanced packet */
		uint32_t caplen = le32(body + 12);

		for (int i = 0; i < 5; i++)
			swap32(body + 4 * i);
		swap_options(body + 20 + ((caplen + 3u) & ~3u), end, type);
		break;
	}
	case 0x40000BAD:
	case 0x00000BAD: /* custom: the PEN; the data is the writer's own */ swap32(body); break;
	}
	swap32(b), swap32(b + 4), swap32(end);
}

static void big_endian_copy(const char *dir, const char *from, const char *to)
{
	char path[4096];
	uint8_t *buf = malloc(1 << 20);
	size_t n, off;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, from);
	if (!buf || !(f = fopen(path, "rb"))) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	for (off = 0; off + 12 <= n;) {
		uint32_t type = le32(buf + off), total = le32(buf + off + 4);

		swap_block(buf + off, type, total);
		off += total;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, to);
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	stream_seed(argv[1]);
	dgram_seed(argv[1]);
	losses_seed(argv[1]);
	dbus_seed(argv[1]);
	big_endian_copy(argv[1], "dgram_fds.pcapng", "dgram_fds_bigendian.pcapng");
	return 0;
}
