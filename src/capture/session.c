/* SPDX-License-Identifier: BSD-2-Clause */
/* A capture session: probe the kernel, load and attach the hooks, turn ring records into messages. */
#include "unixcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "capture/ancillary.h"
#include "capture/assemble.h"
#include "capture/cgroups.h"
#include "capture/docker_api.h"
#include "capture/follow.h"
#include "core/error.h"
#include "capture/patterns.h"
#include "core/names.h"
#include "core/strings.h"
#include "capture/registry.h"
#include "capture/socket_table.h"
#include "records/record.h"
#include "unixcap.skel.h"
#include "core/devnum.h"
#include "core/array.h"

#define MIN_RING_KIB 64

_Static_assert(UC_MAX_FOLLOWED == UC_MAX_FOLLOWED_PROCESSES, "one table size, said twice");

struct uc_session {
	struct unixcap_bpf *skel;
	struct ring_buffer *ring;
	struct uc_assembler *assembler;
	struct uc_socket_table *sockets; /* what UC_REC_IO records leave out */
	struct io_expanded {
		struct uc_rec_message m;
		uint8_t inline_data[UC_INLINE_MAX];
	} expanded; /* a UC_REC_IO as the full record it stands for */
	struct uc_cgroups *cgroups;
	struct uc_docker_names *docker;
	struct { /* the last cgroup named, looked at again a second later at the most */
		uint64_t cgroup_id, until_ns;
		char name[128];
	} named;
	uint64_t lookup_inos[16]; /* sockets unixcap asked dockerd on: their traffic is not shown */
	unsigned n_lookups;
	struct btf *vmlinux;    /* the kernel's BTF, while kernel features are probed */
	int64_t wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct uc_filter filter;
	char raw_paths[UC_MAX_PATTERNS][UC_PATH_LEN]; /* each --path, and its canonical twin */
	size_t raw_path_lens[UC_MAX_PATTERNS];
	unsigned n_raw_paths;
	struct uc_stats stats;
	uc_message_fn fn; /* valid during poll/stop */
	void *ctx;
	bool delivering; /* false once fn asked to stop */
	bool stopped;
	int delivered;
	struct uc_rec_message *held; /* connection events waiting for older messages to finish */
	size_t nheld, capheld;
	char hooks[640];
	char narrowing[256];
	bool fast_loads;         /* sockets read with plain loads: bpf_rdonly_cast (Linux 6.2+) */
	bool has_send_length;    /* the sock_send_length tracepoint (Linux 6.3+) */
	bool splice_by_sendpage; /* spliced pages reach unix sockets by unix_stream_sendpage (< 6.5) */
	enum { SEND_NONE, SEND_FENTRY, SEND_KPROBE } send_hooks; /* on unix_stream_sendmsg */
	char send_note[128];         /* why unix_stream_sendmsg is not hooked, for -v */
	struct uc_registry registry; /* the other captures running */
	bool registry_failed;
	uint64_t slice_end_ns; /* when this poll stops consuming; 0 before its first record */
	unsigned slice_records;
	bool slice_over;
	bool discarding; /* stopping, past the deadline: what is left is counted, not delivered */
};

static int64_t wall_offset(void)
{
	struct timespec a, m, b;
	int64_t best = 0, best_gap = INT64_MAX;

	/* The pair read closest together gives the offset with the least error. */
	for (int i = 0; i < 5; i++) {
		clock_gettime(CLOCK_REALTIME, &a);
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &b);
		int64_t ta = a.tv_sec * 1000000000LL + a.tv_nsec,
			tb = b.tv_sec * 1000000000LL + b.tv_nsec;
		int64_t tm = m.tv_sec * 1000000000LL + m.tv_nsec;

		if (tb - ta < best_gap) {
			best_gap = tb - ta;
			best = ta + (tb - ta) / 2 - tm;
		}
	}
	return best;
}

static bool kernel_has(const struct uc_session *s, const char *btf_typedef)
{
	return btf__find_by_name_kind(s->vmlinux, btf_typedef, BTF_KIND_TYPEDEF) >= 0;
}

/* Every way uc_session_open fails sets errno, as the public header promises: to e, once the
 * message is written (formatting it could change errno). Returns ret. */
static int with_errno(int e, int ret)
{
	errno = e;
	return ret;
}

