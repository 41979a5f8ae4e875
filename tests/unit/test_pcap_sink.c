/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the pcapng sink: messages written with the real writer, read back by tshark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sinks/pcap_sink.h"

#define T0 1700000000000000000ull
#define CLIENT 100
#define SERVER 101
#define SOCK_PATH "/run/t.sock"

/* ---- running tshark ---- */

static bool have_tshark(void)
{
	static int have = -1;

	if (have < 0)
		have = system("command -v tshark >/dev/null 2>&1") == 0;
	if (!have)
		printf("SKIP: tshark not installed\n");
	return have;
}

/* Runs cmd and returns everything it wrote to stdout; *status is pclose's. */
static char *run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, len = 0, n;
	char *out = malloc(cap);

	assert_non_null(f);
	assert_non_null(out);
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	*status = pclose(f);
	return out;
}

/* ---- a capture file, unlinked at once so a failed test leaves nothing behind ---- */

struct cap {
	int fd;
	char file[64]; /* /proc/PID/fd/FD, for tshark */
	struct uc_pcap_sink *s;
};

static void cap_open(struct cap *c)
{
	char path[] = "/tmp/test_pcap_sink_XXXXXX";

	c->fd = mkstemp(path);
	assert_true(c->fd >= 0);
	unlink(path);
	snprintf(c->file, sizeof(c->file), "/proc/%d/fd/%d", (int)getpid(), c->fd);
	c->s = uc_pcap_open(c->fd, false, "test_pcap_sink");
	assert_non_null(c->s);
}

static void write_msg(struct cap *c, const struct uc_message *m)
{
	assert_int_equal(uc_pcap_write(c->s, m), 0);
}

/* Closes the sink and checks that tshark reads the whole file without complaint. */
static void cap_finish(struct cap *c)
{
	struct uc_stats st = { .messages = 1 };
	char cmd[256], *out, *line, *save = NULL;
	int status;

	assert_int_equal(uc_pcap_close(c->s, &st, T0 + 1000000000ull), 0);
	snprintf(cmd, sizeof(cmd), "tshark -r %s -q 2>&1", c->file);
	out = run(cmd, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "Running as user", 15) != 0)
			fail_msg("tshark -q said: %s", line);
	free(out);
}

