/* SPDX-License-Identifier: BSD-2-Clause */
/* -Z: leave root for another user once what needs root is done. */
#include "cli/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

int uc_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return uc_error(err, errlen, "cannot run as '%s': %s", user,
				errno ? strerror(errno) : "no such user");
	/* groups first: once the uid is not root, they can no longer be changed */
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return uc_error(err, errlen, "cannot run as '%s': %s", user, strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return uc_error(err, errlen, "cannot run as '%s': root could be regained", user);
	return 0;
}
