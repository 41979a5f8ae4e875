/* SPDX-License-Identifier: BSD-2-Clause */
/* The -w output: one pcapng file, standard output, or a series of files rotated by size (-C)
 * or time (-G), at most -W of them, named as tcpdump(8) names them (see pcap_files.c). */
#ifndef UNIXCAP_PCAP_FILES_H
#define UNIXCAP_PCAP_FILES_H

#include "unixcap.h"

#endif
