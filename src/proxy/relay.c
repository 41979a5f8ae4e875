/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy: a new socket in front of a real one, each message relayed both ways and recorded. */
#include "proxy/relay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/error.h"
#include "proxy/relay_int.h"

#define STREAM_READ 65536 /* bytes one read of a stream takes at most: one message each */
#define ROUNDS 16         /* reads per socket per wakeup, so that no busy client starves the rest */
#define CONNECT_PATIENCE_NS (10 * 1000000000ull) /* how long a full backlog at REAL is waited out */
#define ACCEPT_PAUSE_NS (100 * 1000000ull)       /* out of descriptors: clients wait this long */

enum { CLIENT = 0, SERVER = 1 };

/* One side of a relayed connection: the client's accepted socket, or the upstream one to REAL. */
struct side {
	struct watch w;
	struct conn *conn;
	int index;
	struct uc_proxy_end end;
	struct uc_chunk out; /* from the other side, not yet all written here */
	bool eof;            /* this side's process has finished sending */
	bool dead;           /* writing here failed: its process no longer reads */
	bool shut;           /* the other side's end was passed on here: shutdown(SHUT_WR) */
	bool closed_said;    /* its close was reported */
};

struct conn {
	struct side s[2];
	bool connecting; /* REAL's backlog was full: connect() is tried again each poll */
	bool gone;       /* closed; freed at the end of the poll */
	uint64_t deadline_ns;
	struct uc_link link; /* in the relay's conns while open, then in its finished */
};

static void settle(struct uc_relay *r, struct conn *c);

void uc_relay_report(struct uc_relay *r, const struct uc_message *m)
{
	if (r->stopped || !r->fn)
		return;
	if (m->event == UC_MSG_DATA) {
		r->st.messages++;
		r->st.bytes += m->len;
		r->st.truncated += m->len - m->caplen;
	}
	r->reported++;
	if (r->fn(m, r->ctx))
		r->stopped = true;
}

void uc_relay_report_data(struct uc_relay *r, const struct uc_chunk *c,
			  const struct uc_proxy_end *from, const struct uc_proxy_end *to)
{
	struct uc_message m;

	uc_proxy_message(&m, UC_MSG_DATA, (uint16_t)r->type, uc_now_ns(), from, to);
	uc_proxy_payload(&m, c->data + c->off, (uint32_t)(c->len - c->off), r->opt.snaplen);
	uc_proxy_describe_fds(&m, c->fds, c->nfds, c->fds_cut);
	uc_proxy_creds(&m, c->has_creds, &c->creds, from);
	uc_relay_report(r, &m);
}

void uc_relay_report_event(struct uc_relay *r, enum uc_message_event ev,
			   const struct uc_proxy_end *from, const struct uc_proxy_end *to)
{
	struct uc_message m;

	uc_proxy_message(&m, ev, (uint16_t)r->type, uc_now_ns(), from, to);
	uc_relay_report(r, &m);
}

int uc_relay_watch(struct uc_relay *r, struct watch *w, uint32_t wanted)
{
	struct epoll_event ev = { .events = wanted, .data.ptr = w };
	int op = !wanted ? EPOLL_CTL_DEL : w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (w->fd < 0 || wanted == w->events)
		return 0;
	if (epoll_ctl(r->epfd, op, w->fd, &ev) < 0)
		return -1;
	w->events = wanted;
	return 0;
}

int uc_relay_scratch(struct uc_relay *r, size_t n)
{
	uint8_t *p;

	if (n <= r->scratch_cap)
		return 0;
	p = realloc(r->scratch, n);
	if (!p)
		return -1;
	r->scratch = p;
	r->scratch_cap = n;
	return 0;
}

