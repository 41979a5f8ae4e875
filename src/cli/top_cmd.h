/* SPDX-License-Identifier: BSD-2-Clause */
/* unixcap top: live bytes and messages each way per process and per socket path. */
#ifndef UNIXCAP_TOP_CMD_H
#define UNIXCAP_TOP_CMD_H

/* argv[0] is "top". Returns the exit status: 0 done, 1 runtime error, 2 usage error. */
int uc_top_main(int argc, char **argv);

#endif
