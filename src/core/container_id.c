/* SPDX-License-Identifier: BSD-2-Clause */
/* Container runtimes' cgroup names, segment by segment: the systemd driver's "<prefix><id>.scope"
 * units, the cgroupfs driver's "/docker/<id>" and "/kubepods/<qos>/pod<uid>/<id>" directories. */
#include "core/container_id.h"

#include <stdio.h>
#include <string.h>

#define ID_DIGITS 64
#define SHORT_DIGITS 12

struct segment {
	const char *s;
	size_t len;
};

static bool is_hex_id(const char *s, size_t len)
{
	if (len != ID_DIGITS)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool starts(struct segment g, const char *prefix)
{
	size_t n = strlen(prefix);

	return g.len >= n && memcmp(g.s, prefix, n) == 0;
}

/* g without prefix and, when it has it, suffix. */
static struct segment strip(struct segment g, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);

	g.s += p;
	g.len -= p;
	if (g.len >= s && memcmp(g.s + g.len - s, suffix, s) == 0)
		g.len -= s;
	return g;
}

/* A systemd unit name's \xNN escapes ("machine-my\x2dvm.scope" is machine my-vm). */
static void unescape_unit(struct segment g, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < g.len && o + 1 < outlen; i++) {
		unsigned v;

		if (g.s[i] == '\\' && i + 3 < g.len && g.s[i + 1] == 'x' &&
		    sscanf(g.s + i + 2, "%2x", &v) == 1) {
			out[o++] = (char)v;
			i += 3;
		} else {
			out[o++] = g.s[i];
		}
	}
	out[o] = '\0';
}

static bool set(struct uc_container_id *c, const char *runtime, struct segment id, bool name)
{
	c->runtime = runtime;
	if (name)
		unescape_unit(id, c->id, sizeof(c->id));
	else
		snprintf(c->id, sizeof(c->id), "%.*s", (int)id.len, id.s);
	return true;
}

/* "<prefix><64 hex digits>[.scope]", not the runtime's monitor ("libpod-conmon-<id>"). */
static bool unit_with_id(struct segment g, const char *prefix, struct segment *id)
{
	if (!starts(g, prefix))
		return false;
	*id = strip(g, prefix, ".scope");
	return is_hex_id(id->s, id->len);
}

/* One segment that names a container on its own (prev: the segment before it, for
 * "/docker/<id>"). */
static bool container_segment(struct segment g, struct segment prev, struct uc_container_id *c)
{
	struct segment id;

	if (unit_with_id(g, "docker-", &id))
		return set(c, "docker", id, false);
	if (prev.len == 6 && memcmp(prev.s, "docker", 6) == 0 && is_hex_id(g.s, g.len))
		return set(c, "docker", g, false);
	if (unit_with_id(g, "cri-containerd-", &id))
		return set(c, "containerd", id, false);
	if (unit_with_id(g, "crio-", &id))
		return set(c, "cri-o", id, false);
	if (unit_with_id(g, "libpod-", &id))
		return set(c, "podman", id, false);
	if (starts(g, "machine-") && g.len > 14 && !memcmp(g.s + g.len - 6, ".scope", 6))
		return set(c, "nspawn", strip(g, "machine-", ".scope"), true);
	if (starts(g, "lxc.payload.") && g.len > 12)
		return set(c, "lxc", strip(g, "lxc.payload.", ""), false);
	return false;
}

/* A Kubernetes pod: "kubepods-burstable-pod<uid>.slice" (systemd driver, '_' for '-') or
 * "pod<uid>" (cgroupfs driver), below "kubepods". */
static bool pod_segment(struct segment g, struct uc_container_id *c)
{
	const char *at = starts(g, "pod") ? g.s + 3 : NULL;
	size_t n;

	for (size_t i = 0; !at && starts(g, "kubepods") && i + 4 <= g.len; i++)
		if (!memcmp(g.s + g.len - 4 - i, "-pod", 4))
			at = g.s + g.len - i;
	if (!at)
		return false;
	n = (size_t)(g.s + g.len - at);
	if (n > 6 && !memcmp(at + n - 6, ".slice", 6))
		n -= 6;
	if (n < 32 || n >= sizeof(c->pod))
		return false;
	for (size_t i = 0; i < n; i++)
		c->pod[i] = at[i] == '_' ? '-' : at[i];
	c->pod[n] = '\0';
	return true;
}

bool uc_container_from_cgroup(const char *path, struct uc_container_id *out)
{
	struct segment prev = { "", 0 };
	bool kubepods = false;

	memset(out, 0, sizeof(*out));
	for (const char *p = path; p && *p;) {
		struct segment g;
		const char *slash;

		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		g = (struct segment){ p, slash ? (size_t)(slash - p) : strlen(p) };
		if (!g.len)
			break;
		if (starts(g, "kubepods"))
			kubepods = true;
		if (kubepods && !out->pod[0] && pod_segment(g, out)) {
			/* the pod's own cgroup: its containers are the next level */
		} else if (container_segment(g, prev, out) ||
			   (out->pod[0] && is_hex_id(g.s, g.len) && set(out, "cri", g, false))) {
			out->end = (size_t)(g.s + g.len - path);
			return true;
		}
		prev = g;
		p = slash;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

size_t uc_container_label(const struct uc_container_id *c, char *out, size_t len)
{
	bool hex = is_hex_id(c->id, strlen(c->id));
	int n = snprintf(out, len, "%s:%.*s", c->runtime, hex ? SHORT_DIGITS : (int)sizeof(c->id),
			 c->id);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}