/* Says exactly which prerequisite is missing, before libbpf prints anything. */
static int probe_kernel(struct uc_session *s, char *err, size_t errlen)
{
	int ret;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return with_errno(
			EOPNOTSUPP,
			uc_error(
				err, errlen,
				"this kernel has no BTF "
				"(/sys/kernel/btf/vmlinux is missing; it needs CONFIG_DEBUG_INFO_BTF=y)"));
	ret = bpf_map_create(BPF_MAP_TYPE_ARRAY, "uc_probe", sizeof(__u32), sizeof(__u32), 1, NULL);
	if (ret == -EPERM || ret == -EACCES)
		return with_errno(-ret, uc_error(err, errlen,
						 "permission denied using BPF: run as root "
						 "(or with CAP_BPF and CAP_PERFMON)"));
	if (ret < 0)
		return with_errno(-ret, uc_error(err, errlen,
						 "this kernel does not support BPF "
						 "(bpf() failed: %s)",
						 strerror(-ret)));
	close(ret);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		return with_errno(EOPNOTSUPP, uc_error(err, errlen,
						       "this kernel has no BPF ring buffer "
						       "(it needs Linux 5.8 or later)"));
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_loop, NULL) <= 0)
		return with_errno(EOPNOTSUPP, uc_error(err, errlen,
						       "this kernel has no bpf_loop helper "
						       "(it needs Linux 5.17 or later)"));
	s->vmlinux = btf__load_vmlinux_btf(); /* parsed once: choose_hooks asks it too */
	if (!s->vmlinux) {
		ret = errno ? errno : ENOENT;
		return with_errno(ret, uc_error(err, errlen, "cannot read the kernel's BTF: %s",
						strerror(ret)));
	}
	if (!kernel_has(s, "btf_trace_sys_enter"))
		return with_errno(EOPNOTSUPP,
				  uc_error(err, errlen,
					   "this kernel has no sys_enter/sys_exit "
					   "tracepoints (it needs CONFIG_FTRACE_SYSCALLS=y)"));
	return 0;
}

static uint32_t ring_bytes(uint32_t kib)
{
	uint64_t want = (uint64_t)(kib ? kib : uc_default_ring_kib()) * 1024,
		 size = MIN_RING_KIB * 1024;

	while (size < want && size < (1ULL << 31))
		size <<= 1; /* the kernel needs a power of two */
	return (uint32_t)size;
}

static int add_pattern(struct uc_session *s, struct unixcap_bpf__rodata *ro, const char *text,
		       char *err, size_t errlen)
{
	struct uc_pattern *k = (struct uc_pattern *)&ro->patterns[ro->n_patterns];
	unsigned n = s->n_raw_paths;

	if (n == UC_MAX_PATTERNS)
		return 0;
	if (uc_pattern_compile(text, k, s->raw_paths[n], &s->raw_path_lens[n], err, errlen) < 0)
		return with_errno(EINVAL, -1);
	k->approximate = memchr(s->raw_paths[n], '*', s->raw_path_lens[n]) !=
			 memrchr(s->raw_paths[n], '*', s->raw_path_lens[n]);
	s->n_raw_paths++;
	ro->n_patterns++;
	return 0;
}

static uint64_t own_mount_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/mnt", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* A --path with a plain directory part also matches under its canonical directory
 * (/var/run/x.sock as /run/x.sock), and one that names an existing socket also matches that
 * socket file by identity, whatever name or mount namespace it is reached by. */
static int add_path_filter(struct uc_session *s, struct unixcap_bpf__rodata *ro, const char *path,
			   char *err, size_t errlen)
{
	char dir[PATH_MAX], canon[PATH_MAX + UC_PATH_LEN];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (add_pattern(s, ro, path, err, errlen) < 0)
		return -1;
	if (path[0] != '/' || strchr(path, '*') || !slash)
		return 0;
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && ro->n_path_ids < UC_MAX_PATHS_BY_ID) {
		ro->path_ids[ro->n_path_ids].dev = uc_kernel_dev(st.st_dev);
		ro->path_ids[ro->n_path_ids++].ino = st.st_ino;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (slash == path || !realpath(dir, canon))
		return 0;
	snprintf(canon + strlen(canon), sizeof(canon) - strlen(canon), "%s", slash);
	if (strcmp(canon, path) == 0 || strlen(canon) >= UC_PATH_LEN)
		return 0;
	return add_pattern(s, ro, canon, err, errlen);
}

