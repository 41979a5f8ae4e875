/* SPDX-License-Identifier: BSD-2-Clause */
/* `unixcap proxy`: relay between a new socket and a real one, recording what passes, without root. */
#ifndef UNIXCAP_PROXY_CMD_H
#define UNIXCAP_PROXY_CMD_H

/* argv[0] is "proxy". Returns the exit status: 0 done, 1 runtime error, 2 usage error. */
int uc_proxy_main(int argc, char **argv);

#endif