static char *tshark(struct cap *c, const char *args)
{
	char cmd[512], *out;
	int status;

	snprintf(cmd, sizeof(cmd), "tshark -r %s %s 2>/dev/null", c->file, args);
	out = run(cmd, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static void cap_close(struct cap *c)
{
	close(c->fd);
}

static void expect_fields(struct cap *c, const char *args, const char *want)
{
	char *out = tshark(c, args);

	assert_string_equal(out, want);
	free(out);
}

/* ---- messages ---- */

static struct uc_message stream_msg(bool from_client, uint64_t ts, const void *data, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = ts;
	m.event = UC_MSG_DATA;
	m.pid = from_client ? 10 : 20;
	snprintf(m.comm, sizeof(m.comm), from_client ? "client" : "server");
	m.sock_type = SOCK_STREAM;
	m.own_ino = from_client ? CLIENT : SERVER;
	m.peer_ino = from_client ? SERVER : CLIENT;
	snprintf(from_client ? m.peer_path : m.own_path, UC_NAME_LEN, SOCK_PATH);
	m.len = m.caplen = m.stored = len;
	m.data = data;
	return m;
}

static struct uc_message event_msg(bool from_client, uint64_t ts, enum uc_message_event e)
{
	struct uc_message m = stream_msg(from_client, ts, NULL, 0);

	m.event = e;
	return m;
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + 7 + i / 251);
	return p;
}

static char *hex(const uint8_t *p, size_t len)
{
	char *h = malloc(2 * len + 1);

	assert_non_null(h);
	for (size_t i = 0; i < len; i++)
		snprintf(h + 2 * i, 3, "%02x", p[i]);
	h[2 * len] = '\0';
	return h;
}

/* The bytes one side sent, as hex, from "-z follow,tcp,raw": the server's lines start with a tab. */
static char *followed(const char *out, bool server)
{
	char *all = malloc(strlen(out) + 1), *p = all;
	const char *line = strstr(out, "Node 1: ");

	assert_non_null(all);
	assert_non_null(line);
	for (line = strchr(line, '\n'); line && line[1] && line[1] != '=';
	     line = strchr(line + 1, '\n')) {
		const char *start = line + 1, *end = strchr(start, '\n');

		assert_non_null(end);
		if ((*start == '\t') != server)
			continue;
		start += server;
		memcpy(p, start, (size_t)(end - start));
		p += end - start;
	}
	*p = '\0';
	return all;
}

/* ---- tests ---- */

static void write_conversation(struct cap *c)
{
	struct uc_message m;

	m = stream_msg(true, T0, "hello", 5);
	write_msg(c, &m);
	m = stream_msg(false, T0 + 1000, "world!", 6);
	write_msg(c, &m);
	m = event_msg(true, T0 + 2000, UC_MSG_CLOSE);
	write_msg(c, &m);
	m = event_msg(false, T0 + 3000, UC_MSG_CLOSE);
	write_msg(c, &m);
}

static void test_stream_conversation(void **state)
{
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_conversation(&c);
	cap_finish(&c);
	/* p2p_dir 0: sent (outbound, client to server); 1: received. */
	expect_fields(&c,
		      "-T fields -e tcp.flags -e ip.src -e tcp.srcport -e frame.p2p_dir "
		      "-e tcp.payload",
		      "0x0002\t10.1.0.1\t60002\t0\t\n"
		      "0x0012\t10.2.0.1\t9\t1\t\n"
		      "0x0010\t10.1.0.1\t60002\t0\t\n"
		      "0x0018\t10.1.0.1\t60002\t0\t68656c6c6f\n"
		      "0x0018\t10.2.0.1\t9\t1\t776f726c6421\n"
		      "0x0011\t10.1.0.1\t60002\t0\t\n"
		      "0x0011\t10.2.0.1\t9\t1\t\n");
	expect_fields(&c, "-Y 'tcp.analysis.flags' -T fields -e frame.number", "");
	expect_fields(&c, "-q -z follow,tcp,raw,0",
		      "\n===================================================================\n"
		      "Follow: tcp,raw\n"
		      "Filter: tcp.stream eq 0\n"
		      "Node 0: 10.1.0.1:60002\n"
		      "Node 1: 10.2.0.1:9\n"
		      "68656c6c6f\n"
		      "\t776f726c6421\n"
		      "===================================================================\n");
	cap_close(&c);
}

static void test_comments_carry_metadata(void **state)
{
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_conversation(&c);
	cap_finish(&c);
	out = tshark(&c, "-Y 'frame.number==4' -T fields -e frame.comment");
	assert_non_null(strstr(out, "unixcap ts=1700000000.000000000 pid=10 tid=0 comm=client"));
	assert_non_null(strstr(out, " type=stream event=data "));
	assert_non_null(strstr(out, " peer=/run/t.sock peer_ino=101 len=5 caplen=5 stored=5"));
	free(out);
	out = tshark(&c, "-Y 'frame.number==1' -T fields -e frame.comment");
	assert_non_null(strstr(out, "connection already open when first seen"));
	free(out);
	cap_close(&c);
}

static void test_server_speaks_first(void **state)
{
	struct cap c;
	struct uc_message m = stream_msg(false, T0, "220 ready\r\n", 11);

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 1, "QUIT\r\n", 6);
	write_msg(&c, &m);
	cap_finish(&c);
	/* The handshake still starts at the client; the greeting goes server to client. */
	expect_fields(&c,
		      "-T fields -e tcp.flags -e tcp.srcport -e frame.p2p_dir -e tcp.seq "
		      "-e tcp.ack -Y 'tcp.flags.ack==1'",
		      "0x0012\t9\t1\t0\t1\n"
		      "0x0010\t60002\t0\t1\t1\n"
		      "0x0018\t9\t1\t1\t1\n"
		      "0x0018\t60002\t0\t1\t12\n");
	cap_close(&c);
}