static int configure(struct uc_session *s, const struct uc_options *opt, char *err, size_t errlen)
{
	const struct uc_filter *f = &opt->filter;
	struct unixcap_bpf__rodata *ro = s->skel->rodata;
	uint32_t ring = ring_bytes(opt->ring_kib);
	struct stat cg;
	int ret;

	ro->self_tgid = (uint32_t)getpid();
	s->skel->bss->snaplen = opt->snaplen;
	ro->no_payload = opt->no_payload;
	ro->type_mask = f->type_mask;
	ro->wakeup_bytes = ring / 8;
	ro->payload_high_water = ring - ring / 8; /* the last eighth is for records without bytes */
	ro->follow_children = f->children;
	bpf_program__set_autoload(s->skel->progs.on_fork, f->children);
	bpf_program__set_autoload(s->skel->progs.on_process_exit, f->children);
	ro->n_pids = f->n_pids;
	for (unsigned i = 0; i < f->n_pids; i++)
		ro->pids[i] = f->pids[i];
	if (f->comm) {
		ro->has_comm = 1;
		strncpy((char *)ro->comm_filter, f->comm, UC_COMM_LEN - 1);
	}
	ro->n_inodes = f->n_inodes;
	for (unsigned i = 0; i < f->n_inodes; i++)
		ro->inodes[i] = f->inodes[i];
	ro->has_cgroup = f->cgroup != NULL;
	if (f->cgroup && f->cgroup_either_end && stat(f->cgroup, &cg) == 0)
		ro->peer_cgroup_id = (uint64_t)cg.st_ino; /* a cgroup v2 id is its inode */
	for (unsigned i = 0; i < f->n_paths; i++)
		if (add_path_filter(s, ro, f->paths[i], err, errlen) < 0)
			return -1;
	ro->self_mnt_ns = (uint32_t)own_mount_ns();
	ret = bpf_map__set_max_entries(s->skel->maps.ring, ring);
	if (ret)
		return with_errno(ret < 0 ? -ret : EINVAL, uc_error(err, errlen,
								    "cannot size the ring "
								    "buffer to %u KiB",
								    ring / 1024));
	return 0;
}

/* fentry needs the function in the kernel's BTF and a kernel that attaches BPF trampolines:
 * some refuse them (EPERM, ENOTSUPP) while they run tp_btf programs. An empty program attached
 * for a moment says which. */
static int trampoline_error(const struct uc_session *s, const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id = btf__find_by_name_kind(s->vmlinux, func, BTF_KIND_FUNC), prog, link;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);

	if (id < 0)
		return -ENOENT;
	opts.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "uc_probe", "Dual BSD/GPL", insns, 2, &opts);
	if (prog < 0)
		return prog;
	link = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (link < 0)
		return link;
	close(link);
	return 0;
}

/* unix_stream_sendmsg sees the bytes of sends the syscall hooks do not decode (sendfile,
 * splice, io_uring): fentry/fexit where trampolines attach, else kprobes, else nothing. */
static void choose_send_hooks(struct uc_session *s)
{
	struct unixcap_bpf *k = s->skel;
	int err = trampoline_error(s, "unix_stream_sendmsg");
	bool kprobes = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;

	if (!err)
		s->send_hooks = SEND_FENTRY;
	else if (err != -ENOENT && kprobes)
		s->send_hooks = SEND_KPROBE;
	if (err)
		snprintf(s->send_note, sizeof(s->send_note), "unix_stream_sendmsg not hooked: %s",
			 err == -ENOENT ? "not in this kernel's BTF" :
			 kprobes        ? "BPF trampolines refused, kprobes used" :
					  "this kernel refuses BPF trampolines and has no kprobes");
	bpf_program__set_autoload(k->progs.on_unix_send, s->send_hooks == SEND_FENTRY);
	bpf_program__set_autoload(k->progs.on_unix_sent, s->send_hooks == SEND_FENTRY);
	bpf_program__set_autoload(k->progs.kp_unix_send, s->send_hooks == SEND_KPROBE);
	bpf_program__set_autoload(k->progs.kp_unix_sent, s->send_hooks == SEND_KPROBE);
	bpf_program__set_autoattach(k->progs.on_unix_send, false);
	bpf_program__set_autoattach(k->progs.on_unix_sent, false);
	bpf_program__set_autoattach(k->progs.kp_unix_send, false);
	bpf_program__set_autoattach(k->progs.kp_unix_sent, false);
}

