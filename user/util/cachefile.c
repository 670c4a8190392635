// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cachefile.h"

bool cachefile__valid_id(const char *id, size_t max)
{
	size_t n = id ? strnlen(id, max + 1) : 0;

	if (n < 2 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int cachefile__commit(int fd, const char *tmp, const char *path, int err)
{
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
