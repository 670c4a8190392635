/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fault_img_a / fault_img_b SECS [PROG ARG...]: burns one core in img_a_hot (img_b_hot) for
 * SECS seconds, prints "fault_img_a: pid P cpu C s" (its CPU time so far), then execs PROG
 * with its arguments if given, else exits.
 *
 * Built twice from this file (faults.mk, IMG=a and IMG=b): the two programs have the same
 * code at the same offsets and differ only in their names (functions, file names, build
 * ids). A profiler that resolves one image's addresses in the other's file (after an exec,
 * a pid reused, a binary replaced on disk) names img_a_hot where img_b_hot ran, silently.
 * Ground truth: every sample of a process while it runs fault_img_a has leaf img_a_hot (or
 * main, workload_now, the vDSO's clock) and no frame named after fault_img_b; and the other
 * way round.
 */
#include <string.h>
#include <unistd.h>

#include "../workload.h"

#define CAT3_(a, b, c) a##b##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define STR_(x) #x
#define STR(x) STR_(x)
#define IMG_HOT CAT3(img_, IMG, _hot)

__attribute__((noinline)) void IMG_HOT(void)
{
	BURN(WORK_UNIT);
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 2);

	while (workload_now() < end)
		IMG_HOT();
	printf("fault_img_" STR(IMG) ": pid %d cpu %.3f s\n", (int)getpid(), workload_cpu());
	fflush(stdout);
	if (argc > 2) {
		execv(argv[2], argv + 2);
		fprintf(stderr, "fault_img_" STR(IMG) ": exec %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
