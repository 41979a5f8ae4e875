/* SPDX-License-Identifier: BSD-2-Clause */
/* Splits one direction of a D-Bus connection into SASL lines and whole binary messages. */
#include "sinks/dbus_split.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum phase {
	PHASE_CRED,     /* client: waiting for the NUL credentials byte */
	PHASE_SASL,     /* CRLF-terminated text lines */
	PHASE_BINARY,   /* D-Bus messages */
	PHASE_UNSYNCED, /* boundaries unknown: everything is raw */
};

/* Buffers above this are released after each message, so a single large message does not pin
 * megabytes per connection direction for the rest of its life. */
#define KEEP_BUFFER (64u * 1024u)

struct uc_dbus_split {
	bool client;
	bool authed; /* server: an OK was seen and no REJECTED since */
	bool nomem;  /* set when buffering failed during the current feed */
	enum phase phase;
	uint8_t *buf; /* the incomplete line or message */
	size_t len, cap;
	size_t want; /* binary: total length of the buffered message once its header is in */
};

struct uc_dbus_split *uc_dbus_split_new(bool client_side)
{
	struct uc_dbus_split *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->client = client_side;
	s->phase = client_side ? PHASE_CRED : PHASE_SASL;
	return s;
}

void uc_dbus_split_free(struct uc_dbus_split *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

static void drop_buffer(struct uc_dbus_split *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

/* The buffered fragment goes out raw; its boundaries are no longer knowable. */
static void flush_raw(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx)
{
	if (s->len && ops->unsynced)
		ops->unsynced(ctx, s->buf, s->len);
	drop_buffer(s);
	s->want = 0;
}

/* Enters the unsynced state for good. why is NULL for a gap, which is not an error. */
static void desync(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx,
		   const char *why)
{
	s->phase = PHASE_UNSYNCED;
	if (why && ops->error)
		ops->error(ctx, why);
	flush_raw(s, ops, ctx);
}

/* Appends to the buffer, growing it by doubling but never past a known message length, so
 * a header's claim of 128 MiB costs memory only as the bytes actually arrive. */
static bool append(struct uc_dbus_split *s, const uint8_t *p, size_t n)
{
	size_t need = s->len + n, cap = s->cap ? s->cap : 256;
	uint8_t *nb;

	while (cap < need)
		cap *= 2;
	if (s->want && cap > s->want)
		cap = s->want;
	if (cap > s->cap) {
		nb = realloc(s->buf, cap);
		if (!nb)
			return false;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len = need;
	return true;
}

static void out_of_memory(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx)
{
	s->nomem = true;
	desync(s, ops, ctx, "out of memory buffering D-Bus data");
}

static size_t feed_unsynced(struct uc_dbus_split *s, const uint8_t *data, size_t len,
			    const struct uc_dbus_split_ops *ops, void *ctx)
{
	/* A fragment kept across a gap goes first so the byte order is preserved. */
	flush_raw(s, ops, ctx);
	if (ops->unsynced)
		ops->unsynced(ctx, data, len);
	return len;
}

static size_t feed_cred(struct uc_dbus_split *s, const uint8_t *data,
			const struct uc_dbus_split_ops *ops, void *ctx)
{
	static const char cred[2] = { 0, 0 }; /* the byte itself, then the promised terminator */

	if (data[0] != 0) {
		desync(s, ops, ctx, "D-Bus client did not start with the NUL credentials byte");
		return 0;
	}
	if (ops->sasl_line)
		ops->sasl_line(ctx, cred, 1);
	s->phase = PHASE_SASL;
	return 1;
}

/* Checks the line bytes from index from on. The byte before from is looked at again because
 * a '\r' that ended the previous piece is only valid if this piece starts with '\n'. */
static bool line_bytes_ok(const uint8_t *p, size_t from, size_t n)
{
	size_t i;

	for (i = from ? from - 1 : 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			continue;
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n'))
			continue;
		if (p[i] == '\n' && i > 0 && p[i - 1] == '\r' && i + 1 == n)
			continue;
		return false;
	}
	return true;
}

/* SASL commands are the first word of a line (the specification separates arguments by a
 * single space). */
static bool command_is(const char *line, size_t len, const char *cmd)
{
	size_t n = strlen(cmd);

	return len >= n && !memcmp(line, cmd, n) && (len == n || line[n] == ' ');
}

static void end_line(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx)
{
	char *line = (char *)s->buf;
	size_t len = s->len - 2;

	line[len] = '\0'; /* over the '\r': callers get a C string for free */
	if (ops->sasl_line)
		ops->sasl_line(ctx, line, len);
	if (s->client && command_is(line, len, "BEGIN"))
		s->phase = PHASE_BINARY;
	else if (!s->client && command_is(line, len, "OK"))
		s->authed = true;
	else if (!s->client && command_is(line, len, "REJECTED"))
		s->authed = false;
	s->len = 0;
}

static size_t feed_sasl(struct uc_dbus_split *s, const uint8_t *data, size_t len,
			const struct uc_dbus_split_ops *ops, void *ctx)
{
	const uint8_t *nl;
	size_t take, crlf, from = s->len;

	/* The server's first message: see the rule in the header. */
	if (!s->client && s->authed && !s->len && (data[0] == 'l' || data[0] == 'B')) {
		drop_buffer(s);
		s->phase = PHASE_BINARY;
		return 0;
	}
	nl = memchr(data, '\n', len);
	take = nl ? (size_t)(nl - data) + 1 : len;
	/* Refused as soon as the text (without a CRLF that may be forming) is over the limit,
	 * so a stream that is not SASL costs at most that much buffer. */
	crlf = nl ? 2 : data[take - 1] == '\r';
	if (s->len + take > UC_DBUS_MAX_SASL_LINE + crlf) {
		desync(s, ops, ctx, "SASL line too long");
		return 0;
	}
	if (!append(s, data, take)) {
		out_of_memory(s, ops, ctx);
		return 0;
	}
	if (!line_bytes_ok(s->buf, from, s->len)) {
		desync(s, ops, ctx, "SASL line is not CRLF-terminated printable ASCII");
		return take;
	}
	if (nl)
		end_line(s, ops, ctx);
	return take;
}

static uint32_t get32(const uint8_t *p, bool little)
{
	if (little)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		       (uint32_t)p[3] << 24;
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* Validates the fixed header and computes the message length; NULL or the reason it is bad.
 * 64-bit arithmetic so that two huge u32 lengths cannot wrap into a small total. */
static const char *check_header(const uint8_t *h, size_t *total)
{
	bool little = h[0] == 'l';
	uint64_t fields, n;

	if (h[0] != 'l' && h[0] != 'B')
		return "D-Bus header: endianness is neither 'l' nor 'B'";
	if (h[1] < 1 || h[1] > 4)
		return "D-Bus header: message type is not 1..4";
	if (h[3] != 1)
		return "D-Bus header: major protocol version is not 1";
	if (get32(h + 8, little) == 0)
		return "D-Bus header: serial is 0";
	fields = get32(h + 12, little);
	if (fields > UC_DBUS_MAX_ARRAY)
		return "D-Bus header: header field array longer than 64 MiB";
	n = UC_DBUS_HEADER_LEN + ((fields + 7) & ~(uint64_t)7) + get32(h + 4, little);
	if (n > UC_DBUS_MAX_MESSAGE)
		return "D-Bus header: message longer than 128 MiB";
	*total = (size_t)n;
	return NULL;
}

static void emit(const uint8_t *p, size_t n, const struct uc_dbus_split_ops *ops, void *ctx)
{
	if (ops->message)
		ops->message(ctx, p, n);
}

static size_t feed_binary(struct uc_dbus_split *s, const uint8_t *data, size_t len,
			  const struct uc_dbus_split_ops *ops, void *ctx)
{
	const char *why;
	size_t total, take;

	/* Fast path: a whole message in the caller's data is passed on without a copy. */
	if (!s->len && len >= UC_DBUS_HEADER_LEN) {
		why = check_header(data, &total);
		if (why) {
			desync(s, ops, ctx, why);
			return 0;
		}
		if (len >= total) {
			emit(data, total, ops, ctx);
			return total;
		}
	}
	if (s->len < UC_DBUS_HEADER_LEN)
		take = UC_DBUS_HEADER_LEN - s->len;
	else
		take = s->want - s->len;
	if (take > len)
		take = len;
	if (!append(s, data, take)) {
		out_of_memory(s, ops, ctx);
		return 0;
	}
	if (s->len < UC_DBUS_HEADER_LEN)
		return take;
	if (!s->want) {
		why = check_header(s->buf, &total);
		if (why) {
			desync(s, ops, ctx, why);
			return take;
		}
		s->want = total;
	}
	if (s->len == s->want) {
		emit(s->buf, s->len, ops, ctx);
		s->len = s->want = 0;
		if (s->cap > KEEP_BUFFER)
			drop_buffer(s);
	}
	return take;
}

int uc_dbus_split_feed(struct uc_dbus_split *s, const uint8_t *data, size_t len,
		       const struct uc_dbus_split_ops *ops, void *ctx)
{
	size_t used;

	if (!s || !ops || (!data && len)) {
		errno = EINVAL;
		return -1;
	}
	s->nomem = false;
	/* Each step consumes bytes or changes phase; the unsynced phase takes all, so this ends. */
	while (len) {
		switch (s->phase) {
		case PHASE_CRED: used = feed_cred(s, data, ops, ctx); break;
		case PHASE_SASL: used = feed_sasl(s, data, len, ops, ctx); break;
		case PHASE_BINARY: used = feed_binary(s, data, len, ops, ctx); break;
		default: used = feed_unsynced(s, data, len, ops, ctx); break;
		}
		data += used;
		len -= used;
	}
	if (s->nomem) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void uc_dbus_split_flush(struct uc_dbus_split *s, const struct uc_dbus_split_ops *ops, void *ctx)
{
	if (!s || !ops || !s->len)
		return;
	desync(s, ops, ctx, NULL);
}

void uc_dbus_split_gap(struct uc_dbus_split *s, size_t lost)
{
	if (!s || !lost)
		return;
	s->phase = PHASE_UNSYNCED;
}

bool uc_dbus_split_unsynced(const struct uc_dbus_split *s)
{
	return s && s->phase == PHASE_UNSYNCED;
}

size_t uc_dbus_split_pending(const struct uc_dbus_split *s)
{
	return s ? s->len : 0;
}

static const uint8_t dbus_hello[5] = { 0, 'A', 'U', 'T', 'H' };

bool uc_dbus_looks_like(const uint8_t *data, size_t len)
{
	return data && len >= sizeof(dbus_hello) && !memcmp(data, dbus_hello, sizeof(dbus_hello));
}

bool uc_dbus_undecided(const uint8_t *data, size_t len)
{
	return len < sizeof(dbus_hello) && (!len || (data && !memcmp(data, dbus_hello, len)));
}