/* Optional hooks: a kernel without them narrows what is noticed; it never stops a capture. */
static void choose_hooks(struct uc_session *s)
{
	s->fast_loads = btf__find_by_name_kind(s->vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	s->skel->rodata->fast_loads = s->fast_loads;
	s->has_send_length = kernel_has(s, "btf_trace_sock_send_length");
	s->splice_by_sendpage = btf__find_by_name_kind(s->vmlinux, "unix_stream_sendpage",
						       BTF_KIND_FUNC) >= 0;
	if (!s->has_send_length)
		bpf_program__set_autoload(s->skel->progs.on_sock_send_length, false);
	choose_send_hooks(s);
}

/* What goes unnoticed with the hooks that are attached, said once on stderr. Kernels before 6.5
 * pass spliced pages through unix_stream_sendpage, which the send hooks do not see. */
static void describe_narrowing(struct uc_session *s)
{
	const char *what = s->send_hooks == SEND_NONE ?
				   "sendfile, splice or io_uring" :
			   s->splice_by_sendpage ?
				   "sendfile or splice (unix_stream_sendpage is not hooked)" :
				   NULL;

	if (what && !s->has_send_length)
		snprintf(
			s->narrowing, sizeof(s->narrowing),
			"this kernel has no sock_send_length tracepoint (Linux 6.3+): data sent by "
			"%s goes unnoticed",
			what);
}

/* The send hooks attach last, each pair whole or not at all: a failure narrows what is seen. */
static void attach_send_hooks(struct uc_session *s)
{
	struct unixcap_bpf *k = s->skel;
	struct bpf_program *in = s->send_hooks == SEND_FENTRY ? k->progs.on_unix_send :
								k->progs.kp_unix_send;
	struct bpf_program *out = s->send_hooks == SEND_FENTRY ? k->progs.on_unix_sent :
								 k->progs.kp_unix_sent;
	struct bpf_link *enter, *leave;

	if (s->send_hooks == SEND_NONE)
		return;
	leave = bpf_program__attach(out); /* the exit first: an entry alone would only stash */
	enter = leave ? bpf_program__attach(in) : NULL;
	if (!enter) {
		snprintf(s->send_note, sizeof(s->send_note),
			 "unix_stream_sendmsg not hooked: "
			 "attaching failed (%s)",
			 strerror(errno));
		bpf_link__destroy(leave);
		s->send_hooks = SEND_NONE;
		return;
	}
	if (s->send_hooks == SEND_FENTRY) {
		k->links.on_unix_send = enter;
		k->links.on_unix_sent = leave;
	} else {
		k->links.kp_unix_send = enter;
		k->links.kp_unix_sent = leave;
	}
	k->bss->sends_snapped = 1;
}

/* The kernel checks --cgroup against a directory descriptor held in a cgroup array. */
static int set_cgroup_filter(struct uc_session *s, char *err, size_t errlen)
{
	__u32 zero = 0;
	int fd = open(s->filter.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = errno;
		return with_errno(ret, uc_error(err, errlen, "cannot open --cgroup '%s': %s",
						s->filter.cgroup, strerror(ret)));
	}
	ret = bpf_map_update_elem(bpf_map__fd(s->skel->maps.cgroup_filter), &zero, &fd, BPF_ANY);
	close(fd);
	if (ret < 0)
		return with_errno(-ret, uc_error(err, errlen, "cannot filter on --cgroup '%s': %s",
						 s->filter.cgroup, strerror(-ret)));
	return 0;
}

static int on_record(void *ctx, void *data, size_t size);

/* What -v says of the other captures, whose I/O this one leaves out. */
static const char *describe_registry(const struct uc_session *s, char *out, size_t len)
{
	if (s->registry_failed)
		return "; other captures not looked for (it needs CAP_SYS_ADMIN): only later ones "
		       "leave this one's output out";
	snprintf(out, len, "; %u other capture%s running, not captured", s->registry.met,
		 s->registry.met == 1 ? "" : "s");
	return out;
}

/* The -v line: every hook in use, and why unix_stream_sendmsg is not when it is not. */
static void describe_hooks(struct uc_session *s)
{
	char others[64];
	const char *send = s->send_hooks == SEND_FENTRY ?
				   ", fentry+fexit/unix_stream_sendmsg "
				   "(payload of sendfile, splice, io_uring)" :
			   s->send_hooks == SEND_KPROBE ?
				   ", kprobe+kretprobe/unix_stream_sendmsg "
				   "(payload of sendfile, splice, io_uring)" :
				   "";

	snprintf(
		s->hooks, sizeof(s->hooks),
		"hooks: tp_btf/sys_enter + tp_btf/sys_exit (write, writev, sendto, sendmsg, pwritev2 "
		"payload; connect, accept, socketpair, close, shutdown, end-of-file)%s%s; sockets read "
		"by %s; ring %u KiB%s%s%s",
		send, s->has_send_length ? ", tp_btf/sock_send_length (sends no hook decodes)" : "",
		s->fast_loads ? "plain BTF loads (bpf_rdonly_cast)" : "probe reads (Linux < 6.2)",
		bpf_map__max_entries(s->skel->maps.ring) / 1024, s->send_note[0] ? "; " : "",
		s->send_note, describe_registry(s, others, sizeof(others)));
}

struct uc_session *uc_session_open(const struct uc_options *opt, char *err, size_t errlen)
{
	struct uc_session *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		with_errno(ENOMEM, uc_error(err, errlen, "out of memory"));
		return NULL;
	}
	s->filter = opt->filter;
	s->delivering = true;
	if (probe_kernel(s, err, errlen) < 0)
		goto failed;
	s->skel = unixcap_bpf__open();
	if (!s->skel) {
		ret = errno;
		with_errno(ret,
			   uc_error(err, errlen, "cannot open the BPF object: %s", strerror(ret)));
		goto failed;
	}
	if (configure(s, opt, err, errlen) < 0)
		goto failed;
	choose_hooks(s);
	btf__free(s->vmlinux);
	s->vmlinux = NULL;
	ret = unixcap_bpf__load(s->skel);
	if (ret == -E2BIG) /* the verifier's million instructions, not an argument list */
		with_errno(E2BIG, uc_error(err, errlen,
					   "the kernel's verifier found the BPF hooks too complex "
					   "with these filters (fewer --path may load; -vv shows "
					   "the verifier log)"));
	else if (ret)
		with_errno(-ret, uc_error(err, errlen,
					  "the kernel refused the BPF hooks: %s (-vv shows "
					  "the verifier log)",
					  strerror(-ret)));
	if (ret)
		goto failed;
	if (s->filter.cgroup && set_cgroup_filter(s, err, errlen) < 0)
		goto failed;
	ret = unixcap_bpf__attach(s->skel);
	if (ret) {
		with_errno(-ret, uc_error(err, errlen,
					  "cannot attach to the sys_enter/sys_exit "
					  "tracepoints: %s",
					  strerror(-ret)));
		goto failed;
	}
	if (s->filter.children &&
	    uc_follow_start(bpf_map__fd(s->skel->maps.followed), s->filter.pids, s->filter.n_pids,
			    err, errlen) < 0)
		goto failed;
	s->registry_failed = uc_registry_join(&s->registry,
					      bpf_map__fd(s->skel->maps.uc_captures)) < 0;
	attach_send_hooks(s);
	describe_narrowing(s);
	s->assembler = uc_assembler_new((unsigned)libbpf_num_possible_cpus());
	s->sockets = uc_socket_table_new(0);
	s->cgroups = uc_cgroups_new();
	s->docker = uc_docker_names_new();
	s->ring = ring_buffer__new(bpf_map__fd(s->skel->maps.ring), on_record, s, NULL);
	if (!s->assembler || !s->sockets || !s->ring || !s->cgroups || !s->docker) {
		ret = s->ring ? ENOMEM : errno;
		with_errno(ret, uc_error(err, errlen, "cannot set up the ring buffer consumer: %s",
					 strerror(ret)));
		goto failed;
	}
	s->wall_offset_ns = wall_offset();
	describe_hooks(s);
	return s;
failed:
	ret = errno;
	uc_session_close(s);
	errno = ret;
	return NULL;
}

