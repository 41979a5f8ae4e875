/* SPDX-License-Identifier: BSD-2-Clause */
/* Wireshark's extcap protocol: Wireshark runs unixcap to list it as a capture interface, to read
 * its options, and to capture into a FIFO. */
#ifndef UNIXCAP_EXTCAP_H
#define UNIXCAP_EXTCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/options.h"

#define UC_EXTCAP_INTERFACE "unixcap"
/* uc_extcap_handle's answer when cli now describes a capture into the FIFO. */
#define UC_EXTCAP_CAPTURE (-1)

/* True when argv holds any extcap option (--extcap-*, --capture, --fifo). */
bool uc_extcap_call(int argc, char **argv);

/* Answers an extcap call: the lists Wireshark asks for (--extcap-interfaces, --extcap-dlts,
 * --extcap-config) and capture filter checks go to out, usage errors as one line to err.
 * Returns the exit status (0, or 2 for a usage error), or UC_EXTCAP_CAPTURE with cli filled
 * for --capture (cli points into argv and into storage kept until the next call). */
int uc_extcap_handle(int argc, char **argv, struct uc_cli *cli, FILE *out, FILE *err);

/* Checks a capture filter: empty, or words of the command line's filter options (--path P,
 * --pid N, --comm NAME, --type T). 0, or -1 with a one-line reason in err. */
int uc_extcap_check_filter(const char *filter, char *err, size_t errlen);

#endif
