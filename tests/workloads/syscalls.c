/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * syscalls [SECS]: for SECS seconds (default 3) reads 4 KiB from /dev/zero and writes them to
 * /dev/null in a tight loop.
 *
 * Ground truth: almost all CPU time is in the kernel, under the syscall entry
 * (entry_SYSCALL_64 → do_syscall_64 → __x64_sys_read → ... → read_zero), reached from
 * main → copy_loop → read/write in libc.
 */
#include <fcntl.h>
#include <unistd.h>

#include "workload.h"

__attribute__((noinline)) long copy_loop(int in, int out, double end)
{
	static char buf[4096];
	long n = 0;

	while (workload_now() < end) {
		for (int i = 0; i < 256; i++) {
			if (read(in, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
			    write(out, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
				perror("syscalls: read /dev/zero or write /dev/null");
				exit(1);
			}
		}
		n += 256;
	}
	return n;
}

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 3);
	int in = open("/dev/zero", O_RDONLY);
	int out = open("/dev/null", O_WRONLY);
	long n;

	if (in < 0 || out < 0) {
		perror("syscalls: open /dev/zero or /dev/null");
		return 1;
	}
	n = copy_loop(in, out, workload_now() + secs);
	printf("syscalls: %ld read/write pairs\n", n);
	return 0;
}