/* Patterns with several '*' are only narrowed by the kernel; the glob decides here. */
static bool paths_match(const struct uc_session *s, const struct uc_rec_message *r)
{
	size_t own = uc_sun_path_len(r->own_path, r->own_path_len);
	size_t peer = uc_sun_path_len(r->peer_path, r->peer_path_len);

	if (r->path_match != UC_PATH_GLOB_ONLY)
		return true; /* the kernel decided */
	for (unsigned i = 0; i < s->n_raw_paths; i++) {
		const char *pat = s->raw_paths[i];
		size_t plen = s->raw_path_lens[i];

		if ((own && uc_glob_match(pat, plen, r->own_path, own)) ||
		    (peer && uc_glob_match(pat, plen, r->peer_path, peer)))
			return true;
	}
	return false;
}

static void message_from_record(struct uc_message *m, const struct uc_rec_message *r,
				int64_t wall_offset_ns, struct uc_cgroups *cgroups)
{
	memset(m, 0, offsetof(struct uc_message, own_path));
	m->ts_ns = r->ktime_ns + (uint64_t)wall_offset_ns;
	m->event = (enum uc_message_event)r->event;
	m->pid = r->pid;
	m->tid = r->tid;
	m->uid = r->uid;
	m->peer_pid = r->peer_pid;
	m->peer_uid = r->peer_uid;
	m->peer_gid = r->peer_gid;
	m->peek = r->peek;
	m->order_unknown = r->order_unknown;
	memcpy(m->comm, r->comm, UC_COMM_LEN);
	m->comm[UC_COMM_LEN] = '\0';
	m->sock_type = r->sock_type;
	m->syscall = r->syscall;
	m->own_ino = r->own_ino;
	m->peer_ino = r->peer_ino;
	m->cgroup_id = r->cgroup_id;
	uc_copy_string(m->cgroup, sizeof(m->cgroup), uc_cgroups_path(cgroups, r->cgroup_id));
	uc_sun_path_format(r->own_path, r->own_path_len, m->own_path, sizeof(m->own_path));
	uc_sun_path_format(r->peer_path, r->peer_path_len, m->peer_path, sizeof(m->peer_path));
	m->len = r->len;
	m->caplen = r->caplen;
	m->lost_before_bytes = r->lost_before_bytes;
	m->lost_before_msgs = r->lost_before_msgs;
}

