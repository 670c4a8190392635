// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/sysinfo.h"

#define PF_KTHREAD 0x00200000u

int sysinfo__check_pid(int pid, char *comm, size_t size)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -ESRCH;
	buf[len] = 0;
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses; take the last ')'. */
	p = strrchr(buf, ')');
	if (!p || !strchr(buf, '('))
		return -ESRCH;
	snprintf(comm, size, "%.*s", (int)(p - strchr(buf, '(') - 1), strchr(buf, '(') + 1);
	/* Fields after ')': state ppid pgrp session tty_nr tpgid flags (the 7th). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -ESRCH;
	if (flags & PF_KTHREAD)
		return -EINVAL;
	return 0;
}

bool sysinfo__has_bpf_caps(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	/* CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39 */
	return (eff >> 21 & 1) || ((eff >> 38 & 1) && (eff >> 39 & 1));
}