static void test_large_message_segmented(void **state)
{
	enum { LEN = 200000 };
	uint8_t *data = pattern(LEN);
	char *want_hex = hex(data, LEN), *out, *follow;
	struct uc_message m = stream_msg(true, T0, data, LEN);
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c, "-Y 'tcp.len>0' -T fields -e tcp.seq -e tcp.len -e frame.cap_len",
		      "1\t65495\t65535\n"
		      "65496\t65495\t65535\n"
		      "130991\t65495\t65535\n"
		      "196486\t3515\t3555\n");
	expect_fields(&c, "-Y 'tcp.analysis.flags' -T fields -e frame.number", "");
	out = tshark(&c, "-q -z follow,tcp,raw,0");
	follow = followed(out, false);
	assert_string_equal(follow, want_hex);
	free(follow);
	follow = followed(out, true);
	assert_string_equal(follow, "");
	free(follow);
	free(out);
	cap_close(&c);
	free(want_hex);
	free(data);
}

static void test_lost_bytes_leave_gap(void **state)
{
	static const char first[40] = "first forty bytes of a hundred-byte msg";
	struct uc_message m = stream_msg(true, T0, first, 100);
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	m.stored = 40; /* 60 bytes never reached the ring */
	cap_open(&c);
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 1, "next", 4);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-Y 'tcp.len>0' -T fields -e frame.number -e tcp.seq -e tcp.len "
		      "-e tcp.analysis.lost_segment",
		      "4\t1\t40\t\n"
		      "5\t101\t4\t1\n");
	out = tshark(&c, "-Y 'frame.number==4' -T fields -e frame.comment");
	assert_non_null(strstr(out, "60 bytes of this message lost after this segment"));
	free(out);
	cap_close(&c);
}

static void test_whole_message_lost(void **state)
{
	struct uc_message m = stream_msg(true, T0, NULL, 50);
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	m.stored = 0;
	cap_open(&c);
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 1, "after", 5);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c, "-Y 'frame.number>=4' -T fields -e tcp.flags -e tcp.seq -e tcp.len",
		      "0x0010\t51\t0\n"
		      "0x0018\t51\t5\n");
	out = tshark(&c, "-Y 'frame.number==4' -T fields -e frame.comment");
	assert_non_null(strstr(out, "the 50 bytes of this message were not stored"));
	free(out);
	cap_close(&c);
}

/* Every message of a connection lost: the loss report alone must still show up, where the
 * connection would be, with its count. */
static void test_loss_report_of_unseen_connection(void **state)
{
	struct uc_message m = event_msg(true, T0, UC_MSG_LOST);
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	m.lost_before_msgs = 2;
	m.lost_before_bytes = 300;
	cap_open(&c);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-Y 'frame.number==4' -T fields -e tcp.flags -e tcp.seq -e frame.drop_count",
		      "0x0010\t301\t2\n");
	cap_close(&c);
}

static void test_snaplen_truncation(void **state)
{
	uint8_t *data = pattern(100);
	struct uc_message m = stream_msg(true, T0, data, 1000);
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	m.caplen = m.stored = 100; /* -s 100 */
	cap_open(&c);
	write_msg(&c, &m);
	m = stream_msg(false, T0 + 1, "ok", 2);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-Y 'frame.number>=4' -T fields -e frame.cap_len -e frame.len -e tcp.seq "
		      "-e tcp.ack",
		      "140\t1040\t1\t1\n"
		      "42\t42\t1\t1001\n");
	cap_close(&c);
	free(data);
}

static struct uc_message dgram_msg(const void *data, uint32_t len)
{
	struct uc_message m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = T0;
	m.event = UC_MSG_DATA;
	m.sock_type = SOCK_DGRAM;
	m.own_ino = 300;
	m.peer_ino = 301;
	snprintf(m.peer_path, sizeof(m.peer_path), "/dev/log");
	m.len = m.caplen = m.stored = len;
	m.data = data;
	return m;
}