static void count(struct uc_stats *st, const struct uc_message *m)
{
	st->lost_msgs += m->lost_before_msgs;
	st->unrecorded += m->lost_before_msgs;
	st->lost_bytes += m->lost_before_bytes;
	st->bytes += m->lost_before_bytes; /* sent, though never recorded */
	if (m->event == UC_MSG_UNSEEN) {
		st->lost_msgs++;
		st->unrecorded++;
		st->lost_bytes += m->len;
		st->bytes += m->len;
		return;
	}
	if (m->event != UC_MSG_DATA)
		return;
	st->bytes += m->len;
	st->stored += m->stored;
	st->truncated += m->len - m->caplen;
	/* a message is captured or lost, never both: the two counts add up to the messages sent */
	if (m->stored < m->caplen) {
		st->lost_msgs++;
		st->lost_bytes += m->caplen - m->stored;
	} else {
		st->messages++;
	}
}

/* Stopping, past the deadline: a message still in the ring is lost, counted, never written. */
static void count_unread(struct uc_stats *st, const struct uc_message *m)
{
	if (m->event != UC_MSG_DATA) {
		count(st, m); /* only its losses count */
		return;
	}
	st->lost_msgs += m->lost_before_msgs + 1;
	st->unrecorded += m->lost_before_msgs + 1;
	st->lost_bytes += m->lost_before_bytes + m->len;
	st->bytes += m->lost_before_bytes + m->len;
	st->unread++;
}

/* Docker names its containers; dockerd is asked once per container (docker_api.c), and that
 * request and its reply are unixcap's own I/O, left out here by their socket. */
static bool name_container(struct uc_session *s, struct uc_message *m)
{
	uint64_t now = m->ts_ns, asked = 0;

	for (unsigned i = 0; i < s->n_lookups && i < 16; i++)
		if (s->lookup_inos[i] &&
		    (m->own_ino == s->lookup_inos[i] || m->peer_ino == s->lookup_inos[i]))
			return false;
	if (!m->cgroup[0] || !s->docker)
		return true;
	if (m->cgroup_id != s->named.cgroup_id || now > s->named.until_ns) {
		uc_copy_string(s->named.name, sizeof(s->named.name),
			       uc_docker_name_of(s->docker, m->cgroup, &asked));
		s->named.cgroup_id = m->cgroup_id;
		s->named.until_ns = now + 1000000000ULL;
		if (asked)
			s->lookup_inos[s->n_lookups++ % 16] = asked;
	}
	uc_copy_string(m->container_name, sizeof(m->container_name), s->named.name);
	return true;
}

static int deliver(struct uc_session *s, struct uc_message *m)
{
	if (!name_container(s, m))
		return 0;
	if (s->discarding) {
		count_unread(&s->stats, m);
		return 0;
	}
	if (!s->delivering || !s->fn)
		return 0; /* after -c: what is not delivered is not captured */
	count(&s->stats, m);
	if (m->event == UC_MSG_DATA)
		s->delivered++;
	if (s->fn(m, s->ctx))
		s->delivering = false;
	return 0;
}

static int deliver_record(struct uc_session *s, const struct uc_rec_message *r, const uint8_t *data,
			  uint32_t stored)
{
	struct uc_message m;

	if (!paths_match(s, r))
		return 0;
	message_from_record(&m, r, s->wall_offset_ns, s->cgroups);
	m.data = data;
	m.stored = stored;
	uc_ancillary_describe(&m, data ? uc_assembler_ancillary(s->assembler, r) : NULL);
	return deliver(s, &m);
}

/* A message whose end was lost with a full ring stays open until its CPU records again, and
 * a quiet CPU would hold every later event for ever: past this many they go out, in order. */
#define MAX_HELD_EVENTS 8192

/* A close seen while an earlier message of another CPU is still arriving must not overtake it,
 * or the message would land after its connection was finished. */
