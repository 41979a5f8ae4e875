/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap list`: every AF_UNIX socket on the machine, one line each, with its peer and owners. */
#ifndef UNIXCAP_LIST_CMD_H
#define UNIXCAP_LIST_CMD_H

/* argv[0] is "list". Returns the exit status: 0 done, 1 runtime error, 2 usage error. */
int uc_list_main(int argc, char **argv);

#endif