static void test_large_datagram_in_parts(void **state)
{
	enum { LEN = 100000 };
	uint8_t *data = pattern(LEN);
	struct uc_message m = dgram_msg(data, LEN);
	char *want1 = hex(data, 65507), *want2 = hex(data + 65507, LEN - 65507), *out;
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c, "-T fields -e udp.srcport -e udp.length -e frame.p2p_dir",
		      "60002\t65515\t0\n"
		      "60002\t34501\t0\n");
	out = tshark(&c, "-T fields -e frame.comment");
	assert_non_null(strstr(out, "part 1/2 of 100000 bytes\n"));
	assert_non_null(strstr(out, "part 2/2 of 100000 bytes\n"));
	assert_ptr_equal(strstr(out, "part 1/2"), strstr(out, "part ")); /* in that order */
	free(out);
	out = tshark(&c, "-T fields -e udp.payload");
	assert_int_equal(strlen(out), 2 * LEN + 2);
	assert_memory_equal(out, want1, 2 * 65507);
	assert_memory_equal(out + 2 * 65507 + 1, want2, 2 * (LEN - 65507));
	free(out);
	cap_close(&c);
	free(want1);
	free(want2);
	free(data);
}

static void test_lost_datagram_parts(void **state)
{
	struct uc_message m = dgram_msg(NULL, 100000);
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	m.stored = 0; /* nothing of it reached the ring */
	cap_open(&c);
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c, "-T fields -e frame.cap_len -e frame.len", "28\t65535\n28\t34521\n");
	out = tshark(&c, "-T fields -e frame.comment");
	assert_non_null(strstr(out, "part 1/2 of 100000 bytes; 65507 bytes of this datagram lost"));
	assert_non_null(strstr(out, "part 2/2 of 100000 bytes; 34493 bytes of this datagram lost"));
	free(out);
	cap_close(&c);
}

static void test_datagram_reply_direction(void **state)
{
	struct uc_message q = dgram_msg("ping", 4), r = dgram_msg("pong", 4);
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	r.own_ino = 301;
	r.peer_ino = 300;
	snprintf(r.own_path, sizeof(r.own_path), "/dev/log");
	r.peer_path[0] = '\0';
	cap_open(&c);
	write_msg(&c, &q);
	write_msg(&c, &r);
	cap_finish(&c);
	expect_fields(&c,
		      "-T fields -e ip.src -e udp.srcport -e udp.dstport -e frame.p2p_dir "
		      "-e udp.payload",
		      "10.1.0.1\t60002\t9\t0\t70696e67\n"
		      "10.2.0.1\t9\t60002\t1\t706f6e67\n");
	cap_close(&c);
}

static void test_lost_before_drop_count(void **state)
{
	struct uc_message m = stream_msg(true, T0, "one", 3);
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 1, "five", 4);
	m.lost_before_msgs = 3;
	m.lost_before_bytes = 30;
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-T fields -e frame.number -e frame.drop_count -e tcp.seq "
		      "-e tcp.analysis.lost_segment -Y 'tcp.len>0'",
		      "4\t\t1\t\n"
		      "5\t3\t34\t1\n");
	out = tshark(&c, "-Y 'frame.number==5' -T fields -e frame.comment");
	assert_non_null(strstr(out, "30 bytes in 3 earlier messages lost before this one"));
	free(out);
	cap_close(&c);
}

/* Losses reported at the end, with no message after them: an empty ACK past the gap. */
static void test_lost_event_of_known_connection(void **state)
{
	struct uc_message m = stream_msg(true, T0, "abc", 3);
	struct cap c;
	char *out;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	m = event_msg(true, T0 + 1, UC_MSG_LOST);
	m.lost_before_msgs = 2;
	m.lost_before_bytes = 20;
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-Y 'frame.number>=4' -T fields -e tcp.flags -e tcp.seq -e tcp.len "
		      "-e frame.drop_count -e frame.p2p_dir",
		      "0x0018\t1\t3\t\t0\n"
		      "0x0010\t24\t0\t2\t0\n");
	out = tshark(&c, "-Y 'frame.number==5' -T fields -e frame.comment");
	assert_non_null(strstr(out, "event=lost"));
	assert_non_null(strstr(out, "20 bytes in 2 earlier messages lost"));
	free(out);
	cap_close(&c);
}