static int hold_event(struct uc_session *s, const struct uc_rec_message *r)
{
	struct uc_rec_message *held = uc_array_grow(s->held, &s->capheld, s->nheld + 1,
						    sizeof(*held), 16);

	if (!held)
		return deliver_record(s, r, NULL, 0);
	s->held = held;
	s->held[s->nheld++] = *r;
	return 0;
}

static void release_events(struct uc_session *s, bool all)
{
	size_t done = 0;

	while (done < s->nheld &&
	       (all || !uc_assembler_open_before(s->assembler, s->held[done].ktime_ns)))
		deliver_record(s, &s->held[done++], NULL, 0);
	if (done) /* held is NULL until an event is first held: memmove(NULL, ...) is undefined */
		memmove(s->held, s->held + done, (s->nheld - done) * sizeof(*s->held));
	s->nheld -= done;
}

static int on_assembled(const struct uc_rec_message *r, const uint8_t *data, uint32_t stored,
			void *ctx)
{
	struct uc_session *s = ctx;

	if (r->event != UC_EV_DATA &&
	    (s->nheld || uc_assembler_open_before(s->assembler, r->ktime_ns)))
		return hold_event(s, r);
	return deliver_record(s, r, data, stored);
}

/* One poll consumes for at most this long, or a ring that never empties (a busy machine, or
 * two captures feeding each other) would keep the caller from ever seeing a stop request. */
#define POLL_SLICE_NS (50 * 1000000ULL)
#define SLICE_CHECK_EVERY 64 /* records between two looks at the clock */

static bool slice_over(struct uc_session *s)
{
	if (++s->slice_records % SLICE_CHECK_EVERY)
		return false;
	if (!s->slice_end_ns)
		s->slice_end_ns = uc_now_ns() + POLL_SLICE_NS;
	else if (uc_now_ns() >= s->slice_end_ns)
		s->slice_over = true;
	return s->slice_over;
}

static void start_slice(struct uc_session *s)
{
	s->slice_end_ns = 0;
	s->slice_records = 0;
	s->slice_over = false;
}

/* A socket's description is kept; a record naming a described socket is fed as the full record
 * it stands for; a closed socket is forgotten once its close has been fed. */
static void feed_record(struct uc_session *s, const void *data, size_t size)
{
	const struct uc_record_head *h = data;
	const struct uc_rec_message *m = data;
	size_t inline_len;

	if (h->kind == UC_REC_SOCKET && size >= sizeof(struct uc_rec_socket)) {
		if (uc_socket_table_put(s->sockets, data) > 0)
			s->skel->bss->describe_gen++; /* forgotten: every socket described again */
		return;
	}
	if (h->kind == UC_REC_IO && size >= sizeof(struct uc_rec_io)) {
		inline_len = size - sizeof(struct uc_rec_io);
		if (inline_len > UC_INLINE_MAX)
			return; /* malformed: dropped */
		uc_socket_table_expand(s->sockets, data, &s->expanded.m);
		memcpy(s->expanded.inline_data, (const struct uc_rec_io *)data + 1, inline_len);
		uc_assembler_feed(s->assembler, &s->expanded, sizeof(s->expanded.m) + inline_len,
				  on_assembled, s);
		return;
	}
	uc_assembler_feed(s->assembler, data, size, on_assembled, s);
	if (h->kind == UC_REC_MESSAGE && size >= sizeof(*m) && m->event == UC_EV_CLOSE)
		uc_socket_table_forget(s->sockets, m->own_ino);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct uc_session *s = ctx;

	feed_record(s, data, size);
	if (s->nheld)
		release_events(s, s->nheld >= MAX_HELD_EVENTS);
	/* a malformed record is dropped; the rest of the ring still counts. A negative return
	 * makes libbpf stop after this record (it is consumed). */
	return slice_over(s) ? -ECANCELED : 0;
}

/* ring_buffer__poll or __consume's result, the end of a slice being no error. */
static int sliced(struct uc_session *s, int ret)
{
	return s->slice_over ? 0 : ret;
}

int uc_session_poll(struct uc_session *s, int timeout_ms, uc_message_fn fn, void *ctx)
{
	int ret;

	if (s->stopped)
		return 0;
	s->fn = fn;
	s->ctx = ctx;
	s->delivered = 0;
	start_slice(s);
	ret = sliced(s, ring_buffer__poll(s->ring, timeout_ms));
	/* The hooks wake us only once much is queued (fewer wake-ups, more throughput), so a
	 * quiet poll still collects what little has arrived. */
	if (ret == 0 && !s->slice_over)
		ret = sliced(s, ring_buffer__consume(s->ring));
	s->fn = NULL;
	if (ret < 0 && ret != -EINTR) {
		errno = -ret;
		return -1;
	}
	return s->delivered;
}