void uc_relay_say(struct uc_relay *r, bool *said, const char *fmt, ...)
{
	va_list ap;

	if (said ? *said && !r->opt.verbose : !r->opt.verbose)
		return;
	if (said)
		*said = true;
	fputs("unixcap proxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The process at the far end of fd, as SO_PEERCRED tells it, stands for that end. */
static void side_end(struct side *sd, const char *name)
{
	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);

	getsockopt(sd->w.fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	sd->end.pid = (uint32_t)cr.pid;
	sd->end.uid = cr.uid;
	sd->end.gid = cr.gid;
	uc_proxy_comm(sd->end.pid, sd->end.comm);
	sd->end.ino = uc_proxy_inode(sd->w.fd);
	sd->end.name = name;
}

/* Closes both sides, reporting each close not yet reported (what each end sees is its peer
 * closing). The memory goes at the end of the poll: an event for it may still be pending. */
static void conn_finish(struct uc_relay *r, struct conn *c, bool report)
{
	report = report && !c->connecting; /* a connection never reported ends unreported */
	for (int i = 0; i < 2; i++) {
		struct side *sd = &c->s[i];

		if (report && !sd->closed_said)
			uc_relay_report_event(r, UC_MSG_CLOSE, &sd->end, &c->s[1 - i].end);
		if (sd->out.active)
			r->st.undelivered++;
		uc_chunk_clear(&sd->out);
		if (sd->w.fd >= 0)
			close(sd->w.fd);
		sd->w.fd = -1;
	}
	if (c->connecting)
		r->connecting--;
	c->connecting = false;
	uc_list_remove(&c->link);
	c->gone = true;
	uc_list_push_front(&r->finished, &c->link);
}

static struct conn *conn_new(struct uc_relay *r, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (int i = 0; i < 2; i++) {
		c->s[i].w = (struct watch){ .kind = W_SIDE, .fd = -1 };
		c->s[i].conn = c;
		c->s[i].index = i;
		c->s[i].end.name = "";
	}
	c->s[CLIENT].w.fd = fd;
	side_end(&c->s[CLIENT], "");
	c->connecting = true;
	c->deadline_ns = uc_now_ns() + CONNECT_PATIENCE_NS;
	uc_list_push_front(&r->conns, &c->link);
	r->connecting++;
	r->st.clients++;
	return c;
}

/* Connects a new client's upstream side to REAL. A full backlog there (EAGAIN: unix sockets
 * have no EINPROGRESS) is tried again each poll until the deadline; the client waits unread. */
static void conn_connect(struct uc_relay *r, struct conn *c)
{
	struct side *up = &c->s[SERVER];
	int on = 1, e = 0;

	if (up->w.fd < 0 && (up->w.fd = uc_proxy_socket(r->type)) < 0)
		e = errno;
	else if (connect(up->w.fd, (const struct sockaddr *)&r->opt.real.sa, r->opt.real.len) < 0)
		e = errno;
	if (e == EAGAIN && uc_now_ns() < c->deadline_ns)
		return;
	if (e) {
		uc_relay_say(r, &r->connect_said,
			     "cannot connect to '%s' for %s[%u]: %s (its connection "
			     "is closed)",
			     r->opt.real.text, c->s[CLIENT].end.comm, c->s[CLIENT].end.pid,
			     strerror(e == EAGAIN ? ETIMEDOUT : e));
		conn_finish(r, c, false);
		return;
	}
	c->connecting = false;
	r->connecting--;
	/* only now: set before connect(), it would bind a name the server would see */
	setsockopt(up->w.fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	side_end(up, r->opt.real.name);
	uc_relay_report_event(r, UC_MSG_CONNECT, &c->s[CLIENT].end, &up->end);
	settle(r, c);
}

static bool can_read(const struct uc_relay *r, const struct conn *c, int i)
{
	const struct side *to = &c->s[1 - i];

	return !r->stopped && !c->connecting && !c->s[i].eof && !to->dead && !to->out.active;
}

static uint32_t wanted(const struct uc_relay *r, const struct conn *c, int i)
{
	return (can_read(r, c, i) ? EPOLLIN | EPOLLRDHUP : 0) |
	       (c->s[i].out.active && !c->s[i].dead ? EPOLLOUT : 0);
}

/* Direction i → 1-i is done: its sender finished and all it sent was written, or its
 * receiver has gone. */
static bool finished(const struct conn *c, int i)
{
	const struct side *to = &c->s[1 - i];

	return to->dead || (c->s[i].eof && !to->out.active);
}

/* Writes what waits for side j, keeping the rest when j cannot take it all (its other side is
 * then not read: back-pressure). A write failing otherwise means j's process has gone. */
static void pass_on(struct uc_relay *r, struct conn *c, int j)
{
	struct side *to = &c->s[j];
	bool could = r->forward_creds;
	int ret, e;

	if (!to->out.active || to->dead)
		return;
	ret = uc_chunk_send(to->w.fd, &to->out, NULL, 0, &r->forward_creds);
	e = ret < 0 ? errno : ENOMEM;
	if (could && !r->forward_creds)
		uc_relay_say(r, &r->creds_said,
			     "the kernel does not let this process pass on other "
			     "processes' credentials (only root may): where a peer asks for them "
			     "(SO_PASSCRED) it gets the proxy's");
	if (ret > 0) {
		uc_chunk_clear(&to->out);
		return;
	}
	if (ret == 0 && uc_chunk_keep(&to->out) == 0)
		return;
	uc_relay_say(r, NULL, "cannot relay to %s[%u]: %s", to->end.comm, to->end.pid, strerror(e));
	to->dead = true;
	r->st.undelivered++;
	uc_chunk_clear(&to->out);
}

/* Side i's process has finished sending: its close or shutdown is reported now, and passed on
 * (settle) once all it sent has been written. A hang-up says close; once the proxy has shut
 * that socket's other way too, a shutdown would also hang it up, but a process that can
 * receive nothing more and still holds its socket open is rare. */
static void side_ended(struct uc_relay *r, struct conn *c, int i, bool closed)
{
	struct side *sd = &c->s[i];

	sd->eof = true;
	sd->closed_said = closed;
	uc_relay_report_event(r, closed ? UC_MSG_CLOSE : UC_MSG_SHUTDOWN, &sd->end,
			      &c->s[1 - i].end);
}

/* Reads what side i sends and passes it on, until the other side cannot take more, i has
 * nothing ready, or ROUNDS reads. A seqpacket read of 0 bytes is an empty message unless the
 * socket was shut down (it cannot say which when an empty message came just before that). */
static void read_side(struct uc_relay *r, struct conn *c, int i, uint32_t events)
{
	struct side *from = &c->s[i], *to = &c->s[1 - i];
	bool whole = r->type != SOCK_STREAM;

	for (int round = 0; round < ROUNDS && can_read(r, c, i); round++) {
		ssize_t n = whole ? uc_chunk_next_size(from->w.fd) : STREAM_READ;

		if (n >= 0 && uc_relay_scratch(r, (size_t)n) < 0) {
			n = -1;
			errno = ENOMEM;
		}
		if (n >= 0)
			n = uc_chunk_recv(from->w.fd, &to->out, r->scratch, (size_t)n, whole, NULL,
					  NULL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || (n == 0 && (!whole || (events & (EPOLLRDHUP | EPOLLHUP))))) {
			uc_chunk_clear(&to->out);
			side_ended(r, c, i, n < 0 || (events & EPOLLHUP));
			return;
		}
		uc_relay_report_data(r, &to->out, &from->end, &to->end);
		pass_on(r, c, 1 - i);
	}
}

/* Passes each finished side's end on, closes the connection when both ways are done, else
 * watches each side for what it can do now. */
static void settle(struct uc_relay *r, struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		struct side *to = &c->s[1 - i];

		if (c->s[i].eof && !to->out.active && !to->dead && !to->shut) {
			shutdown(to->w.fd, SHUT_WR);
			to->shut = true;
		}
	}
	if (finished(c, CLIENT) && finished(c, SERVER)) {
		conn_finish(r, c, true);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (uc_relay_watch(r, &c->s[i].w, wanted(r, c, i)) < 0) {
			conn_finish(r, c, true);
			return;
		}
}

static void on_side(struct uc_relay *r, struct side *sd, uint32_t events)
{
	struct conn *c = sd->conn;
	int e;

	if (c->gone)
		return;
	/* a pending error is reported until read; the end of file follows it */
	if (events & EPOLLERR)
		getsockopt(sd->w.fd, SOL_SOCKET, SO_ERROR, &e, &(socklen_t){ sizeof(e) });
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		pass_on(r, c, sd->index);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		read_side(r, c, sd->index, events);
	settle(r, c);
}

static void on_accept(struct uc_relay *r)
{
	for (int k = 0; k < ROUNDS && !r->stopped; k++) {
		int fd = accept4(r->listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
			    errno != ENOMEM)
				return; /* EAGAIN, or a client that gave up before we took it */
			uc_relay_say(r, &r->accept_said,
				     "cannot accept a client: %s (clients wait)", strerror(errno));
			r->accept_paused_until = uc_now_ns() + ACCEPT_PAUSE_NS;
			uc_relay_watch(r, &r->listener, 0);
			return;
		}
		c = conn_new(r, fd);
		if (!c) {
			close(fd);
			continue;
		}
		conn_connect(r, c);
	}
}

static void dispatch(struct uc_relay *r, const struct epoll_event *ev)
{
	struct watch *w = ev->data.ptr;

	if (w->kind == W_SIDE)
		on_side(r, container_of(w, struct side, w), ev->events);
	else if (w->kind == W_DGRAM_CLIENT)
		uc_relay_dgram_event(r, w, ev->events);
	else if (r->type == SOCK_DGRAM)
		uc_relay_dgram_incoming(r);
	else
		on_accept(r);
}

/* What waits for time rather than an event: connections to a full backlog, a paused
 * listener, datagrams a client could not take yet. Returns true when that is soon again. */
static bool timers(struct uc_relay *r)
{
	uint64_t now = uc_now_ns();
	bool soon;

	for (struct uc_link *l = r->conns.next, *next; l != &r->conns && r->connecting; l = next) {
		struct conn *c = uc_container_of(l, struct conn, link);

		next = l->next;
		if (c->connecting)
			conn_connect(r, c);
	}
	if (r->accept_paused_until && now >= r->accept_paused_until) {
		r->accept_paused_until = 0;
		uc_relay_watch(r, &r->listener, EPOLLIN);
	}
	soon = r->dgram && uc_relay_dgram_tick(r, now);
	while (!uc_list_empty(&r->finished)) {
		struct conn *c = uc_container_of(r->finished.next, struct conn, link);

		uc_list_remove(&c->link);
		free(c);
	}
	return soon || r->connecting || r->accept_paused_until;
}

int uc_relay_poll(struct uc_relay *r, int timeout_ms, uc_message_fn fn, void *ctx)
{
	struct epoll_event ev[64];
	bool soon;
	int n;

	r->fn = fn;
	r->ctx = ctx;
	r->reported = 0;
	if (r->stopped)
		return 0;
	soon = timers(r);
	n = epoll_wait(r->epfd, ev, 64, soon && timeout_ms > 5 ? 5 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? r->reported : -1;
	for (int i = 0; i < n && !r->stopped; i++)
		dispatch(r, &ev[i]);
	timers(r);
	return r->reported;
}

struct uc_relay *uc_relay_open(const struct uc_relay_options *opt, char *err, size_t errlen)
{
	struct uc_relay *r = calloc(1, sizeof(*r));

	if (!r) {
		uc_error(err, errlen, "out of memory");
		return NULL;
	}
	r->opt = *opt;
	r->listener = (struct watch){ .kind = W_LISTENER, .fd = -1 };
	r->forward_creds = true;
	uc_list_init(&r->conns);
	uc_list_init(&r->finished);
	r->type = opt->sock_type;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || uc_relay_scratch(r, STREAM_READ) < 0) {
		uc_error(err, errlen, "cannot start: %s", strerror(errno));
		goto fail;
	}
	if (r->type ? uc_proxy_check_target(&r->opt.real, err, errlen) < 0 :
		      (r->type = uc_proxy_probe_type(&r->opt.real, err, errlen)) < 0)
		goto fail;
	if (r->type == SOCK_DGRAM && uc_relay_dgram_init(r) < 0) {
		uc_error(err, errlen, "out of memory");
		goto fail;
	}
	r->listener.fd = uc_proxy_listen(&r->opt.listen, r->type, &r->made, err, errlen);
	if (r->listener.fd < 0)
		goto fail;
	if (uc_relay_watch(r, &r->listener, EPOLLIN) < 0) {
		uc_error(err, errlen, "cannot watch '%s': %s", r->opt.listen.text, strerror(errno));
		goto fail;
	}
	return r;
fail:
	uc_relay_close(r);
	return NULL;
}

int uc_relay_type(const struct uc_relay *r)
{
	return r->type;
}

void uc_relay_stop(struct uc_relay *r, uc_message_fn fn, void *ctx)
{
	r->fn = fn;
	r->ctx = ctx;
	if (r->listener.fd >= 0) {
		close(r->listener.fd);
		uc_proxy_unlisten(&r->opt.listen, &r->made);
	}
	r->listener.fd = -1;
	r->listener.events = 0;
	while (!uc_list_empty(&r->conns))
		conn_finish(r, uc_container_of(r->conns.next, struct conn, link), true);
	if (r->dgram)
		uc_relay_dgram_stop(r);
	timers(r);
}

void uc_relay_stats(const struct uc_relay *r, struct uc_relay_stats *st)
{
	*st = r->st;
}

void uc_relay_close(struct uc_relay *r)
{
	if (!r)
		return;
	uc_relay_stop(r, NULL, NULL);
	uc_relay_dgram_free(r);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->scratch);
	free(r);
}
