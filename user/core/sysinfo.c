// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>

#include "core/sysinfo.h"
#include "proc/pidstat.h"

#define PF_KTHREAD 0x00200000u

int sysinfo__check_pid(int pid, char *comm, size_t size)
{
	struct pidstat ps;
	int err = pidstat__read(pid, &ps);

	if (err)
		return err == -EINVAL ? -ESRCH : err;
	snprintf(comm, size, "%s", ps.comm);
	if (ps.flags & PF_KTHREAD)
		return -EINVAL;
	return 0;
}

int sysinfo__tgid(int pid)
{
	char path[32], line[256];
	int tgid = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
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
