/* SPDX-License-Identifier: BSD-2-Clause */
/* A running process described from /proc, for the process blocks of a live capture. */
#ifndef UNIXCAP_PROCESSES_H
#define UNIXCAP_PROCESSES_H

#include <stdint.h>

#include "format/process_block.h"

/* Fills p for pid: name, executable, command line, parent, real uid and its user name, start
 * time. A process already gone leaves what /proc no longer has empty; comm, when not NULL,
 * names it then. Always fills p->pid. */
void uc_process_describe(uint32_t pid, const char *comm, struct uc_process_info *p);

#endif
