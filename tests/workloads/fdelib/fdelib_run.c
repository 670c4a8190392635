/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fdelib_run LIB ROUNDS: dlopens LIB (a build of fdelib.c) and runs its fdelib_round
 * ROUNDS times: the same work whichever build LIB is, so both profiles have the same split.
 */
#include <dlfcn.h>

#include "../workload.h"

int main(int argc, char **argv)
{
	long rounds = argc > 2 ? (long)workload_arg(argc, argv, 2, 0) : 0;
	void (*round)(void);
	void *lib;

	if (argc != 3) {
		fprintf(stderr, "usage: fdelib_run LIB ROUNDS\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "fdelib_run: %s\n", dlerror());
		return 1;
	}
	*(void **)&round = dlsym(lib, "fdelib_round");
	if (!round) {
		fprintf(stderr, "fdelib_run: %s\n", dlerror());
		return 1;
	}
	for (long i = 0; i < rounds; i++)
		round();
	printf("fdelib_run: %ld rounds, cpu %.2f s\n", rounds, workload_cpu());
	return 0;
}
