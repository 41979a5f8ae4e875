/* SPDX-License-Identifier: BSD-2-Clause */
/* One HTTP/1.0 request on dockerd's socket, with a deadline: a dockerd that hangs costs a
 * capture a quarter of a second, once per container. The reply is read as hostile: bounded,
 * and only an id of hex digits and a name of Docker's own characters are taken from it. */
#include "capture/docker_api.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/container_id.h"

#define DEADLINE_MS 250
#define REPLY_MAX 65536
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

const char *uc_docker_socket(void)
{
	const char *host = getenv("DOCKER_HOST");

	return host && !strncmp(host, "unix://", 7) && host[7] ? host + 7 : "/run/docker.sock";
}

static int connect_before(const char *path, uint64_t deadline_ns)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EAGAIN ||
	    errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int ms = (int)((deadline_ns - uc_clock_ns(CLOCK_MONOTONIC)) / 1000000);

		if (ms > 0 && poll(&p, 1, ms) == 1 && !(p.revents & (POLLERR | POLLHUP)))
			return fd;
	}
	close(fd);
	return -1;
}

/* The whole reply (dockerd closes after an HTTP/1.0 one), NUL-ended; its length or -1. */
static ssize_t exchange(int fd, const char *request, char *reply, size_t cap, uint64_t deadline_ns)
{
	size_t sent = 0, got = 0, len = strlen(request);
	struct pollfd p = { .fd = fd };

	while (got + 1 < cap) {
		int ms = (int)((int64_t)(deadline_ns - uc_clock_ns(CLOCK_MONOTONIC)) / 1000000);
		ssize_t n;

		p.events = sent < len ? POLLOUT : POLLIN;
		if (ms <= 0 || poll(&p, 1, ms) != 1)
			return -1;
		if (sent < len) {
			if ((n = send(fd, request + sent, len - sent, MSG_NOSIGNAL)) < 0)
				return -1;
			sent += (size_t)n;
			continue;
		}
		if ((n = read(fd, reply + got, cap - 1 - got)) < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	reply[got] = '\0';
	return (ssize_t)got;
}

/* The string value of "key":"..." made only of allowed characters, into out. */
static bool json_value(const char *body, const char *key, const char *allowed, char *out,
		       size_t outlen)
{
	const char *at = strstr(body, key);
	size_t n;

	if (!at)
		return false;
	at += strlen(key);
	n = strspn(at, allowed);
	if (n == 0 || n >= outlen || at[n] != '"')
		return false;
	memcpy(out, at, n);
	out[n] = '\0';
	return true;
}

int uc_docker_inspect(const char *what, struct uc_docker_container *c, uint64_t *sock_ino)
{
	uint64_t deadline = uc_clock_ns(CLOCK_MONOTONIC) + DEADLINE_MS * 1000000ULL;
	char request[512], *reply, *body;
	struct stat st;
	int fd, ret = -1;

	if (!what[0] || strspn(what, NAME_CHARS) != strlen(what) || strlen(what) > 128)
		return -1; /* nothing that could change the request line */
	fd = connect_before(uc_docker_socket(), deadline);
	if (fd < 0)
		return -1;
	if (sock_ino && fstat(fd, &st) == 0)
		*sock_ino = (uint64_t)st.st_ino;
	snprintf(request, sizeof(request),
		 "GET /containers/%s/json HTTP/1.0\r\nHost: docker\r\nUser-Agent: unixcap\r\n\r\n",
		 what);
	reply = malloc(REPLY_MAX);
	if (reply && exchange(fd, request, reply, REPLY_MAX, deadline) > 0 &&
	    !strncmp(reply, "HTTP/1.", 7) && !strncmp(reply + 8, " 200", 4) &&
	    (body = strstr(reply, "\r\n\r\n")) &&
	    json_value(body, "\"Id\":\"", "0123456789abcdef", c->id, sizeof(c->id)) &&
	    strlen(c->id) == 64 &&
	    json_value(body, "\"Name\":\"/", NAME_CHARS, c->name, sizeof(c->name)))
		ret = 0;
	free(reply);
	close(fd);
	return ret;
}

#define NAMES 64
#define RETRY_NS (10 * 1000000000ULL)

struct uc_docker_names {
	struct known_name {
		struct uc_docker_container c; /* c.id "" for a free slot */
		uint64_t asked_ns;
		bool found;
	} slot[NAMES];
	unsigned next; /* the slot a new id takes: the oldest */
};

struct uc_docker_names *uc_docker_names_new(void)
{
	return calloc(1, sizeof(struct uc_docker_names));
}

void uc_docker_names_free(struct uc_docker_names *n)
{
	free(n);
}

const char *uc_docker_name_of(struct uc_docker_names *n, const char *cgroup_path,
			      uint64_t *asked_ino)
{
	uint64_t now = uc_clock_ns(CLOCK_MONOTONIC);
	struct uc_container_id id;
	struct known_name *k = NULL;

	*asked_ino = 0;
	if (!uc_container_from_cgroup(cgroup_path, &id) || strcmp(id.runtime, "docker") != 0)
		return "";
	for (unsigned i = 0; i < NAMES && !k; i++)
		if (!strcmp(n->slot[i].c.id, id.id))
			k = &n->slot[i];
	if (k && (k->found || now - k->asked_ns < RETRY_NS))
		return k->found ? k->c.name : "";
	if (!k) {
		k = &n->slot[n->next];
		n->next = (n->next + 1) % NAMES;
	}
	k->found = uc_docker_inspect(id.id, &k->c, asked_ino) == 0 && !strcmp(k->c.id, id.id);
	snprintf(k->c.id, sizeof(k->c.id), "%.64s", id.id); /* also when the lookup failed */
	k->asked_ns = now;
	return k->found ? k->c.name : "";
}
