/* SPDX-License-Identifier: BSD-2-Clause */
/* Output descriptors a hostile path cannot turn against us, and a stream reader's hang-up. */
#ifndef UNIXCAP_OUTPUT_FD_H
#define UNIXCAP_OUTPUT_FD_H

#include <stdbool.h>

struct uc_output_file {
	int fd;
	bool created; /* the file did not exist: nothing of anyone's to keep if we never start */
	bool regular; /* a regular file (truncated when the capture starts); else a FIFO or a device */
};

/* Opens path for writing as -w does, changing nothing in it (no truncation, no byte written):
 * a missing file is created mode 0600; an existing one must be a regular file or a FIFO of
 * the effective user's (a regular file with no other hard link; its mode is set to 0600 if
 * others could read it) or a character device. A symbolic link is never followed. 0, or -1
 * with errno and *why saying in a few words what is wrong. */
int uc_output_file_open(const char *path, struct uc_output_file *out, const char **why);
/* A pipe, socket or terminal: its reader can go away. */
bool uc_fd_is_stream(int fd);
/* The reader of a stream fd went away (a pipe's read end closed, a socket's peer shut down, a
 * terminal hung up), found without writing. */
bool uc_fd_reader_gone(int fd);

#endif