/* Messages the ring had no room for and that no later message of their socket pair reported. */
static void deliver_leftover_losses(struct uc_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.losses);
	struct uc_loss_key key, next, *prev = NULL;
	struct uc_loss loss;
	struct uc_message m;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &loss) != 0 || !loss.msgs)
			continue; /* reported already: the hooks keep entries, taken to zero */
		memset(&m, 0, sizeof(m));
		m.ts_ns = uc_now_ns();
		m.event = UC_MSG_LOST;
		m.own_ino = key.own_ino;
		m.peer_ino = key.peer_ino;
		m.lost_before_bytes = loss.bytes;
		m.lost_before_msgs = (uint32_t)loss.msgs;
		deliver(s, &m);
	}
}

static uint64_t hook_misses(struct uc_session *s)
{
	struct bpf_program *progs[] = { s->skel->progs.on_sys_enter, s->skel->progs.on_sys_exit };
	uint64_t total = 0;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len) == 0)
			total += info.recursion_misses;
	}
	return total;
}

static void kernel_counters(struct uc_session *s)
{
	int ncpus = libbpf_num_possible_cpus(), fd = bpf_map__fd(s->skel->maps.counters);
	struct uc_counters *per_cpu;
	__u32 zero = 0;

	if (ncpus <= 0 || !(per_cpu = calloc((size_t)ncpus, sizeof(*per_cpu))))
		return;
	if (bpf_map_lookup_elem(fd, &zero, per_cpu) == 0)
		for (int i = 0; i < ncpus; i++) {
			s->stats.ring_full += per_cpu[i].ring_full;
			s->stats.unreadable += per_cpu[i].unreadable;
			s->stats.lost_msgs += per_cpu[i].unpaired_msgs;
			s->stats.unrecorded += per_cpu[i].unpaired_msgs;
			s->stats.lost_bytes += per_cpu[i].unpaired_bytes;
			s->stats.bytes += per_cpu[i].unpaired_bytes;
		}
	free(per_cpu);
	s->stats.unfollowed = s->skel->bss->unfollowed;
}

/* A stop request wins over any backlog: what is still queued this long after it is counted as
 * lost (quickly: nothing is formatted or written) rather than delivered. */
#define STOP_DRAIN_NS (1000 * 1000000ULL)

static int drain(struct uc_session *s)
{
	uint64_t deadline = uc_now_ns() + STOP_DRAIN_NS;
	int ret;

	do {
		start_slice(s);
		ret = sliced(s, ring_buffer__consume(s->ring));
	} while (ret >= 0 && s->slice_over && uc_now_ns() < deadline);
	if (ret < 0 || !s->slice_over)
		return ret;
	s->discarding = true;
	start_slice(s);
	while ((ret = sliced(s, ring_buffer__consume(s->ring))) >= 0 && s->slice_over)
		start_slice(s); /* detached: the ring empties */
	return ret;
}

int uc_session_stop(struct uc_session *s, uc_message_fn fn, void *ctx)
{
	int ret;

	if (s->stopped)
		return 0;
	unixcap_bpf__detach(s->skel);
	s->fn = fn;
	s->ctx = ctx;
	ret = drain(s);
	uc_assembler_flush(s->assembler, on_assembled, s);
	release_events(s, true);
	deliver_leftover_losses(s);
	s->stats.hook_misses = hook_misses(s);
	kernel_counters(s);
	s->fn = NULL;
	s->stopped = true;
	return ret < 0 ? with_errno(-ret, -1) : 0;
}

void uc_session_stats(const struct uc_session *s, struct uc_stats *out)
{
	*out = s->stats;
	out->taken_ns = uc_now_ns();
}

bool uc_session_followed_alive(const struct uc_session *s)
{
	return s->filter.children && uc_follow_any_left(bpf_map__fd(s->skel->maps.followed));
}

const char *uc_session_hooks(const struct uc_session *s)
{
	return s->hooks;
}

const char *uc_session_narrowing(const struct uc_session *s)
{
	return s->narrowing;
}

void uc_session_close(struct uc_session *s)
{
	if (!s)
		return;
	uc_registry_leave(&s->registry);
	ring_buffer__free(s->ring);
	uc_assembler_free(s->assembler);
	uc_socket_table_free(s->sockets);
	uc_cgroups_free(s->cgroups);
	uc_docker_names_free(s->docker);
	btf__free(s->vmlinux);
	free(s->held);
	unixcap_bpf__destroy(s->skel);
	free(s);
}
