// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Atomic file replacement: a temp file beside the target, fsync, rename, fsync the folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Makes the rename durable. Best effort: the target is already replaced, so a failure here
 * cannot be reported as "path is untouched". */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Writes buf to a new file next to path and renames it over path. */
int atomicfile__write(const char *path, const void *buf, size_t len)
{
	char *tmp = NULL;
	int fd = -1, err;

	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	/* mkostemp creates with O_CREAT | O_EXCL (so a symlink planted at the name fails, as
	 * O_NOFOLLOW says again) and mode 0600; fchmod pins 0600 regardless. */
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL;	/* nothing was created: nothing to unlink */
		goto out;
	}
	err = fchmod(fd, 0600) ? -errno : 0;
	if (!err)
		err = write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err)
		sync_dir_of(path);
out:
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	return err;
}