static void test_eof_finishes_peer_direction(void **state)
{
	struct uc_message m = stream_msg(true, T0, "bye", 3);
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_msg(&c, &m);
	m = event_msg(true, T0 + 1, UC_MSG_EOF); /* the client read EOF: the server finished */
	write_msg(&c, &m);
	m = event_msg(false, T0 + 2, UC_MSG_CLOSE); /* already finished: no second FIN */
	write_msg(&c, &m);
	m = event_msg(true, T0 + 3, UC_MSG_SHUTDOWN);
	write_msg(&c, &m);
	cap_finish(&c);
	/* the close no packet shows is kept for -r as a custom block (no ip) */
	expect_fields(&c, "-Y '!ip' -T fields -e frame.number", "6\n");
	expect_fields(
		&c, "-Y 'frame.number>=5 && ip' -T fields -e tcp.flags -e frame.p2p_dir -e tcp.seq",
		"0x0011\t1\t1\n"
		"0x0011\t0\t4\n");
	cap_close(&c);
}

static void test_finished_connection_gets_new_tuple(void **state)
{
	struct uc_message m;
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	write_conversation(&c);
	m = stream_msg(true, T0 + 5000, "again", 5); /* same inodes, reused by a new connection */
	write_msg(&c, &m);
	cap_finish(&c);
	expect_fields(&c,
		      "-Y 'tcp.flags.syn==1&&tcp.flags.ack==0' -T fields -e tcp.stream "
		      "-e tcp.srcport -e ip.dst",
		      "0\t60002\t10.2.0.1\n"
		      "1\t60003\t10.2.0.1\n");
	cap_close(&c);
}

static void test_events_of_unknown_connections_write_no_packet(void **state)
{
	static const enum uc_message_event events[] = { UC_MSG_CLOSE, UC_MSG_SHUTDOWN, UC_MSG_EOF };
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	cap_open(&c);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct uc_message m = event_msg(true, T0, events[i]);

		write_msg(&c, &m);
	}
	cap_finish(&c);
	/* no packet; each event is kept for -r as a custom block, which tshark lists without ip */
	expect_fields(&c, "-Y ip -T fields -e frame.number", "");
	expect_fields(&c, "-Y '!ip' -T fields -e frame.number", "1\n2\n3\n");
	cap_close(&c);
}

/* The writer is fed by -r from files: lengths that contradict each other (stored > caplen >
 * len, stored bytes without data) are taken as stored <= caplen <= len, and the output stays
 * bounded. The file size limit turns a runaway into a failed write instead of a full disk. */
static void test_inconsistent_lengths_stay_bounded(void **state)
{
	static const char bytes[42] = "forty-two bytes, of which 20 are kept....";
	struct uc_message m = stream_msg(true, T0, bytes, 200);
	struct rlimit old, small = { 1 << 20, 1 << 20 };
	struct cap c;

	(void)state;
	if (!have_tshark())
		skip();
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	cap_open(&c);
	m.caplen = 20; /* and stored = 42: caplen - stored would wrap */
	m.stored = 42;
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 1, NULL, 10);
	m.stored = 10; /* said stored, but no data */
	write_msg(&c, &m);
	m = stream_msg(true, T0 + 2, "next", 4);
	m.caplen = 9; /* more than len */
	write_msg(&c, &m);
	cap_finish(&c);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	expect_fields(&c,
		      "-Y 'frame.number>=4' -T fields -e frame.cap_len -e frame.len -e tcp.seq "
		      "-e tcp.len",
		      "60\t240\t1\t200\n"
		      "40\t40\t211\t0\n"
		      "44\t44\t211\t4\n");
	cap_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_conversation),
		cmocka_unit_test(test_comments_carry_metadata),
		cmocka_unit_test(test_server_speaks_first),
		cmocka_unit_test(test_large_message_segmented),
		cmocka_unit_test(test_lost_bytes_leave_gap),
		cmocka_unit_test(test_whole_message_lost),
		cmocka_unit_test(test_snaplen_truncation),
		cmocka_unit_test(test_large_datagram_in_parts),
		cmocka_unit_test(test_lost_datagram_parts),
		cmocka_unit_test(test_datagram_reply_direction),
		cmocka_unit_test(test_lost_before_drop_count),
		cmocka_unit_test(test_inconsistent_lengths_stay_bounded),
		cmocka_unit_test(test_lost_event_of_known_connection),
		cmocka_unit_test(test_eof_finishes_peer_direction),
		cmocka_unit_test(test_finished_connection_gets_new_tuple),
		cmocka_unit_test(test_events_of_unknown_connections_write_no_packet),
		cmocka_unit_test(test_loss_report_of_unseen_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
