#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""BPF time per message: what each of unixcap's kernel programs costs the traced programs.

With kernel.bpf_stats_enabled=1 the kernel adds up run_time_ns and run_cnt per program. This
reads them (of the measured process's programs only, from /proc/PID/fdinfo) around N round trips
of `build/pump echo N 512 SOCK` (one thread writes 512 B and reads them back: two messages' worth
of syscalls, one message) under each
capture configuration, and around N syscalls that are no unix-socket I/O (getppid(), a write to
/dev/null), with unixcap and with the empty hooks of build/floor. bpf_stats itself adds about
20-40 ns per program run. Run as root from the top of the tree after `make unixcap build/pump
build/floor`; N (default 200000) and ROUNDS (default 3, the median is printed) in the
environment. Prints one line per configuration and the targets of issue 16 beside them.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("N", "200000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
PUMP = "build/pump"


def programs(names, pid):
    """{name: (run_time_ns, run_cnt)} of the programs with these names that process pid holds,
    summed: other captures running meanwhile load programs of the same names."""
    stats = {}
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir):
        try:
            info = dict(l.split(":", 1) for l in open(os.path.join(fd_dir, fd)) if ":" in l)
        except OSError:
            continue
        if "prog_id" in info and "run_cnt" in info:
            stats[int(info["prog_id"])] = (int(info["run_time_ns"]), int(info["run_cnt"]))
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for p in json.loads(out or "[]"):
        name = p.get("name", "")
        if name in names and p.get("id") in stats:
            t, c = found.get(name, (0, 0))
            dt, dc = stats[p["id"]]
            found[name] = (t + dt, c + dc)
    return found


def start(cmd, log):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    for _ in range(600):
        if "listening" in open(log).read():
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"bpf_cost: {' '.join(cmd)} did not start: {open(log).read().strip()}")


def stop(proc):
    proc.send_signal(2)
    proc.wait(timeout=30)


def measure(cmd, log, names, workload):
    """Per program: ns per run and runs per workload item; and all programs' ns per item."""
    rounds = []
    for _ in range(ROUNDS):
        proc = start(cmd, log)
        before = programs(names, proc.pid)
        subprocess.run(workload, check=True, stdout=subprocess.DEVNULL)
        after = programs(names, proc.pid)
        stop(proc)
        per = {}
        total = 0
        for name in names:
            t0, c0 = before.get(name, (0, 0))
            t1, c1 = after.get(name, (0, 0))
            if c1 > c0:
                per[name] = ((t1 - t0) / (c1 - c0), (c1 - c0) / N)
            total += t1 - t0
        rounds.append((total / N, per))
    rounds.sort(key=lambda r: r[0])
    return rounds[len(rounds) // 2]


UNIXCAP_PROGS = ["on_sys_enter", "on_sys_exit", "on_sock_send_length", "on_sock_recv_length"]
FLOOR_PROGS = ["floor_enter", "floor_exit"]


def make_cgroup():
    """A new, empty cgroup v2 (the pump is not in it), or None without a v2 hierarchy."""
    for mount in open("/proc/mounts"):
        dev, path, fstype = mount.split()[:3]
        if fstype == "cgroup2":
            cg = os.path.join(path, f"unixcap-bpfcost-{os.getpid()}")
            os.mkdir(cg)
            return cg
    return None


def line(label, result, target):
    total, per = result
    parts = "  ".join(f"{n.replace('on_', '')} {ns:6.0f} ns x{runs:.2f}"
                      for n, (ns, runs) in sorted(per.items()))
    print(f"{label:44s} {total:7.0f} ns per item   (target {target})   {parts}")


def main():
    if os.geteuid() != 0:
        sys.exit("bpf_cost: needs root")
    for tool in ("./unixcap", PUMP, "build/floor"):
        if not os.access(tool, os.X_OK):
            sys.exit("bpf_cost: run 'make unixcap build/pump build/floor' first")
    stats = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    tmp = tempfile.mkdtemp(prefix="unixcap-bpfcost.")
    empty_cgroup = None
    sock = os.path.join(tmp, "echo.sock")
    log = os.path.join(tmp, "unixcap.err")
    echo = [PUMP, "echo", str(N), "512", sock]
    capture = ["./unixcap", "-w", os.path.join(tmp, "out.pcapng")]
    try:
        open("/proc/sys/kernel/bpf_stats_enabled", "w").write("1")
        print(f"# {time.strftime('%F %H:%M UTC', time.gmtime())} {os.uname().release}, "
              f"{os.cpu_count()} CPUs; {N} items, median of {ROUNDS}; bpf_stats adds ~20-40 ns "
              f"per program run")
        print("# echo 512 B: one message written and read back per item")
        line("full capture", measure(capture, log, UNIXCAP_PROGS, echo), "<= 800")
        line("full, --path that matches", measure(capture + ["--path", sock], log,
                                                  UNIXCAP_PROGS, echo), "<= 800")
        empty_cgroup = make_cgroup()
        for opt in (["--path", "/nonexistent.sock"], ["--pid", "1"], ["--comm", "nosuchcomm"],
                    ["--type", "dgram"], ["--inode", "1"], ["--cgroup", empty_cgroup]):
            if not opt[1]:
                print("# --cgroup left out: no cgroup v2 hierarchy mounted")
                continue
            line(f"excluded by {' '.join(opt)}", measure(capture + opt, log, UNIXCAP_PROGS, echo),
                 "<= 200")
        for kind in ("getppid", "null"):
            work = [PUMP, "syscalls", str(N), kind]
            fl = measure(["build/floor"], log, FLOOR_PROGS, work)
            uc = measure(capture, log, UNIXCAP_PROGS, work)
            line(f"{kind} syscalls, empty hooks (floor)", fl, "floor")
            line(f"{kind} syscalls, full capture", uc, f"<= floor + 40 = {fl[0] + 40:.0f}")
    finally:
        open("/proc/sys/kernel/bpf_stats_enabled", "w").write(stats)
        if empty_cgroup:
            os.rmdir(empty_cgroup)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
