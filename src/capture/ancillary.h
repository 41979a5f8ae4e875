/* SPDX-License-Identifier: BSD-2-Clause */
/* Passed descriptors and credentials, from the kernel's record to what people read. */
#ifndef UNIXCAP_ANCILLARY_H
#define UNIXCAP_ANCILLARY_H

#include <linux/types.h>

#include "unixcap.h"
#include "records/record.h"

/* Fills m's nfds, fds[], has_creds and cred_* from the record (NULL: nothing was passed). */
void uc_ancillary_describe(struct uc_message *m, const struct uc_rec_ancillary *anc);

#endif
