/* SPDX-License-Identifier: BSD-2-Clause */
/* A running process described from /proc: what Wireshark's process-information entry holds. */
#include "inventory/processes.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Up to len bytes of /proc/PID/name; -1 when it cannot be read. */
static ssize_t read_proc(uint32_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while ((size_t)total < len && (n = read(fd, buf + total, len - (size_t)total)) > 0)
		total += n;
	close(fd);
	return total;
}

static void read_name(uint32_t pid, const char *comm, struct uc_process_info *p)
{
	ssize_t n = read_proc(pid, "comm", p->name, sizeof(p->name) - 1);

	if (n > 0) {
		p->name[n] = '\0';
		p->name[strcspn(p->name, "\n")] = '\0';
	} else if (comm) {
		snprintf(p->name, sizeof(p->name), "%s", comm);
	}
}

/* ppid (field 4) and starttime (field 22, clock ticks after boot), read after the last ')'
 * since the name in between may hold spaces and parentheses. */
static void read_stat(uint32_t pid, struct uc_process_info *p)
{
	char buf[1024], *s;
	unsigned long long start_ticks;
	unsigned ppid;
	ssize_t n = read_proc(pid, "stat", buf, sizeof(buf) - 1);
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);

	if (n <= 0)
		return;
	buf[n] = '\0';
	if (!(s = strrchr(buf, ')')) ||
	    sscanf(s + 1,
		   " %*c %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &ppid, &start_ticks) != 2)
		return;
	p->ppid = ppid;
	if (hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return;
	p->start_ns = (uint64_t)(real.tv_sec - boot.tv_sec) * 1000000000ull +
		      (uint64_t)(real.tv_nsec - boot.tv_nsec) +
		      start_ticks * (1000000000ull / (uint64_t)hz);
}

static void read_uid(uint32_t pid, struct uc_process_info *p)
{
	char buf[2048], *line;
	ssize_t n = read_proc(pid, "status", buf, sizeof(buf) - 1);
	struct passwd pw, *found = NULL;
	char pwbuf[1024];

	if (n <= 0)
		return;
	buf[n] = '\0';
	if (!(line = strstr(buf, "\nUid:")) || sscanf(line + 5, "%u", &p->uid) != 1)
		return;
	p->has_uid = 1;
	if (getpwuid_r(p->uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
		snprintf(p->user, sizeof(p->user), "%s", found->pw_name);
}

void uc_process_describe(uint32_t pid, const char *comm, struct uc_process_info *p)
{
	char exe[64];
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	read_name(pid, comm, p);
	snprintf(exe, sizeof(exe), "/proc/%u/exe", pid);
	n = readlink(exe, p->path, sizeof(p->path) - 1);
	p->path[n > 0 ? n : 0] = '\0';
	n = read_proc(pid, "cmdline", p->cmdline, sizeof(p->cmdline) - 1);
	if (n > 0) {
		if (p->cmdline[n - 1] != '\0') /* cut short: the last argument still ends */
			p->cmdline[n++] = '\0';
		p->cmdline_len = (size_t)n;
	}
	read_stat(pid, p);
	read_uid(pid, p);
}
